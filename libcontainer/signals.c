#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libcontainer/signals.h"

pid_t
lc_fork_blocked (void)
{
  sigset_t all, old;
  pid_t pid;
  int saved;

  sigfillset (&all);
  if (sigprocmask (SIG_SETMASK, &all, &old) < 0)
    return -1;
  pid = fork ();
  saved = errno;
  if (pid != 0)
    (void) sigprocmask (SIG_SETMASK, &old, NULL);
  errno = saved;
  return pid;
}

/* The kernel's struct sigaction (x86-64, arm64): what rt_sigaction takes
 * without glibc in between.  */
struct kernel_sigaction
{
  void (*handler) (int);
  unsigned long flags;
  void (*restorer) (void);
  unsigned long mask;
};

void
lc_signals_reset (void)
{
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  sigset_t none;
  int sig;

  /* Dispositions first: once unblocked, a pending signal gets the default
   * action, never a handler of the caller's.  glibc refuses to touch the
   * two real-time signals it keeps for itself (32 and 33, EINVAL), yet an
   * ignored one survives execve (make ignores them, for one): those go
   * to the kernel directly.  This process is single-threaded, so glibc
   * has no use for them before the exec.  */
  sigemptyset (&dfl.sa_mask);
  for (sig = 1; sig < NSIG; sig++)
    {
      if (sig == SIGKILL || sig == SIGSTOP)
        continue;
      if (sigaction (sig, &dfl, NULL) < 0 && errno == EINVAL)
        {
          struct kernel_sigaction k = { .handler = SIG_DFL };
          (void) syscall (SYS_rt_sigaction, sig, &k, NULL, sizeof (k.mask));
        }
    }
  sigemptyset (&none);
  (void) sigprocmask (SIG_SETMASK, &none, NULL);
}
