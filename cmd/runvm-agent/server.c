/* The agent's loop: listening, connections, frames in and out, signals.  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "agent-client/dial.h"
#include "cmd/runvm-agent/agent.h"
#include "common/log.h"
#include "common/utils.h"

/* Frames handled per wake-up of one connection, so that one busy client
 * does not starve the others.  */
#define FRAMES_PER_WAKE 64

void
watch_init (struct watch *w, watch_fn fn)
{
  w->fd = -1;
  w->events = 0;
  w->added = false;
  w->fn = fn;
}

void
watch_set (struct agent *a, struct watch *w, int fd, uint32_t events)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };

  if (w->added && (w->fd != fd || events == 0))
    {
      (void) epoll_ctl (a->epfd, EPOLL_CTL_DEL, w->fd, NULL);
      w->added = false;
    }
  w->fd = fd;
  if (events == 0)
    {
      w->events = 0;
      return;
    }
  if (!w->added)
    {
      if (epoll_ctl (a->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
        w->added = true;
      else
        rv_warning ("epoll add fd %d: %s", fd, strerror (errno));
    }
  else if (w->events != events)
    (void) epoll_ctl (a->epfd, EPOLL_CTL_MOD, fd, &ev);
  w->events = events;
}

void
watch_stop (struct agent *a, struct watch *w)
{
  if (w->added)
    (void) epoll_ctl (a->epfd, EPOLL_CTL_DEL, w->fd, NULL);
  w->added = false;
  w->events = 0;
  w->fd = -1;
}

/* ---- connections ------------------------------------------------------ */

static void conn_update (struct agent *a, struct conn *c);

void
conn_drop (struct agent *a, struct conn *c)
{
  struct list *it, *tmp;
  int fd = c->w.fd;

  if (c->dead)
    return;
  c->dead = true;
  watch_stop (a, &c->w);
  if (fd >= 0)
    (void) close (fd);
  list_for_each_safe (it, tmp, &a->waiters)
  {
    struct waiter *wt = list_entry (it, struct waiter, link);
    if (wt->conn == c)
      {
        list_del (&wt->link);
        free (wt);
      }
  }
  list_del (&c->link);
  list_add_tail (&a->dead_conns, &c->link);
  a->n_conns--;
}

static void
conn_free (struct conn *c)
{
  struct list *it, *tmp;
  list_for_each_safe (it, tmp, &c->out)
  {
    struct out_frame *f = list_entry (it, struct out_frame, link);
    free (f->data);
    free (f);
  }
  agent_frame_reader_clear (&c->reader);
  free (c);
}

/* Writes what is queued until the socket is full.  Returns -1 when the
 * connection was dropped.  */
static int
conn_flush (struct agent *a, struct conn *c)
{
  while (!list_empty (&c->out))
    {
      struct out_frame *f = list_entry (c->out.next, struct out_frame, link);
      ssize_t n = send (c->w.fd, f->data + f->off, f->len - f->off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n < 0)
        {
          rv_debug ("connection %d: send: %s", c->w.fd, strerror (errno));
          conn_drop (a, c);
          return -1;
        }
      f->off += (size_t) n;
      c->out_bytes -= (size_t) n;
      if (f->off == f->len)
        {
          list_del (&f->link);
          free (f->data);
          free (f);
        }
    }
  if (c->closing)
    {
      conn_drop (a, c);
      return -1;
    }
  return 0;
}

static void
conn_update (struct agent *a, struct conn *c)
{
  uint32_t ev = 0;

  if (c->dead)
    return;
  if (!c->closing && c->out_bytes < CONN_OUT_MAX)
    ev |= EPOLLIN;
  if (!list_empty (&c->out))
    ev |= EPOLLOUT;
  watch_set (a, &c->w, c->w.fd, ev);
}

void
conn_send (struct agent *a, struct conn *c, char *frame, size_t len)
{
  struct out_frame *f;

  if (c->dead)
    {
      free (frame);
      return;
    }
  f = xmalloc0 (sizeof (*f));
  f->data = frame;
  f->len = len;
  list_add_tail (&c->out, &f->link);
  c->out_bytes += len;
  if (conn_flush (a, c) == 0)
    conn_update (a, c);
}

void
conn_send_error (struct agent *a, struct conn *c, uint64_t id, rv_error_t err)
{
  size_t len;
  char *frame = agent_error_frame (id, err ? err->status : EIO, err ? err->msg : "unknown error", &len);
  rv_debug ("reply %llu: error %d: %s", (unsigned long long) id, err ? err->status : EIO,
            err ? err->msg : "unknown error");
  conn_send (a, c, frame, len);
}

static void
conn_readable (struct agent *a, struct conn *c)
{
  int frames = 0;

  while (!c->dead && !c->closing && c->out_bytes < CONN_OUT_MAX && frames < FRAMES_PER_WAKE)
    {
      _cleanup_error_ rv_error_t err = NULL;
      void *buf;
      size_t want, len;
      ssize_t n;
      int r;

      agent_frame_reader_want (&c->reader, &buf, &want);
      n = read (c->w.fd, buf, want);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        break;
      if (n <= 0)
        {
          /* The client went away: only its own pending calls go.  */
          if (n < 0)
            rv_debug ("connection %d: read: %s", c->w.fd, strerror (errno));
          conn_drop (a, c);
          return;
        }
      r = agent_frame_reader_commit (&c->reader, (size_t) n, &err);
      if (r < 0)
        {
          conn_send_error (a, c, 0, err);
          c->closing = true;
          break;
        }
      if (r == 1)
        {
          _cleanup_free_ char *payload = agent_frame_reader_take (&c->reader, &len);
          frames++;
          agent_dispatch (a, c, payload, len);
        }
    }
}

static void
conn_event (struct agent *a, struct watch *w, uint32_t revents)
{
  struct conn *c = (struct conn *) ((char *) w - offsetof (struct conn, w));

  if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
    conn_readable (a, c);
  if (!c->dead && (revents & EPOLLOUT))
    if (conn_flush (a, c) < 0)
      return;
  if (!c->dead && c->closing && list_empty (&c->out))
    {
      conn_drop (a, c);
      return;
    }
  conn_update (a, c);
}

static void
listen_event (struct agent *a, struct watch *w, uint32_t revents)
{
  (void) revents;
  for (;;)
    {
      struct conn *c;
      int fd = accept4 (w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0)
        {
          if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            rv_warning ("accept: %s", strerror (errno));
          return;
        }
      if (a->n_conns >= CONN_MAX || a->stopping)
        {
          (void) close (fd);
          continue;
        }
      c = xmalloc0 (sizeof (*c));
      list_init (&c->out);
      watch_init (&c->w, conn_event);
      list_add_tail (&a->conns, &c->link);
      a->n_conns++;
      watch_set (a, &c->w, fd, EPOLLIN);
    }
}

/* ---- signals ---------------------------------------------------------- */

static void
signal_event (struct agent *a, struct watch *w, uint32_t revents)
{
  struct signalfd_siginfo si;
  bool reap = false;

  (void) revents;
  while (read (w->fd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    {
      switch (si.ssi_signo)
        {
        case SIGCHLD:
          reap = true;
          break;
        case SIGTERM:
        case SIGINT:
        case SIGHUP:
          /* As PID 1 nothing but the kernel sends these; as a host
           * process they mean "stop".  */
          if (!a->pid1)
            {
              rv_info ("signal %d: stopping", (int) si.ssi_signo);
              a->stopping = true;
            }
          break;
        default:
          break;
        }
    }
  if (reap)
    agent_reap (a);
}

/* The loop's signals are blocked for good and read from a signalfd, also
 * while a backend call runs (a SIGCHLD then waits for the next turn of
 * the loop).  Container processes get none of this: libcontainer forks
 * with every signal blocked and resets the child's dispositions and mask
 * before anything runs (libcontainer/signals.h).  */
static int
setup_signals (struct agent *a, rv_error_t *err)
{
  sigset_t loop_signals;
  int fd;

  /* A peer gone mid-write is an EPIPE to handle, not a reason to die.  */
  if (signal (SIGPIPE, SIG_IGN) == SIG_ERR)
    return rv_error_make (err, errno, "ignore SIGPIPE");
  sigemptyset (&loop_signals);
  sigaddset (&loop_signals, SIGCHLD);
  sigaddset (&loop_signals, SIGTERM);
  sigaddset (&loop_signals, SIGINT);
  sigaddset (&loop_signals, SIGHUP);
  /* Exactly these, nothing inherited.  */
  if (sigprocmask (SIG_SETMASK, &loop_signals, NULL) < 0)
    return rv_error_make (err, errno, "sigprocmask");
  fd = signalfd (-1, &loop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0)
    return rv_error_make (err, errno, "signalfd");
  watch_set (a, &a->sig_w, fd, EPOLLIN);
  return 0;
}

/* ---- listening -------------------------------------------------------- */

static int
listen_on (const char *spec, rv_error_t *err)
{
  _cleanup_close_ int fd = -1;

  if (str_has_prefix (spec, "unix:"))
    {
      struct sockaddr_un sun = { .sun_family = AF_UNIX };
      const char *path = spec + 5;
      struct stat st;

      if (*path == '\0' || strlen (path) >= sizeof (sun.sun_path))
        return rv_error_set (err, EINVAL, "listen `%s`: invalid socket path", spec);
      memcpy (sun.sun_path, path, strlen (path) + 1);
      /* A socket left by an agent that died is in the way; anything else
       * at that path is not ours to remove.  */
      if (lstat (path, &st) == 0 && S_ISSOCK (st.st_mode))
        (void) unlink (path);
      fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0)
        return rv_error_make (err, errno, "socket");
      if (bind (fd, (struct sockaddr *) &sun, sizeof (sun)) < 0)
        return rv_error_make (err, errno, "bind `%s`", path);
    }
  else if (str_has_prefix (spec, "vsock:"))
    {
      struct sockaddr_vm svm = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY };
      uint64_t port;

      if (parse_u64 (spec + 6, &port) < 0 || port > UINT32_MAX)
        return rv_error_set (err, EINVAL, "listen `%s`: invalid port", spec);
      svm.svm_port = (unsigned) port;
      fd = socket (AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0)
        return rv_error_make (err, errno, "socket AF_VSOCK");
      if (bind (fd, (struct sockaddr *) &svm, sizeof (svm)) < 0)
        return rv_error_make (err, errno, "bind vsock port %u", svm.svm_port);
    }
  else
    return rv_error_set (err, EINVAL, "listen `%s`: expected unix:PATH or vsock:PORT", spec);

  if (listen (fd, 128) < 0)
    return rv_error_make (err, errno, "listen `%s`", spec);
  return TAKE_FD (fd);
}

/* ---- the loop --------------------------------------------------------- */

void
agent_free_dead (struct agent *a)
{
  struct list *it, *tmp;

  list_for_each_safe (it, tmp, &a->dead_conns)
  {
    list_del (it);
    conn_free (list_entry (it, struct conn, link));
  }
  list_for_each_safe (it, tmp, &a->dead_procs)
  {
    struct proc *p = list_entry (it, struct proc, ctr_link);
    size_t i;
    list_del (it);
    for (i = 0; i < AGENT_STREAM_COUNT; i++)
      free (p->relays[i]);
    free (p->exec_id);
    free (p);
  }
  list_for_each_safe (it, tmp, &a->dead_ctrs)
  {
    struct ctr *c = list_entry (it, struct ctr, link);
    list_del (it);
    if (c->handle && a->backend)
      a->backend->free (c->handle);
    free (c->id);
    free (c);
  }
}

/* True once every control connection has sent what it had queued (the
 * reply to `shutdown` above all).  */
static bool
replies_flushed (struct agent *a)
{
  struct list *it, *tmp;
  list_for_each_safe (it, tmp, &a->conns)
  {
    struct conn *c = list_entry (it, struct conn, link);
    if (!list_empty (&c->out))
      return false;
  }
  return true;
}

static void
destroy_all (struct agent *a)
{
  struct list *it, *tmp;

  list_for_each_safe (it, tmp, &a->ctrs)
  {
    struct ctr *c = list_entry (it, struct ctr, link);
    _cleanup_error_ rv_error_t err = NULL;
    struct list *pit, *ptmp;

    if (a->backend)
      {
        if (a->backend->destroy (c->handle, &err) < 0)
          rv_warning ("destroy container `%s`: %s", c->id, err->msg);
      }
    c->destroyed = true;
    oom_unwatch (a, c);
    list_del (&c->link);
    list_init (&c->link);
    list_for_each_safe (pit, ptmp, &c->procs)
    {
      struct proc *p = list_entry (pit, struct proc, ctr_link);
      proc_abandon_streams (a, p);
      proc_forget (a, p);
    }
    ctr_maybe_free (a, c);
  }
}

static void
agent_teardown (struct agent *a)
{
  struct list *it, *tmp;

  /* The socket file is ours: a launcher waiting for it to appear must not
   * find a dead one.  */
  if (a->unix_path)
    (void) unlink (a->unix_path);
  destroy_all (a);
  list_for_each_safe (it, tmp, &a->conns) conn_drop (a, list_entry (it, struct conn, link));
  agent_free_dead (a);
  if (a->listen_w.fd >= 0)
    (void) close (a->listen_w.fd);
  if (a->sig_w.fd >= 0)
    (void) close (a->sig_w.fd);
  if (a->oom_w.fd >= 0)
    (void) close (a->oom_w.fd);
  (void) close (a->epfd);
}

static int
agent_loop (struct agent *a)
{
  struct epoll_event evs[64];
  long long stop_deadline = -1;

  for (;;)
    {
      long long deadline = agent_next_deadline (a);
      int n, i, timeout;

      if (a->stopping)
        {
          /* Give the replies (to `shutdown` above all) a moment to leave.  */
          if (stop_deadline < 0)
            {
              stop_deadline = agent_now_ms () + 2000;
              watch_stop (a, &a->listen_w);
            }
          if (replies_flushed (a) || agent_now_ms () >= stop_deadline)
            return 0;
          if (deadline < 0 || deadline > stop_deadline)
            deadline = stop_deadline;
        }
      if (a->parent > 0 && getppid () != a->parent)
        {
          rv_info ("parent exited: stopping");
          return 0;
        }
      timeout = agent_ms_left (deadline);
      /* The parent check needs a wake-up now and then; PR_SET_PDEATHSIG
       * usually comes first.  */
      if (a->parent > 0 && (timeout < 0 || timeout > 1000))
        timeout = 1000;
      n = epoll_wait (a->epfd, evs, (int) ARRAY_SIZE (evs), timeout);
      if (n < 0 && errno != EINTR)
        return -errno;
      for (i = 0; i < n; i++)
        {
          struct watch *w = evs[i].data.ptr;
          if (w->fd < 0)
            continue;
          w->fn (a, w, evs[i].events);
        }
      agent_expire_waiters (a);
      agent_free_dead (a);
    }
}

int
agent_serve (const struct agent_options *opts, rv_error_t *err)
{
  struct agent a = { 0 };
  int fd, r;

  a.backend = opts->backend;
  a.pid1 = opts->pid1;
  list_init (&a.conns);
  list_init (&a.ctrs);
  list_init (&a.procs);
  list_init (&a.waiters);
  list_init (&a.dead_conns);
  list_init (&a.dead_procs);
  list_init (&a.dead_ctrs);
  watch_init (&a.listen_w, listen_event);
  watch_init (&a.sig_w, signal_event);
  watch_init (&a.oom_w, NULL);

  a.epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (a.epfd < 0)
    return rv_error_make (err, errno, "epoll_create1");

  if (!opts->pid1)
    {
      /* Container inits may be forked through intermediate processes;
       * as a subreaper the agent still gets to wait for them.  */
      if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        rv_warning ("PR_SET_CHILD_SUBREAPER: %s", strerror (errno));
      if (opts->exit_with_parent)
        {
          a.parent = getppid ();
          if (prctl (PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
            rv_warning ("PR_SET_PDEATHSIG: %s", strerror (errno));
          if (a.parent == 1 || getppid () != a.parent)
            {
              (void) close (a.epfd);
              return rv_error_set (err, ESRCH, "parent exited before the agent started");
            }
        }
    }

  r = setup_signals (&a, err);
  if (r < 0)
    {
      (void) close (a.epfd);
      return r;
    }
  fd = listen_on (opts->listen, err);
  if (fd < 0)
    {
      agent_teardown (&a);
      return fd;
    }
  watch_set (&a, &a.listen_w, fd, EPOLLIN);
  if (str_has_prefix (opts->listen, "unix:"))
    a.unix_path = opts->listen + 5;
  rv_info ("listening on %s%s", opts->listen, opts->pid1 ? " as PID 1" : "");

  r = agent_loop (&a);
  agent_teardown (&a);
  if (r < 0)
    return rv_error_make (err, -r, "epoll_wait");
  return 0;
}
