/* Processes, their stdio streams, reaping and exit reports.
 *
 * Order of an exit (PROTOCOL.md, "wait"):
 *   1. SIGCHLD -> waitpid(-1, WNOHANG) in a loop marks the process reaped;
 *   2. each attached output stream is pumped until its pipe (or pty) reads
 *      empty or at end of file, and its buffer has reached the host; the
 *      agent then closes the host's connection;
 *   3. only when every output stream asked for is finished are the `wait`
 *      calls answered and the exit event recorded.
 * A stream asked for but not attached yet holds step 3 back, so output is
 * never lost to an early exit.  */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/runvm-agent/agent.h"
#include "common/log.h"
#include "common/utils.h"

/* Rounds of reads and writes per wake-up of one stream: bounded, so that a
 * fast stream cannot starve the loop; level-triggered epoll calls again.  */
#define PUMP_ROUNDS 16

static bool
is_output (enum agent_stream k)
{
  return k == AGENT_STREAM_STDOUT || k == AGENT_STREAM_STDERR || k == AGENT_STREAM_TTY;
}

static bool
is_input (enum agent_stream k)
{
  return k == AGENT_STREAM_STDIN || k == AGENT_STREAM_TTY;
}

/* ---- rings ------------------------------------------------------------ */

static size_t
ring_space (const struct ring *r)
{
  return r->buf ? RELAY_BUF_SIZE - r->len : 0;
}

/* Reads from FD into the free space (one contiguous piece).  */
static ssize_t
ring_fill (struct ring *r, int fd)
{
  size_t end = (r->start + r->len) % RELAY_BUF_SIZE;
  size_t n = end >= r->start ? RELAY_BUF_SIZE - end : r->start - end;
  ssize_t got;

  if (r->len == RELAY_BUF_SIZE)
    return 0;
  if (n > RELAY_BUF_SIZE - r->len)
    n = RELAY_BUF_SIZE - r->len;
  do
    got = read (fd, r->buf + end, n);
  while (got < 0 && errno == EINTR);
  if (got > 0)
    r->len += (size_t) got;
  return got;
}

/* Writes the oldest contiguous piece to FD.  */
static ssize_t
ring_drain (struct ring *r, int fd, bool sock)
{
  size_t n = r->start + r->len > RELAY_BUF_SIZE ? RELAY_BUF_SIZE - r->start : r->len;
  ssize_t put;

  do
    put = sock ? send (fd, r->buf + r->start, n, MSG_NOSIGNAL | MSG_DONTWAIT)
               : write (fd, r->buf + r->start, n);
  while (put < 0 && errno == EINTR);
  if (put > 0)
    {
      r->start = (r->start + (size_t) put) % RELAY_BUF_SIZE;
      r->len -= (size_t) put;
      if (r->len == 0)
        r->start = 0;
    }
  return put;
}

static void
ring_free (struct ring *r)
{
  free (r->buf);
  r->buf = NULL;
  r->start = 0;
  r->len = 0;
}

/* ---- relays ----------------------------------------------------------- */

static void relay_event_p (struct agent *a, struct watch *w, uint32_t revents);
static void relay_event_s (struct agent *a, struct watch *w, uint32_t revents);

void
proc_add_relay (struct proc *p, enum agent_stream kind, int pfd)
{
  struct relay *r = xmalloc0 (sizeof (*r));
  r->proc = p;
  r->kind = kind;
  r->pfd = pfd;
  r->sfd = -1;
  watch_init (&r->pw, relay_event_p);
  watch_init (&r->sw, relay_event_s);
  (void) fd_set_nonblock (pfd, true);
  p->relays[kind] = r;
}

static void
close_pfd (struct agent *a, struct relay *r)
{
  watch_stop (a, &r->pw);
  if (r->pfd >= 0)
    (void) close (r->pfd);
  r->pfd = -1;
}

static void
close_sfd (struct agent *a, struct relay *r)
{
  watch_stop (a, &r->sw);
  if (r->sfd >= 0)
    {
      /* Say end of file before closing, so that the host reads the last
       * bytes and then EOF rather than a reset.  */
      (void) shutdown (r->sfd, SHUT_WR);
      (void) close (r->sfd);
    }
  r->sfd = -1;
}

static void
relay_finish (struct agent *a, struct relay *r)
{
  if (r->finished)
    return;
  r->finished = true;
  close_pfd (a, r);
  close_sfd (a, r);
  ring_free (&r->up);
  ring_free (&r->down);
  free (r->hdr);
  r->hdr = NULL;
}

/* Whether the output side is done: everything the process wrote (before
 * it exited, or before end of file) has reached the host, or the host is
 * gone.  */
static bool
output_done (const struct relay *r)
{
  return r->s_dead || (r->p_eof && r->up.len == 0 && r->hdr == NULL);
}

static void
relay_update (struct agent *a, struct relay *r)
{
  uint32_t pev = 0, sev = 0;

  if (r->finished)
    return;
  if (r->attached && r->hdr == NULL)
    {
      if (is_output (r->kind) && !r->p_eof && !r->s_dead && ring_space (&r->up) > 0)
        pev |= EPOLLIN;
      if (is_input (r->kind) && !r->s_eof && ring_space (&r->down) > 0)
        sev |= EPOLLIN;
    }
  if (is_input (r->kind) && r->down.len > 0 && !r->p_closed)
    pev |= EPOLLOUT;
  if (r->attached && !r->s_dead && (r->hdr != NULL || r->up.len > 0))
    sev |= EPOLLOUT;
  if (r->pfd >= 0)
    watch_set (a, &r->pw, r->pfd, pev);
  if (r->sfd >= 0)
    watch_set (a, &r->sw, r->sfd, sev);
}

static bool
pump_header (struct relay *r)
{
  ssize_t n = send (r->sfd, r->hdr + r->hdr_off, r->hdr_len - r->hdr_off, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0)
    {
      if (errno != EAGAIN && errno != EINTR)
        r->s_dead = r->s_eof = true;
      return false;
    }
  r->hdr_off += (size_t) n;
  if (r->hdr_off == r->hdr_len)
    {
      free (r->hdr);
      r->hdr = NULL;
    }
  return n > 0;
}

static bool
pump_output (struct relay *r)
{
  bool progress = false;
  ssize_t n;

  if (!r->p_eof && ring_space (&r->up) > 0)
    {
      n = ring_fill (&r->up, r->pfd);
      if (n > 0)
        progress = true;
      else if (n == 0)
        r->p_eof = true;
      else if (errno == EAGAIN)
        {
          /* Read empty after the process was reaped: whatever it wrote is
           * in hand; what descendants it left behind write later is not
           * waited for.  */
          if (r->proc->reaped)
            r->p_eof = true;
        }
      else
        /* EIO: the pty's last slave fd is closed.  */
        r->p_eof = true;
    }
  if (r->up.len > 0 && !r->s_dead)
    {
      n = ring_drain (&r->up, r->sfd, true);
      if (n > 0)
        progress = true;
      else if (n < 0 && errno != EAGAIN)
        {
          rv_debug ("stream %s of pid %d: host gone: %s", agent_stream_name (r->kind), (int) r->proc->pid,
                    strerror (errno));
          r->s_dead = r->s_eof = true;
        }
    }
  return progress;
}

static bool
pump_input (struct relay *r)
{
  bool progress = false;
  ssize_t n;

  if (!r->s_eof && !r->s_dead && ring_space (&r->down) > 0)
    {
      n = ring_fill (&r->down, r->sfd);
      if (n > 0)
        progress = true;
      else if (n == 0 || errno != EAGAIN)
        r->s_eof = true;
    }
  if (r->down.len > 0 && !r->p_closed)
    {
      n = ring_drain (&r->down, r->pfd, false);
      if (n > 0)
        progress = true;
      else if (n < 0 && errno != EAGAIN)
        {
          /* The process closed its stdin (or is gone): what the host
           * sends from now on has nowhere to go.  */
          r->p_closed = true;
          r->down.len = 0;
        }
    }
  if (r->p_closed)
    r->down.len = 0;
  return progress;
}

/* Moves bytes both ways and decides whether the relay is finished.  */
static void
relay_pump (struct agent *a, struct relay *r)
{
  int round;

  if (r->finished)
    return;
  for (round = 0; round < PUMP_ROUNDS; round++)
    {
      bool progress = false;

      if (r->attached && r->hdr)
        progress |= pump_header (r);
      if (r->attached && r->hdr == NULL)
        {
          if (is_output (r->kind))
            progress |= pump_output (r);
          if (is_input (r->kind) && !r->s_dead)
            progress |= pump_input (r);
        }
      else if (is_input (r->kind) && r->down.len > 0)
        progress |= pump_input (r);
      if (!progress)
        break;
    }

  if (r->kind == AGENT_STREAM_STDIN)
    {
      /* End of file travels once the bytes before it are written.  */
      bool host_done = r->attached && (r->s_eof || r->s_dead);
      if ((host_done || r->close_in) && r->down.len == 0 && r->hdr == NULL)
        {
          relay_finish (a, r);
          return;
        }
      if (r->p_closed && r->attached && r->hdr == NULL)
        {
          relay_finish (a, r);
          return;
        }
    }
  else if (r->attached && output_done (r))
    {
      /* The host going away closes the process's end too: its next write
       * gets EPIPE, as with a pipe whose reader went away.  */
      relay_finish (a, r);
      return;
    }
  relay_update (a, r);
}

static void
relay_changed (struct agent *a, struct relay *r)
{
  struct proc *p = r->proc;
  relay_pump (a, r);
  if (r->finished)
    proc_maybe_report (a, p);
}

static void
relay_event_p (struct agent *a, struct watch *w, uint32_t revents)
{
  (void) revents;
  relay_changed (a, (struct relay *) ((char *) w - offsetof (struct relay, pw)));
}

static void
relay_event_s (struct agent *a, struct watch *w, uint32_t revents)
{
  (void) revents;
  relay_changed (a, (struct relay *) ((char *) w - offsetof (struct relay, sw)));
}

int
relay_check_attach (struct proc *p, enum agent_stream kind, rv_error_t *err)
{
  struct relay *r = p->relays[kind];

  if (r == NULL)
    {
      if (kind == AGENT_STREAM_TTY)
        return rv_error_set (err, EINVAL, "attach: the process has no terminal");
      if (p->terminal)
        return rv_error_set (err, EINVAL, "attach: the process has a terminal: attach `tty`, not `%s`",
                             agent_stream_name (kind));
      return rv_error_set (err, EINVAL, "attach: the process has no %s stream (not asked for)",
                           agent_stream_name (kind));
    }
  if (r->attached)
    return rv_error_set (err, EBUSY, "attach: the %s stream is attached already", agent_stream_name (kind));
  if (r->finished)
    return rv_error_set (err, EBUSY, "attach: the %s stream is closed", agent_stream_name (kind));
  return 0;
}

void
relay_attach (struct agent *a, struct proc *p, enum agent_stream kind, int sfd, char *hdr, size_t hdr_len)
{
  struct relay *r = p->relays[kind];

  (void) fd_set_nonblock (sfd, true);
  r->attached = true;
  r->sfd = sfd;
  r->hdr = hdr;
  r->hdr_len = hdr_len;
  r->hdr_off = 0;
  if (is_output (kind))
    r->up.buf = xmalloc (RELAY_BUF_SIZE);
  if (is_input (kind) && r->down.buf == NULL)
    r->down.buf = xmalloc (RELAY_BUF_SIZE);
  /* A stdin attached after the process has exited has nothing to feed.  */
  if (kind == AGENT_STREAM_STDIN && p->reported)
    r->p_closed = true;
  relay_changed (a, r);
}

void
relay_close_stdin (struct agent *a, struct relay *r)
{
  if (r->finished)
    return;
  if (r->kind == AGENT_STREAM_TTY)
    {
      /* A terminal has no end of file: stop taking input.  */
      r->s_eof = true;
      relay_update (a, r);
      return;
    }
  r->close_in = true;
  if (!r->attached)
    {
      /* Bytes not attached yet cannot come: close now.  */
      relay_finish (a, r);
      return;
    }
  relay_pump (a, r);
}

/* ---- processes -------------------------------------------------------- */

struct ctr *
ctr_find (struct agent *a, const char *id)
{
  struct list *it, *tmp;
  list_for_each_safe (it, tmp, &a->ctrs)
  {
    struct ctr *c = list_entry (it, struct ctr, link);
    if (strcmp (c->id, id) == 0)
      return c;
  }
  return NULL;
}

struct proc *
proc_find (struct ctr *c, const char *exec_id)
{
  struct list *it, *tmp;
  if (exec_id == NULL)
    return c->init;
  list_for_each_safe (it, tmp, &c->procs)
  {
    struct proc *p = list_entry (it, struct proc, ctr_link);
    if (p->exec_id && strcmp (p->exec_id, exec_id) == 0)
      return p;
  }
  return NULL;
}

struct proc *
proc_new (struct agent *a, struct ctr *c, const char *exec_id, pid_t pid, bool terminal)
{
  struct proc *p = xmalloc0 (sizeof (*p));
  p->ctr = c;
  p->exec_id = xstrdup (exec_id);
  p->pid = pid;
  p->terminal = terminal;
  list_add_tail (&c->procs, &p->ctr_link);
  list_add_tail (&a->procs, &p->all_link);
  return p;
}

void
agent_exit_of (int status, int *ret_code, int *ret_signal)
{
  if (WIFSIGNALED (status))
    {
      *ret_signal = WTERMSIG (status);
      *ret_code = 128 + WTERMSIG (status);
    }
  else
    {
      *ret_signal = 0;
      *ret_code = WEXITSTATUS (status);
    }
}

static void
reply_exit (struct agent *a, struct waiter *w, struct proc *p)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct agent_exit_result res = { .pid = p->pid };
  char *frame;
  size_t len;

  agent_exit_of (p->status, &res.exit_code, &res.signal);
  if (agent_reply_frame (w->id, AGENT_CALL_WAIT, &res, &frame, &len, &err) < 0)
    conn_send_error (a, w->conn, w->id, err);
  else
    conn_send (a, w->conn, frame, len);
}

void
proc_forget (struct agent *a, struct proc *p)
{
  struct list *it, *tmp;
  size_t i;

  if (p->forgotten)
    return;
  p->forgotten = true;
  for (i = 0; i < AGENT_STREAM_COUNT; i++)
    if (p->relays[i])
      relay_finish (a, p->relays[i]);
  list_for_each_safe (it, tmp, &a->waiters)
  {
    struct waiter *w = list_entry (it, struct waiter, link);
    if (w->proc == p)
      {
        _cleanup_error_ rv_error_t err = NULL;
        rv_error_set (&err, ECANCELED, "wait: process %d is no longer known", (int) p->pid);
        conn_send_error (a, w->conn, w->id, err);
        list_del (&w->link);
        free (w);
      }
  }
  list_del (&p->all_link);
  if (p->ctr->init == p)
    p->ctr->init = NULL;
  list_del (&p->ctr_link);
  list_add_tail (&a->dead_procs, &p->ctr_link);
}

void
proc_abandon_streams (struct agent *a, struct proc *p)
{
  size_t i;
  for (i = 0; i < AGENT_STREAM_COUNT; i++)
    if (p->relays[i] && !p->relays[i]->attached)
      relay_finish (a, p->relays[i]);
}

void
ctr_maybe_free (struct agent *a, struct ctr *c)
{
  if (!c->destroyed || !list_empty (&c->procs))
    return;
  oom_unwatch (a, c);
  list_del (&c->link);
  list_add_tail (&a->dead_ctrs, &c->link);
}

void
proc_maybe_report (struct agent *a, struct proc *p)
{
  struct ctr *c = p->ctr;
  struct list *it, *tmp;
  bool answered = false;
  size_t i;

  if (!p->reaped || p->reported || p->forgotten)
    return;
  for (i = 0; i < AGENT_STREAM_COUNT; i++)
    if (p->relays[i] && is_output ((enum agent_stream) i) && !p->relays[i]->finished)
      return;
  p->reported = true;
  if (p->relays[AGENT_STREAM_STDIN])
    relay_finish (a, p->relays[AGENT_STREAM_STDIN]);
  if (c->init == p)
    c->state = CTR_STOPPED;

  list_for_each_safe (it, tmp, &a->waiters)
  {
    struct waiter *w = list_entry (it, struct waiter, link);
    if (w->proc != p)
      continue;
    reply_exit (a, w, p);
    list_del (&w->link);
    free (w);
    answered = true;
  }
  agent_push_event (a, "exit", c, p);

  /* An exec'd process is kept until one wait has had its status; the
   * init until destroy.  */
  if ((p->exec_id && answered) || c->destroyed)
    {
      proc_forget (a, p);
      ctr_maybe_free (a, c);
    }
}

void
agent_reap (struct agent *a)
{
  for (;;)
    {
      struct list *it, *tmp;
      int status;
      pid_t pid = waitpid (-1, &status, WNOHANG);

      if (pid < 0 && errno == EINTR)
        continue;
      if (pid <= 0)
        return;
      list_for_each_safe (it, tmp, &a->procs)
      {
        struct proc *p = list_entry (it, struct proc, all_link);
        size_t i;

        if (p->pid != pid)
          continue;
        rv_debug ("pid %d exited with status 0x%x", (int) pid, status);
        p->reaped = true;
        p->status = status;
        /* Reaped: the PID may be reused from now on, so it leaves the
         * lookup list.  */
        list_del (&p->all_link);
        for (i = 0; i < AGENT_STREAM_COUNT; i++)
          if (p->relays[i])
            relay_pump (a, p->relays[i]);
        proc_maybe_report (a, p);
        break;
      }
    }
}

/* ---- events ----------------------------------------------------------- */

static void
event_clear (struct agent_event *e)
{
  free (e->type);
  free (e->container);
  free (e->exec_id);
  free (e->time);
  memset (e, 0, sizeof (*e));
}

void
agent_push_event (struct agent *a, const char *type, struct ctr *c, struct proc *p)
{
  struct agent_event *e;

  if (a->ev_len == EVENTS_KEPT)
    {
      event_clear (&a->events[a->ev_first]);
      a->ev_first = (a->ev_first + 1) % EVENTS_KEPT;
      a->ev_len--;
    }
  e = &a->events[(a->ev_first + a->ev_len) % EVENTS_KEPT];
  a->ev_len++;
  e->seq = ++a->ev_seq;
  e->type = xstrdup (type);
  e->container = xstrdup (c->id);
  if (p)
    {
      e->exec_id = xstrdup (p->exec_id);
      e->pid = p->pid;
      if (p->reaped)
        agent_exit_of (p->status, &e->exit_code, &e->signal);
    }
  e->time = now_rfc3339 ();
  agent_wake_events (a);
}
