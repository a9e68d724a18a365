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

int
rv_log_format_parse (const char *s, enum rv_log_format *ret)
{
  if (strcmp (s, "text") == 0)
    *ret = RV_LOG_FORMAT_TEXT;
  else if (strcmp (s, "json") == 0)
    *ret = RV_LOG_FORMAT_JSON;
  else
    return -EINVAL;
  return 0;
}

/* Appends S to OUT as the body of a JSON string, escaped as Go's
 * encoding/json does it (logrus's JSON formatter uses it): besides quotes,
 * backslashes and control characters, `<`, `>`, `&`, U+2028 and U+2029 are
 * written as \u escapes, so a line compares equal to what runc writes.  */
static void
append_json_escaped (FILE *out, const char *s)
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
        case '<':
        case '>':
        case '&':
          fprintf (out, "\\u%04x", c);
          break;
        default:
          if (c == 0xe2 && (unsigned char) s[1] == 0x80
              && ((unsigned char) s[2] == 0xa8 || (unsigned char) s[2] == 0xa9))
            {
              fprintf (out, "\\u202%c", s[2] == (char) 0xa8 ? '8' : '9');
              s += 2;
            }
          else if (c < 0x20)
            fprintf (out, "\\u%04x", c);
          else
            fputc (c, out);
        }
    }
}

/* logrus's text formatter quotes a value only when it holds a character
 * outside this set.  */
static bool
text_needs_quoting (const char *s)
{
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
            || c == '_' || c == '/' || c == '@' || c == '^' || c == '+'))
        return true;
    }
  return false;
}

/* Appends S quoted as Go's %q verb (strconv.Quote) does for the ASCII
 * range; other bytes pass through unchanged.  */
static void
append_text_quoted (FILE *out, const char *s)
{
  fputc ('"', out);
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
        case '\a':
          fputs ("\\a", out);
          break;
        case '\b':
          fputs ("\\b", out);
          break;
        case '\f':
          fputs ("\\f", out);
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
        case '\v':
          fputs ("\\v", out);
          break;
        default:
          if (c < 0x20 || c == 0x7f)
            fprintf (out, "\\x%02x", c);
          else
            fputc (c, out);
        }
    }
  fputc ('"', out);
}

static void
append_text_value (FILE *out, const char *s)
{
  if (text_needs_quoting (s))
    append_text_quoted (out, s);
  else
    fputs (s, out);
}

char *
rv_log_format_line (enum rv_log_format format, enum rv_log_level level, const char *stamp, const char *msg)
{
  char *line = NULL;
  size_t len = 0;
  FILE *out;

  out = open_memstream (&line, &len);
  if (out == NULL)
    return NULL;
  if (format == RV_LOG_FORMAT_JSON)
    {
      fprintf (out, "{\"level\":\"%s\",\"msg\":\"", rv_log_level_name (level));
      append_json_escaped (out, msg);
      fputs ("\",\"time\":\"", out);
      append_json_escaped (out, stamp);
      fputs ("\"}\n", out);
    }
  else
    {
      fputs ("time=", out);
      append_text_value (out, stamp);
      fprintf (out, " level=%s msg=", rv_log_level_name (level));
      append_text_value (out, msg);
      fputc ('\n', out);
    }
  if (fclose (out) != 0)
    {
      free (line);
      return NULL;
    }
  return line;
}

void
rv_vlog (enum rv_log_level level, const char *fmt, va_list ap)
{
  _cleanup_free_ char *msg = NULL, *line = NULL;
  char stamp[32];
  struct tm tm;
  time_t now;
  int saved = errno;

  if (!rv_log_enabled (level) || log_fd < 0)
    return;

  msg = xvasprintf (fmt, ap);
  now = time (NULL);
  gmtime_r (&now, &tm);
  strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

  line = rv_log_format_line (log_format, level, stamp, msg);
  if (line)
    (void) write_all (log_fd, line, strlen (line));
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
