#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "vm/vsock/conn.h"

static struct vsock_conn *
conn_new (uint64_t guest_cid, uint32_t local_port, uint32_t peer_port, int fd, uint32_t buf_alloc)
{
  struct vsock_conn *c = xmalloc0 (sizeof (*c));

  c->guest_cid = guest_cid;
  c->local_port = local_port;
  c->peer_port = peer_port;
  c->fd = fd;
  c->buf_alloc = buf_alloc;
  return c;
}

struct vsock_conn *
vsock_conn_new_local (uint64_t guest_cid, uint32_t local_port, uint32_t peer_port, int fd, uint32_t buf_alloc)
{
  struct vsock_conn *c = conn_new (guest_cid, local_port, peer_port, fd, buf_alloc);

  c->state = VSOCK_CONN_LOCAL_INIT;
  c->owe = VSOCK_CONN_OWE_REQUEST;
  return c;
}

struct vsock_conn *
vsock_conn_new_peer (uint64_t guest_cid, const struct vsock_hdr *req, int fd, uint32_t buf_alloc)
{
  struct vsock_conn *c = conn_new (guest_cid, req->dst_port, req->src_port, fd, buf_alloc);

  c->state = VSOCK_CONN_PEER_INIT;
  c->owe = VSOCK_CONN_OWE_RESPONSE;
  c->peer_buf_alloc = req->buf_alloc;
  c->peer_fwd_cnt = req->fwd_cnt;
  return c;
}

static void
close_host (struct vsock_conn *c)
{
  cleanup_closep (&c->fd);
  c->fd = -1;
  free (c->buf);
  c->buf = NULL;
  c->buf_len = 0;
  c->buf_head = 0;
  c->reply_len = c->reply_off = 0;
  c->readable = false;
  c->deadline_ms = 0;
  c->state = VSOCK_CONN_CLOSED;
}

void
vsock_conn_free (struct vsock_conn *c)
{
  if (c == NULL)
    return;
  close_host (c);
  free (c);
}

void
vsock_conn_kill (struct vsock_conn *c)
{
  /* The guest knows of the connection unless our REQUEST never left.  */
  bool guest_knows = !(c->state == VSOCK_CONN_LOCAL_INIT && (c->owe & VSOCK_CONN_OWE_REQUEST));

  if (c->state == VSOCK_CONN_CLOSED)
    return;
  close_host (c);
  c->owe = guest_knows ? VSOCK_CONN_OWE_RST : 0;
}

uint32_t
vsock_conn_peer_credit (const struct vsock_conn *c)
{
  /* Unsigned wrap-around is the protocol's arithmetic; a guest reporting
   * more consumed than we sent gets no credit rather than a huge one.  */
  uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

  if (in_flight > c->peer_buf_alloc)
    return 0;
  return c->peer_buf_alloc - in_flight;
}

/* Called after anything moved: shuts the host socket's write side once the
 * guest has stopped sending and everything it sent is written, ends the
 * connection when neither side can send any more, and owes the guest a
 * credit update once it believes more than half its credit is used.  */
static void
progress (struct vsock_conn *c)
{
  if (c->state != VSOCK_CONN_ESTABLISHED)
    return;
  if (c->peer_shut_send && c->buf_len == 0 && c->reply_off == c->reply_len && !c->host_wr_shut)
    {
      (void) shutdown (c->fd, SHUT_WR);
      c->host_wr_shut = true;
    }
  if (c->host_wr_shut && (c->peer_shut_rcv || c->host_eof))
    {
      vsock_conn_kill (c);
      return;
    }
  if (!c->peer_shut_send && c->fwd_cnt != c->fwd_cnt_sent && c->rx_cnt - c->fwd_cnt_sent > c->buf_alloc / 2)
    c->owe |= VSOCK_CONN_OWE_CREDIT_UPDATE;
}

/* Writes what is pending for the host socket: the handshake reply, then the
 * buffered bytes.  Returns -1 when the connection was killed.  */
static int
flush (struct vsock_conn *c)
{
  while (c->reply_off < c->reply_len)
    {
      ssize_t n
          = send (c->fd, c->reply + c->reply_off, c->reply_len - c->reply_off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
      if (n < 0)
        {
          vsock_conn_kill (c);
          return -1;
        }
      c->reply_off += (uint8_t) n;
    }
  while (c->buf_len > 0)
    {
      struct iovec iov[2];
      struct msghdr msg = { .msg_iov = iov };
      uint32_t first = c->buf_alloc - c->buf_head;
      ssize_t n;

      if (first > c->buf_len)
        first = c->buf_len;
      iov[0].iov_base = c->buf + c->buf_head;
      iov[0].iov_len = first;
      iov[1].iov_base = c->buf;
      iov[1].iov_len = c->buf_len - first;
      msg.msg_iovlen = iov[1].iov_len > 0 ? 2 : 1;
      n = sendmsg (c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
      if (n < 0)
        {
          vsock_conn_kill (c);
          return -1;
        }
      c->buf_head = (uint32_t) ((c->buf_head + (size_t) n) % c->buf_alloc);
      c->buf_len -= (uint32_t) n;
      c->fwd_cnt += (uint32_t) n;
    }
  /* Idle connections hold no buffer.  */
  free (c->buf);
  c->buf = NULL;
  c->buf_head = 0;
  return 0;
}

/* Appends bytes [OFF, LEN) of the payload to the ring buffer.  The credit
 * check guarantees they fit.  */
static void
buffer_payload (struct vsock_conn *c, const struct iovec *iov, unsigned int niov, size_t off, size_t len)
{
  size_t done = 0;

  if (c->buf == NULL)
    {
      c->buf = xmalloc (c->buf_alloc);
      c->buf_head = 0;
    }
  while (done < len)
    {
      uint32_t tail = (uint32_t) (((size_t) c->buf_head + c->buf_len) % c->buf_alloc);
      size_t room = c->buf_alloc - tail;
      size_t take = len - done < room ? len - done : room;
      size_t got = vsock_iov_to_buf (iov, niov, off + done, c->buf + tail, take);
      c->buf_len += (uint32_t) got;
      done += got;
      if (got < take)
        break;
    }
}

static void
recv_rw (struct vsock_conn *c, const struct vsock_pkt *pkt)
{
  uint32_t len = pkt->hdr.len;
  size_t written = 0;

  if (c->state != VSOCK_CONN_ESTABLISHED || c->peer_shut_send
      || len > c->buf_alloc - (c->rx_cnt - c->fwd_cnt))
    {
      /* Data before the handshake, after SHUTDOWN(SEND), or beyond the
       * credit we gave: the guest broke the protocol.  */
      vsock_conn_kill (c);
      return;
    }
  c->rx_cnt += len;
  if (len == 0)
    return;
  if (c->reply_off == c->reply_len && c->buf_len == 0)
    {
      struct msghdr msg = { .msg_iov = (struct iovec *) pkt->iov, .msg_iovlen = pkt->niov };
      ssize_t n = sendmsg (c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        {
          vsock_conn_kill (c);
          return;
        }
      if (n > 0)
        {
          written = (size_t) n;
          c->fwd_cnt += (uint32_t) n;
        }
    }
  if (written < len)
    buffer_payload (c, pkt->iov, pkt->niov, written, len - written);
}

void
vsock_conn_recv (struct vsock_conn *c, const struct vsock_pkt *pkt, uint64_t now_ms)
{
  const struct vsock_hdr *h = &pkt->hdr;

  (void) now_ms;
  if (h->op == VSOCK_OP_RST)
    {
      close_host (c);
      c->owe = 0;
      return;
    }
  if (c->state == VSOCK_CONN_CLOSED)
    return;

  /* Every packet carries the sender's receive-side counters.  */
  c->peer_buf_alloc = h->buf_alloc;
  c->peer_fwd_cnt = h->fwd_cnt;
  if (vsock_conn_peer_credit (c) > 0)
    c->credit_requested = false;

  switch (h->op)
    {
    case VSOCK_OP_RESPONSE:
      if (c->state != VSOCK_CONN_LOCAL_INIT || (c->owe & VSOCK_CONN_OWE_REQUEST))
        {
          vsock_conn_kill (c);
          return;
        }
      c->state = VSOCK_CONN_ESTABLISHED;
      c->deadline_ms = 0;
      c->reply_len = (uint8_t) snprintf (c->reply, sizeof (c->reply), "OK %u\n", c->local_port);
      c->reply_off = 0;
      if (flush (c) < 0)
        return;
      break;
    case VSOCK_OP_RW:
      recv_rw (c, pkt);
      break;
    case VSOCK_OP_SHUTDOWN:
      if (c->state != VSOCK_CONN_ESTABLISHED)
        {
          vsock_conn_kill (c);
          return;
        }
      if (h->flags & VSOCK_SHUTDOWN_RCV)
        c->peer_shut_rcv = true;
      if (h->flags & VSOCK_SHUTDOWN_SEND)
        c->peer_shut_send = true;
      break;
    case VSOCK_OP_CREDIT_UPDATE:
      break;
    case VSOCK_OP_CREDIT_REQUEST:
      c->owe |= VSOCK_CONN_OWE_CREDIT_UPDATE;
      break;
    default:
      /* REQUEST on a live connection, or an unknown op.  */
      vsock_conn_kill (c);
      return;
    }
  progress (c);
}

static bool
can_read (const struct vsock_conn *c)
{
  return c->state == VSOCK_CONN_ESTABLISHED && c->readable && !c->host_eof && !c->peer_shut_rcv
         && vsock_conn_peer_credit (c) > 0;
}

bool
vsock_conn_has_rx (const struct vsock_conn *c)
{
  if (c->owe != 0)
    return true;
  return can_read (c);
}

uint32_t
vsock_conn_fill_rx (struct vsock_conn *c, const struct vsock_chain *chain, uint64_t now_ms)
{
  struct vsock_hdr h = {
    .src_cid = VSOCK_HOST_CID,
    .dst_cid = c->guest_cid,
    .src_port = c->local_port,
    .dst_port = c->peer_port,
    .type = VSOCK_TYPE_STREAM,
  };
  uint32_t payload = 0;
  size_t len;

  if (chain->in_len < VSOCK_HDR_SIZE)
    return 0;

  if (c->owe & VSOCK_CONN_OWE_RST)
    {
      h.op = VSOCK_OP_RST;
      c->owe = 0;
      goto send;
    }
  if (c->state == VSOCK_CONN_CLOSED)
    {
      c->owe = 0;
      return 0;
    }
  if (c->owe & VSOCK_CONN_OWE_REQUEST)
    {
      h.op = VSOCK_OP_REQUEST;
      c->owe &= ~VSOCK_CONN_OWE_REQUEST;
      c->deadline_ms = now_ms + VSOCK_CONN_REQUEST_TIMEOUT_MS;
      goto send;
    }
  if (c->owe & VSOCK_CONN_OWE_RESPONSE)
    {
      h.op = VSOCK_OP_RESPONSE;
      c->owe &= ~VSOCK_CONN_OWE_RESPONSE;
      c->state = VSOCK_CONN_ESTABLISHED;
      goto send;
    }
  if (can_read (c))
    {
      struct iovec iov[VSOCK_CHAIN_MAX_IOV];
      uint32_t credit = vsock_conn_peer_credit (c);
      size_t room = 0;
      unsigned int niov;

      niov = vsock_pkt_rx_payload (chain, credit < VSOCK_MAX_PAYLOAD ? credit : VSOCK_MAX_PAYLOAD, iov,
                                   VSOCK_CHAIN_MAX_IOV, &room);
      if (niov > 0)
        {
          ssize_t n = readv (c->fd, iov, (int) niov);
          if (n > 0)
            {
              h.op = VSOCK_OP_RW;
              payload = (uint32_t) n;
              c->tx_cnt += payload;
              goto send;
            }
          if (n == 0)
            {
              c->host_eof = true;
              c->readable = false;
              h.op = VSOCK_OP_SHUTDOWN;
              h.flags = VSOCK_SHUTDOWN_SEND;
              goto send;
            }
          if (errno == EAGAIN || errno == EINTR)
            c->readable = false;
          else
            {
              vsock_conn_kill (c);
              h.op = VSOCK_OP_RST;
              c->owe = 0;
              goto send;
            }
        }
    }
  if (c->owe & VSOCK_CONN_OWE_CREDIT_UPDATE)
    {
      h.op = VSOCK_OP_CREDIT_UPDATE;
      goto send;
    }
  if (c->owe & VSOCK_CONN_OWE_CREDIT_REQUEST)
    {
      h.op = VSOCK_OP_CREDIT_REQUEST;
      c->owe &= ~VSOCK_CONN_OWE_CREDIT_REQUEST;
      c->credit_requested = true;
      goto send;
    }
  return 0;

send:
  h.buf_alloc = c->buf_alloc;
  h.fwd_cnt = c->fwd_cnt;
  len = vsock_pkt_write_hdr (chain, &h, payload);
  /* Every packet tells the guest our counters.  */
  c->fwd_cnt_sent = c->fwd_cnt;
  c->owe &= ~VSOCK_CONN_OWE_CREDIT_UPDATE;
  if (c->state == VSOCK_CONN_ESTABLISHED && c->readable && vsock_conn_peer_credit (c) == 0
      && !c->credit_requested)
    c->owe |= VSOCK_CONN_OWE_CREDIT_REQUEST;
  progress (c);
  return (uint32_t) len;
}

void
vsock_conn_host_writable (struct vsock_conn *c)
{
  if (c->state == VSOCK_CONN_CLOSED)
    return;
  if (flush (c) < 0)
    return;
  progress (c);
}

void
vsock_conn_host_hup (struct vsock_conn *c)
{
  c->hup = true;
  if (c->state == VSOCK_CONN_CLOSED)
    return;
  if (c->state != VSOCK_CONN_ESTABLISHED)
    {
      /* The host gave up before the guest answered.  */
      vsock_conn_kill (c);
      return;
    }
  /* What is left to read (and the end of file) still goes to the guest;
   * bytes still buffered for the host will fail to write and reset.  */
  c->readable = !c->host_eof;
  if (flush (c) < 0)
    return;
  progress (c);
}

void
vsock_conn_timeout (struct vsock_conn *c, uint64_t now_ms)
{
  if (c->deadline_ms != 0 && now_ms >= c->deadline_ms && c->state == VSOCK_CONN_LOCAL_INIT)
    vsock_conn_kill (c);
}

uint32_t
vsock_conn_wanted_events (const struct vsock_conn *c)
{
  uint32_t ev = 0;

  if (c->fd < 0 || c->hup || c->state == VSOCK_CONN_CLOSED)
    return 0;
  if (c->reply_off < c->reply_len || c->buf_len > 0)
    ev |= EPOLLOUT;
  if (c->state == VSOCK_CONN_ESTABLISHED && !c->readable && !c->host_eof && !c->peer_shut_rcv
      && vsock_conn_peer_credit (c) > 0)
    ev |= EPOLLIN;
  return ev;
}

bool
vsock_conn_done (const struct vsock_conn *c)
{
  return c->state == VSOCK_CONN_CLOSED && c->owe == 0;
}
