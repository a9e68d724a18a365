#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/spawn.h"

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

long long
vm_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
vm_fd_above_stdio (int fd)
{
  int n;
  if (fd > STDERR_FILENO || fd < 0)
    return fd;
  n = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (n < 0)
    return -errno;
  (void) close (fd);
  return n;
}

static int
pidfd_open_ (pid_t pid)
{
#ifdef SYS_pidfd_open
  return (int) syscall (SYS_pidfd_open, pid, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

static int
pidfd_send_signal_ (int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
  return (int) syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

/* In the child, between fork and exec: async-signal-safe calls only.  */
static void __attribute__ ((noreturn))
child_exec (const struct vm_spawn_opts *o, int devnull, pid_t parent, int errfd)
{
  int src[3] = { o->stdin_fd, o->stdout_fd, o->stderr_fd };
  struct sigaction sa;
  sigset_t none;
  size_t i;
  int sig, e;

  /* The parent may have died before PDEATHSIG was armed; then nobody
   * would kill this child, so it must not start.  */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
    _exit (127);

  sigemptyset (&none);
  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = SIG_DFL;
  for (sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP && sigaction (sig, &sa, NULL) < 0)
      {
        /* glibc refuses its reserved signals (32, 33), which an ignoring
         * parent would still pass on; the kernel takes them.  */
        struct
        {
          void (*handler) (int);
          unsigned long flags;
          void (*restorer) (void);
          uint64_t mask;
        } ksa = { SIG_DFL, 0, NULL, 0 };
        (void) syscall (SYS_rt_sigaction, sig, &ksa, NULL, sizeof (ksa.mask));
      }
  (void) sigprocmask (SIG_SETMASK, &none, NULL);
  (void) setpgid (0, 0);

  /* Everything not named below is closed by exec, even fds the monitor
   * opened without O_CLOEXEC.  */
  (void) syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);

  for (i = 0; i < 3; i++)
    {
      if (src[i] < 0)
        src[i] = devnull;
      if (src[i] < 3 && src[i] != (int) i)
        {
          src[i] = fcntl (src[i], F_DUPFD_CLOEXEC, 3);
          if (src[i] < 0)
            goto fail;
        }
    }
  for (i = 0; i < 3; i++)
    {
      if (src[i] == (int) i)
        {
          if (fcntl (src[i], F_SETFD, 0) < 0)
            goto fail;
        }
      else if (dup2 (src[i], (int) i) < 0)
        goto fail;
    }
  for (i = 0; i < o->keep_fds_len; i++)
    if (fcntl (o->keep_fds[i], F_SETFD, 0) < 0)
      goto fail;

  execve (o->argv[0], o->argv, o->envp ? o->envp : environ);
fail:
  e = errno;
  (void) !write (errfd, &e, sizeof (e));
  _exit (127);
}

int
vm_spawn (const char *name, const struct vm_spawn_opts *o, struct vm_child *ret, rv_error_t *err)
{
  _cleanup_close_ int devnull = -1, rd = -1, wr = -1;
  int p[2], child_errno = 0;
  pid_t parent = getpid (), pid;
  ssize_t n;
  size_t i;

  for (i = 0; i < o->keep_fds_len; i++)
    if (o->keep_fds[i] <= STDERR_FILENO)
      return rv_error_set (err, EINVAL, "spawn %s: fd %d to keep collides with stdio", name, o->keep_fds[i]);
  devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0)
    return rv_error_make (err, errno, "open `/dev/null`");
  if (pipe2 (p, O_CLOEXEC) < 0)
    return rv_error_make (err, errno, "pipe");
  rd = p[0];
  wr = p[1];

  pid = fork ();
  if (pid < 0)
    return rv_error_make (err, errno, "fork %s", name);
  if (pid == 0)
    child_exec (o, devnull, parent, wr);

  (void) close (TAKE_FD (wr));
  do
    n = read (rd, &child_errno, sizeof (child_errno));
  while (n < 0 && errno == EINTR);
  if (n != 0)
    {
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      if (n == (ssize_t) sizeof (child_errno))
        return rv_error_make (err, child_errno, "exec %s `%s`", name, o->argv[0]);
      return rv_error_set (err, EIO, "exec %s `%s`: no report from the child", name, o->argv[0]);
    }

  memset (ret, 0, sizeof (*ret));
  ret->name = xstrdup (name);
  ret->pid = pid;
  ret->pidfd = pidfd_open_ (pid);
  return 0;
}

static void
mark_exited (struct vm_child *c, int status)
{
  c->exited = true;
  c->status = status;
  c->pid = 0;
}

int
vm_child_poll (struct vm_child *c, rv_error_t *err)
{
  int status;
  pid_t r;

  if (c->exited || c->pid <= 0)
    return 1;
  do
    r = waitpid (c->pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return 0;
  if (r < 0)
    {
      /* Reaped by someone else: the exit status is lost, the child gone.  */
      if (errno == ECHILD)
        {
          mark_exited (c, -1);
          return 1;
        }
      return rv_error_make (err, errno, "wait for %s", c->name);
    }
  mark_exited (c, status);
  return 1;
}

int
vm_child_wait (struct vm_child *c, int timeout_ms, rv_error_t *err)
{
  long long deadline = timeout_ms < 0 ? -1 : vm_now_ms () + timeout_ms;
  int r;

  for (;;)
    {
      long long left;
      r = vm_child_poll (c, err);
      if (r != 0)
        return r;
      left = deadline < 0 ? -1 : deadline - vm_now_ms ();
      if (deadline >= 0 && left <= 0)
        return 0;
      if (c->pidfd >= 0)
        {
          struct pollfd pfd = { .fd = c->pidfd, .events = POLLIN };
          if (poll (&pfd, 1, left < 0 || left > 1000 ? 1000 : (int) left) < 0 && errno != EINTR)
            return rv_error_make (err, errno, "poll");
        }
      else
        {
          struct timespec ts = { 0, 5 * 1000 * 1000 };
          (void) nanosleep (&ts, NULL);
        }
    }
}

void
vm_child_signal (struct vm_child *c, int sig)
{
  if (c->exited || c->pid <= 0)
    return;
  if (c->pidfd >= 0)
    {
      if (pidfd_send_signal_ (c->pidfd, sig) == 0 || errno != ENOSYS)
        return;
    }
  (void) kill (c->pid, sig);
}

void
vm_child_kill (struct vm_child *c)
{
  rv_error_t tmp = NULL;
  if (c->exited || c->pid <= 0)
    return;
  vm_child_signal (c, SIGKILL);
  if (vm_child_wait (c, -1, &tmp) < 0)
    rv_error_release (&tmp);
}

void
vm_child_release (struct vm_child *c)
{
  vm_child_kill (c);
  if (c->pidfd >= 0)
    (void) close (c->pidfd);
  c->pidfd = -1;
  free (c->name);
  c->name = NULL;
}

char *
vm_child_describe (const struct vm_child *c)
{
  if (!c->exited)
    return xstrdup ("is running");
  if (c->status < 0)
    return xstrdup ("exited (status unknown)");
  if (WIFEXITED (c->status))
    return xasprintf ("exited with status %d", WEXITSTATUS (c->status));
  if (WIFSIGNALED (c->status))
    return xasprintf ("was killed by signal %d (%s)", WTERMSIG (c->status), strsignal (WTERMSIG (c->status)));
  return xasprintf ("ended with wait status %#x", (unsigned) c->status);
}

int
vm_run_capture (char *const *argv, int timeout_ms, size_t max, char **ret_output, int *ret_status,
                rv_error_t *err)
{
  struct vm_child child = { .pidfd = -1 };
  _cleanup_close_ int rd = -1, wr = -1;
  _cleanup_free_ char *out = xmalloc (max + 1);
  long long deadline = vm_now_ms () + timeout_ms;
  struct vm_spawn_opts o = { 0 };
  size_t len = 0;
  int p[2], r;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return rv_error_make (err, errno, "pipe");
  rd = p[0];
  wr = p[1];
  o.argv = argv;
  o.stdin_fd = -1;
  o.stdout_fd = wr;
  o.stderr_fd = wr;
  r = vm_spawn (argv[0], &o, &child, err);
  if (r < 0)
    return r;
  (void) close (TAKE_FD (wr));

  for (;;)
    {
      struct pollfd pfd = { .fd = rd, .events = POLLIN };
      long long left = deadline - vm_now_ms ();
      char buf[4096];
      ssize_t n;

      if (left <= 0)
        {
          vm_child_release (&child);
          return rv_error_set (err, ETIMEDOUT, "`%s` did not finish within %d ms", argv[0], timeout_ms);
        }
      if (poll (&pfd, 1, (int) left) < 0)
        {
          if (errno == EINTR)
            continue;
          r = rv_error_make (err, errno, "poll");
          vm_child_release (&child);
          return r;
        }
      if (pfd.revents == 0)
        continue;
      n = read (rd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      if (len < max)
        {
          size_t take = (size_t) n < max - len ? (size_t) n : max - len;
          memcpy (out + len, buf, take);
          len += take;
        }
    }
  out[len] = '\0';
  r = vm_child_wait (&child, (int) (deadline - vm_now_ms () > 0 ? deadline - vm_now_ms () : 0), err);
  if (r <= 0)
    {
      vm_child_release (&child);
      if (r == 0)
        return rv_error_set (err, ETIMEDOUT, "`%s` did not exit within %d ms", argv[0], timeout_ms);
      return r;
    }
  *ret_status = child.status;
  vm_child_release (&child);
  *ret_output = TAKE_PTR (out);
  return 0;
}
