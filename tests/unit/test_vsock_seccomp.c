/* runvm-vsockd's seccomp allow-list: what the daemon does after setup
 * still works, anything else kills it.  Each case runs in a child.  */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "vm/vsock/seccomp.h"

enum action
{
  ALLOWED_WORK,
  INET_SOCKET,
  EXEC_MAPPING,
  FORK,
  OPEN_FILE,
};

static void __attribute__ ((noreturn)) child (enum action a)
{
  rv_error_t err = NULL;
  int sv[1];
  void *p;

  int logp[2];

  if (pipe (logp) < 0)
    _exit (99);
  rv_log_setup (logp[1], RV_LOG_FORMAT_TEXT, RV_LOG_DEBUG);
  if (vsock_seccomp_apply (false, &err) < 0)
    _exit (100);
  switch (a)
    {
    case ALLOWED_WORK:
      /* Sockets, memory for a new table, I/O, cleanup.  */
      sv[0] = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (sv[0] < 0)
        _exit (102);
      close (sv[0]);
      p = mmap (NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        _exit (103);
      munmap (p, 1 << 20);
      p = malloc (8 << 20);
      free (p);
      if (write (STDOUT_FILENO, "", 0) < 0)
        _exit (104);
      (void) unlink ("/nonexistent/runvm-vsockd-test");
      /* The first log line formats a time stamp (glibc loads the time zone
       * on first use).  */
      rv_log (RV_LOG_WARNING, "logging works under the filter: %s", strerror (EPIPE));
      _exit (0);
    case INET_SOCKET:
      (void) socket (AF_INET, SOCK_STREAM, 0);
      break;
    case EXEC_MAPPING:
      (void) mmap (NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      break;
    case FORK:
      (void) fork ();
      break;
    case OPEN_FILE:
      (void) open ("/etc/hostname", O_RDONLY);
      break;
    }
  _exit (0);
}

static int
run (enum action a)
{
  int status;
  pid_t pid = fork ();

  cr_assert_geq (pid, 0);
  if (pid == 0)
    child (a);
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  return status;
}

Test (vsock_seccomp, allows_what_the_daemon_does)
{
  int status = run (ALLOWED_WORK);
  cr_assert (WIFEXITED (status), "killed by signal %d", WTERMSIG (status));
  cr_assert_eq (WEXITSTATUS (status), 0);
}

static void
expect_killed (enum action a)
{
  int status = run (a);
  cr_assert (WIFSIGNALED (status), "action %d survived (exit %d)", a, WEXITSTATUS (status));
  cr_assert_eq (WTERMSIG (status), SIGSYS);
}

Test (vsock_seccomp, kills_inet_sockets)
{
  expect_killed (INET_SOCKET);
}

Test (vsock_seccomp, kills_executable_mappings)
{
  expect_killed (EXEC_MAPPING);
}

Test (vsock_seccomp, kills_fork)
{
  expect_killed (FORK);
}

Test (vsock_seccomp, kills_open)
{
  expect_killed (OPEN_FILE);
}
