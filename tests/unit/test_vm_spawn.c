#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/spawn.h"

static bool
alive (pid_t pid)
{
  return kill (pid, 0) == 0;
}

Test (spawn, exec_failure_is_reported_by_spawn)
{
  char *argv[] = { "/nonexistent/qemu", NULL };
  struct vm_spawn_opts o = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
  struct vm_child c = { .pidfd = -1 };
  _cleanup_error_ rv_error_t err = NULL;
  cr_assert_lt (vm_spawn ("qemu", &o, &c, &err), 0);
  cr_assert_str_eq (err->msg, "exec qemu `/nonexistent/qemu`: No such file or directory");
  cr_assert_null (c.name);
}

Test (spawn, status_and_description)
{
  char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };
  struct vm_spawn_opts o = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
  struct vm_child c = { .pidfd = -1 };
  rv_error_t err = NULL;
  _cleanup_free_ char *how = NULL;

  cr_assert_eq (vm_spawn ("sh", &o, &c, &err), 0);
  cr_assert_gt (c.pid, 0);
  cr_assert_geq (c.pidfd, 0);
  cr_assert_eq (vm_child_wait (&c, 5000, &err), 1);
  how = vm_child_describe (&c);
  cr_assert_str_eq (how, "exited with status 3");
  vm_child_release (&c);
}

Test (spawn, kill_leaves_nothing)
{
  char *argv[] = { "/bin/sleep", "100", NULL };
  struct vm_spawn_opts o = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
  struct vm_child c = { .pidfd = -1 };
  rv_error_t err = NULL;
  _cleanup_free_ char *how = NULL;
  pid_t pid;

  cr_assert_eq (vm_spawn ("sleep", &o, &c, &err), 0);
  pid = c.pid;
  cr_assert_eq (vm_child_wait (&c, 50, &err), 0, "still running");
  cr_assert_eq (getpgid (pid), pid, "own process group");
  vm_child_kill (&c);
  cr_assert (c.exited);
  cr_assert_not (alive (pid));
  how = vm_child_describe (&c);
  cr_assert_str_eq (how, "was killed by signal 9 (Killed)");
  vm_child_release (&c);
}

Test (spawn, signals_reset_and_only_kept_fds_inherited)
{
  char script[] = "grep -E '^(SigBlk|SigIgn)' /proc/self/status; ls /proc/self/fd | sort -n | tr '\\n' ' '";
  char *argv[] = { "/bin/sh", "-c", script, NULL };
  _cleanup_free_ char *out = NULL;
  _cleanup_close_ int leak = -1;
  rv_error_t err = NULL;
  sigset_t block, old;
  int status = 0;

  /* The monitor blocks signals for its signalfd and ignores SIGPIPE: its
   * children must not inherit either.  */
  sigemptyset (&block);
  sigaddset (&block, SIGTERM);
  sigprocmask (SIG_BLOCK, &block, &old);
  signal (SIGPIPE, SIG_IGN);
  leak = open ("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
  cr_assert_eq (vm_run_capture (argv, 5000, 4096, &out, &status, &err), 0);
  sigprocmask (SIG_SETMASK, &old, NULL);
  signal (SIGPIPE, SIG_DFL);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  cr_assert_not_null (strstr (out, "SigBlk:\t0000000000000000"), "%s", out);
  cr_assert_not_null (strstr (out, "SigIgn:\t0000000000000000"), "%s", out);
  /* ls sees stdio and the directory it lists, nothing the parent had.  */
  cr_assert (str_has_suffix (out, "\n0 1 2 3 "), "fd %d leaked? %s", leak, out);
}

Test (spawn, kept_fd_arrives_at_its_number)
{
  _cleanup_close_ int keep = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  _cleanup_free_ char *script = NULL, *out = NULL;
  char *argv[] = { "/bin/sh", "-c", NULL, NULL };
  struct vm_spawn_opts o = { 0 };
  struct vm_child c = { .pidfd = -1 };
  rv_error_t err = NULL;
  int fds[1], p[2];
  char buf[64] = "";
  ssize_t n;

  cr_assert_geq (keep, 3);
  script = xasprintf ("readlink /proc/self/fd/%d", keep);
  argv[2] = script;
  cr_assert_eq (pipe2 (p, O_CLOEXEC), 0);
  fds[0] = keep;
  o.argv = argv;
  o.stdin_fd = -1;
  o.stdout_fd = p[1];
  o.stderr_fd = p[1];
  o.keep_fds = fds;
  o.keep_fds_len = 1;
  cr_assert_eq (vm_spawn ("sh", &o, &c, &err), 0);
  close (p[1]);
  n = read (p[0], buf, sizeof (buf) - 1);
  close (p[0]);
  cr_assert_gt (n, 0);
  cr_assert_str_eq (buf, "/dev/null\n");
  cr_assert_eq (vm_child_wait (&c, 5000, &err), 1);
  vm_child_release (&c);
}

Test (spawn, child_dies_with_its_spawner)
{
  int p[2];
  pid_t middle, grandchild = 0;
  cr_assert_eq (pipe (p), 0);

  /* A middle process spawns a long sleep and exits: the sleep must die
   * with it (PR_SET_PDEATHSIG), though nobody kills it.  */
  middle = fork ();
  cr_assert_geq (middle, 0);
  if (middle == 0)
    {
      char *argv[] = { "/bin/sleep", "100", NULL };
      struct vm_spawn_opts o = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
      struct vm_child c = { .pidfd = -1 };
      rv_error_t err = NULL;
      if (vm_spawn ("sleep", &o, &c, &err) < 0)
        _exit (1);
      (void) !write (p[1], &c.pid, sizeof (c.pid));
      _exit (0);
    }
  close (p[1]);
  cr_assert_eq (read (p[0], &grandchild, sizeof (grandchild)), (ssize_t) sizeof (grandchild));
  close (p[0]);
  waitpid (middle, NULL, 0);
  {
    long long deadline = vm_now_ms () + 5000;
    while (alive (grandchild) && vm_now_ms () < deadline)
      usleep (10000);
  }
  cr_assert_not (alive (grandchild), "pid %d outlived its parent", (int) grandchild);
}

Test (spawn, run_capture_output_and_timeout)
{
  char *ok[] = { "/bin/sh", "-c", "echo out; echo err >&2", NULL };
  char *slow[] = { "/bin/sleep", "10", NULL };
  _cleanup_free_ char *out = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  int status;

  cr_assert_eq (vm_run_capture (ok, 5000, 4096, &out, &status, &err), 0);
  cr_assert_str_eq (out, "out\nerr\n");
  cr_assert_lt (vm_run_capture (slow, 100, 4096, &out, &status, &err), 0);
  cr_assert_eq (err->status, ETIMEDOUT);
}

Test (spawn, keep_fd_in_stdio_range_is_refused)
{
  char *argv[] = { "/bin/true", NULL };
  int fds[] = { 2 };
  struct vm_spawn_opts o = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
  struct vm_child c = { .pidfd = -1 };
  _cleanup_error_ rv_error_t err = NULL;
  o.keep_fds = fds;
  o.keep_fds_len = 1;
  cr_assert_lt (vm_spawn ("true", &o, &c, &err), 0);
  cr_assert_eq (err->status, EINVAL);
}
