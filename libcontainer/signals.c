#include <errno.h>
#include <stdbool.h>
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

/* Every catchable signal to SIG_DFL.  */
static void
reset_dispositions (void)
{
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  int sig;

  /* glibc refuses to touch the two real-time signals it keeps for itself
   * (32 and 33, EINVAL), yet an ignored one survives execve (make ignores
   * them, for one): those go to the kernel directly.  This process is
   * single-threaded, so glibc has no use for them before the exec.  */
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
}

static void
unblock_all (void)
{
  sigset_t none;

  sigemptyset (&none);
  (void) sigprocmask (SIG_SETMASK, &none, NULL);
}

void
lc_signals_reset (void)
{
  /* Dispositions first: once unblocked, a pending signal gets the default
   * action, never a handler of the caller's.  */
  reset_dispositions ();
  unblock_all ();
}

/* Whether signal SIG's default action ends the process: everything but
 * what the kernel ignores or stops on by default.  */
static bool
default_ends (int sig)
{
  switch (sig)
    {
    case SIGKILL: /* cannot be caught, and works already */
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
    case SIGCHLD:
    case SIGCONT:
    case SIGURG:
    case SIGWINCH:
      return false;
    default:
      return true;
    }
}

static void
end_as_signal (int sig)
{
  _exit (128 + sig);
}

void
lc_signals_reset_waiting_init (void)
{
  struct sigaction end = { .sa_handler = end_as_signal };
  int sig;

  /* The caller's handlers go first, as in lc_signals_reset; the ending
   * ones are in place before the mask opens, so that a signal that came
   * since the fork ends the init too.  glibc refuses its two internal
   * real-time signals (EINVAL): they stay SIG_DFL, and no one sends those
   * to a container.  The first handler to run exits, so each blocks
   * every other signal.  */
  reset_dispositions ();
  sigfillset (&end.sa_mask);
  for (sig = 1; sig < NSIG; sig++)
    if (default_ends (sig))
      (void) sigaction (sig, &end, NULL);
  unblock_all ();
}
