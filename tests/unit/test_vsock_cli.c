/* runvm-vsockd as a program: usage errors, setup errors, and a whole life
 * without QEMU (the front-end's end of a socketpair closes at once).  */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void
setup (void)
{
  snprintf (dir, sizeof (dir), "/tmp/vsock-cli.XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
}

static void
teardown (void)
{
  char p[128];
  snprintf (p, sizeof (p), "%s/v.sock", dir);
  (void) unlink (p);
  (void) rmdir (dir);
}

TestSuite (vsock_cli, .init = setup, .fini = teardown);

/* Runs the daemon with ARGV (NULL-terminated, without the program name),
 * KEEP_FD inherited; returns the exit status and the first 4 KiB of its
 * standard error and output in OUT.  */
static int
run (const char *const *argv, int keep_fd, char *out, size_t out_len)
{
  const char *build = getenv ("RUNVM_BUILDDIR");
  char prog[512];
  const char *args[16];
  int pipefd[2], status;
  size_t n = 0;
  ssize_t r;
  pid_t pid;

  cr_assert_not_null (build, "RUNVM_BUILDDIR is not set");
  snprintf (prog, sizeof (prog), "%s/bin/runvm-vsockd", build);
  args[0] = prog;
  for (n = 0; argv[n] && n < 14; n++)
    args[n + 1] = argv[n];
  args[n + 1] = NULL;
  cr_assert_eq (pipe2 (pipefd, O_CLOEXEC), 0);
  pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      dup2 (pipefd[1], 1);
      dup2 (pipefd[1], 2);
      if (keep_fd >= 0)
        fcntl (keep_fd, F_SETFD, 0);
      execv (prog, (char *const *) args);
      _exit (127);
    }
  close (pipefd[1]);
  n = 0;
  while (n + 1 < out_len && (r = read (pipefd[0], out + n, out_len - 1 - n)) > 0)
    n += (size_t) r;
  out[n] = '\0';
  close (pipefd[0]);
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status), "killed by signal %d: %s", WTERMSIG (status), out);
  return WEXITSTATUS (status);
}

Test (vsock_cli, help_and_version)
{
  char out[8192];

  cr_assert_eq (run ((const char *[]){ "--help", NULL }, -1, out, sizeof (out)), 0);
  cr_assert_not_null (strstr (out, "--socket PATH"));
  cr_assert_not_null (strstr (out, "CONNECT <port>"));
  cr_assert_eq (run ((const char *[]){ "--version", NULL }, -1, out, sizeof (out)), 0);
  cr_assert_not_null (strstr (out, "runvm-vsockd version"));
}

Test (vsock_cli, usage_errors)
{
  char out[4096];

  cr_assert_eq (run ((const char *[]){ "--uds-path", "/x", "--guest-cid", "3", NULL }, -1, out, sizeof (out)),
                2);
  cr_assert_not_null (strstr (out, "exactly one of --socket and --fd"));
  cr_assert_eq (
      run ((const char *[]){ "--socket", "/a", "--fd", "3", "--uds-path", "/x", "--guest-cid", "3", NULL },
           -1, out, sizeof (out)),
      2);
  cr_assert_eq (run ((const char *[]){ "--socket", "/a", "--uds-path", "/x", "--guest-cid", "2", NULL }, -1,
                     out, sizeof (out)),
                2);
  cr_assert_not_null (strstr (out, "--guest-cid"));
  cr_assert_eq (run ((const char *[]){ "--socket", "/a", "--guest-cid", "3", NULL }, -1, out, sizeof (out)),
                2);
  cr_assert_not_null (strstr (out, "--uds-path is required"));
  cr_assert_eq (run ((const char *[]){ "--socket", "/a", "--uds-path", "/x", "--guest-cid", "3", "--buf-size",
                                       "100", NULL },
                     -1, out, sizeof (out)),
                2);
}

Test (vsock_cli, fd_that_is_not_a_socket)
{
  char out[4096];
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  char num[16], path[128];

  snprintf (num, sizeof (num), "%d", fd);
  snprintf (path, sizeof (path), "%s/v.sock", dir);
  cr_assert_eq (run ((const char *[]){ "--fd", num, "--uds-path", path, "--guest-cid", "3", NULL }, fd, out,
                     sizeof (out)),
                1);
  cr_assert_not_null (strstr (out, "is not a socket"), "%s", out);
  close (fd);
}

Test (vsock_cli, existing_hybrid_path_is_an_error)
{
  char out[4096], path[128], num[16];
  int sv[2], fd;

  snprintf (path, sizeof (path), "%s/v.sock", dir);
  fd = open (path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  close (fd);
  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  snprintf (num, sizeof (num), "%d", sv[1]);
  cr_assert_eq (run ((const char *[]){ "--fd", num, "--uds-path", path, "--guest-cid", "3", NULL }, sv[1],
                     out, sizeof (out)),
                1);
  cr_assert_not_null (strstr (out, "Address already in use"), "%s", out);
  cr_assert_eq (access (path, F_OK), 0, "someone else's file is left alone");
  close (sv[0]);
  close (sv[1]);
}

Test (vsock_cli, exits_when_the_front_end_hangs_up)
{
  char out[4096], path[128], num[16];
  int sv[2];

  snprintf (path, sizeof (path), "%s/v.sock", dir);
  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  snprintf (num, sizeof (num), "%d", sv[1]);
  close (sv[0]); /* QEMU is gone before the daemon even starts */
  cr_assert_eq (run ((const char *[]){ "--fd", num, "--uds-path", path, "--guest-cid", "3", "--log-level",
                                       "info", NULL },
                     sv[1], out, sizeof (out)),
                0, "%s", out);
  cr_assert_not_null (strstr (out, "QEMU disconnected"), "%s", out);
  cr_assert_eq (access (path, F_OK), -1, "the hybrid socket is removed");
  close (sv[1]);
}
