#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/relay.h"

#define RELAY_MAX_EPS      8
#define RELAY_MAX_CHANNELS 8

struct rt_relay_ep
{
  struct rt_watch w; /* data: the relay */
  int fd;
  bool socket;     /* recv/send with MSG_DONTWAIT; shutdown for end of file */
  bool always;     /* epoll refuses it: a regular file, /dev/null */
  bool registered; /* in the epoll set */
  uint32_t events;
  bool closed;
};

struct channel
{
  struct rt_relay_ep *src, *dst;
  unsigned flags;
  char *buf;
  size_t start, len;
  bool eof;
  bool ended;
};

struct rt_relay
{
  int epfd;
  struct rt_relay_ep *eps[RELAY_MAX_EPS];
  size_t neps;
  struct channel ch[RELAY_MAX_CHANNELS];
  size_t nch;
};

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rt_relay *
rt_relay_new (int epfd)
{
  struct rt_relay *r = xmalloc0 (sizeof (*r));
  r->epfd = epfd;
  return r;
}

static void
ep_close (struct rt_relay *r, struct rt_relay_ep *ep)
{
  if (ep->closed)
    return;
  if (ep->registered)
    (void) epoll_ctl (r->epfd, EPOLL_CTL_DEL, ep->fd, NULL);
  ep->registered = false;
  (void) close (ep->fd);
  ep->fd = -1;
  ep->w.fd = -1;
  ep->closed = true;
}

void
rt_relay_free (struct rt_relay *r)
{
  size_t i;
  if (r == NULL)
    return;
  for (i = 0; i < r->nch; i++)
    free (r->ch[i].buf);
  for (i = 0; i < r->neps; i++)
    {
      ep_close (r, r->eps[i]);
      free (r->eps[i]);
    }
  free (r);
}

int
rt_relay_ep_fd (const struct rt_relay_ep *ep)
{
  return ep->fd;
}

/* A description of FD's file of our own, non-blocking, or -1.  */
static int
reopen_private (int fd, bool read, bool write)
{
  _cleanup_free_ char *path = xasprintf ("/proc/self/fd/%d", fd);
  int mode = read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
  return open (path, mode | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

int
rt_relay_add_fd (struct rt_relay *r, int fd, bool reopen, bool read, bool write, struct rt_relay_ep **ret,
                 rv_error_t *err)
{
  _cleanup_close_ int owned = fd;
  struct rt_relay_ep *ep;
  struct epoll_event ev = { 0 };
  struct stat st;

  if (r->neps >= RELAY_MAX_EPS)
    return rv_error_set (err, ENOSPC, "relay: too many endpoints");
  if (fstat (owned, &st) < 0)
    return rv_error_make (err, errno, "relay: fstat fd %d", fd);
  ep = xmalloc0 (sizeof (*ep));
  ep->w.kind = RT_WATCH_RELAY;
  ep->w.data = r;
  ep->socket = S_ISSOCK (st.st_mode);
  if (S_ISREG (st.st_mode) || S_ISDIR (st.st_mode) || S_ISBLK (st.st_mode))
    ep->always = true;
  else if (!ep->socket)
    {
      int mine = reopen ? reopen_private (owned, read, write) : -1;
      if (mine >= 0)
        {
          (void) close (owned);
          owned = mine;
        }
      else
        (void) fd_set_nonblock (owned, true);
    }
  else if (!reopen)
    (void) fd_set_nonblock (owned, true);

  /* Whatever epoll refuses (EPERM: files, /dev/null) is always ready.  */
  if (!ep->always)
    {
      ev.events = 0;
      ev.data.ptr = &ep->w;
      if (epoll_ctl (r->epfd, EPOLL_CTL_ADD, owned, &ev) < 0)
        {
          if (errno != EPERM)
            {
              int e = errno;
              free (ep);
              return rv_error_make (err, e, "relay: epoll_ctl fd %d", fd);
            }
          ep->always = true;
        }
      else
        (void) epoll_ctl (r->epfd, EPOLL_CTL_DEL, owned, NULL);
    }
  ep->fd = TAKE_FD (owned);
  ep->w.fd = ep->fd;
  r->eps[r->neps++] = ep;
  *ret = ep;
  return 0;
}

int
rt_relay_add_channel (struct rt_relay *r, struct rt_relay_ep *src, struct rt_relay_ep *dst, unsigned flags,
                      rv_error_t *err)
{
  struct channel *c;
  if (r->nch >= RELAY_MAX_CHANNELS)
    return rv_error_set (err, ENOSPC, "relay: too many channels");
  c = &r->ch[r->nch++];
  memset (c, 0, sizeof (*c));
  c->src = src;
  c->dst = dst;
  c->flags = flags;
  c->buf = xmalloc (RT_RELAY_BUF);
  return 0;
}

static ssize_t
ep_read (struct rt_relay_ep *ep, void *buf, size_t len)
{
  ssize_t n;
  do
    n = ep->socket ? recv (ep->fd, buf, len, MSG_DONTWAIT) : read (ep->fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

static ssize_t
ep_write (struct rt_relay_ep *ep, const void *buf, size_t len)
{
  ssize_t n;
  do
    n = ep->socket ? send (ep->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) : write (ep->fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

/* The end of a channel's input reaches its destination: a socket is shut
 * for writing (the peer reads end of file and may still answer), any other
 * fd is closed when no other channel writes to it.  */
static void
shut_dst (struct rt_relay *r, struct channel *c)
{
  size_t i;
  if (c->dst->closed)
    return;
  if (c->dst->socket)
    {
      (void) shutdown (c->dst->fd, SHUT_WR);
      return;
    }
  for (i = 0; i < r->nch; i++)
    if (&r->ch[i] != c && !r->ch[i].ended && (r->ch[i].dst == c->dst || r->ch[i].src == c->dst))
      return;
  ep_close (r, c->dst);
}

static void
channel_end (struct rt_relay *r, struct channel *c, bool failed)
{
  if (c->ended)
    return;
  c->ended = true;
  c->len = 0;
  if (failed && (c->flags & RT_CH_CLOSE_SRC_ON_ERROR))
    ep_close (r, c->src);
  else if (!failed && (c->flags & RT_CH_SHUT_WR))
    shut_dst (r, c);
}

/* One round of reading and writing; true when bytes moved.  */
static bool
channel_step (struct rt_relay *r, struct channel *c)
{
  bool progress = false;
  ssize_t n;

  if (c->ended)
    return false;
  if (c->src->closed)
    c->eof = true;
  if (!c->eof && c->len < RT_RELAY_BUF)
    {
      size_t end = (c->start + c->len) % RT_RELAY_BUF;
      size_t room = end >= c->start ? RT_RELAY_BUF - end : c->start - end;
      n = ep_read (c->src, c->buf + end, room);
      if (n > 0)
        {
          c->len += (size_t) n;
          progress = true;
        }
      else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        /* EIO is how a pty whose other side closed says end of file.  */
        c->eof = true;
    }
  if (c->len > 0)
    {
      size_t chunk = c->len < RT_RELAY_BUF - c->start ? c->len : RT_RELAY_BUF - c->start;
      if (c->dst->closed)
        {
          channel_end (r, c, true);
          return progress;
        }
      n = ep_write (c->dst, c->buf + c->start, chunk);
      if (n > 0)
        {
          c->start = (c->start + (size_t) n) % RT_RELAY_BUF;
          c->len -= (size_t) n;
          if (c->len == 0)
            c->start = 0;
          progress = true;
        }
      else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        {
          channel_end (r, c, true);
          return progress;
        }
    }
  if (c->eof && c->len == 0)
    channel_end (r, c, false);
  return progress;
}

static void
update_interest (struct rt_relay *r)
{
  uint32_t want[RELAY_MAX_EPS] = { 0 };
  size_t i, j;

  for (i = 0; i < r->nch; i++)
    {
      struct channel *c = &r->ch[i];
      if (c->ended)
        continue;
      for (j = 0; j < r->neps; j++)
        {
          if (r->eps[j] == c->src && !c->eof && c->len < RT_RELAY_BUF)
            want[j] |= EPOLLIN;
          if (r->eps[j] == c->dst && c->len > 0)
            want[j] |= EPOLLOUT;
        }
    }
  for (j = 0; j < r->neps; j++)
    {
      struct rt_relay_ep *ep = r->eps[j];
      struct epoll_event ev = { .events = want[j], .data.ptr = &ep->w };
      if (ep->closed || ep->always)
        continue;
      /* An fd nobody wants to hear from leaves the set: a hung-up one
       * would otherwise report EPOLLHUP for ever.  */
      if (want[j] == 0)
        {
          if (ep->registered)
            (void) epoll_ctl (r->epfd, EPOLL_CTL_DEL, ep->fd, NULL);
          ep->registered = false;
          continue;
        }
      if (ep->registered && ep->events == want[j])
        continue;
      if (epoll_ctl (r->epfd, ep->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, ep->fd, &ev) == 0)
        {
          ep->registered = true;
          ep->events = want[j];
        }
    }
}

void
rt_relay_pump (struct rt_relay *r)
{
  bool progress;
  size_t i;
  do
    {
      progress = false;
      for (i = 0; i < r->nch; i++)
        if (channel_step (r, &r->ch[i]))
          progress = true;
    }
  while (progress);
  update_interest (r);
}

int
rt_relay_timeout (const struct rt_relay *r)
{
  size_t i;
  for (i = 0; i < r->nch; i++)
    {
      const struct channel *c = &r->ch[i];
      if (c->ended)
        continue;
      if (c->src->always && !c->eof && c->len < RT_RELAY_BUF)
        return 0;
      if (c->dst->always && c->len > 0)
        return 0;
    }
  return -1;
}

bool
rt_relay_output_done (const struct rt_relay *r)
{
  size_t i;
  for (i = 0; i < r->nch; i++)
    if ((r->ch[i].flags & RT_CH_OUTPUT) && !r->ch[i].ended)
      return false;
  return true;
}

bool
rt_relay_done (const struct rt_relay *r)
{
  size_t i;
  for (i = 0; i < r->nch; i++)
    if (!r->ch[i].ended)
      return false;
  return true;
}

void
rt_relay_eof (struct rt_relay *r, struct rt_relay_ep *ep)
{
  size_t i;
  for (i = 0; i < r->nch; i++)
    if (r->ch[i].src == ep)
      r->ch[i].eof = true;
  rt_relay_pump (r);
}

void
rt_relay_drain (struct rt_relay *r, int timeout_ms)
{
  long long deadline = timeout_ms < 0 ? -1 : now_ms () + timeout_ms;
  size_t i;

  for (;;)
    {
      struct pollfd p[RELAY_MAX_EPS];
      nfds_t n = 0;
      int wait = -1;

      rt_relay_pump (r);
      if (rt_relay_output_done (r))
        break;
      for (i = 0; i < r->neps; i++)
        if (r->eps[i]->registered)
          p[n++] = (struct pollfd){ .fd = r->eps[i]->fd, .events = (short) r->eps[i]->events };
      if (rt_relay_timeout (r) == 0)
        wait = 0;
      else if (deadline >= 0)
        {
          long long left = deadline - now_ms ();
          if (left <= 0)
            break;
          wait = (int) left;
        }
      if (n == 0 && wait != 0)
        break;
      (void) poll (p, n, wait);
    }
  for (i = 0; i < r->nch; i++)
    channel_end (r, &r->ch[i], false);
}
