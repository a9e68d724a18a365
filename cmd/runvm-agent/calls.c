/* The calls: decoding a request, running it, answering (PROTOCOL.md).  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "agent-client/dial.h"
#include "agent-client/json.h"
#include "cmd/runvm-agent/agent.h"
#include "common/log.h"
#include "common/utils.h"

#include "version.h"

/* A handler returns 0 to have RESULT sent, CALL_DEFERRED when it answers
 * later (it registered a waiter), or a negative errno with ERR set.  */
#define CALL_DEFERRED 1

struct call_ctx
{
  struct agent *a;
  struct conn *conn;
  uint64_t id;
};

typedef int (*call_fn) (struct call_ctx *x, void *args, void *result, rv_error_t *err);

/* ---- lookups and checks ----------------------------------------------- */

/* OCI ids and exec ids: 1..ID_MAX bytes, no '/', no control characters
 * (they name directories and appear in logs).  */
static int
check_id (const char *what, const char *id, rv_error_t *err)
{
  size_t i, n = strlen (id);

  if (n == 0 || n > ID_MAX)
    return rv_error_set (err, EINVAL, "invalid %s: must be 1 to %d bytes", what, ID_MAX);
  for (i = 0; i < n; i++)
    if (id[i] == '/' || (unsigned char) id[i] < 0x20 || id[i] == 0x7f)
      return rv_error_set (err, EINVAL, "invalid %s `%s`: no '/' or control characters allowed", what, id);
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return rv_error_set (err, EINVAL, "invalid %s `%s`", what, id);
  return 0;
}

static int
need_ctr (struct agent *a, const char *id, struct ctr **ret, rv_error_t *err)
{
  struct ctr *c = ctr_find (a, id);
  if (c == NULL)
    return rv_error_set (err, ENOENT, "no container `%s`", id);
  *ret = c;
  return 0;
}

static int
need_proc (struct agent *a, const char *id, const char *exec_id, struct proc **ret, rv_error_t *err)
{
  struct ctr *c = NULL;
  struct proc *p = NULL;
  int r = need_ctr (a, id, &c, err);

  if (r < 0)
    return r;
  p = proc_find (c, exec_id);
  if (p == NULL && exec_id)
    return rv_error_set (err, ENOENT, "no process `%s` in container `%s`", exec_id, id);
  if (p == NULL)
    return rv_error_set (err, ENOENT, "container `%s` has no init process", id);
  *ret = p;
  return 0;
}

static const char *
state_name (enum ctr_state s)
{
  switch (s)
    {
    case CTR_CREATED:
      return "created";
    case CTR_RUNNING:
      return "running";
    case CTR_PAUSED:
      return "paused";
    case CTR_STOPPED:
      return "stopped";
    default:
      return "unknown";
    }
}

static int
need_state (struct ctr *c, enum ctr_state want, const char *what, rv_error_t *err)
{
  if (c->state != want)
    return rv_error_set (err, EINVAL, "cannot %s container `%s`: it is %s, not %s", what, c->id,
                         state_name (c->state), state_name (want));
  return 0;
}

static int
need_backend (struct agent *a, rv_error_t *err)
{
  if (a->backend == NULL)
    return rv_error_set (err, ENOSYS, "this agent was built without a container backend");
  return 0;
}

/* R as a backend call returned it.  A failure names the call and the
 * container once: libcontainer's own messages already do ("create
 * container `x`: ..."), a backend that does not gets "VERB container
 * `ID`: " in front.  */
static int
backend_result (int r, const char *verb, const char *id, rv_error_t *err)
{
  _cleanup_free_ char *named = NULL;

  if (r >= 0)
    return 0;
  named = xasprintf ("container `%s`", id);
  if (*err && (*err)->msg && strstr ((*err)->msg, named))
    return rv_error_ret (*err);
  return rv_error_wrap (err, "%s container `%s`", verb, id);
}

/* The container ID in state WANT, for a call named VERB.  */
static int
need_ctr_in (struct agent *a, const char *id, enum ctr_state want, const char *verb, struct ctr **ret,
             rv_error_t *err)
{
  struct ctr *c = NULL;
  int r = need_ctr (a, id, &c, err);

  if (r == 0)
    r = need_state (c, want, verb, err);
  if (r == 0)
    *ret = c;
  return r;
}

/* process.terminal of a config.json (PATH "process") or of a process.json
 * (PATH NULL).  */
static int
read_terminal (const char *json, bool in_process, bool *ret, rv_error_t *err)
{
  _cleanup_yajl_val_ yajl_val root = NULL;
  yajl_val proc, term;
  const char *process_path[] = { "process", NULL };
  const char *terminal_path[] = { "terminal", NULL };
  int r;

  r = agent_json_parse (json, strlen (json), &root, err);
  if (r < 0)
    return r;
  proc = in_process ? yajl_tree_get (root, process_path, yajl_t_object) : root;
  term = proc ? yajl_tree_get (proc, terminal_path, yajl_t_any) : NULL;
  if (term && !YAJL_IS_TRUE (term) && !YAJL_IS_FALSE (term) && !YAJL_IS_NULL (term))
    return rv_error_set (err, EINVAL, "%sterminal: expected a boolean", in_process ? "process." : "");
  *ret = term && YAJL_IS_TRUE (term);
  return 0;
}

/* ---- stdio ------------------------------------------------------------ */

/* The pipes of a new process: the child's ends go to the backend, the
 * agent's become relays once the process exists.  */
struct stdio_pipes
{
  int child[3];
  int agent[3];
};

static void
stdio_pipes_close (struct stdio_pipes *s)
{
  size_t i;
  for (i = 0; i < 3; i++)
    {
      if (s->child[i] >= 0)
        (void) close (s->child[i]);
      if (s->agent[i] >= 0)
        (void) close (s->agent[i]);
      s->child[i] = s->agent[i] = -1;
    }
}

static int
stdio_pipes_make (const struct agent_stdio *want, bool terminal, struct stdio_pipes *s, struct lc_stdio *ret,
                  rv_error_t *err)
{
  bool wanted[3] = { want->in, want->out, want->err };
  size_t i;

  for (i = 0; i < 3; i++)
    s->child[i] = s->agent[i] = -1;
  for (i = 0; i < 3 && !terminal; i++)
    {
      int fds[2];
      if (!wanted[i])
        continue;
      if (pipe2 (fds, O_CLOEXEC) < 0)
        {
          int e = errno;
          stdio_pipes_close (s);
          return rv_error_make (err, e, "pipe");
        }
      /* stdin: the child reads; stdout, stderr: the child writes.  */
      s->child[i] = i == 0 ? fds[0] : fds[1];
      s->agent[i] = i == 0 ? fds[1] : fds[0];
    }
  ret->in = s->child[0];
  ret->out = s->child[1];
  ret->err = s->child[2];
  return 0;
}

static void
attach_relays (struct proc *p, struct stdio_pipes *s, int console)
{
  static const enum agent_stream kinds[3] = { AGENT_STREAM_STDIN, AGENT_STREAM_STDOUT, AGENT_STREAM_STDERR };
  size_t i;

  if (console >= 0)
    proc_add_relay (p, AGENT_STREAM_TTY, console);
  for (i = 0; i < 3; i++)
    if (s->agent[i] >= 0)
      {
        proc_add_relay (p, kinds[i], s->agent[i]);
        s->agent[i] = -1;
      }
}

/* ---- calls ------------------------------------------------------------ */

static int
do_create (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_create_args *args = argp;
  struct agent_pid_result *res = resp;
  struct stdio_pipes pipes;
  struct lc_stdio stdio;
  struct ctr *c = NULL;
  void *handle = NULL;
  pid_t pid = 0;
  int console = -1, r;
  bool terminal = false;

  r = check_id ("container id", args->container, err);
  if (r < 0)
    return r;
  if (ctr_find (x->a, args->container))
    return rv_error_set (err, EEXIST, "container `%s` exists already", args->container);
  r = need_backend (x->a, err);
  if (r < 0)
    return r;
  r = read_terminal (args->config, true, &terminal, err);
  if (r < 0)
    return rv_error_wrap (err, "create container `%s`: config", args->container);
  r = stdio_pipes_make (&args->stdio, terminal, &pipes, &stdio, err);
  if (r < 0)
    return rv_error_wrap (err, "create container `%s`", args->container);

  r = backend_result (x->a->backend->create (args, &stdio, &handle, &pid, &console, err), "create",
                      args->container, err);
  if (r < 0)
    {
      stdio_pipes_close (&pipes);
      return r;
    }
  if (terminal && console < 0)
    {
      _cleanup_error_ rv_error_t tmp = NULL;
      (void) x->a->backend->destroy (handle, &tmp);
      x->a->backend->free (handle);
      stdio_pipes_close (&pipes);
      return rv_error_set (err, EIO, "create container `%s`: no terminal was made", args->container);
    }

  c = xmalloc0 (sizeof (*c));
  c->id = xstrdup (args->container);
  c->oom_wd = -1;
  c->handle = handle;
  c->state = CTR_CREATED;
  list_init (&c->procs);
  list_add_tail (&x->a->ctrs, &c->link);
  c->init = proc_new (x->a, c, NULL, pid, terminal);
  attach_relays (c->init, &pipes, console);
  stdio_pipes_close (&pipes);
  oom_watch (x->a, c, pid);
  /* The init may be gone already (a hook killed it); its SIGCHLD is
   * queued and will be read on the next turn of the loop.  */
  rv_debug ("created container `%s`, init pid %d", c->id, (int) pid);
  res->pid = pid;
  return 0;
}

static int
do_start (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_container_args *args = argp;
  struct ctr *c = NULL;
  int r;

  (void) resp;
  r = need_ctr_in (x->a, args->container, CTR_CREATED, "start", &c, err);
  if (r < 0)
    return r;
  r = backend_result (x->a->backend->start (c->handle, err), "start", c->id, err);
  if (r < 0)
    return r;
  if (c->state == CTR_CREATED)
    c->state = CTR_RUNNING;
  return 0;
}

static int
do_exec (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_exec_args *args = argp;
  struct agent_pid_result *res = resp;
  struct stdio_pipes pipes;
  struct lc_stdio stdio;
  struct ctr *c = NULL;
  struct proc *p = NULL;
  pid_t pid = 0;
  int console = -1, r;
  bool terminal = false;

  r = need_ctr (x->a, args->container, &c, err);
  if (r < 0)
    return r;
  r = check_id ("exec id", args->exec_id, err);
  if (r < 0)
    return r;
  if (proc_find (c, args->exec_id))
    return rv_error_set (err, EEXIST, "container `%s` has a process `%s` already", c->id, args->exec_id);
  r = need_state (c, CTR_RUNNING, "exec in", err);
  if (r < 0)
    return r;
  r = read_terminal (args->process, false, &terminal, err);
  if (r < 0)
    return rv_error_wrap (err, "exec in container `%s`: process", c->id);
  r = stdio_pipes_make (&args->stdio, terminal, &pipes, &stdio, err);
  if (r < 0)
    return rv_error_wrap (err, "exec in container `%s`", c->id);
  r = backend_result (x->a->backend->exec (c->handle, args->process, &stdio, &pid, &console, err), "exec in",
                      c->id, err);
  if (r < 0)
    {
      stdio_pipes_close (&pipes);
      return r;
    }
  if (terminal && console < 0)
    {
      (void) kill (pid, SIGKILL);
      stdio_pipes_close (&pipes);
      /* Still tracked, so that it is reaped and reported.  */
      p = proc_new (x->a, c, args->exec_id, pid, false);
      return rv_error_set (err, EIO, "exec in container `%s`: no terminal was made", c->id);
    }
  p = proc_new (x->a, c, args->exec_id, pid, terminal);
  attach_relays (p, &pipes, console);
  stdio_pipes_close (&pipes);
  res->pid = pid;
  return 0;
}

static int
do_signal (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_signal_args *args = argp;
  struct proc *p = NULL;
  struct ctr *c = NULL;
  int r;

  (void) resp;
  if (args->signal < 1 || args->signal > 64)
    return rv_error_set (err, EINVAL, "invalid signal %d", args->signal);
  r = need_ctr (x->a, args->container, &c, err);
  if (r < 0)
    return r;
  if (args->exec_id == NULL)
    {
      if (!args->all && (c->init == NULL || c->init->reaped))
        return rv_error_set (err, ESRCH, "container `%s`: the init process has exited", c->id);
      return backend_result (x->a->backend->kill (c->handle, args->signal, args->all, err), "signal", c->id,
                             err);
    }
  r = need_proc (x->a, args->container, args->exec_id, &p, err);
  if (r < 0)
    return r;
  /* Not reaped yet, so the PID cannot have been reused.  */
  if (p->reaped)
    return rv_error_set (err, ESRCH, "process `%s` of container `%s` has exited", p->exec_id, c->id);
  if (kill (p->pid, args->signal) < 0)
    return rv_error_make (err, errno, "signal process `%s` of container `%s`", p->exec_id, c->id);
  return 0;
}

static int
do_wait (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_process_args *args = argp;
  struct agent_exit_result *res = resp;
  struct waiter *w;
  struct proc *p = NULL;
  int r;

  r = need_proc (x->a, args->container, args->exec_id, &p, err);
  if (r < 0)
    return r;
  if (p->reported)
    {
      struct ctr *c = p->ctr;
      res->pid = p->pid;
      agent_exit_of (p->status, &res->exit_code, &res->signal);
      if (p->exec_id)
        {
          proc_forget (x->a, p);
          ctr_maybe_free (x->a, c);
        }
      return 0;
    }
  w = xmalloc0 (sizeof (*w));
  w->conn = x->conn;
  w->id = x->id;
  w->call = AGENT_CALL_WAIT;
  w->proc = p;
  list_add_tail (&x->a->waiters, &w->link);
  return CALL_DEFERRED;
}

static int
do_resize (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_resize_args *args = argp;
  struct winsize ws = { 0 };
  struct relay *r;
  struct proc *p = NULL;
  int ret;

  (void) resp;
  ret = need_proc (x->a, args->container, args->exec_id, &p, err);
  if (ret < 0)
    return ret;
  r = p->relays[AGENT_STREAM_TTY];
  if (r == NULL)
    return rv_error_set (err, ENOTTY, "resize: the process has no terminal");
  if (r->pfd < 0)
    return rv_error_set (err, EIO, "resize: the terminal is closed");
  if (args->rows > 0xffff || args->cols > 0xffff)
    return rv_error_set (err, EINVAL, "resize: %ux%u is too large", args->rows, args->cols);
  ws.ws_row = (unsigned short) args->rows;
  ws.ws_col = (unsigned short) args->cols;
  if (ioctl (r->pfd, TIOCSWINSZ, &ws) < 0)
    return rv_error_make (err, errno, "resize terminal");
  return 0;
}

static int
do_close_stdin (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_process_args *args = argp;
  struct proc *p = NULL;
  int r;

  (void) resp;
  r = need_proc (x->a, args->container, args->exec_id, &p, err);
  if (r < 0)
    return r;
  if (p->relays[AGENT_STREAM_TTY])
    relay_close_stdin (x->a, p->relays[AGENT_STREAM_TTY]);
  else if (p->relays[AGENT_STREAM_STDIN])
    relay_close_stdin (x->a, p->relays[AGENT_STREAM_STDIN]);
  /* Without a stdin stream the process reads /dev/null: at end of file
   * already.  */
  return 0;
}

static int
do_ps (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_container_args *args = argp;
  struct agent_ps_result *res = resp;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0, i;
  struct ctr *c = NULL;
  int r;

  r = need_ctr (x->a, args->container, &c, err);
  if (r < 0)
    return r;
  r = backend_result (x->a->backend->pids (c->handle, &pids, &n, err), "ps", c->id, err);
  if (r < 0)
    return r;
  res->pids = xcalloc (n, sizeof (int));
  res->pids_len = n;
  for (i = 0; i < n; i++)
    res->pids[i] = pids[i];
  return 0;
}

static int
do_stats (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_container_args *args = argp;
  struct agent_stats_result *res = resp;
  struct ctr *c = NULL;
  int r;

  r = need_ctr (x->a, args->container, &c, err);
  if (r < 0)
    return r;
  return backend_result (x->a->backend->stats (c->handle, &res->stats, err), "stats of", c->id, err);
}

static int
do_pause (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_container_args *args = argp;
  struct ctr *c = NULL;
  int r;

  (void) resp;
  r = need_ctr_in (x->a, args->container, CTR_RUNNING, "pause", &c, err);
  if (r < 0)
    return r;
  r = backend_result (x->a->backend->pause (c->handle, err), "pause", c->id, err);
  if (r < 0)
    return r;
  c->state = CTR_PAUSED;
  return 0;
}

static int
do_resume (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_container_args *args = argp;
  struct ctr *c = NULL;
  int r;

  (void) resp;
  r = need_ctr_in (x->a, args->container, CTR_PAUSED, "resume", &c, err);
  if (r < 0)
    return r;
  r = backend_result (x->a->backend->resume (c->handle, err), "resume", c->id, err);
  if (r < 0)
    return r;
  /* The init may have been reaped while frozen (SIGKILL works on frozen
   * tasks).  */
  c->state = c->init && c->init->reaped ? CTR_STOPPED : CTR_RUNNING;
  return 0;
}

static int
do_update (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_update_args *args = argp;
  struct ctr *c = NULL;
  int r;

  (void) resp;
  r = need_ctr (x->a, args->container, &c, err);
  if (r < 0)
    return r;
  return backend_result (x->a->backend->update (c->handle, args->resources, err), "update", c->id, err);
}

static int
do_destroy (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_container_args *args = argp;
  struct list *it, *tmp;
  struct ctr *c = NULL;
  int r;

  (void) resp;
  r = need_ctr (x->a, args->container, &c, err);
  if (r < 0)
    return r;
  r = backend_result (x->a->backend->destroy (c->handle, err), "destroy", c->id, err);
  if (r < 0)
    return r;
  /* Forgotten by id at once; processes still running stay tracked until
   * they are reaped, so that pending waits get their real status.  */
  c->destroyed = true;
  oom_unwatch (x->a, c);
  list_del (&c->link);
  list_init (&c->link);
  list_for_each_safe (it, tmp, &c->procs)
  {
    struct proc *p = list_entry (it, struct proc, ctr_link);
    proc_abandon_streams (x->a, p);
    if (p->reported)
      proc_forget (x->a, p);
    else
      proc_maybe_report (x->a, p);
  }
  ctr_maybe_free (x->a, c);
  return 0;
}

static int
do_state (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_container_args *args = argp;
  struct agent_state_result *res = resp;
  struct ctr *c = NULL;
  int r;

  r = need_ctr (x->a, args->container, &c, err);
  if (r < 0)
    return r;
  /* Stopped as soon as the init is reaped, even before its output is
   * delivered: that is what `runvm state` should say.  */
  if (c->init && c->init->reaped)
    c->state = CTR_STOPPED;
  res->status = xstrdup (state_name (c->state));
  if (c->init)
    {
      res->pid = c->init->pid;
      if (c->init->reaped)
        agent_exit_of (c->init->status, &res->exit_code, &res->signal);
    }
  return 0;
}

static int
do_network (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  (void) x;
  (void) resp;
  return netcfg_apply (argp, err);
}

static int
do_info (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  (void) argp;
  return agent_info_collect (x->a, resp, err);
}

/* The events after SINCE, as a result (the strings are borrowed from the
 * ring: the array alone is freed).  */
static size_t
collect_events (struct agent *a, uint64_t since, struct agent_events_result *res)
{
  uint64_t first = a->ev_seq - a->ev_len + 1;
  size_t i, n = 0;

  res->events = xcalloc (a->ev_len, sizeof (struct agent_event));
  for (i = 0; i < a->ev_len; i++)
    {
      const struct agent_event *e = &a->events[(a->ev_first + i) % EVENTS_KEPT];
      if (e->seq > since)
        res->events[n++] = *e;
    }
  res->events_len = n;
  res->lost = a->ev_len > 0 && first > since + 1 ? first - since - 1 : 0;
  if (a->ev_len == 0 && a->ev_seq > since)
    res->lost = a->ev_seq - since;
  return n;
}

static void
send_events (struct agent *a, struct conn *conn, uint64_t id, uint64_t since)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct agent_events_result res = { 0 };
  char *frame;
  size_t len;

  collect_events (a, since, &res);
  if (agent_reply_frame (id, AGENT_CALL_EVENTS, &res, &frame, &len, &err) < 0)
    conn_send_error (a, conn, id, err);
  else
    conn_send (a, conn, frame, len);
  free (res.events);
}

static int
do_events (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  struct agent_events_args *args = argp;
  struct waiter *w;
  int timeout = args->timeout_ms;

  (void) resp;
  (void) err;
  if (x->a->ev_seq > args->since || timeout <= 0)
    {
      send_events (x->a, x->conn, x->id, args->since);
      return CALL_DEFERRED;
    }
  if (timeout > EVENTS_WAIT_MAX_MS)
    timeout = EVENTS_WAIT_MAX_MS;
  w = xmalloc0 (sizeof (*w));
  w->conn = x->conn;
  w->id = x->id;
  w->call = AGENT_CALL_EVENTS;
  w->since = args->since;
  w->deadline = agent_now_ms () + timeout;
  list_add_tail (&x->a->waiters, &w->link);
  return CALL_DEFERRED;
}

void
agent_wake_events (struct agent *a)
{
  struct list *it, *tmp;
  list_for_each_safe (it, tmp, &a->waiters)
  {
    struct waiter *w = list_entry (it, struct waiter, link);
    if (w->call != AGENT_CALL_EVENTS || a->ev_seq <= w->since)
      continue;
    list_del (&w->link);
    send_events (a, w->conn, w->id, w->since);
    free (w);
  }
}

void
agent_expire_waiters (struct agent *a)
{
  long long now = agent_now_ms ();
  struct list *it, *tmp;

  list_for_each_safe (it, tmp, &a->waiters)
  {
    struct waiter *w = list_entry (it, struct waiter, link);
    if (w->call != AGENT_CALL_EVENTS || w->deadline > now)
      continue;
    list_del (&w->link);
    send_events (a, w->conn, w->id, w->since);
    free (w);
  }
}

long long
agent_next_deadline (struct agent *a)
{
  long long best = -1;
  struct list *it, *tmp;

  list_for_each_safe (it, tmp, &a->waiters)
  {
    struct waiter *w = list_entry (it, struct waiter, link);
    if (w->call == AGENT_CALL_EVENTS && (best < 0 || w->deadline < best))
      best = w->deadline;
  }
  return best;
}

static int
do_shutdown (struct call_ctx *x, void *argp, void *resp, rv_error_t *err)
{
  (void) argp;
  (void) resp;
  (void) err;
  rv_info ("shutdown requested");
  x->a->stopping = true;
  return 0;
}

static const call_fn handlers[AGENT_CALL_COUNT] = {
  [AGENT_CALL_CREATE] = do_create,
  [AGENT_CALL_START] = do_start,
  [AGENT_CALL_EXEC] = do_exec,
  [AGENT_CALL_SIGNAL] = do_signal,
  [AGENT_CALL_WAIT] = do_wait,
  [AGENT_CALL_RESIZE] = do_resize,
  [AGENT_CALL_CLOSE_STDIN] = do_close_stdin,
  [AGENT_CALL_PS] = do_ps,
  [AGENT_CALL_STATS] = do_stats,
  [AGENT_CALL_PAUSE] = do_pause,
  [AGENT_CALL_RESUME] = do_resume,
  [AGENT_CALL_UPDATE] = do_update,
  [AGENT_CALL_DESTROY] = do_destroy,
  [AGENT_CALL_STATE] = do_state,
  [AGENT_CALL_NETWORK] = do_network,
  [AGENT_CALL_INFO] = do_info,
  [AGENT_CALL_EVENTS] = do_events,
  [AGENT_CALL_SHUTDOWN] = do_shutdown,
};

/* ---- the first frame of a connection ---------------------------------- */

static void
do_hello (struct agent *a, struct conn *c, struct agent_request *req)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct agent_hello_args args = { 0 };
  struct agent_hello_result res = { .agent = (char *) "runvm-agent " RUNVM_VERSION };
  uint32_t lo, hi;
  char *frame;
  size_t len;

  if (agent_schema_decode (agent_call_desc (AGENT_CALL_HELLO)->args, req->args, &args, &err) < 0)
    goto fail;
  lo = args.min_version > AGENT_PROTOCOL_MIN ? args.min_version : AGENT_PROTOCOL_MIN;
  hi = args.max_version < AGENT_PROTOCOL_MAX ? args.max_version : AGENT_PROTOCOL_MAX;
  if (lo > hi)
    {
      rv_error_set (&err, EPROTONOSUPPORT,
                    "hello: the agent speaks protocol versions %u..%u, the client %u..%u", AGENT_PROTOCOL_MIN,
                    AGENT_PROTOCOL_MAX, args.min_version, args.max_version);
      goto fail;
    }
  res.version = hi;
  if (agent_reply_frame (req->id, AGENT_CALL_HELLO, &res, &frame, &len, &err) < 0)
    goto fail;
  rv_debug ("connection %d: hello from %s, version %u", c->w.fd, args.client ? args.client : "?", hi);
  agent_schema_clear (agent_call_desc (AGENT_CALL_HELLO)->args, &args);
  c->control = true;
  c->version = hi;
  conn_send (a, c, frame, len);
  return;

fail:
  agent_schema_clear (agent_call_desc (AGENT_CALL_HELLO)->args, &args);
  conn_send_error (a, c, req->id, err);
  c->closing = true;
}

static void
do_attach (struct agent *a, struct conn *c, struct agent_request *req)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct agent_attach_args args = { 0 };
  enum agent_stream kind;
  struct proc *p = NULL;
  char *frame;
  size_t len;
  int fd;

  if (agent_schema_decode (agent_call_desc (AGENT_CALL_ATTACH)->args, req->args, &args, &err) < 0)
    goto fail;
  if (args.version < AGENT_PROTOCOL_MIN || args.version > AGENT_PROTOCOL_MAX)
    {
      rv_error_set (&err, EPROTONOSUPPORT, "attach: the agent speaks protocol versions %u..%u, not %u",
                    AGENT_PROTOCOL_MIN, AGENT_PROTOCOL_MAX, args.version);
      goto fail;
    }
  if (agent_stream_parse (args.stream, &kind) < 0)
    {
      rv_error_set (&err, EINVAL, "attach: unknown stream `%s`", args.stream);
      goto fail;
    }
  if (need_proc (a, args.container, args.exec_id, &p, &err) < 0)
    goto fail;
  if (relay_check_attach (p, kind, &err) < 0)
    goto fail;
  if (agent_reply_frame (req->id, AGENT_CALL_ATTACH, NULL, &frame, &len, &err) < 0)
    goto fail;

  /* The socket changes hands: from here on it belongs to the stream, and
   * the reply goes out ahead of the first stream byte.  */
  fd = c->w.fd;
  watch_stop (a, &c->w);
  c->w.fd = -1;
  relay_attach (a, p, kind, fd, frame, len);
  rv_debug ("attached %s of `%s`%s%s", args.stream, args.container, args.exec_id ? " exec " : "",
            args.exec_id ? args.exec_id : "");
  conn_drop (a, c);
  goto out;

fail:
  conn_send_error (a, c, req->id, err);
  c->closing = true;
out:
  agent_schema_clear (agent_call_desc (AGENT_CALL_ATTACH)->args, &args);
}

void
agent_dispatch (struct agent *a, struct conn *c, const char *payload, size_t len)
{
  _cleanup_error_ rv_error_t err = NULL;
  const struct agent_call_desc *d;
  struct agent_request req = { 0 };
  struct call_ctx x = { a, c, 0 };
  void *args = NULL, *res = NULL;
  int r;

  if (agent_request_parse (payload, len, &req, &err) < 0)
    {
      conn_send_error (a, c, 0, err);
      if (!c->control)
        c->closing = true;
      return;
    }
  x.id = req.id;
  rv_debug ("connection %d: request %llu: %s", c->w.fd, (unsigned long long) req.id,
            req.call_name ? req.call_name : "(none)");

  if (!c->control)
    {
      if (req.call == AGENT_CALL_HELLO)
        do_hello (a, c, &req);
      else if (req.call == AGENT_CALL_ATTACH)
        do_attach (a, c, &req);
      else
        {
          rv_error_set (&err, EPROTO, "the first call on a connection must be `hello` or `attach`");
          conn_send_error (a, c, req.id, err);
          c->closing = true;
        }
      agent_request_clear (&req);
      return;
    }

  if (req.call == AGENT_CALL_MISSING)
    r = rv_error_set (&err, EINVAL, "request %llu: no call given", (unsigned long long) req.id);
  else if (req.call == AGENT_CALL_UNKNOWN)
    r = rv_error_set (&err, ENOSYS, "unknown call `%s`", req.call_name);
  else if (req.call == AGENT_CALL_HELLO || req.call == AGENT_CALL_ATTACH)
    r = rv_error_set (&err, EPROTO, "`%s` is only valid as the first call on a connection", req.call_name);
  /* Without a backend no container exists: calls on one fail in their
   * lookup, create in need_backend.  */
  else
    {
      d = agent_call_desc (req.call);
      args = xmalloc0 (d->args->size ? d->args->size : 1);
      res = xmalloc0 (d->result->size ? d->result->size : 1);
      r = agent_schema_decode (d->args, req.args, args, &err);
      if (r == 0)
        r = handlers[req.call](&x, args, res, &err);
      if (r == 0)
        {
          char *frame;
          size_t flen;
          r = agent_reply_frame (req.id, req.call, res, &frame, &flen, &err);
          if (r == 0)
            conn_send (a, c, frame, flen);
        }
      agent_schema_clear (d->args, args);
      agent_schema_clear (d->result, res);
      free (args);
      free (res);
    }
  if (r < 0)
    conn_send_error (a, c, req.id, err);
  agent_request_clear (&req);
}
