#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent-client/agent.h"
#include "agent-client/frame.h"
#include "agent-client/json.h"
#include "common/utils.h"

#include "version.h"

/* A reply that arrived while another was awaited.  */
struct stashed
{
  struct stashed *next;
  uint64_t id;
  char *payload;
  size_t len;
};

struct agent_conn
{
  int fd;
  int timeout_ms;
  uint64_t next_id;
  uint32_t version;
  char *agent;
  struct agent_frame_reader reader;
  /* Ids sent and not yet received: their replies are kept when they come
   * early.  A call whose wait timed out leaves this list, and its late
   * reply is dropped.  */
  uint64_t *pending;
  size_t n_pending;
  struct stashed *stash;
  /* A send that timed out half way leaves the stream between frames
   * unknown; nothing more can be sent.  */
  bool broken;
};

static long long
deadline_of (int timeout_ms)
{
  return timeout_ms < 0 ? -1 : agent_now_ms () + timeout_ms;
}

static bool
is_pending (const struct agent_conn *c, uint64_t id)
{
  size_t i;
  for (i = 0; i < c->n_pending; i++)
    if (c->pending[i] == id)
      return true;
  return false;
}

static void
pending_remove (struct agent_conn *c, uint64_t id)
{
  size_t i;
  for (i = 0; i < c->n_pending; i++)
    if (c->pending[i] == id)
      {
        c->pending[i] = c->pending[--c->n_pending];
        return;
      }
}

/* Writes all of BUF to the non-blocking FD by DEADLINE.  *RET_SENT says
 * how far it got.  */
static int
send_all (int fd, const char *buf, size_t len, long long deadline, size_t *ret_sent)
{
  size_t off = 0;
  int r = 0;

  while (off < len)
    {
      ssize_t n = send (fd, buf + off, len - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          r = agent_wait_fd (fd, POLLOUT, deadline);
          if (r < 0)
            break;
          continue;
        }
      if (n < 0)
        {
          r = -errno;
          break;
        }
      off += (size_t) n;
    }
  *ret_sent = off;
  return r;
}

/* Reads one frame by DEADLINE.  A frame begun and not finished stays in
 * the reader for the next call.  */
static int
recv_frame (struct agent_conn *c, long long deadline, char **ret, size_t *ret_len, rv_error_t *err)
{
  for (;;)
    {
      void *buf;
      size_t want;
      ssize_t n;
      int r;

      agent_frame_reader_want (&c->reader, &buf, &want);
      n = read (c->fd, buf, want);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          r = agent_wait_fd (c->fd, POLLIN, deadline);
          if (r == -ETIMEDOUT)
            return rv_error_set (err, ETIMEDOUT, "agent did not answer in time");
          if (r < 0)
            return rv_error_make (err, -r, "poll agent connection");
          continue;
        }
      if (n < 0)
        {
          c->broken = true;
          return rv_error_make (err, errno, "read from agent");
        }
      if (n == 0)
        {
          c->broken = true;
          return rv_error_set (err, ECONNRESET, "agent closed the connection");
        }
      r = agent_frame_reader_commit (&c->reader, (size_t) n, err);
      if (r < 0)
        {
          c->broken = true;
          return rv_error_wrap (err, "read from agent");
        }
      if (r == 1)
        {
          *ret = agent_frame_reader_take (&c->reader, ret_len);
          return 0;
        }
    }
}

int
agent_call_send (struct agent_conn *c, enum agent_call call, const void *args, uint64_t *ret_id,
                 int timeout_ms, rv_error_t *err)
{
  _cleanup_free_ char *frame = NULL;
  size_t len, sent;
  uint64_t id;
  int r;

  if (c->broken)
    return rv_error_set (err, EPIPE, "%s: agent connection is broken", agent_call_name (call));
  id = c->next_id++;
  r = agent_request_frame (id, call, args, &frame, &len, err);
  if (r < 0)
    return r;
  r = send_all (c->fd, frame, len, deadline_of (timeout_ms), &sent);
  if (r < 0)
    {
      if (sent > 0)
        c->broken = true;
      if (r == -ETIMEDOUT)
        return rv_error_set (err, ETIMEDOUT, "%s: agent did not take the request in time",
                             agent_call_name (call));
      return rv_error_make (err, -r, "%s: send to agent", agent_call_name (call));
    }
  c->pending = xreallocarray (c->pending, c->n_pending + 1, sizeof (uint64_t));
  c->pending[c->n_pending++] = id;
  *ret_id = id;
  return 0;
}

/* Turns the reply PAYLOAD to CALL into a result or the agent's error.  */
static int
finish_reply (const struct agent_call_desc *d, const char *payload, size_t len, void *ret_result,
              rv_error_t *err)
{
  struct agent_reply rep = { 0 };
  int r;

  r = agent_reply_parse (payload, len, &rep, err);
  if (r < 0)
    return rv_error_wrap (err, "%s: reply from agent", d->name);
  if (rep.status != 0)
    {
      r = rv_error_set (err, rep.status, "%s", rep.msg ? rep.msg : strerror (rep.status));
      agent_reply_clear (&rep);
      return r;
    }
  if (ret_result)
    r = agent_schema_decode (d->result, rep.result, ret_result, err);
  agent_reply_clear (&rep);
  if (r < 0)
    return rv_error_wrap (err, "reply from agent");
  return 0;
}

static bool
take_stashed (struct agent_conn *c, uint64_t id, char **ret, size_t *ret_len)
{
  struct stashed **it;
  for (it = &c->stash; *it; it = &(*it)->next)
    if ((*it)->id == id)
      {
        struct stashed *s = *it;
        *it = s->next;
        *ret = s->payload;
        *ret_len = s->len;
        free (s);
        return true;
      }
  return false;
}

int
agent_call_recv (struct agent_conn *c, enum agent_call call, uint64_t id, void *ret_result, int timeout_ms,
                 rv_error_t *err)
{
  const struct agent_call_desc *d = agent_call_desc (call);
  long long deadline = deadline_of (timeout_ms);
  _cleanup_free_ char *mine = NULL;
  size_t mine_len = 0;
  int r;

  while (mine == NULL && !take_stashed (c, id, &mine, &mine_len))
    {
      _cleanup_free_ char *payload = NULL;
      struct agent_reply rep = { 0 };
      size_t len;

      r = recv_frame (c, deadline, &payload, &len, err);
      if (r < 0)
        {
          pending_remove (c, id);
          return rv_error_wrap (err, "%s", d->name);
        }
      /* Only the envelope is read here; the rest waits for its caller.  */
      r = agent_reply_parse (payload, len, &rep, err);
      if (r < 0)
        {
          pending_remove (c, id);
          return rv_error_wrap (err, "%s: reply from agent", d->name);
        }
      if (rep.id == id || (rep.id == 0 && rep.status != 0))
        {
          /* Id 0 is the agent's answer to a frame it could not read.  */
          mine = TAKE_PTR (payload);
          mine_len = len;
        }
      else if (is_pending (c, rep.id))
        {
          struct stashed *st = xmalloc0 (sizeof (*st));
          st->id = rep.id;
          st->payload = TAKE_PTR (payload);
          st->len = len;
          st->next = c->stash;
          c->stash = st;
        }
      /* Anything else answers a call that timed out: dropped.  */
      agent_reply_clear (&rep);
    }
  pending_remove (c, id);
  return finish_reply (d, mine, mine_len, ret_result, err);
}

int
agent_call (struct agent_conn *c, enum agent_call call, const void *args, void *ret_result, int timeout_ms,
            rv_error_t *err)
{
  long long deadline = deadline_of (timeout_ms);
  uint64_t id;
  int r;

  r = agent_call_send (c, call, args, &id, timeout_ms, err);
  if (r < 0)
    return r;
  return agent_call_recv (c, call, id, ret_result, agent_ms_left (deadline), err);
}

int
agent_call_json (struct agent_conn *c, enum agent_call call, const char *args_json, void *ret_result,
                 int timeout_ms, rv_error_t *err)
{
  const struct agent_call_desc *d = agent_call_desc (call);
  _cleanup_yajl_val_ yajl_val tree = NULL;
  _cleanup_free_ char *args = NULL;
  int r;

  if (d == NULL)
    return rv_error_set (err, EINVAL, "no call %d", (int) call);
  r = agent_json_parse (args_json, strlen (args_json), &tree, err);
  if (r < 0)
    return rv_error_wrap (err, "%s", d->name);
  args = xmalloc0 (d->args->size ? d->args->size : 1);
  r = agent_schema_decode (d->args, tree, args, err);
  if (r < 0)
    return r;
  r = agent_call (c, call, args, ret_result, timeout_ms, err);
  agent_schema_clear (d->args, args);
  return r;
}

void
agent_result_clear (enum agent_call call, void *result)
{
  const struct agent_call_desc *d = agent_call_desc (call);
  if (d && result)
    agent_schema_clear (d->result, result);
}

static struct agent_conn *
conn_new (int fd)
{
  struct agent_conn *c = xmalloc0 (sizeof (*c));
  c->fd = fd;
  c->timeout_ms = AGENT_CALL_TIMEOUT_MS;
  c->next_id = 1;
  return c;
}

void
agent_conn_free (struct agent_conn *c)
{
  if (c == NULL)
    return;
  if (c->fd >= 0)
    (void) close (c->fd);
  agent_frame_reader_clear (&c->reader);
  while (c->stash)
    {
      struct stashed *st = c->stash;
      c->stash = st->next;
      free (st->payload);
      free (st);
    }
  free (c->pending);
  free (c->agent);
  free (c);
}

static inline void
cleanup_connp (struct agent_conn **c)
{
  agent_conn_free (*c);
}
#define _cleanup_conn_ __attribute__ ((cleanup (cleanup_connp)))

int
agent_connect_fd (int fd, int timeout_ms, struct agent_conn **ret, rv_error_t *err)
{
  _cleanup_conn_ struct agent_conn *c = conn_new (fd);
  struct agent_hello_args args = {
    .min_version = AGENT_PROTOCOL_MIN,
    .max_version = AGENT_PROTOCOL_MAX,
    .client = (char *) "runvm " RUNVM_VERSION,
  };
  struct agent_hello_result res = { 0 };
  int r;

  if (fd_set_nonblock (fd, true) < 0)
    return rv_error_make (err, errno, "agent connection");
  r = agent_call (c, AGENT_CALL_HELLO, &args, &res, timeout_ms, err);
  if (r < 0)
    return rv_error_wrap (err, "handshake with agent");
  if (res.version < AGENT_PROTOCOL_MIN || res.version > AGENT_PROTOCOL_MAX)
    {
      r = rv_error_set (err, EPROTONOSUPPORT,
                        "handshake with agent: it chose protocol version %u, not within %u..%u", res.version,
                        AGENT_PROTOCOL_MIN, AGENT_PROTOCOL_MAX);
      agent_result_clear (AGENT_CALL_HELLO, &res);
      return r;
    }
  c->version = res.version;
  c->agent = TAKE_PTR (res.agent);
  agent_result_clear (AGENT_CALL_HELLO, &res);
  *ret = TAKE_PTR (c);
  return 0;
}

int
agent_connect (const struct agent_transport *t, int timeout_ms, struct agent_conn **ret, rv_error_t *err)
{
  long long deadline = deadline_of (timeout_ms);
  int fd, r;

  r = agent_dial (t, timeout_ms, &fd, err);
  if (r < 0)
    return r;
  return agent_connect_fd (fd, timeout_ms < 0 ? -1 : agent_ms_left (deadline), ret, err);
}

void
agent_conn_set_timeout (struct agent_conn *c, int timeout_ms)
{
  c->timeout_ms = timeout_ms;
}

uint32_t
agent_conn_version (const struct agent_conn *c)
{
  return c->version;
}

const char *
agent_conn_agent (const struct agent_conn *c)
{
  return c->agent;
}

int
agent_conn_fd (const struct agent_conn *c)
{
  return c->fd;
}

int
agent_attach_fd (int fd, int timeout_ms, const char *container, const char *exec_id, enum agent_stream stream,
                 int *ret_fd, rv_error_t *err)
{
  _cleanup_conn_ struct agent_conn *c = conn_new (fd);
  struct agent_attach_args args = {
    .version = AGENT_PROTOCOL_MAX,
    .container = (char *) container,
    .exec_id = (char *) exec_id,
    .stream = (char *) agent_stream_name (stream),
  };
  int r;

  if (fd_set_nonblock (fd, true) < 0)
    return rv_error_make (err, errno, "agent connection");
  r = agent_call (c, AGENT_CALL_ATTACH, &args, NULL, timeout_ms, err);
  if (r < 0)
    return r;
  /* The reader never reads past a frame, so no stream byte is held in it.  */
  if (fd_set_nonblock (c->fd, false) < 0)
    return rv_error_make (err, errno, "agent stream");
  *ret_fd = TAKE_FD (c->fd);
  return 0;
}

int
agent_attach (const struct agent_transport *t, int timeout_ms, const char *container, const char *exec_id,
              enum agent_stream stream, int *ret_fd, rv_error_t *err)
{
  long long deadline = deadline_of (timeout_ms);
  int fd, r;

  r = agent_dial (t, timeout_ms, &fd, err);
  if (r < 0)
    return r;
  return agent_attach_fd (fd, timeout_ms < 0 ? -1 : agent_ms_left (deadline), container, exec_id, stream,
                          ret_fd, err);
}

/* ---- typed calls ------------------------------------------------------ */

static int
call (struct agent_conn *c, enum agent_call which, const void *args, void *ret_result, rv_error_t *err)
{
  return agent_call (c, which, args, ret_result, c->timeout_ms, err);
}

int
agent_create (struct agent_conn *c, const struct agent_create_args *args, pid_t *ret_pid, rv_error_t *err)
{
  struct agent_pid_result res = { 0 };
  int r = call (c, AGENT_CALL_CREATE, args, &res, err);
  if (r < 0)
    return r;
  if (ret_pid)
    *ret_pid = res.pid;
  return 0;
}

static int
container_call (struct agent_conn *c, enum agent_call which, const char *container, rv_error_t *err)
{
  struct agent_container_args args = { .container = (char *) container };
  return call (c, which, &args, NULL, err);
}

int
agent_start (struct agent_conn *c, const char *container, rv_error_t *err)
{
  return container_call (c, AGENT_CALL_START, container, err);
}

int
agent_exec (struct agent_conn *c, const struct agent_exec_args *args, pid_t *ret_pid, rv_error_t *err)
{
  struct agent_pid_result res = { 0 };
  int r = call (c, AGENT_CALL_EXEC, args, &res, err);
  if (r < 0)
    return r;
  if (ret_pid)
    *ret_pid = res.pid;
  return 0;
}

int
agent_signal (struct agent_conn *c, const char *container, const char *exec_id, int sig, bool all,
              rv_error_t *err)
{
  struct agent_signal_args args
      = { .container = (char *) container, .exec_id = (char *) exec_id, .signal = sig, .all = all };
  return call (c, AGENT_CALL_SIGNAL, &args, NULL, err);
}

int
agent_wait (struct agent_conn *c, const char *container, const char *exec_id, int timeout_ms,
            struct agent_exit_result *ret, rv_error_t *err)
{
  struct agent_process_args args = { .container = (char *) container, .exec_id = (char *) exec_id };
  struct agent_exit_result res = { 0 };
  int r = agent_call (c, AGENT_CALL_WAIT, &args, &res, timeout_ms, err);
  if (r < 0)
    return r;
  if (ret)
    *ret = res;
  return 0;
}

int
agent_resize (struct agent_conn *c, const char *container, const char *exec_id, unsigned rows, unsigned cols,
              rv_error_t *err)
{
  struct agent_resize_args args
      = { .container = (char *) container, .exec_id = (char *) exec_id, .rows = rows, .cols = cols };
  return call (c, AGENT_CALL_RESIZE, &args, NULL, err);
}

int
agent_close_stdin (struct agent_conn *c, const char *container, const char *exec_id, rv_error_t *err)
{
  struct agent_process_args args = { .container = (char *) container, .exec_id = (char *) exec_id };
  return call (c, AGENT_CALL_CLOSE_STDIN, &args, NULL, err);
}

int
agent_ps (struct agent_conn *c, const char *container, pid_t **ret, size_t *ret_len, rv_error_t *err)
{
  struct agent_container_args args = { .container = (char *) container };
  struct agent_ps_result res = { 0 };
  pid_t *pids;
  size_t i;
  int r;

  r = call (c, AGENT_CALL_PS, &args, &res, err);
  if (r < 0)
    return r;
  pids = xcalloc (res.pids_len, sizeof (pid_t));
  for (i = 0; i < res.pids_len; i++)
    pids[i] = res.pids[i];
  *ret = pids;
  *ret_len = res.pids_len;
  agent_result_clear (AGENT_CALL_PS, &res);
  return 0;
}

int
agent_stats (struct agent_conn *c, const char *container, char **ret_json, rv_error_t *err)
{
  struct agent_container_args args = { .container = (char *) container };
  struct agent_stats_result res = { 0 };
  int r = call (c, AGENT_CALL_STATS, &args, &res, err);
  if (r < 0)
    return r;
  *ret_json = TAKE_PTR (res.stats);
  return 0;
}

int
agent_pause (struct agent_conn *c, const char *container, rv_error_t *err)
{
  return container_call (c, AGENT_CALL_PAUSE, container, err);
}

int
agent_resume (struct agent_conn *c, const char *container, rv_error_t *err)
{
  return container_call (c, AGENT_CALL_RESUME, container, err);
}

int
agent_update (struct agent_conn *c, const char *container, const char *resources_json, rv_error_t *err)
{
  struct agent_update_args args = { .container = (char *) container, .resources = (char *) resources_json };
  return call (c, AGENT_CALL_UPDATE, &args, NULL, err);
}

int
agent_destroy (struct agent_conn *c, const char *container, rv_error_t *err)
{
  return container_call (c, AGENT_CALL_DESTROY, container, err);
}

int
agent_state (struct agent_conn *c, const char *container, struct agent_state_result *ret, rv_error_t *err)
{
  struct agent_container_args args = { .container = (char *) container };
  return call (c, AGENT_CALL_STATE, &args, ret, err);
}

int
agent_network (struct agent_conn *c, const struct agent_network_args *args, rv_error_t *err)
{
  return call (c, AGENT_CALL_NETWORK, args, NULL, err);
}

int
agent_info (struct agent_conn *c, struct agent_info_result *ret, rv_error_t *err)
{
  return call (c, AGENT_CALL_INFO, NULL, ret, err);
}

int
agent_events (struct agent_conn *c, uint64_t since, int wait_ms, struct agent_events_result *ret,
              rv_error_t *err)
{
  struct agent_events_args args = { .since = since, .timeout_ms = wait_ms };
  int timeout = c->timeout_ms;

  /* The agent holds the call up to WAIT_MS; the connection's own timeout
   * covers the transport on top of that.  */
  if (timeout >= 0 && wait_ms > 0)
    timeout = wait_ms > INT32_MAX - timeout ? -1 : timeout + wait_ms;
  if (wait_ms < 0)
    timeout = -1;
  return agent_call (c, AGENT_CALL_EVENTS, &args, ret, timeout, err);
}

int
agent_shutdown (struct agent_conn *c, rv_error_t *err)
{
  return call (c, AGENT_CALL_SHUTDOWN, NULL, NULL, err);
}
