#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/console.h"
#include "vm/spawn.h"

int
vm_console_open (struct vm_console *c, const char *path, uint64_t max_bytes, rv_error_t *err)
{
  size_t i;
  memset (c, 0, sizeof (*c));
  for (i = 0; i < VM_CONSOLE_MAX_SOURCES; i++)
    c->src[i].fd = -1;
  c->log_fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (c->log_fd < 0)
    return rv_error_make (err, errno, "open console log `%s`", path);
  c->path = xstrdup (path);
  c->max_bytes = max_bytes < 4096 ? 4096 : max_bytes;
  return 0;
}

int
vm_console_add_source (struct vm_console *c, const char *name, bool prefixed, int *ret_write_fd,
                       rv_error_t *err)
{
  struct vm_console_source *s;
  int p[2];

  if (c->nsrc >= VM_CONSOLE_MAX_SOURCES)
    return rv_error_set (err, ENOSPC, "console: too many sources");
  if (pipe2 (p, O_CLOEXEC) < 0)
    return rv_error_make (err, errno, "console pipe for %s", name);
  (void) fd_set_nonblock (p[0], true);
  /* A larger pipe lets a burst of boot messages through while the monitor
   * is busy elsewhere; the default size is the fallback.  */
  (void) fcntl (p[0], F_SETPIPE_SZ, 1 << 20);
  s = &c->src[c->nsrc++];
  s->fd = p[0];
  s->name = xstrdup (name);
  s->prefix = prefixed ? xasprintf ("[%s] ", name) : xstrdup ("");
  s->line_len = 0;
  *ret_write_fd = p[1];
  return 0;
}

static void
rotate (struct vm_console *c)
{
  _cleanup_free_ char *old = xasprintf ("%s.1", c->path);
  int fd;

  /* If the rename or the reopen fails, keep writing to the current file
   * rather than lose output; the cap is then exceeded, not the log lost.  */
  if (rename (c->path, old) < 0)
    return;
  fd = open (c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return;
  (void) close (c->log_fd);
  c->log_fd = fd;
  c->written = 0;
}

static void
log_write (struct vm_console *c, const char *data, size_t len)
{
  if (c->log_fd < 0)
    return;
  if (c->written + len > c->max_bytes / 2 && c->written > 0)
    rotate (c);
  if (len > c->max_bytes / 2)
    len = c->max_bytes / 2;
  if (write_all (c->log_fd, data, len) == 0)
    c->written += len;
}

static void
emit_line (struct vm_console *c, struct vm_console_source *s, long long now)
{
  _cleanup_free_ char *full = NULL;
  size_t len = s->line_len;

  while (len > 0 && (s->line[len - 1] == '\r' || s->line[len - 1] == '\n'))
    len--;
  s->line[len] = '\0';
  full = xasprintf ("%s%s\n", s->prefix, s->line);
  log_write (c, full, strlen (full));

  full[strlen (full) - 1] = '\0';
  free (c->tail[c->tail_next]);
  c->tail[c->tail_next] = TAKE_PTR (full);
  c->tail_next = (c->tail_next + 1) % VM_CONSOLE_TAIL_LINES;

  if (c->marker && !c->marker_seen && strstr (s->line, c->marker))
    c->marker_seen = true;
  /* A panic's reason comes first and its register dump after: the tail
   * alone would quote the dump.  */
  if (c->panic == NULL && *s->prefix == '\0' && strstr (s->line, "Kernel panic - "))
    c->panic = xstrdup (strstr (s->line, "Kernel panic - "));
  if (c->on_line)
    c->on_line (c->on_line_data, s->name, s->line, now);
  s->line_len = 0;
}

static void
feed (struct vm_console *c, struct vm_console_source *s, const char *buf, size_t n, long long now)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      if (buf[i] == '\n')
        {
          emit_line (c, s, now);
          continue;
        }
      if (buf[i] == '\0')
        continue;
      s->line[s->line_len++] = buf[i];
      if (s->line_len == sizeof (s->line) - 1)
        emit_line (c, s, now);
    }
}

static void
source_eof (struct vm_console *c, struct vm_console_source *s, long long now)
{
  if (s->line_len > 0)
    emit_line (c, s, now);
  (void) close (s->fd);
  s->fd = -1;
}

int
vm_console_pump (struct vm_console *c, rv_error_t *err)
{
  int open_sources = 0;
  size_t i;

  for (i = 0; i < c->nsrc; i++)
    {
      struct vm_console_source *s = &c->src[i];
      long long now = vm_now_ms ();
      char buf[16384];

      while (s->fd >= 0)
        {
          ssize_t n = read (s->fd, buf, sizeof (buf));
          if (n > 0)
            {
              feed (c, s, buf, (size_t) n, now);
              continue;
            }
          if (n == 0)
            source_eof (c, s, now);
          else if (errno == EINTR)
            continue;
          else if (errno != EAGAIN)
            return rv_error_make (err, errno, "read console of %s", s->name);
          break;
        }
      if (s->fd >= 0)
        open_sources++;
    }
  return open_sources;
}

void
vm_console_drain (struct vm_console *c, int timeout_ms)
{
  long long deadline = vm_now_ms () + timeout_ms;
  rv_error_t tmp = NULL;

  for (;;)
    {
      struct pollfd pfd[VM_CONSOLE_MAX_SOURCES];
      nfds_t n = 0;
      size_t i;
      long long left;
      int r = vm_console_pump (c, &tmp);

      if (r <= 0)
        break;
      left = deadline - vm_now_ms ();
      if (left <= 0)
        break;
      for (i = 0; i < c->nsrc; i++)
        if (c->src[i].fd >= 0)
          pfd[n++] = (struct pollfd){ .fd = c->src[i].fd, .events = POLLIN };
      if (poll (pfd, n, (int) left) < 0 && errno != EINTR)
        break;
    }
  rv_error_release (&tmp);
}

char *
vm_console_tail (const struct vm_console *c, size_t max_lines, size_t max_bytes)
{
  const char *picked[VM_CONSOLE_TAIL_LINES];
  size_t n = 0, total = 0, i;
  char *out;

  if (max_lines > VM_CONSOLE_TAIL_LINES)
    max_lines = VM_CONSOLE_TAIL_LINES;
  /* Newest first, skipping blank lines, until a limit is reached.  */
  for (i = 0; i < VM_CONSOLE_TAIL_LINES && n < max_lines; i++)
    {
      size_t idx = (c->tail_next + VM_CONSOLE_TAIL_LINES - 1 - i) % VM_CONSOLE_TAIL_LINES;
      const char *line = c->tail[idx];
      size_t len;
      if (line == NULL)
        break;
      while (*line == ' ' || *line == '\t')
        line++;
      len = strlen (line);
      if (len == 0)
        continue;
      if (n > 0 && total + len + 3 > max_bytes)
        break;
      picked[n++] = line;
      total += len + 3;
    }
  out = xstrdup ("");
  while (n > 0)
    {
      const char *line = picked[--n];
      char *joined = xasprintf ("%s%s%s", out, *out ? " | " : "", line);
      free (out);
      out = joined;
    }
  if (strlen (out) > max_bytes)
    {
      /* One huge line: keep its end, which is where a panic's reason is.  */
      char *cut = xasprintf ("...%s", out + strlen (out) - max_bytes);
      free (out);
      out = cut;
    }
  return out;
}

void
vm_console_close (struct vm_console *c)
{
  size_t i;
  for (i = 0; i < c->nsrc; i++)
    {
      if (c->src[i].fd >= 0)
        (void) close (c->src[i].fd);
      c->src[i].fd = -1;
      free (c->src[i].name);
      free (c->src[i].prefix);
      c->src[i].name = c->src[i].prefix = NULL;
    }
  c->nsrc = 0;
  for (i = 0; i < VM_CONSOLE_TAIL_LINES; i++)
    {
      free (c->tail[i]);
      c->tail[i] = NULL;
    }
  if (c->log_fd > 0)
    (void) close (c->log_fd);
  c->log_fd = -1;
  free (c->path);
  c->path = NULL;
  free (c->marker);
  c->marker = NULL;
  free (c->panic);
  c->panic = NULL;
}
