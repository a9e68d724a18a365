#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
#include <yajl/yajl_gen.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/hooks.h"
#include "libcontainer/process.h"
#include "libcontainer/signals.h"

#define OUTPUT_MAX 4096

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

void
lc_hook_state_gen (void *gen, const char *id, const char *status, pid_t pid, const char *bundle,
                   const struct spec_kv *annotations, size_t annotations_len)
{
  yajl_gen g = gen;
  size_t i;

  yajl_gen_map_open (g);
  gen_str (g, "ociVersion");
  gen_str (g, SPEC_VERSION);
  gen_str (g, "id");
  gen_str (g, id ? id : "");
  gen_str (g, "status");
  gen_str (g, status);
  if (pid > 0)
    {
      gen_str (g, "pid");
      yajl_gen_integer (g, pid);
    }
  gen_str (g, "bundle");
  gen_str (g, bundle ? bundle : "");
  if (annotations_len > 0)
    {
      gen_str (g, "annotations");
      yajl_gen_map_open (g);
      for (i = 0; i < annotations_len; i++)
        {
          gen_str (g, annotations[i].key ? annotations[i].key : "");
          gen_str (g, annotations[i].value ? annotations[i].value : "");
        }
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

char *
lc_hook_state_json (const char *id, const char *status, pid_t pid, const char *bundle,
                    const struct spec_kv *annotations, size_t annotations_len)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  char *out;

  lc_hook_state_gen (g, id, status, pid, bundle, annotations, annotations_len);
  yajl_gen_get_buf (g, &buf, &len);
  out = xstrndup ((const char *) buf, len);
  yajl_gen_free (g);
  return out;
}

static int
pidfd_open_ (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__ ((noreturn))
hook_child (const struct spec_hook *h, int in, int out, char *const *env)
{
  static char *const empty[] = { NULL };
  char *argv0[] = { h->path, NULL };

  /* The caller's signal state is none of the hook's business.  */
  lc_signals_reset ();
  if (dup2 (in, 0) < 0 || dup2 (out, 1) < 0 || dup2 (out, 2) < 0)
    _exit (127);
  /* The caller's other fds (sockets, other containers' terminals) are
   * none of the hook's business.  */
  lc_proc_close_fds_from (3, -1);
  /* A hook without env of its own gets DEFAULT_ENV, else ours: runc's
   * hooks inherit runc's environment (PATH for scripts, ...).  */
  execve (h->path, h->args && h->args[0] ? h->args : argv0,
          h->env ? h->env : (env ? env : (environ ? environ : empty)));
  dprintf (2, "exec `%s`: %s", h->path, strerror (errno));
  _exit (127);
}

static int
run_one (const char *kind, size_t idx, const struct spec_hook *h, const char *state, char *const *env,
         rv_error_t *err)
{
  _cleanup_close_ int in_r = -1, in_w = -1, out_r = -1, out_w = -1, pidfd = -1;
  char output[OUTPUT_MAX + 1];
  size_t out_len = 0, state_off = 0, state_len = strlen (state);
  int64_t deadline
      = h->timeout.set && h->timeout.value > 0 ? now_ms () + (int64_t) h->timeout.value * 1000 : -1;
  bool timed_out = false, out_open = true, exited = false;
  int fds[2], status = 0;
  pid_t pid;

  if (h->path == NULL || h->path[0] != '/')
    return rv_error_set (err, EINVAL, "%s hook %zu: path `%s` is not absolute", kind, idx,
                         h->path ? h->path : "");
  /* stdin is a socket: a hook that exits without reading it must not
   * raise SIGPIPE in the caller (send takes MSG_NOSIGNAL, write cannot).  */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    return rv_error_make (err, errno, "%s hook: socketpair", kind);
  in_r = fds[0];
  in_w = fds[1];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return rv_error_make (err, errno, "%s hook: pipe", kind);
  out_r = fds[0];
  out_w = fds[1];

  pid = lc_fork_blocked ();
  if (pid < 0)
    return rv_error_make (err, errno, "%s hook `%s`: fork", kind, h->path);
  if (pid == 0)
    hook_child (h, in_r, out_w, env);
  close (in_r);
  in_r = -1;
  close (out_w);
  out_w = -1;
  pidfd = pidfd_open_ (pid);
  (void) fd_set_nonblock (in_w, true);
  (void) fd_set_nonblock (out_r, true);

  /* Feed the state, collect the output and watch for the exit at once: a
   * hook that does not read stdin or fills its output pipe must not block
   * us past its timeout.  */
  for (;;)
    {
      struct pollfd p[3];
      int np = 0, timeout = -1, r;
      int64_t left;

      if (in_w >= 0)
        p[np++] = (struct pollfd){ .fd = in_w, .events = POLLOUT };
      if (out_open)
        p[np++] = (struct pollfd){ .fd = out_r, .events = POLLIN };
      if (pidfd >= 0)
        p[np++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
      if (deadline >= 0)
        {
          left = deadline - now_ms ();
          if (left <= 0)
            {
              timed_out = true;
              break;
            }
          timeout = (int) left;
        }
      if (np == 0)
        break;
      r = poll (p, (nfds_t) np, timeout);
      if (r < 0 && errno != EINTR)
        break;
      if (r <= 0)
        continue;
      for (int i = 0; i < np; i++)
        {
          if (p[i].revents == 0)
            continue;
          if (p[i].fd == in_w)
            {
              ssize_t n = send (in_w, state + state_off, state_len - state_off, MSG_NOSIGNAL | MSG_DONTWAIT);
              if (n > 0)
                state_off += (size_t) n;
              if (n < 0 && errno != EAGAIN && errno != EINTR)
                state_off = state_len;
              if (state_off >= state_len)
                {
                  close (in_w);
                  in_w = -1;
                }
            }
          else if (p[i].fd == out_r)
            {
              char buf[1024];
              ssize_t n = read (out_r, buf, sizeof (buf));
              if (n > 0)
                {
                  size_t take = (size_t) n;
                  if (take > OUTPUT_MAX - out_len)
                    take = OUTPUT_MAX - out_len;
                  memcpy (output + out_len, buf, take);
                  out_len += take;
                }
              else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                out_open = false;
            }
          else if (p[i].fd == pidfd)
            {
              /* Exited: drain what it wrote, then stop.  */
              close (pidfd);
              pidfd = -1;
              exited = true;
            }
        }
      /* Without a pidfd (kernels before 5.3) the end of the output is
       * the end of the hook.  */
      if (!out_open && (exited || pidfd < 0))
        break;
      if (exited && out_open)
        {
          /* The hook is gone; what is left in the pipe is all there is
           * (unless it left a child holding the pipe: do not wait for
           * that one).  */
          char buf[1024];
          ssize_t n;
          while ((n = read (out_r, buf, sizeof (buf))) > 0)
            {
              size_t take = (size_t) n;
              if (take > OUTPUT_MAX - out_len)
                take = OUTPUT_MAX - out_len;
              memcpy (output + out_len, buf, take);
              out_len += take;
            }
          break;
        }
    }
  if (timed_out)
    (void) kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  output[out_len] = '\0';
  while (out_len > 0 && (output[out_len - 1] == '\n' || output[out_len - 1] == ' '))
    output[--out_len] = '\0';
  if (timed_out)
    return rv_error_set (err, ETIMEDOUT, "%s hook `%s` timed out after %d s", kind, h->path,
                         h->timeout.value);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFSIGNALED (status))
    return rv_error_set (err, ECANCELED, "%s hook `%s` was killed by signal %d%s%s", kind, h->path,
                         WTERMSIG (status), out_len ? ": " : "", output);
  return rv_error_set (err, ECANCELED, "%s hook `%s` exited with status %d%s%s", kind, h->path,
                       WEXITSTATUS (status), out_len ? ": " : "", output);
}

int
lc_hooks_run (const char *kind, const struct spec_hook *hooks, size_t n, const char *state,
              char *const *default_env, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      int r = run_one (kind, i, &hooks[i], state, default_env, err);
      if (r < 0)
        return r;
    }
  return 0;
}
