#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utils.h"
#include "tests/agent/plain_backend.h"

static void
make_dir (struct test_agent *ta)
{
  snprintf (ta->dir, sizeof (ta->dir), "/tmp/runvm-agent-XXXXXX");
  cr_assert_not_null (mkdtemp (ta->dir));
  ta->t.kind = AGENT_TRANSPORT_UNIX;
  snprintf (ta->t.path, sizeof (ta->t.path), "%s/agent.sock", ta->dir);
}

void
test_agent_start (struct test_agent *ta, const struct agent_backend *backend)
{
  make_dir (ta);
  ta->pid = fork ();
  cr_assert_geq (ta->pid, 0);
  if (ta->pid == 0)
    {
      _cleanup_free_ char *listen = xasprintf ("unix:%s", ta->t.path);
      struct agent_options opts = { .listen = listen, .backend = backend };
      rv_error_t err = NULL;

      prctl (PR_SET_PDEATHSIG, SIGKILL);
      rv_log_setup (STDERR_FILENO, RV_LOG_FORMAT_TEXT,
                    getenv ("RUNVM_TEST_DEBUG") ? RV_LOG_DEBUG : RV_LOG_ERROR);
      if (agent_serve (&opts, &err) < 0)
        {
          fprintf (stderr, "agent: %s\n", err->msg);
          _exit (1);
        }
      _exit (0);
    }
}

void
test_agent_start_binary (struct test_agent *ta, char *const *extra)
{
  const char *builddir = getenv ("RUNVM_BUILDDIR");
  _cleanup_free_ char *bin = NULL, *listen = NULL;
  char *argv[16];
  size_t n = 0, i;

  cr_assert_not_null (builddir, "RUNVM_BUILDDIR is not set");
  bin = xasprintf ("%s/bin/runvm-agent", builddir);
  make_dir (ta);
  listen = xasprintf ("unix:%s", ta->t.path);
  argv[n++] = bin;
  argv[n++] = (char *) "--listen";
  argv[n++] = listen;
  for (i = 0; extra && extra[i] && n < ARRAY_SIZE (argv) - 1; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  ta->pid = fork ();
  cr_assert_geq (ta->pid, 0);
  if (ta->pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      execv (bin, argv);
      _exit (127);
    }
}

int
test_agent_wait_exit (struct test_agent *ta, int timeout_ms)
{
  int status, i;

  for (i = 0; i < timeout_ms / 10 + 1; i++)
    {
      pid_t r = waitpid (ta->pid, &status, WNOHANG);
      if (r == ta->pid)
        {
          ta->pid = 0;
          return status;
        }
      poll (NULL, 0, 10);
    }
  return -1;
}

int
test_agent_stop (struct test_agent *ta)
{
  int status = -1;

  if (ta->pid > 0)
    {
      /* An orderly shutdown first, so that the agent destroys what its
       * test left running.  */
      struct agent_conn *c = NULL;
      rv_error_t err = NULL;
      if (agent_connect (&ta->t, 1000, &c, &err) == 0)
        {
          agent_conn_set_timeout (c, 2000);
          (void) agent_shutdown (c, &err);
          agent_conn_free (c);
          status = test_agent_wait_exit (ta, 3000);
        }
      rv_error_release (&err);
    }
  if (ta->pid > 0)
    {
      kill (ta->pid, SIGKILL);
      waitpid (ta->pid, &status, 0);
      ta->pid = 0;
    }
  unlink (ta->t.path);
  rmdir (ta->dir);
  return status;
}

struct agent_conn *
test_connect (struct test_agent *ta)
{
  struct agent_conn *c = NULL;
  rv_error_t err = NULL;
  cr_assert_eq (agent_connect (&ta->t, 5000, &c, &err), 0, "connect: %s", err ? err->msg : "");
  agent_conn_set_timeout (c, 10000);
  return c;
}

int
test_attach (struct test_agent *ta, const char *ctr, const char *exec_id, enum agent_stream s)
{
  rv_error_t err = NULL;
  int fd = -1;
  cr_assert_eq (agent_attach (&ta->t, 5000, ctr, exec_id, s, &fd, &err), 0, "attach %s: %s",
                agent_stream_name (s), err ? err->msg : "");
  return fd;
}

char *
test_read_all (int fd, size_t *ret_len)
{
  char *out = NULL;
  rv_error_t err = NULL;
  cr_assert_eq (read_fd (fd, 0, &out, ret_len, &err), 0, "read: %s", err ? err->msg : "");
  return out;
}
