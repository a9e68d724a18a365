/* The agent as a host process, driven through agent-client over its Unix
 * socket: every call, error replies, streams (ordering, back-pressure, a
 * tty, 64 MiB with a checksum), concurrent clients, clients killed
 * mid-call.  Containers are plain processes (tests/agent/plain_backend.c);
 * test_agent_container.c repeats the lifecycle with libcontainer.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-client/agent.h"
#include "agent-client/frame.h"
#include "agent-client/json.h"
#include "common/utils.h"
#include "tests/agent/plain_backend.h"

static struct test_agent ta;

static void
start_plain (void)
{
  signal (SIGPIPE, SIG_IGN);
  test_agent_start (&ta, &plain_backend);
}

static void
stop (void)
{
  test_agent_stop (&ta);
}

TestSuite (agent, .init = start_plain, .fini = stop, .timeout = 60);

/* ---- helpers ---------------------------------------------------------- */

static char *
gen_text (yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf (g, &buf, &len);
  return xstrndup ((const char *) buf, len);
}

static void
gen_s (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_process_body (yajl_gen g, const char *script, bool terminal, const char *env)
{
  gen_s (g, "terminal");
  yajl_gen_bool (g, terminal);
  gen_s (g, "cwd");
  gen_s (g, "/");
  gen_s (g, "args");
  yajl_gen_array_open (g);
  gen_s (g, "/bin/sh");
  gen_s (g, "-c");
  gen_s (g, script);
  yajl_gen_array_close (g);
  gen_s (g, "env");
  yajl_gen_array_open (g);
  gen_s (g, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  if (env)
    gen_s (g, env);
  yajl_gen_array_close (g);
}

/* process.json running `sh -c SCRIPT`.  */
static char *
process_json (const char *script, bool terminal, const char *env)
{
  _cleanup_yajl_gen_ yajl_gen g = agent_json_gen_new ();
  yajl_gen_map_open (g);
  gen_process_body (g, script, terminal, env);
  yajl_gen_map_close (g);
  return gen_text (g);
}

static char *
config_json (const char *script, bool terminal)
{
  _cleanup_yajl_gen_ yajl_gen g = agent_json_gen_new ();
  yajl_gen_map_open (g);
  gen_s (g, "ociVersion");
  gen_s (g, "1.2.0");
  gen_s (g, "process");
  yajl_gen_map_open (g);
  gen_process_body (g, script, terminal, NULL);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  return gen_text (g);
}

static pid_t
create (struct agent_conn *c, const char *id, const char *script, bool terminal, struct agent_stdio stdio)
{
  _cleanup_free_ char *config = config_json (script, terminal);
  struct agent_create_args args = { .container = (char *) id, .config = config, .stdio = stdio };
  rv_error_t err = NULL;
  pid_t pid = 0;

  cr_assert_eq (agent_create (c, &args, &pid, &err), 0, "create: %s", err ? err->msg : "");
  cr_assert_gt (pid, 0);
  return pid;
}

static pid_t
exec_in (struct agent_conn *c, const char *id, const char *exec_id, const char *script, bool terminal,
         struct agent_stdio stdio, const char *env)
{
  _cleanup_free_ char *process = process_json (script, terminal, env);
  struct agent_exec_args args
      = { .container = (char *) id, .exec_id = (char *) exec_id, .process = process, .stdio = stdio };
  rv_error_t err = NULL;
  pid_t pid = 0;

  cr_assert_eq (agent_exec (c, &args, &pid, &err), 0, "exec: %s", err ? err->msg : "");
  return pid;
}

static struct agent_exit_result
wait_for (struct agent_conn *c, const char *id, const char *exec_id)
{
  struct agent_exit_result res = { 0 };
  rv_error_t err = NULL;
  cr_assert_eq (agent_wait (c, id, exec_id, 20000, &res, &err), 0, "wait: %s", err ? err->msg : "");
  return res;
}

static void
ok (int r, rv_error_t *err, const char *what)
{
  cr_assert_eq (r, 0, "%s: %s", what, *err ? (*err)->msg : "");
}

/* Expects failure with errno E and a message containing MSG.  */
static void
fails (int r, rv_error_t *err, int e, const char *msg)
{
  cr_assert_eq (r, -e, "expected -%d, got %d (%s)", e, r, *err ? (*err)->msg : "");
  cr_assert_not_null (*err);
  cr_assert_eq ((*err)->status, e);
  cr_assert (strstr ((*err)->msg, msg) != NULL, "message `%s` lacks `%s`", (*err)->msg, msg);
  rv_error_release (err);
}

static const struct agent_stdio ALL_STDIO = { true, true, true };
static const struct agent_stdio OUT_ONLY = { false, true, false };

/* ---- handshake, info, errors ------------------------------------------ */

Test (agent, hello_and_info)
{
  struct agent_conn *c = test_connect (&ta);
  struct agent_info_result info = { 0 };
  rv_error_t err = NULL;

  cr_assert_eq (agent_conn_version (c), 1);
  cr_assert (str_has_prefix (agent_conn_agent (c), "runvm-agent "));
  ok (agent_info (c, &info, &err), &err, "info");
  cr_assert_gt (strlen (info.kernel), 0);
  cr_assert_str_eq (info.machine, "x86_64");
  cr_assert_gt (info.mem_total, 0);
  cr_assert_gt (info.mem_available, 0);
  cr_assert_geq (info.mem_total, info.mem_free);
  cr_assert_geq (info.cpus, 1);
  cr_assert_gt (info.uptime_ms, 0);
  cr_assert_not (info.pid1);
  cr_assert_eq (info.containers, 0);
  agent_result_clear (AGENT_CALL_INFO, &info);
  agent_conn_free (c);
}

/* A raw socket that speaks frames by hand.  */
static int
raw_connect (void)
{
  rv_error_t err = NULL;
  int fd = -1;
  cr_assert_eq (agent_dial (&ta.t, 5000, &fd, &err), 0);
  return fd;
}

static void
raw_send (int fd, const char *json)
{
  size_t len;
  _cleanup_free_ char *frame = agent_frame_wrap (json, strlen (json), &len);
  cr_assert_eq (write_all (fd, frame, len), 0);
}

/* Reads one reply; returns its status and copies its message.  */
static int
raw_reply (int fd, uint64_t *ret_id, char *msg, size_t msg_size)
{
  uint8_t hdr[4];
  uint32_t len;
  _cleanup_free_ char *payload = NULL;
  struct agent_reply rep;
  rv_error_t err = NULL;
  int status;

  cr_assert_eq (read_exact (fd, hdr, 4), 0, "no reply");
  cr_assert_eq (agent_frame_get_header (hdr, &len), 0);
  payload = xmalloc (len);
  cr_assert_eq (read_exact (fd, payload, len), 0);
  cr_assert_eq (agent_reply_parse (payload, len, &rep, &err), 0, "%s", err ? err->msg : "");
  status = rep.status;
  if (ret_id)
    *ret_id = rep.id;
  snprintf (msg, msg_size, "%s", rep.msg ? rep.msg : "");
  agent_reply_clear (&rep);
  return status;
}

static bool
at_eof (int fd)
{
  char c;
  struct pollfd p = { .fd = fd, .events = POLLIN };
  cr_assert_eq (poll (&p, 1, 5000), 1, "connection still open");
  return read (fd, &c, 1) <= 0;
}

Test (agent, error_replies_on_the_wire)
{
  char msg[512];
  uint64_t id;
  int fd;

  /* The first call must be hello or attach; the connection closes.  */
  fd = raw_connect ();
  raw_send (fd, "{\"id\":1,\"call\":\"info\"}");
  cr_assert_eq (raw_reply (fd, &id, msg, sizeof (msg)), EPROTO);
  cr_assert_eq (id, 1);
  cr_assert (at_eof (fd));
  close (fd);

  /* No common version.  */
  fd = raw_connect ();
  raw_send (fd, "{\"id\":1,\"call\":\"hello\",\"args\":{\"min_version\":2,\"max_version\":9}}");
  cr_assert_eq (raw_reply (fd, NULL, msg, sizeof (msg)), EPROTONOSUPPORT);
  cr_assert (strstr (msg, "1..1") && strstr (msg, "2..9"), "%s", msg);
  cr_assert (at_eof (fd));
  close (fd);

  fd = raw_connect ();
  raw_send (fd, "{\"id\":1,\"call\":\"hello\",\"args\":{\"min_version\":1,\"max_version\":5}}");
  cr_assert_eq (raw_reply (fd, NULL, msg, sizeof (msg)), 0);
  /* Not JSON: id 0, EBADMSG, and the connection goes on.  */
  raw_send (fd, "{\"id\":2,");
  cr_assert_eq (raw_reply (fd, &id, msg, sizeof (msg)), EBADMSG);
  cr_assert_eq (id, 0);
  raw_send (fd, "{\"id\":3,\"call\":\"frobnicate\",\"args\":{}}");
  cr_assert_eq (raw_reply (fd, &id, msg, sizeof (msg)), ENOSYS);
  cr_assert_eq (id, 3);
  cr_assert_str_eq (msg, "unknown call `frobnicate`");
  raw_send (fd, "{\"id\":4}");
  cr_assert_eq (raw_reply (fd, &id, msg, sizeof (msg)), EINVAL);
  raw_send (fd, "{\"id\":5,\"call\":\"hello\",\"args\":{\"min_version\":1,\"max_version\":1}}");
  cr_assert_eq (raw_reply (fd, &id, msg, sizeof (msg)), EPROTO);
  raw_send (fd, "{\"id\":6,\"call\":\"signal\",\"args\":{\"container\":\"c\",\"signal\":\"KILL\"}}");
  cr_assert_eq (raw_reply (fd, &id, msg, sizeof (msg)), EINVAL);
  cr_assert_str_eq (msg, "signal.signal: expected a 32-bit integer");
  raw_send (fd, "{\"id\":7,\"call\":\"start\",\"args\":{\"container\":\"nope\",\"unknown\":[1]}}");
  cr_assert_eq (raw_reply (fd, &id, msg, sizeof (msg)), ENOENT);
  cr_assert_str_eq (msg, "no container `nope`");
  raw_send (fd, "{\"id\":8,\"call\":\"info\"}");
  cr_assert_eq (raw_reply (fd, &id, msg, sizeof (msg)), 0);
  cr_assert_eq (id, 8);
  /* A frame longer than the limit: EMSGSIZE and the connection closes.  */
  cr_assert_eq (write_all (fd, "\x01\x00\x00\x01", 4), 0);
  cr_assert_eq (raw_reply (fd, &id, msg, sizeof (msg)), EMSGSIZE);
  cr_assert_eq (id, 0);
  cr_assert (at_eof (fd));
  close (fd);
}

Test (agent, typed_errors_reach_the_client_intact)
{
  struct agent_conn *c = test_connect (&ta);
  struct agent_create_args bad = { .container = (char *) "a/b", .config = (char *) "{}" };
  struct agent_state_result st;
  rv_error_t err = NULL;
  pid_t pid;

  fails (agent_start (c, "ghost", &err), &err, ENOENT, "no container `ghost`");
  fails (agent_create (c, &bad, &pid, &err), &err, EINVAL, "invalid container id `a/b`");
  fails (agent_state (c, "ghost", &st, &err), &err, ENOENT, "no container `ghost`");
  fails (agent_signal (c, "ghost", NULL, 0, false, &err), &err, EINVAL, "invalid signal 0");
  create (c, "twice", "exit 0", false, (struct agent_stdio){ 0 });
  {
    _cleanup_free_ char *config = config_json ("exit 0", false);
    struct agent_create_args again = { .container = (char *) "twice", .config = config };
    fails (agent_create (c, &again, &pid, &err), &err, EEXIST, "container `twice` exists already");
  }
  fails (agent_pause (c, "twice", &err), &err, EINVAL,
         "cannot pause container `twice`: it is created, not running");
  fails (agent_resize (c, "twice", NULL, 10, 10, &err), &err, ENOTTY, "no terminal");
  ok (agent_destroy (c, "twice", &err), &err, "destroy");
  agent_conn_free (c);
}

/* ---- lifecycle -------------------------------------------------------- */

Test (agent, create_attach_start_wait_destroy)
{
  struct agent_conn *c = test_connect (&ta);
  struct agent_state_result st = { 0 };
  struct agent_events_result ev = { 0 };
  struct agent_exit_result ex;
  _cleanup_free_ char *out = NULL, *errs = NULL;
  rv_error_t err = NULL;
  int in, o, e;
  pid_t pid;

  pid = create (c, "life", "echo out; echo err >&2; read x; echo got $x; exit 3", false, ALL_STDIO);
  ok (agent_state (c, "life", &st, &err), &err, "state");
  cr_assert_str_eq (st.status, "created");
  cr_assert_eq (st.pid, pid);
  agent_result_clear (AGENT_CALL_STATE, &st);

  /* Streams attach before start, so nothing can be missed.  */
  in = test_attach (&ta, "life", NULL, AGENT_STREAM_STDIN);
  o = test_attach (&ta, "life", NULL, AGENT_STREAM_STDOUT);
  e = test_attach (&ta, "life", NULL, AGENT_STREAM_STDERR);
  fails (agent_attach (&ta.t, 2000, "life", NULL, AGENT_STREAM_STDOUT, &(int){ 0 }, &err), &err, EBUSY,
         "attached already");
  fails (agent_attach (&ta.t, 2000, "life", NULL, AGENT_STREAM_TTY, &(int){ 0 }, &err), &err, EINVAL,
         "no terminal");

  ok (agent_start (c, "life", &err), &err, "start");
  fails (agent_start (c, "life", &err), &err, EINVAL, "it is running, not created");
  ok (agent_state (c, "life", &st, &err), &err, "state");
  cr_assert_str_eq (st.status, "running");
  agent_result_clear (AGENT_CALL_STATE, &st);

  cr_assert_eq (write_all (in, "hi\n", 3), 0);
  shutdown (in, SHUT_WR);
  out = test_read_all (o, NULL);
  errs = test_read_all (e, NULL);
  cr_assert_str_eq (out, "out\ngot hi\n");
  cr_assert_str_eq (errs, "err\n");

  ex = wait_for (c, "life", NULL);
  cr_assert_eq (ex.exit_code, 3);
  cr_assert_eq (ex.signal, 0);
  cr_assert_eq (ex.pid, pid);
  /* The init stays known until destroy: wait again, state.  */
  ex = wait_for (c, "life", NULL);
  cr_assert_eq (ex.exit_code, 3);
  ok (agent_state (c, "life", &st, &err), &err, "state");
  cr_assert_str_eq (st.status, "stopped");
  cr_assert_eq (st.exit_code, 3);
  agent_result_clear (AGENT_CALL_STATE, &st);

  ok (agent_events (c, 0, 0, &ev, &err), &err, "events");
  cr_assert_eq (ev.events_len, 1);
  cr_assert_str_eq (ev.events[0].type, "exit");
  cr_assert_str_eq (ev.events[0].container, "life");
  cr_assert_null (ev.events[0].exec_id);
  cr_assert_eq (ev.events[0].exit_code, 3);
  cr_assert_eq (ev.events[0].seq, 1);
  agent_result_clear (AGENT_CALL_EVENTS, &ev);

  ok (agent_destroy (c, "life", &err), &err, "destroy");
  fails (agent_state (c, "life", &st, &err), &err, ENOENT, "no container `life`");
  /* The id is free again.  */
  create (c, "life", "exit 0", false, (struct agent_stdio){ 0 });
  ok (agent_destroy (c, "life", &err), &err, "destroy");
  close (in);
  close (o);
  close (e);
  agent_conn_free (c);
}

Test (agent, exec_signal_ps_stats_pause_update)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *out = NULL, *stats = NULL;
  _cleanup_free_ pid_t *pids = NULL;
  struct agent_exit_result ex;
  rv_error_t err = NULL;
  size_t n = 0;
  pid_t init, e1, e2;
  int o;

  init = create (c, "box", "sleep 1000", false, (struct agent_stdio){ 0 });
  fails (agent_exec (c,
                     &(struct agent_exec_args){ .container = (char *) "box",
                                                .exec_id = (char *) "e0",
                                                .process = (char *) "{\"args\":[\"true\"]}" },
                     &e1, &err),
         &err, EINVAL, "it is created, not running");
  ok (agent_start (c, "box", &err), &err, "start");

  e1 = exec_in (c, "box", "e1", "echo $FOO", false, OUT_ONLY, "FOO=bar");
  o = test_attach (&ta, "box", "e1", AGENT_STREAM_STDOUT);
  out = test_read_all (o, NULL);
  close (o);
  cr_assert_str_eq (out, "bar\n");
  ex = wait_for (c, "box", "e1");
  cr_assert_eq (ex.exit_code, 0);
  cr_assert_eq (ex.pid, e1);
  /* Forgotten once waited for: the id can be used again.  */
  fails (agent_wait (c, "box", "e1", 1000, &ex, &err), &err, ENOENT, "no process `e1` in container `box`");

  e2 = exec_in (c, "box", "e2", "sleep 1000", false, (struct agent_stdio){ 0 }, NULL);
  fails (agent_exec (c,
                     &(struct agent_exec_args){ .container = (char *) "box",
                                                .exec_id = (char *) "e2",
                                                .process = (char *) "{\"args\":[\"true\"]}" },
                     &e1, &err),
         &err, EEXIST, "has a process `e2` already");

  ok (agent_ps (c, "box", &pids, &n, &err), &err, "ps");
  cr_assert_eq (n, 2);
  cr_assert (pids[0] == init || pids[1] == init);
  cr_assert (pids[0] == e2 || pids[1] == e2);

  ok (agent_update (c, "box", "{\"pids\":{\"limit\":10}}", &err), &err, "update");
  ok (agent_stats (c, "box", &stats, &err), &err, "stats");
  cr_assert (strstr (stats, "\"current\":2") != NULL, "%s", stats);
  cr_assert (strstr (stats, "\"limit\":10") != NULL, "%s", stats);

  ok (agent_pause (c, "box", &err), &err, "pause");
  fails (agent_pause (c, "box", &err), &err, EINVAL, "it is paused, not running");
  ok (agent_resume (c, "box", &err), &err, "resume");

  ok (agent_signal (c, "box", "e2", SIGTERM, false, &err), &err, "signal");
  ex = wait_for (c, "box", "e2");
  cr_assert_eq (ex.signal, SIGTERM);
  cr_assert_eq (ex.exit_code, 128 + SIGTERM);

  ok (agent_signal (c, "box", NULL, SIGKILL, true, &err), &err, "kill all");
  ex = wait_for (c, "box", NULL);
  cr_assert_eq (ex.exit_code, 137);
  fails (agent_signal (c, "box", NULL, SIGKILL, false, &err), &err, ESRCH, "has exited");
  ok (agent_destroy (c, "box", &err), &err, "destroy");
  agent_conn_free (c);
}

Test (agent, a_signal_before_start_acts)
{
  struct agent_conn *c = test_connect (&ta);
  struct agent_exit_result ex;
  rv_error_t err = NULL;

  /* The init waits before exec, still running the agent's code: a SIGTERM
   * now must do what it does to the program (end it), not be swallowed.  */
  create (c, "early", "sleep 1000", false, (struct agent_stdio){ 0 });
  ok (agent_signal (c, "early", NULL, SIGTERM, false, &err), &err, "signal");
  ex = wait_for (c, "early", NULL);
  cr_assert_eq (ex.signal, SIGTERM);
  ok (agent_destroy (c, "early", &err), &err, "destroy");
  agent_conn_free (c);
}

Test (agent, terminal_stream_and_resize)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *out = NULL;
  struct agent_exit_result ex;
  rv_error_t err = NULL;
  int t;

  create (c, "tty", "stty size; read line; echo \"line=$line\"; exit 5", true, ALL_STDIO);
  fails (agent_attach (&ta.t, 2000, "tty", NULL, AGENT_STREAM_STDOUT, &(int){ 0 }, &err), &err, EINVAL,
         "attach `tty`, not `stdout`");
  t = test_attach (&ta, "tty", NULL, AGENT_STREAM_TTY);
  ok (agent_resize (c, "tty", NULL, 33, 101, &err), &err, "resize");
  ok (agent_start (c, "tty", &err), &err, "start");
  cr_assert_eq (write_all (t, "hello\n", 6), 0);
  out = test_read_all (t, NULL);
  cr_assert (strstr (out, "33 101\r\n") != NULL, "%s", out);
  cr_assert (strstr (out, "line=hello\r\n") != NULL, "%s", out);
  ex = wait_for (c, "tty", NULL);
  cr_assert_eq (ex.exit_code, 5);
  close (t);
  agent_conn_free (c);
}

static unsigned long long
status_mask (const char *status, const char *field)
{
  _cleanup_free_ char *key = xasprintf ("\n%s:\t", field);
  const char *p = strstr (status, key);
  cr_assert_not_null (p, "no %s", field);
  return strtoull (p + strlen (key), NULL, 16);
}

Test (agent, processes_start_with_no_signal_blocked_or_ignored)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  int o;

  /* cat installs no handler of its own.  */
  create (c, "sig", "exec cat /proc/self/status", false, OUT_ONLY);
  o = test_attach (&ta, "sig", NULL, AGENT_STREAM_STDOUT);
  ok (agent_start (c, "sig", &err), &err, "start");
  out = test_read_all (o, NULL);
  close (o);
  cr_assert (strstr (out, "\nSigBlk:\t0000000000000000\n") != NULL, "%s", out);
  cr_assert (strstr (out, "\nSigCgt:\t0000000000000000\n") != NULL, "%s", out);
  /* Signals 1-31 (glibc reserves 32 and 33, and make ignores them).  */
  cr_assert_eq (status_mask (out, "SigIgn") & 0x7fffffffULL, 0, "%s", out);
  agent_conn_free (c);
}

/* ---- no output lost, ordering of exit and output ---------------------- */

Test (agent, output_of_an_exited_process_is_kept_until_attached)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *out = NULL;
  struct agent_state_result st = { 0 };
  struct agent_exit_result ex;
  rv_error_t err = NULL;
  size_t len;
  int o;

  create (c, "burst", "head -c 40000 /dev/zero | tr '\\0' x; echo end", false, OUT_ONLY);
  ok (agent_start (c, "burst", &err), &err, "start");
  /* It exits at once (the output fits the pipe); nothing is attached.  */
  poll (NULL, 0, 300);
  ok (agent_state (c, "burst", &st, &err), &err, "state");
  cr_assert_str_eq (st.status, "stopped");
  agent_result_clear (AGENT_CALL_STATE, &st);
  /* wait holds back while the stream asked for is not drained.  */
  fails (agent_wait (c, "burst", NULL, 300, &ex, &err), &err, ETIMEDOUT, "did not answer in time");

  o = test_attach (&ta, "burst", NULL, AGENT_STREAM_STDOUT);
  out = test_read_all (o, &len);
  close (o);
  cr_assert_eq (len, 40004);
  cr_assert (str_has_suffix (out, "xxend\n"));
  ex = wait_for (c, "burst", NULL);
  cr_assert_eq (ex.exit_code, 0);
  agent_conn_free (c);
}

Test (agent, wait_answers_only_after_the_last_byte)
{
  struct agent_conn *c = test_connect (&ta), *w = test_connect (&ta);
  struct agent_process_args wargs = { .container = (char *) "big", .exec_id = NULL };
  struct agent_exit_result ex = { 0 };
  rv_error_t err = NULL;
  uint64_t id;
  size_t total = 0;
  char buf[65536];
  ssize_t n;
  int o;

  /* 4 MiB: far more than the pipe and socket buffers hold, so the
   * process can only finish while the test reads.  */
  create (c, "big", "head -c 4194304 /dev/zero", false, OUT_ONLY);
  o = test_attach (&ta, "big", NULL, AGENT_STREAM_STDOUT);
  ok (agent_start (c, "big", &err), &err, "start");
  ok (agent_call_send (w, AGENT_CALL_WAIT, &wargs, &id, 1000, &err), &err, "send wait");

  for (;;)
    {
      struct pollfd p = { .fd = agent_conn_fd (w), .events = POLLIN };
      n = read (o, buf, sizeof (buf));
      cr_assert_geq (n, 0);
      if (n == 0)
        break;
      total += (size_t) n;
      if (poll (&p, 1, 0) == 1)
        {
          /* The wait has answered: by then the agent has handed every byte
           * to the stream and closed it, so the rest reads to end of file
           * without waiting.  */
          cr_assert_eq (fd_set_nonblock (o, true), 0);
          while ((n = read (o, buf, sizeof (buf))) > 0)
            total += (size_t) n;
          cr_assert_eq (n, 0, "wait answered before the output was all sent (%zu bytes read, %s)", total,
                        strerror (errno));
          break;
        }
    }
  cr_assert_eq (total, 4194304);
  ok (agent_call_recv (w, AGENT_CALL_WAIT, id, &ex, 10000, &err), &err, "wait");
  cr_assert_eq (ex.exit_code, 0);
  close (o);
  agent_conn_free (w);
  agent_conn_free (c);
}

struct pump_args
{
  int fd;
  size_t len;
  uint64_t sum;
};

/* FNV-1a over a stream, to compare what went in with what came out.  */
static uint64_t
fnv (uint64_t h, const unsigned char *p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

static void *
writer (void *arg)
{
  struct pump_args *a = arg;
  unsigned char buf[32768];
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  size_t done = 0, i;

  a->sum = 0xcbf29ce484222325ULL;
  while (done < a->len)
    {
      for (i = 0; i < sizeof (buf); i++)
        {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          buf[i] = (unsigned char) x;
        }
      if (write_all (a->fd, buf, sizeof (buf)) < 0)
        return NULL;
      a->sum = fnv (a->sum, buf, sizeof (buf));
      done += sizeof (buf);
    }
  shutdown (a->fd, SHUT_WR);
  return NULL;
}

Test (agent, sixty_four_mib_through_stdin_and_stdout)
{
  struct agent_conn *c = test_connect (&ta);
  struct pump_args wa = { .len = 64u << 20 };
  struct agent_exit_result ex;
  unsigned char buf[65536];
  uint64_t sum = 0xcbf29ce484222325ULL;
  size_t total = 0;
  rv_error_t err = NULL;
  pthread_t th;
  ssize_t n;
  int o;

  create (c, "cat", "exec cat", false, (struct agent_stdio){ true, true, false });
  wa.fd = test_attach (&ta, "cat", NULL, AGENT_STREAM_STDIN);
  o = test_attach (&ta, "cat", NULL, AGENT_STREAM_STDOUT);
  ok (agent_start (c, "cat", &err), &err, "start");
  cr_assert_eq (pthread_create (&th, NULL, writer, &wa), 0);
  while ((n = read (o, buf, sizeof (buf))) > 0)
    {
      sum = fnv (sum, buf, (size_t) n);
      total += (size_t) n;
    }
  pthread_join (th, NULL);
  cr_assert_eq (total, wa.len);
  cr_assert_eq (sum, wa.sum);
  ex = wait_for (c, "cat", NULL);
  cr_assert_eq (ex.exit_code, 0);
  close (wa.fd);
  close (o);
  agent_conn_free (c);
}

Test (agent, close_stdin_and_stdin_eof)
{
  struct agent_conn *c = test_connect (&ta);
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  int o, in;

  create (c, "cat", "exec cat", false, (struct agent_stdio){ true, true, false });
  ok (agent_start (c, "cat", &err), &err, "start");
  in = test_attach (&ta, "cat", NULL, AGENT_STREAM_STDIN);
  o = test_attach (&ta, "cat", NULL, AGENT_STREAM_STDOUT);
  cr_assert_eq (write_all (in, "abc", 3), 0);
  /* close_stdin closes the process's stdin though the stream is still
   * open; the bytes sent before it arrive first.  */
  poll (NULL, 0, 100);
  ok (agent_close_stdin (c, "cat", NULL, &err), &err, "close_stdin");
  out = test_read_all (o, NULL);
  cr_assert_str_eq (out, "abc");
  cr_assert_eq (wait_for (c, "cat", NULL).exit_code, 0);
  close (in);
  close (o);

  /* A stdin closed before anyone attached it cannot be attached.  */
  create (c, "shut", "exec cat", false, (struct agent_stdio){ true, true, false });
  ok (agent_close_stdin (c, "shut", NULL, &err), &err, "close_stdin");
  fails (agent_attach (&ta.t, 2000, "shut", NULL, AGENT_STREAM_STDIN, &(int){ 0 }, &err), &err, EBUSY,
         "the stdin stream is closed");
  o = test_attach (&ta, "shut", NULL, AGENT_STREAM_STDOUT);
  ok (agent_start (c, "shut", &err), &err, "start");
  free (out);
  out = test_read_all (o, NULL);
  cr_assert_str_eq (out, "");
  cr_assert_eq (wait_for (c, "shut", NULL).exit_code, 0);
  close (o);

  /* An exec'd process without a stdin stream reads end of file.  */
  create (c, "idle", "sleep 1000", false, (struct agent_stdio){ 0 });
  ok (agent_start (c, "idle", &err), &err, "start");
  exec_in (c, "idle", "e", "cat; echo done", false, OUT_ONLY, NULL);
  o = test_attach (&ta, "idle", "e", AGENT_STREAM_STDOUT);
  free (out);
  out = test_read_all (o, NULL);
  cr_assert_str_eq (out, "done\n");
  close (o);
  agent_conn_free (c);
}

/* ---- several clients, clients that go away ---------------------------- */

Test (agent, concurrent_clients)
{
  pid_t kids[8];
  size_t i;

  for (i = 0; i < ARRAY_SIZE (kids); i++)
    {
      kids[i] = fork ();
      cr_assert_geq (kids[i], 0);
      if (kids[i] == 0)
        {
          struct agent_conn *c = NULL;
          rv_error_t err = NULL;
          char id[16], script[64], want[32];
          _cleanup_free_ char *config = NULL, *out = NULL;
          struct agent_exit_result ex;
          int o, round;

          if (agent_connect (&ta.t, 5000, &c, &err) < 0)
            _exit (10);
          for (round = 0; round < 5; round++)
            {
              snprintf (id, sizeof (id), "k%zu-%d", i, round);
              snprintf (script, sizeof (script), "echo %s", id);
              snprintf (want, sizeof (want), "%s\n", id);
              config = config_json (script, false);
              struct agent_create_args args = { .container = id, .config = config, .stdio = OUT_ONLY };
              if (agent_create (c, &args, NULL, &err) < 0)
                _exit (11);
              if (agent_attach (&ta.t, 5000, id, NULL, AGENT_STREAM_STDOUT, &o, &err) < 0)
                _exit (12);
              if (agent_start (c, id, &err) < 0)
                _exit (13);
              if (read_fd (o, 0, &out, NULL, &err) < 0 || strcmp (out, want) != 0)
                _exit (14);
              if (agent_wait (c, id, NULL, 10000, &ex, &err) < 0 || ex.exit_code != 0)
                _exit (15);
              if (agent_destroy (c, id, &err) < 0)
                _exit (16);
              close (o);
              free (TAKE_PTR (config));
              free (TAKE_PTR (out));
            }
          agent_conn_free (c);
          _exit (0);
        }
    }
  for (i = 0; i < ARRAY_SIZE (kids); i++)
    {
      int status;
      waitpid (kids[i], &status, 0);
      cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "client %zu: status 0x%x", i, status);
    }
}

Test (agent, clients_killed_mid_call_cost_only_their_own_work)
{
  struct agent_conn *c = test_connect (&ta);
  struct agent_info_result info = { 0 };
  struct agent_exit_result ex;
  rv_error_t err = NULL;
  pid_t kid;
  int status;

  create (c, "yes", "exec yes", false, OUT_ONLY);
  ok (agent_start (c, "yes", &err), &err, "start");

  kid = fork ();
  cr_assert_geq (kid, 0);
  if (kid == 0)
    {
      /* A reader that stops half way, a pending wait, and half a frame.  */
      struct agent_conn *k = NULL;
      struct agent_process_args wargs = { .container = (char *) "yes" };
      char buf[4096];
      uint64_t id;
      int o, raw;

      if (agent_attach (&ta.t, 5000, "yes", NULL, AGENT_STREAM_STDOUT, &o, &err) < 0)
        _exit (1);
      if (read (o, buf, sizeof (buf)) <= 0)
        _exit (2);
      if (agent_connect (&ta.t, 5000, &k, &err) < 0
          || agent_call_send (k, AGENT_CALL_WAIT, &wargs, &id, 1000, &err) < 0)
        _exit (3);
      if (agent_dial (&ta.t, 5000, &raw, &err) < 0 || write_all (raw, "\x00\x00\x01\x00{\"id\":", 10) < 0)
        _exit (4);
      raise (SIGKILL);
    }
  waitpid (kid, &status, 0);
  cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "child status 0x%x", status);

  /* The stream's reader is gone: `yes` gets EPIPE or SIGPIPE and ends.  */
  ex = wait_for (c, "yes", NULL);
  cr_assert (ex.signal == SIGPIPE || ex.exit_code == 1, "exit %d signal %d", ex.exit_code, ex.signal);
  /* The agent serves on, for old and new clients.  */
  ok (agent_info (c, &info, &err), &err, "info");
  cr_assert_eq (info.containers, 1);
  agent_result_clear (AGENT_CALL_INFO, &info);
  agent_conn_free (c);
  c = test_connect (&ta);
  ok (agent_destroy (c, "yes", &err), &err, "destroy");
  agent_conn_free (c);
}

/* ---- events, destroy with waiters, shutdown --------------------------- */

Test (agent, events_long_poll)
{
  struct agent_conn *c = test_connect (&ta), *w = test_connect (&ta);
  struct agent_events_args eargs = { .since = 0, .timeout_ms = 10000 };
  struct agent_events_result ev = { 0 };
  rv_error_t err = NULL;
  long long start;
  uint64_t id;

  start = agent_now_ms ();
  ok (agent_events (c, 0, 200, &ev, &err), &err, "events");
  cr_assert_eq (ev.events_len, 0);
  cr_assert_geq (agent_now_ms () - start, 190);
  agent_result_clear (AGENT_CALL_EVENTS, &ev);

  ok (agent_call_send (w, AGENT_CALL_EVENTS, &eargs, &id, 1000, &err), &err, "send events");
  create (c, "ev", "exit 7", false, (struct agent_stdio){ 0 });
  start = agent_now_ms ();
  ok (agent_start (c, "ev", &err), &err, "start");
  ok (agent_call_recv (w, AGENT_CALL_EVENTS, id, &ev, 5000, &err), &err, "events");
  cr_assert_lt (agent_now_ms () - start, 3000);
  cr_assert_eq (ev.events_len, 1);
  cr_assert_eq (ev.events[0].exit_code, 7);
  cr_assert_eq (ev.lost, 0);
  agent_result_clear (AGENT_CALL_EVENTS, &ev);
  agent_conn_free (w);
  agent_conn_free (c);
}

Test (agent, destroy_answers_pending_waits_with_the_real_status)
{
  struct agent_conn *c = test_connect (&ta), *w = test_connect (&ta);
  struct agent_process_args wargs = { .container = (char *) "doomed" };
  struct agent_info_result info = { 0 };
  struct agent_exit_result ex = { 0 };
  rv_error_t err = NULL;
  uint64_t id;

  create (c, "doomed", "sleep 1000", false, OUT_ONLY);
  ok (agent_start (c, "doomed", &err), &err, "start");
  ok (agent_call_send (w, AGENT_CALL_WAIT, &wargs, &id, 1000, &err), &err, "send wait");
  /* Requests of one connection run in order: once `info` has answered,
   * the wait is registered.  The client keeps the wait's reply if it
   * comes first.  */
  ok (agent_info (w, &info, &err), &err, "info");
  agent_result_clear (AGENT_CALL_INFO, &info);
  /* The stdout stream was asked for and never attached: destroy gives it
   * up, so the wait is answered.  */
  ok (agent_destroy (c, "doomed", &err), &err, "destroy");
  ok (agent_call_recv (w, AGENT_CALL_WAIT, id, &ex, 5000, &err), &err, "wait");
  cr_assert_eq (ex.signal, SIGKILL);
  agent_conn_free (w);
  agent_conn_free (c);
}

Test (agent, shutdown_stops_the_agent)
{
  struct agent_conn *c = test_connect (&ta);
  rv_error_t err = NULL;
  int status;

  create (c, "left", "sleep 1000", false, (struct agent_stdio){ 0 });
  ok (agent_start (c, "left", &err), &err, "start");
  ok (agent_shutdown (c, &err), &err, "shutdown");
  status = test_agent_wait_exit (&ta, 5000);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "agent status 0x%x", status);
  agent_conn_free (c);
}

/* ---- the built program ------------------------------------------------ */

Test (agent_binary, serves_and_shuts_down, .timeout = 30)
{
  struct test_agent bin;
  struct agent_conn *c;
  struct agent_info_result info = { 0 };
  rv_error_t err = NULL;
  int status;

  test_agent_start_binary (&bin, NULL);
  c = test_connect (&bin);
  ok (agent_info (c, &info, &err), &err, "info");
  cr_assert_not (info.pid1);
  agent_result_clear (AGENT_CALL_INFO, &info);
  ok (agent_shutdown (c, &err), &err, "shutdown");
  status = test_agent_wait_exit (&bin, 5000);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "agent status 0x%x", status);
  cr_assert_neq (access (bin.t.path, F_OK), 0, "the socket file is left behind");
  agent_conn_free (c);
  test_agent_stop (&bin);
}

Test (agent_binary, sigterm_stops_it, .timeout = 30)
{
  struct test_agent bin;
  struct agent_conn *c;
  int status;

  test_agent_start_binary (&bin, NULL);
  c = test_connect (&bin);
  kill (bin.pid, SIGTERM);
  status = test_agent_wait_exit (&bin, 5000);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "agent status 0x%x", status);
  agent_conn_free (c);
  test_agent_stop (&bin);
}

/* Running: neither gone nor a zombie waiting for whoever inherited it.  */
static bool
alive (pid_t pid)
{
  _cleanup_free_ char *path = xasprintf ("/proc/%d/stat", (int) pid), *data = NULL;
  rv_error_t err = NULL;
  char *paren;

  if (read_file (path, 4096, &data, NULL, &err) < 0)
    {
      rv_error_release (&err);
      return false;
    }
  paren = strrchr (data, ')');
  return paren == NULL || paren[2] != 'Z';
}

Test (agent_binary, exits_with_its_parent, .timeout = 30)
{
  char *extra[] = { (char *) "--exit-with-parent", NULL };
  struct test_agent bin;
  int pfd[2], status, i;
  pid_t middle, agent = 0;

  /* A middle process starts the agent and dies; the agent must follow.  */
  cr_assert_eq (pipe (pfd), 0);
  middle = fork ();
  cr_assert_geq (middle, 0);
  if (middle == 0)
    {
      close (pfd[0]);
      test_agent_start_binary (&bin, extra);
      struct agent_conn *c = test_connect (&bin);
      agent_conn_free (c);
      write_all (pfd[1], &bin, sizeof (bin));
      _exit (0);
    }
  close (pfd[1]);
  cr_assert_eq (read_exact (pfd[0], &bin, sizeof (bin)), 0);
  agent = bin.pid;
  waitpid (middle, &status, 0);
  for (i = 0; i < 300 && alive (agent); i++)
    poll (NULL, 0, 10);
  cr_assert_not (alive (agent), "agent %d outlived its parent", (int) agent);
  /* It removed its socket on the way out.  */
  cr_assert_neq (access (bin.t.path, F_OK), 0);
  bin.pid = 0;
  test_agent_stop (&bin);
  close (pfd[0]);
}
