/* The built runvm-agent as a host process (the `host` launcher's way),
 * building real containers with libcontainer from a busybox rootfs made
 * in a temporary directory: the lifecycle, exec, ps, stats, pause,
 * update, signals, a terminal, output that must not be lost, and errors
 * raised by libcontainer reaching the client intact.  Needs root.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-client/agent.h"
#include "agent-client/json.h"
#include "common/utils.h"
#include "tests/agent/oci.h"
#include "tests/agent/plain_backend.h"
#include "tests/unit/support/cgroup_host.h"

static struct test_agent ta;
static char bundle[64];

static char cgroup_prefix[64];

static void
setup (void)
{
  if (geteuid () != 0)
    cr_skip_test ("containers need root");
  signal (SIGPIPE, SIG_IGN);
  snprintf (bundle, sizeof (bundle), "/tmp/runvm-agent-ctr-XXXXXX");
  cr_assert_not_null (mkdtemp (bundle));
  snprintf (cgroup_prefix, sizeof (cgroup_prefix), "/runvm-agent-test-%d", (int) getpid ());
  oci_make_rootfs (bundle);
  test_agent_start_binary (&ta, NULL);
}

static void
teardown (void)
{
  _cleanup_free_ char *cmd = NULL;
  test_agent_stop (&ta);
  if (bundle[0])
    {
      cmd = xasprintf ("rm -rf '%s'", bundle);
      (void) !system (cmd);
    }
}

TestSuite (agent_ctr, .init = setup, .fini = teardown, .timeout = 120);

static char *
config (const char *id, const char *script, bool terminal)
{
  return oci_config (id, script, terminal, cgroup_prefix);
}

static char *
process (const char *script, bool terminal)
{
  return oci_process (script, terminal);
}

static void
ok (int r, rv_error_t *err, const char *what)
{
  cr_assert_eq (r, 0, "%s: %s", what, *err ? (*err)->msg : "");
}

static pid_t
create (struct agent_conn *c, const char *id, const char *script, bool terminal, struct agent_stdio stdio)
{
  _cleanup_free_ char *cfg = config (id, script, terminal);
  struct agent_create_args args
      = { .container = (char *) id, .config = cfg, .bundle = bundle, .stdio = stdio };
  rv_error_t err = NULL;
  pid_t pid = 0;

  ok (agent_create (c, &args, &pid, &err), &err, "create");
  return pid;
}

static struct agent_exit_result
wait_for (struct agent_conn *c, const char *id, const char *exec_id)
{
  struct agent_exit_result res = { 0 };
  rv_error_t err = NULL;
  ok (agent_wait (c, id, exec_id, 30000, &res, &err), &err, "wait");
  return res;
}

Test (agent_ctr, lifecycle_in_namespaces)
{
  struct agent_conn *c = test_connect (&ta);
  struct agent_state_result st = { 0 };
  _cleanup_free_ char *out = NULL, *errs = NULL;
  rv_error_t err = NULL;
  int in, o, e;

  create (c, "life", "echo pid=$$; hostname; echo oops >&2; read x; echo got $x; exit 3", false,
          (struct agent_stdio){ true, true, true });
  in = test_attach (&ta, "life", NULL, AGENT_STREAM_STDIN);
  o = test_attach (&ta, "life", NULL, AGENT_STREAM_STDOUT);
  e = test_attach (&ta, "life", NULL, AGENT_STREAM_STDERR);
  ok (agent_state (c, "life", &st, &err), &err, "state");
  cr_assert_str_eq (st.status, "created");
  agent_result_clear (AGENT_CALL_STATE, &st);
  ok (agent_start (c, "life", &err), &err, "start");
  cr_assert_eq (write_all (in, "hi\n", 3), 0);
  shutdown (in, SHUT_WR);
  out = test_read_all (o, NULL);
  errs = test_read_all (e, NULL);
  /* Its own pid namespace (it is 1) and uts namespace (the hostname).  */
  cr_assert_str_eq (out, "pid=1\nlife\ngot hi\n");
  cr_assert_str_eq (errs, "oops\n");
  cr_assert_eq (wait_for (c, "life", NULL).exit_code, 3);
  ok (agent_state (c, "life", &st, &err), &err, "state");
  cr_assert_str_eq (st.status, "stopped");
  agent_result_clear (AGENT_CALL_STATE, &st);
  ok (agent_destroy (c, "life", &err), &err, "destroy");
  close (in);
  close (o);
  close (e);
  agent_conn_free (c);
}

Test (agent_ctr, exec_ps_stats_pause_update_kill)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *proc = process ("echo pid=$$; exec id -u", false), *out = NULL, *stats = NULL;
  struct agent_exec_args ex = {
    .container = (char *) "box", .exec_id = (char *) "e1", .process = proc, .stdio = { false, true, false }
  };
  _cleanup_free_ pid_t *pids = NULL;
  struct agent_state_result st = { 0 };
  rv_error_t err = NULL;
  size_t n = 0;
  pid_t pid;
  int o;

  create (c, "box", "exec sleep 1000", false, (struct agent_stdio){ 0 });
  ok (agent_start (c, "box", &err), &err, "start");
  ok (agent_exec (c, &ex, &pid, &err), &err, "exec");
  o = test_attach (&ta, "box", "e1", AGENT_STREAM_STDOUT);
  out = test_read_all (o, NULL);
  close (o);
  cr_assert (str_has_prefix (out, "pid=") && strcmp (out, "pid=1\n0\n") != 0, "%s", out);
  cr_assert (str_has_suffix (out, "\n0\n"), "%s", out);
  cr_assert_eq (wait_for (c, "box", "e1").exit_code, 0);

  ok (agent_ps (c, "box", &pids, &n, &err), &err, "ps");
  cr_assert_eq (n, 1);
  ok (agent_stats (c, "box", &stats, &err), &err, "stats");
  /* Exactly the controllers this host offers (a bare cgroup2 mount may
   * offer none).  */
  cr_assert_eq (strstr (stats, "\"pids\"") != NULL, tc_host_offers ("pids"), "%s", stats);
  cr_assert_eq (strstr (stats, "\"memory\"") != NULL, tc_host_offers ("memory"), "%s", stats);
  if (tc_host_offers ("pids"))
    ok (agent_update (c, "box", "{\"pids\":{\"limit\":64}}", &err), &err, "update");
  ok (agent_pause (c, "box", &err), &err, "pause");
  ok (agent_state (c, "box", &st, &err), &err, "state");
  cr_assert_str_eq (st.status, "paused");
  agent_result_clear (AGENT_CALL_STATE, &st);
  ok (agent_resume (c, "box", &err), &err, "resume");
  /* PID 1 of its namespace ignores SIGTERM it has no handler for.  */
  ok (agent_signal (c, "box", NULL, SIGKILL, false, &err), &err, "kill");
  cr_assert_eq (wait_for (c, "box", NULL).signal, SIGKILL);
  ok (agent_destroy (c, "box", &err), &err, "destroy");
  agent_conn_free (c);
}

/* The agent keeps signals blocked for its signalfd and SIGPIPE ignored;
 * none of it reaches the container's init or an exec'd process.  */
Test (agent_ctr, processes_start_with_no_signal_blocked_or_ignored)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *proc
      = process ("exec grep -E '^Sig(Blk|Ign)' /proc/1/status /proc/self/status", false);
  _cleanup_free_ char *out = NULL;
  struct agent_exec_args ex = {
    .container = (char *) "sigs", .exec_id = (char *) "e1", .process = proc, .stdio = { false, true, false }
  };
  rv_error_t err = NULL;
  pid_t pid;
  int o;

  create (c, "sigs", "exec sleep 1000", false, (struct agent_stdio){ 0 });
  ok (agent_start (c, "sigs", &err), &err, "start");
  ok (agent_exec (c, &ex, &pid, &err), &err, "exec");
  o = test_attach (&ta, "sigs", "e1", AGENT_STREAM_STDOUT);
  out = test_read_all (o, NULL);
  close (o);
  cr_assert_str_eq (out,
                    "/proc/1/status:SigBlk:\t0000000000000000\n/proc/1/status:SigIgn:\t0000000000000000\n"
                    "/proc/self/status:SigBlk:\t0000000000000000\n"
                    "/proc/self/status:SigIgn:\t0000000000000000\n");
  cr_assert_eq (wait_for (c, "sigs", "e1").exit_code, 0);
  ok (agent_signal (c, "sigs", NULL, SIGKILL, false, &err), &err, "kill");
  cr_assert_eq (wait_for (c, "sigs", NULL).signal, SIGKILL);
  ok (agent_destroy (c, "sigs", &err), &err, "destroy");
  agent_conn_free (c);
}

Test (agent_ctr, terminal)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  int t;

  create (c, "tty", "stty size; tty; exit 4", true, (struct agent_stdio){ 0 });
  t = test_attach (&ta, "tty", NULL, AGENT_STREAM_TTY);
  ok (agent_resize (c, "tty", NULL, 40, 120, &err), &err, "resize");
  ok (agent_start (c, "tty", &err), &err, "start");
  out = test_read_all (t, NULL);
  cr_assert (strstr (out, "40 120\r\n") != NULL, "%s", out);
  cr_assert (strstr (out, "/dev/pts/0\r\n") != NULL, "%s", out);
  cr_assert_eq (wait_for (c, "tty", NULL).exit_code, 4);
  ok (agent_destroy (c, "tty", &err), &err, "destroy");
  close (t);
  agent_conn_free (c);
}

Test (agent_ctr, output_written_at_exit_is_not_lost)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  size_t len;
  int o;

  create (c, "burst", "head -c 50000 /dev/zero | tr '\\0' y; echo end", false,
          (struct agent_stdio){ false, true, false });
  ok (agent_start (c, "burst", &err), &err, "start");
  poll (NULL, 0, 300);
  o = test_attach (&ta, "burst", NULL, AGENT_STREAM_STDOUT);
  out = test_read_all (o, &len);
  close (o);
  cr_assert_eq (len, 50004);
  cr_assert (str_has_suffix (out, "yyend\n"));
  cr_assert_eq (wait_for (c, "burst", NULL).exit_code, 0);
  ok (agent_destroy (c, "burst", &err), &err, "destroy");
  agent_conn_free (c);
}

Test (agent_ctr, errors_from_libcontainer_reach_the_client)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *cfg = config ("bad", "true", false);
  _cleanup_free_ char *broken = NULL;
  struct agent_create_args args = {
    .container = (char *) "bad", .config = cfg, .bundle = bundle, .rootfs = (char *) "/nonexistent/rootfs"
  };
  struct agent_state_result st;
  rv_error_t err = NULL;

  cr_assert_lt (agent_create (c, &args, NULL, &err), 0);
  cr_assert (str_has_prefix (err->msg, "create container `bad`: "), "%s", err->msg);
  cr_assert (strstr (err->msg, "/nonexistent/rootfs") != NULL, "%s", err->msg);
  rv_error_release (&err);
  /* Nothing is left of it.  */
  cr_assert_eq (agent_state (c, "bad", &st, &err), -ENOENT);
  rv_error_release (&err);

  /* A config the parser rejects: its message, wrapped.  */
  broken = xstrdup ("{\"ociVersion\":\"1.2.0\",\"process\":{\"args\":[],\"cwd\":\"/\"}}");
  args.config = broken;
  args.rootfs = NULL;
  cr_assert_eq (agent_create (c, &args, NULL, &err), -EINVAL);
  cr_assert (str_has_prefix (err->msg, "create container `bad`: config.json: "), "%s", err->msg);
  rv_error_release (&err);
  agent_conn_free (c);
}
