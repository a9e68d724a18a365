#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/utils.h"
#include "vm/vsock/muxer.h"

#define TABLE_SIZE 1024 /* buckets; chains grow past it */
#define TICK_MS    1000

struct vsock_pending
{
  int fd;
  uint32_t gen;
  uint64_t deadline_ms;
  uint8_t len;
  char line[VSOCK_MUXER_LINE_MAX];
  struct vsock_pending *next;
};

uint64_t
vsock_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* The registry of fds in the epoll set: which object, of which
 * generation, owns each fd number now.  */
static uint32_t
slot_claim (struct vsock_muxer *m, int fd, void *obj)
{
  uint32_t gen;

  if ((size_t) fd >= m->n_slots)
    {
      size_t n = m->n_slots ? m->n_slots : 64;
      while (n <= (size_t) fd)
        n *= 2;
      m->slots = xreallocarray (m->slots, n, sizeof (*m->slots));
      memset (m->slots + m->n_slots, 0, (n - m->n_slots) * sizeof (*m->slots));
      m->n_slots = n;
    }
  gen = ++m->next_gen & 0xffffff;
  if (gen == 0)
    gen = ++m->next_gen & 0xffffff;
  m->slots[fd].gen = gen;
  m->slots[fd].obj = obj;
  return gen;
}

static void
slot_release (struct vsock_muxer *m, int fd, void *obj)
{
  if (fd >= 0 && (size_t) fd < m->n_slots && m->slots[fd].obj == obj)
    {
      m->slots[fd].gen = 0;
      m->slots[fd].obj = NULL;
    }
}

static void *
slot_lookup (const struct vsock_muxer *m, uint64_t data)
{
  int fd = vsock_ev_fd (data);

  if (fd < 0 || (size_t) fd >= m->n_slots || m->slots[fd].gen != vsock_ev_gen (data))
    return NULL;
  return m->slots[fd].obj;
}

static unsigned int
bucket (uint32_t local_port, uint32_t peer_port)
{
  return ((local_port * 2654435761u) ^ (peer_port * 40503u)) & (TABLE_SIZE - 1);
}

struct vsock_conn *
vsock_muxer_find (const struct vsock_muxer *m, uint32_t local_port, uint32_t peer_port)
{
  struct vsock_conn *c;

  for (c = m->table[bucket (local_port, peer_port)]; c; c = c->hnext)
    if (c->local_port == local_port && c->peer_port == peer_port)
      return c;
  return NULL;
}

static void
rxq_remove (struct vsock_muxer *m, struct vsock_conn *c)
{
  if (!c->in_rxq)
    return;
  if (c->rxq_prev)
    c->rxq_prev->rxq_next = c->rxq_next;
  else
    m->rxq_head = c->rxq_next;
  if (c->rxq_next)
    c->rxq_next->rxq_prev = c->rxq_prev;
  else
    m->rxq_tail = c->rxq_prev;
  c->rxq_next = c->rxq_prev = NULL;
  c->in_rxq = false;
}

static void
rxq_append (struct vsock_muxer *m, struct vsock_conn *c)
{
  if (c->in_rxq)
    return;
  c->rxq_prev = m->rxq_tail;
  c->rxq_next = NULL;
  if (m->rxq_tail)
    m->rxq_tail->rxq_next = c;
  else
    m->rxq_head = c;
  m->rxq_tail = c;
  c->in_rxq = true;
}

static void
listen_set_paused (struct vsock_muxer *m, bool paused)
{
  struct epoll_event ev
      = { .events = paused ? 0 : EPOLLIN, .data.u64 = vsock_ev_pack (VSOCK_EV_LISTEN, 0, m->listen_fd) };

  if (m->listen_fd < 0 || m->listen_paused == paused)
    return;
  if (epoll_ctl (m->cfg.epoll_fd, EPOLL_CTL_MOD, m->listen_fd, &ev) == 0)
    m->listen_paused = paused;
}

static void
conn_unregister (struct vsock_muxer *m, struct vsock_conn *c)
{
  if (c->registered && c->fd >= 0 && c->fd == c->reg_fd)
    (void) epoll_ctl (m->cfg.epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
  slot_release (m, c->reg_fd, c);
  c->registered = false;
  c->reg_fd = -1;
}

static void
conn_remove (struct vsock_muxer *m, struct vsock_conn *c)
{
  struct vsock_conn **pp;

  for (pp = &m->table[bucket (c->local_port, c->peer_port)]; *pp; pp = &(*pp)->hnext)
    if (*pp == c)
      {
        *pp = c->hnext;
        break;
      }
  rxq_remove (m, c);
  conn_unregister (m, c);
  m->n_conns--;
  vsock_conn_free (c);
  listen_set_paused (m, false);
}

/* Brings the muxer's view of C up to date after anything happened to it:
 * frees it when it is over, fixes its epoll interest, queues it for the
 * guest's rx queue when it has something to send.  */
static void
conn_sync (struct vsock_muxer *m, struct vsock_conn *c)
{
  uint32_t want;

  if (vsock_conn_done (c))
    {
      conn_remove (m, c);
      return;
    }
  if (c->fd < 0 || c->hup)
    {
      /* Closed (close() already left the epoll set) or hung up (level
       * triggered HUP cannot be masked: leave the set).  */
      if (c->registered)
        conn_unregister (m, c);
    }
  else
    {
      want = vsock_conn_wanted_events (c);
      if (c->registered && want != c->events)
        {
          struct epoll_event ev
              = { .events = want, .data.u64 = vsock_ev_pack (VSOCK_EV_CONN, m->slots[c->fd].gen, c->fd) };
          if (epoll_ctl (m->cfg.epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
            c->events = want;
        }
    }
  if (vsock_conn_has_rx (c))
    rxq_append (m, c);
  else
    rxq_remove (m, c);
}

static int
conn_insert (struct vsock_muxer *m, struct vsock_conn *c)
{
  unsigned int b = bucket (c->local_port, c->peer_port);
  struct epoll_event ev;
  uint32_t gen;

  gen = slot_claim (m, c->fd, c);
  ev.events = vsock_conn_wanted_events (c);
  ev.data.u64 = vsock_ev_pack (VSOCK_EV_CONN, gen, c->fd);
  if (epoll_ctl (m->cfg.epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
    {
      int saved = errno;
      slot_release (m, c->fd, c);
      return -saved;
    }
  c->registered = true;
  c->reg_fd = c->fd;
  c->events = ev.events;
  c->hnext = m->table[b];
  m->table[b] = c;
  m->n_conns++;
  conn_sync (m, c);
  return 0;
}

static void
queue_rst (struct vsock_muxer *m, const struct vsock_hdr *h)
{
  unsigned int i;

  if (m->rst_len >= VSOCK_MUXER_RST_QUEUE)
    return; /* cannot happen: the device stops tx while the queue is full */
  i = (m->rst_head + m->rst_len) % VSOCK_MUXER_RST_QUEUE;
  m->rst[i].src_port = h->src_port;
  m->rst[i].dst_port = h->dst_port;
  m->rst_len++;
}

int
vsock_muxer_listen (const char *path, rv_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_close_ int fd = -1;

  if (strlen (path) >= sizeof (addr.sun_path))
    return rv_error_set (err, ENAMETOOLONG, "`%s` is too long for a Unix socket path", path);
  memcpy (addr.sun_path, path, strlen (path));
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return rv_error_make (err, errno, "socket");
  if (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return rv_error_make (err, errno, "bind `%s`", path);
  if (listen (fd, 128) < 0)
    {
      int saved = errno;
      (void) unlink (path);
      return rv_error_make (err, saved, "listen on `%s`", path);
    }
  return TAKE_FD (fd);
}

int
vsock_muxer_init (struct vsock_muxer *m, const struct vsock_muxer_config *cfg, rv_error_t *err)
{
  struct epoll_event ev;
  _cleanup_close_ int fd = cfg->listen_fd;
  bool own_path = cfg->listen_fd >= 0 && cfg->unlink_path;

  memset (m, 0, sizeof (*m));
  m->cfg = *cfg;
  m->listen_fd = -1;
  m->next_local_port = VSOCK_MUXER_LOCAL_PORT_BASE;
  m->table = xcalloc (TABLE_SIZE, sizeof (*m->table));
  if (cfg->uds_path == NULL || cfg->uds_path[0] == '\0')
    return rv_error_set (err, EINVAL, "hybrid vsock path is empty");
  m->uds_path = xstrdup (cfg->uds_path);
  /* From here on vsock_muxer_destroy removes a path handed over to us.  */
  m->own_path = own_path;
  /* Room for "_<port>" (11 bytes) as well.  */
  if (strlen (cfg->uds_path) + 11 >= sizeof (((struct sockaddr_un *) NULL)->sun_path))
    return rv_error_set (err, ENAMETOOLONG, "hybrid vsock path `%s` is too long for a Unix socket",
                         cfg->uds_path);

  if (fd >= 0)
    {
      if (fd_set_nonblock (fd, true) < 0 || fd_set_cloexec (fd, true) < 0)
        return rv_error_make (err, errno, "hybrid vsock listening fd %d", fd);
    }
  else
    {
      fd = vsock_muxer_listen (cfg->uds_path, err);
      if (fd < 0)
        return fd;
      own_path = true;
    }
  m->own_path = own_path;
  ev.events = EPOLLIN;
  ev.data.u64 = vsock_ev_pack (VSOCK_EV_LISTEN, 0, fd);
  if (epoll_ctl (cfg->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return rv_error_make (err, errno, "epoll_ctl `%s`", cfg->uds_path);
  m->listen_fd = TAKE_FD (fd);
  return 0;
}

static void
pending_close (struct vsock_muxer *m, struct vsock_pending *p, bool keep_fd)
{
  struct vsock_pending **pp;

  for (pp = &m->pending; *pp; pp = &(*pp)->next)
    if (*pp == p)
      {
        *pp = p->next;
        break;
      }
  m->n_pending--;
  slot_release (m, p->fd, p);
  if (keep_fd)
    (void) epoll_ctl (m->cfg.epoll_fd, EPOLL_CTL_DEL, p->fd, NULL);
  else
    (void) close (p->fd);
  free (p);
  listen_set_paused (m, false);
}

void
vsock_muxer_reset (struct vsock_muxer *m)
{
  unsigned int i;

  if (m->table == NULL)
    return;
  for (i = 0; i < TABLE_SIZE; i++)
    while (m->table[i])
      conn_remove (m, m->table[i]);
  m->rst_len = 0;
  m->rst_head = 0;
}

void
vsock_muxer_destroy (struct vsock_muxer *m)
{
  vsock_muxer_reset (m);
  while (m->pending)
    pending_close (m, m->pending, false);
  if (m->listen_fd >= 0)
    (void) close (m->listen_fd);
  m->listen_fd = -1;
  if (m->own_path && m->uds_path)
    (void) unlink (m->uds_path);
  m->own_path = false;
  free (m->table);
  m->table = NULL;
  free (m->slots);
  m->slots = NULL;
  m->n_slots = 0;
  free (m->uds_path);
  m->uds_path = NULL;
}

static void
on_listen (struct vsock_muxer *m, uint64_t now_ms)
{
  for (;;)
    {
      struct vsock_pending *p;
      struct epoll_event ev;
      int fd = accept4 (m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (fd < 0)
        {
          /* Out of descriptors: stop polling the listener (it would stay
           * readable) until a connection goes away.  */
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            listen_set_paused (m, true);
          return;
        }
      if (m->n_pending >= VSOCK_MUXER_MAX_PENDING || m->n_conns + m->n_pending >= m->cfg.max_conns)
        {
          m->stats.refused++;
          (void) close (fd);
          continue;
        }
      p = xmalloc0 (sizeof (*p));
      p->fd = fd;
      p->deadline_ms = now_ms + VSOCK_MUXER_HANDSHAKE_MS;
      p->gen = slot_claim (m, fd, p);
      ev.events = EPOLLIN;
      ev.data.u64 = vsock_ev_pack (VSOCK_EV_PENDING, p->gen, fd);
      if (epoll_ctl (m->cfg.epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
        {
          slot_release (m, fd, p);
          (void) close (fd);
          free (p);
          continue;
        }
      p->next = m->pending;
      m->pending = p;
      m->n_pending++;
    }
}

/* "CONNECT <port>\n" with a decimal port in [0, 2^32).  */
static int
parse_connect (const char *line, size_t len, uint32_t *ret_port)
{
  static const char prefix[] = "CONNECT ";
  uint64_t v = 0;
  size_t i;

  if (len < sizeof (prefix) + 1 || memcmp (line, prefix, sizeof (prefix) - 1) != 0 || line[len - 1] != '\n')
    return -EINVAL;
  for (i = sizeof (prefix) - 1; i < len - 1; i++)
    {
      if (line[i] < '0' || line[i] > '9' || i - (sizeof (prefix) - 1) >= 10)
        return -EINVAL;
      v = v * 10 + (uint64_t) (line[i] - '0');
    }
  if (v > UINT32_MAX)
    return -EINVAL;
  *ret_port = (uint32_t) v;
  return 0;
}

static uint32_t
alloc_local_port (struct vsock_muxer *m, uint32_t peer_port)
{
  for (;;)
    {
      uint32_t p = m->next_local_port++;
      if (m->next_local_port >= 2 * VSOCK_MUXER_LOCAL_PORT_BASE)
        m->next_local_port = VSOCK_MUXER_LOCAL_PORT_BASE;
      if (vsock_muxer_find (m, p, peer_port) == NULL)
        return p;
    }
}

static void
on_pending (struct vsock_muxer *m, struct vsock_pending *p)
{
  struct vsock_conn *c;
  uint32_t port;
  int fd;

  /* One byte at a time: the client may send stream data right after the
   * line, and that belongs to the guest.  */
  for (;;)
    {
      ssize_t n;

      if (p->len >= sizeof (p->line))
        goto bad;
      n = read (p->fd, p->line + p->len, 1);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (n <= 0)
        goto bad;
      p->len++;
      if (p->line[p->len - 1] == '\n')
        break;
    }
  if (parse_connect (p->line, p->len, &port) < 0)
    goto bad;

  fd = p->fd;
  pending_close (m, p, true);
  c = vsock_conn_new_local (m->cfg.guest_cid, alloc_local_port (m, port), port, fd, m->cfg.buf_alloc);
  if (conn_insert (m, c) < 0)
    {
      vsock_conn_free (c);
      return;
    }
  m->stats.conns_local++;
  return;

bad:
  m->stats.bad_handshake++;
  pending_close (m, p, false);
}

void
vsock_muxer_event (struct vsock_muxer *m, uint64_t data, uint32_t events, uint64_t now_ms)
{
  switch (vsock_ev_kind (data))
    {
    case VSOCK_EV_LISTEN:
      on_listen (m, now_ms);
      break;
    case VSOCK_EV_PENDING:
      {
        struct vsock_pending *p = slot_lookup (m, data);
        if (p)
          on_pending (m, p);
        break;
      }
    case VSOCK_EV_CONN:
      {
        struct vsock_conn *c = slot_lookup (m, data);
        if (c == NULL)
          break;
        if (events & (EPOLLHUP | EPOLLERR))
          vsock_conn_host_hup (c);
        else
          {
            if (events & EPOLLOUT)
              vsock_conn_host_writable (c);
            if ((events & EPOLLIN) && c->state == VSOCK_CONN_ESTABLISHED)
              c->readable = true;
          }
        conn_sync (m, c);
        break;
      }
    default:
      break;
    }
}

/* The guest asked for host port H->dst_port.  */
static void
open_peer (struct vsock_muxer *m, const struct vsock_hdr *h)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct vsock_conn *c;
  int fd, n;

  if (m->n_conns >= m->cfg.max_conns)
    {
      m->stats.refused++;
      goto refuse;
    }
  n = snprintf (addr.sun_path, sizeof (addr.sun_path), "%s_%u", m->uds_path, h->dst_port);
  if (n < 0 || (size_t) n >= sizeof (addr.sun_path))
    goto refuse;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto refuse;
  /* A Unix stream connect completes at once or fails (EAGAIN: backlog
   * full), so no connection is ever half-open here.  */
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    {
      rv_debug ("vsock: guest port %u -> `%s`: %s", h->src_port, addr.sun_path, strerror (errno));
      (void) close (fd);
      goto refuse;
    }
  c = vsock_conn_new_peer (m->cfg.guest_cid, h, fd, m->cfg.buf_alloc);
  if (conn_insert (m, c) < 0)
    {
      vsock_conn_free (c);
      goto refuse;
    }
  m->stats.conns_peer++;
  return;

refuse:
  queue_rst (m, h);
}

void
vsock_muxer_recv (struct vsock_muxer *m, const struct vsock_pkt *pkt, uint64_t now_ms)
{
  const struct vsock_hdr *h = &pkt->hdr;
  struct vsock_conn *c;

  /* A guest cannot speak for another CID; answering would go nowhere.  */
  if (h->src_cid != m->cfg.guest_cid)
    return;
  if (h->dst_cid != VSOCK_HOST_CID || h->type != VSOCK_TYPE_STREAM)
    {
      if (h->op != VSOCK_OP_RST)
        queue_rst (m, h);
      return;
    }
  c = vsock_muxer_find (m, h->dst_port, h->src_port);
  if (c)
    {
      vsock_conn_recv (c, pkt, now_ms);
      conn_sync (m, c);
      return;
    }
  if (h->op == VSOCK_OP_REQUEST)
    open_peer (m, h);
  else if (h->op != VSOCK_OP_RST)
    queue_rst (m, h);
}

bool
vsock_muxer_has_rx (const struct vsock_muxer *m)
{
  return m->rst_len > 0 || m->rxq_head != NULL;
}

bool
vsock_muxer_tx_blocked (const struct vsock_muxer *m)
{
  return m->rst_len >= VSOCK_MUXER_RST_QUEUE;
}

uint32_t
vsock_muxer_fill_rx (struct vsock_muxer *m, const struct vsock_chain *chain, uint64_t now_ms)
{
  unsigned int tries;
  struct vsock_conn *c;

  if (chain->in_len < VSOCK_HDR_SIZE)
    return 0;
  if (m->rst_len > 0)
    {
      struct vsock_hdr h = {
        .src_cid = VSOCK_HOST_CID,
        .dst_cid = m->cfg.guest_cid,
        .src_port = m->rst[m->rst_head].dst_port,
        .dst_port = m->rst[m->rst_head].src_port,
        .type = VSOCK_TYPE_STREAM,
        .op = VSOCK_OP_RST,
      };
      m->rst_head = (m->rst_head + 1) % VSOCK_MUXER_RST_QUEUE;
      m->rst_len--;
      m->stats.rst_sent++;
      return (uint32_t) vsock_pkt_write_hdr (chain, &h, 0);
    }
  /* Each queued connection gets one try, so one that cannot use this
   * chain (too small for data) does not spin.  */
  for (tries = m->n_conns; tries > 0 && (c = m->rxq_head) != NULL; tries--)
    {
      uint32_t n;

      rxq_remove (m, c);
      n = vsock_conn_fill_rx (c, chain, now_ms);
      conn_sync (m, c);
      if (n > 0)
        return n;
    }
  return 0;
}

int
vsock_muxer_timeout_ms (const struct vsock_muxer *m, uint64_t now_ms)
{
  if (m->n_pending == 0 && m->n_conns == 0)
    return -1;
  if (now_ms >= m->next_tick_ms)
    return 0;
  return (int) (m->next_tick_ms - now_ms);
}

void
vsock_muxer_tick (struct vsock_muxer *m, uint64_t now_ms)
{
  struct vsock_pending *p, *next;
  unsigned int i;

  /* Deadlines are coarse (seconds): one scan per tick is enough.  */
  if (now_ms < m->next_tick_ms)
    return;
  m->next_tick_ms = now_ms + TICK_MS;
  for (p = m->pending; p; p = next)
    {
      next = p->next;
      if (now_ms >= p->deadline_ms)
        {
          m->stats.bad_handshake++;
          pending_close (m, p, false);
        }
    }
  for (i = 0; i < TABLE_SIZE; i++)
    {
      struct vsock_conn *c, *cnext;
      for (c = m->table[i]; c; c = cnext)
        {
          cnext = c->hnext;
          if (c->deadline_ms != 0 && now_ms >= c->deadline_ms)
            {
              vsock_conn_timeout (c, now_ms);
              conn_sync (m, c);
            }
        }
    }
}
