#include <errno.h>
#include <signal.h>
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

void
lc_signals_reset (void)
{
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  sigset_t none;
  int sig;

  /* Dispositions first: once unblocked, a pending signal gets the default
   * action, never a handler of the caller's.  glibc's internal signals
   * (SIGCANCEL, SIGSETXID) refuse the change; they have no handler
   * after execve anyway.  */
  sigemptyset (&dfl.sa_mask);
  for (sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      (void) sigaction (sig, &dfl, NULL);
  sigemptyset (&none);
  (void) sigprocmask (SIG_SETMASK, &none, NULL);
}
