#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"
#include "tests/unit/support/run.h"

struct buf
{
  char *data;
  size_t len;
};

static void
buf_add (struct buf *b, const char *s, size_t n)
{
  b->data = xrealloc (b->data, b->len + n + 1);
  memcpy (b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

int
run_argv (struct run_result *r, const char *cwd, const char *stdin_data, const char *exe, char *const argv[])
{
  int out[2], err[2], in[2], status;
  struct buf bo = { NULL, 0 }, be = { NULL, 0 };
  struct pollfd p[3];
  size_t in_off = 0, in_len = stdin_data ? strlen (stdin_data) : 0;
  pid_t pid;

  if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (err, O_CLOEXEC) < 0 || pipe2 (in, O_CLOEXEC) < 0)
    return -errno;
  pid = fork ();
  if (pid < 0)
    return -errno;
  if (pid == 0)
    {
      dup2 (in[0], 0);
      dup2 (out[1], 1);
      dup2 (err[1], 2);
      if (cwd && chdir (cwd) < 0)
        _exit (126);
      if (exe)
        execv (exe, argv);
      else
        execvp (argv[0], argv);
      _exit (127);
    }
  close (out[1]);
  close (err[1]);
  close (in[0]);
  if (in_len == 0)
    {
      close (in[1]);
      in[1] = -1;
    }
  buf_add (&bo, "", 0);
  buf_add (&be, "", 0);
  p[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
  p[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
  p[2] = (struct pollfd){ .fd = in[1], .events = POLLOUT };
  while (p[0].fd >= 0 || p[1].fd >= 0)
    {
      int i;
      if (poll (p, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      for (i = 0; i < 2; i++)
        if (p[i].fd >= 0 && p[i].revents)
          {
            char chunk[4096];
            ssize_t n = read (p[i].fd, chunk, sizeof (chunk));
            if (n > 0)
              buf_add (i == 0 ? &bo : &be, chunk, (size_t) n);
            else if (n == 0 || errno != EINTR)
              {
                close (p[i].fd);
                p[i].fd = -1;
              }
          }
      if (p[2].fd >= 0 && p[2].revents)
        {
          ssize_t n = write (p[2].fd, stdin_data + in_off, in_len - in_off);
          if (n > 0)
            in_off += (size_t) n;
          if (n < 0 || in_off == in_len)
            {
              close (p[2].fd);
              p[2].fd = -1;
            }
        }
    }
  if (p[2].fd >= 0)
    close (p[2].fd);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  r->status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  r->out = bo.data;
  r->err = be.data;
  return 0;
}

const char *
runvm_bin (void)
{
  static char path[PATH_MAX];
  const char *dir = getenv ("RUNVM_BUILDDIR");

  snprintf (path, sizeof (path), "%s/bin/runvm", dir ? dir : "build");
  return path;
}

int
run_runvm (struct run_result *r, const char *cwd, char *const args[])
{
  size_t n = 0, i;
  char **argv;
  int ret;

  while (args[n])
    n++;
  argv = xcalloc (n + 2, sizeof (char *));
  argv[0] = (char *) "runvm";
  for (i = 0; i < n; i++)
    argv[i + 1] = args[i];
  ret = run_argv (r, cwd, NULL, runvm_bin (), argv);
  free (argv);
  return ret;
}

bool
have_program (const char *prog)
{
  const char *path = getenv ("PATH");
  _cleanup_free_ char *copy = xstrdup (path ? path : "/usr/bin:/bin");
  char *save = NULL, *dir;

  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      _cleanup_free_ char *p = xasprintf ("%s/%s", dir, prog);
      if (access (p, X_OK) == 0)
        return true;
    }
  return false;
}

void
run_result_free (struct run_result *r)
{
  free (r->out);
  free (r->err);
  r->out = r->err = NULL;
}

char *
make_temp_dir (void)
{
  char *p = xstrdup ("/tmp/runvm-test-XXXXXX");
  if (mkdtemp (p) == NULL)
    abort ();
  return p;
}

void
remove_temp_dir (const char *path)
{
  struct run_result r = { 0 };
  char *const argv[] = { (char *) "rm", (char *) "-rf", (char *) path, NULL };

  if (run_argv (&r, NULL, NULL, NULL, argv) == 0)
    run_result_free (&r);
}

char *
strip_log_times (const char *s)
{
  char *out = xmalloc (strlen (s) + 1), *o = out;

  while (*s)
    {
      if (str_has_prefix (s, "time=\""))
        {
          const char *end = strchr (s + 6, '"');
          if (end)
            {
              s = end + 1;
              if (*s == ' ')
                s++;
              continue;
            }
        }
      if (str_has_prefix (s, ",\"time\":\""))
        {
          const char *end = strchr (s + 9, '"');
          if (end)
            {
              s = end + 1;
              continue;
            }
        }
      *o++ = *s++;
    }
  *o = '\0';
  return out;
}
