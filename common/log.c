#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utils.h"

static int log_fd = STDERR_FILENO;
static enum rv_log_format log_format = RV_LOG_FORMAT_TEXT;
static enum rv_log_level log_level = RV_LOG_ERROR;

static const char *const level_names[] = {
  [RV_LOG_PANIC] = "panic", [RV_LOG_FATAL] = "fatal", [RV_LOG_ERROR] = "error", [RV_LOG_WARNING] = "warning",
  [RV_LOG_INFO] = "info",   [RV_LOG_DEBUG] = "debug", [RV_LOG_TRACE] = "trace",
};

void
rv_log_setup (int fd, enum rv_log_format format, enum rv_log_level level)
{
  log_fd = fd;
  log_format = format;
  log_level = level;
}

int
rv_log_fd (void)
{
  return log_fd;
}

enum rv_log_level
rv_log_level (void)
{
  return log_level;
}

bool
rv_log_enabled (enum rv_log_level level)
{
  return level <= log_level;
}

const char *
rv_log_level_name (enum rv_log_level level)
{
  if ((unsigned) level < ARRAY_SIZE (level_names))
    return level_names[level];
  return "unknown";
}

int
rv_log_level_parse (const char *s, enum rv_log_level *ret)
{
  size_t i;

  if (strcmp (s, "warn") == 0)
    {
      *ret = RV_LOG_WARNING;
      return 0;
    }
  for (i = 0; i < ARRAY_SIZE (level_names); i++)
    if (strcmp (s, level_names[i]) == 0)
      {
        *ret = (enum rv_log_level) i;
        return 0;
      }
  return -EINVAL;
}

/* Appends S to OUT with JSON (and logfmt, which uses the same escapes for
 * quotes, backslashes and control characters) escaping.  */
static void
append_escaped (FILE *out, const char *s)
{
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      switch (c)
        {
        case '"':
          fputs ("\\\"", out);
          break;
        case '\\':
          fputs ("\\\\", out);
          break;
        case '\n':
          fputs ("\\n", out);
          break;
        case '\r':
          fputs ("\\r", out);
          break;
        case '\t':
          fputs ("\\t", out);
          break;
        default:
          if (c < 0x20)
            fprintf (out, "\\u%04x", c);
          else
            fputc (c, out);
        }
    }
}

void
rv_vlog (enum rv_log_level level, const char *fmt, va_list ap)
{
  _cleanup_free_ char *msg = NULL, *line = NULL;
  char stamp[32];
  struct tm tm;
  size_t len = 0;
  time_t now;
  FILE *out;
  int saved = errno;

  if (!rv_log_enabled (level) || log_fd < 0)
    return;

  msg = xvasprintf (fmt, ap);
  now = time (NULL);
  gmtime_r (&now, &tm);
  strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

  out = open_memstream (&line, &len);
  if (out == NULL)
    goto out;
  if (log_format == RV_LOG_FORMAT_JSON)
    {
      fprintf (out, "{\"level\":\"%s\",\"msg\":\"", rv_log_level_name (level));
      append_escaped (out, msg);
      fprintf (out, "\",\"time\":\"%s\"}\n", stamp);
    }
  else
    {
      fprintf (out, "time=\"%s\" level=%s msg=\"", stamp, rv_log_level_name (level));
      append_escaped (out, msg);
      fputs ("\"\n", out);
    }
  if (fclose (out) == 0)
    (void) write_all (log_fd, line, len);
out:
  errno = saved;
}

void
rv_log (enum rv_log_level level, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  rv_vlog (level, fmt, ap);
  va_end (ap);
}
