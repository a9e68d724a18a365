#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/utils.h"
#include "vm/vsock/device.h"

#define MAX_EVENTS 64

int
vsock_device_new (const struct vsock_device_config *cfg, struct vsock_device **ret, rv_error_t *err)
{
  _cleanup_close_ int vhost_fd = cfg->vhost_fd;
  _cleanup_close_ int uds_fd = cfg->uds_listen_fd;
  _cleanup_close_ int epfd = -1;
  struct vsock_muxer_config mcfg;
  struct vsock_device *d;
  struct epoll_event ev;
  int r;

  if (cfg->guest_cid < 3 || cfg->guest_cid > UINT32_MAX - 1)
    {
      r = rv_error_set (err, EINVAL, "guest CID %llu is reserved or out of range (3 to 4294967294)",
                        (unsigned long long) cfg->guest_cid);
      goto fail;
    }
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    {
      r = rv_error_make (err, errno, "epoll_create1");
      goto fail;
    }
  ev.events = EPOLLIN;
  ev.data.u64 = vsock_ev_pack (VSOCK_EV_VHOST, 0, vhost_fd);
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, vhost_fd, &ev) < 0)
    {
      r = rv_error_make (err, errno, "vhost-user socket (fd %d)", vhost_fd);
      goto fail;
    }
  if (cfg->stop_fd >= 0)
    {
      ev.events = EPOLLIN;
      ev.data.u64 = vsock_ev_pack (VSOCK_EV_STOP, 0, cfg->stop_fd);
      if (epoll_ctl (epfd, EPOLL_CTL_ADD, cfg->stop_fd, &ev) < 0)
        {
          r = rv_error_make (err, errno, "stop fd %d", cfg->stop_fd);
          goto fail;
        }
    }

  d = xmalloc0 (sizeof (*d));
  mcfg = (struct vsock_muxer_config){
    .guest_cid = cfg->guest_cid,
    .uds_path = cfg->uds_path,
    .listen_fd = TAKE_FD (uds_fd),
    .unlink_path = cfg->uds_unlink,
    .buf_alloc = cfg->buf_alloc ? cfg->buf_alloc : VSOCK_DEFAULT_BUF_ALLOC,
    .max_conns = cfg->max_conns ? cfg->max_conns : VSOCK_DEFAULT_MAX_CONNS,
    .epoll_fd = epfd,
  };
  r = vsock_muxer_init (&d->mux, &mcfg, err);
  if (r < 0)
    {
      vsock_muxer_destroy (&d->mux);
      free (d);
      return r;
    }
  vsock_vhu_init (&d->vhu, cfg->guest_cid, epfd);
  d->vhu.debug = cfg->debug;
  d->debug = cfg->debug;
  d->stop_fd = cfg->stop_fd;
  d->vhost_fd = TAKE_FD (vhost_fd);
  d->epoll_fd = TAKE_FD (epfd);
  *ret = d;
  return 0;

fail:
  /* A listener handed over with its path is ours to clean up.  */
  if (uds_fd >= 0 && cfg->uds_unlink && cfg->uds_path)
    (void) unlink (cfg->uds_path);
  return r;
}

void
vsock_device_free (struct vsock_device *d)
{
  if (d == NULL)
    return;
  vsock_muxer_destroy (&d->mux);
  vsock_vhu_destroy (&d->vhu);
  if (d->vhost_fd >= 0)
    (void) close (d->vhost_fd);
  if (d->epoll_fd >= 0)
    (void) close (d->epoll_fd);
  free (d);
}

/* A ring broke a rule: the guest is broken or hostile.  The ring stays dead
 * until the front-end sets it up again; the connections cannot go on
 * without it, so they are reset.  The daemon reports it (stats).  */
static void
ring_failed (struct vsock_device *d, unsigned int q)
{
  if (!d->ring_error_reported[q])
    {
      d->stats.ring_errors++;
      d->stats.last_ring_error = d->vhu.vq[q].error;
      d->stats.last_ring_error_queue = q;
      rv_debug ("vsock: guest broke the %s ring (%s); ring stopped, connections reset",
                q == VSOCK_VQ_RX ? "rx" : "tx", vsock_vq_error_str (d->vhu.vq[q].error));
    }
  d->ring_error_reported[q] = true;
  vsock_muxer_reset (&d->mux);
}

/* Takes packets from the guest.  Returns whether any were taken.  */
static bool
process_tx (struct vsock_device *d, uint64_t now_ms)
{
  struct vsock_vq *vq = &d->vhu.vq[VSOCK_VQ_TX];
  bool any = false;

  while (vsock_vq_ready (vq) && !vsock_muxer_tx_blocked (&d->mux))
    {
      enum vsock_pkt_error pe;
      int r = vsock_vq_pop (vq, &d->vhu.mem, &d->chain);

      if (r < 0)
        {
          ring_failed (d, VSOCK_VQ_TX);
          break;
        }
      if (r == 0)
        {
          /* Drained: ask for a kick, unless buffers came meanwhile.  */
          if (vsock_vq_enable_kick (vq))
            continue;
          break;
        }
      any = true;
      pe = vsock_pkt_parse (&d->chain, &d->pkt);
      if (pe != VSOCK_PKT_OK)
        {
          d->stats.bad_packets++;
          if (d->debug)
            rv_debug ("vsock: dropped a malformed packet from the guest: %s", vsock_pkt_error_str (pe));
        }
      else
        {
          d->stats.tx_packets++;
          if (d->debug)
            rv_debug ("vsock: guest %u -> host %u %s len=%u flags=%u buf_alloc=%u fwd_cnt=%u",
                      d->pkt.hdr.src_port, d->pkt.hdr.dst_port, vsock_op_name (d->pkt.hdr.op), d->pkt.hdr.len,
                      d->pkt.hdr.flags, d->pkt.hdr.buf_alloc, d->pkt.hdr.fwd_cnt);
          vsock_muxer_recv (&d->mux, &d->pkt, now_ms);
        }
      /* The payload has been written or copied: the buffer goes back.  */
      vsock_vq_push (vq, d->chain.head, 0);
    }
  vsock_vq_notify (vq);
  return any;
}

/* Gives packets to the guest.  Returns whether any were given.  */
static bool
process_rx (struct vsock_device *d, uint64_t now_ms)
{
  struct vsock_vq *vq = &d->vhu.vq[VSOCK_VQ_RX];
  bool any = false;

  while (vsock_vq_ready (vq) && vsock_muxer_has_rx (&d->mux))
    {
      uint32_t n;
      int r = vsock_vq_pop (vq, &d->vhu.mem, &d->chain);

      if (r < 0)
        {
          ring_failed (d, VSOCK_VQ_RX);
          break;
        }
      if (r == 0)
        {
          if (vsock_vq_enable_kick (vq))
            continue;
          break;
        }
      if (d->chain.in_len < VSOCK_HDR_SIZE)
        {
          /* Too small for any packet: return it unused.  */
          d->stats.bad_packets++;
          vsock_vq_push (vq, d->chain.head, 0);
          any = true;
          continue;
        }
      n = vsock_muxer_fill_rx (&d->mux, &d->chain, now_ms);
      if (n == 0)
        {
          vsock_vq_unpop (vq);
          break;
        }
      if (d->debug)
        {
          struct vsock_hdr h;
          uint8_t raw[VSOCK_HDR_SIZE];
          vsock_iov_to_buf (d->chain.iov + d->chain.n_out, d->chain.n_in, 0, raw, sizeof (raw));
          vsock_hdr_decode (raw, &h);
          rv_debug ("vsock: host %u -> guest %u %s len=%u flags=%u buf_alloc=%u fwd_cnt=%u", h.src_port,
                    h.dst_port, vsock_op_name (h.op), h.len, h.flags, h.buf_alloc, h.fwd_cnt);
        }
      d->stats.rx_packets++;
      vsock_vq_push (vq, d->chain.head, n);
      any = true;
    }
  vsock_vq_notify (vq);
  return any;
}

/* Moves packets both ways until neither side can make progress (rx can
 * unblock tx as the RST queue drains, tx can feed rx), or for a bounded
 * number of rounds so that a busy guest does not starve the other event
 * sources.  Returns true when work may be left.  */
static bool
process_rings (struct vsock_device *d)
{
  uint64_t now_ms = vsock_now_ms ();
  unsigned int rounds;

  for (rounds = 0; rounds < 64; rounds++)
    {
      bool tx = process_tx (d, now_ms);
      bool rx = process_rx (d, now_ms);
      if (!tx && !rx)
        return false;
    }
  return true;
}

static int
handle_vhost (struct vsock_device *d, rv_error_t *err)
{
  struct vsock_vhu_msg msg, reply;
  int r;

  r = vsock_vhu_recv (d->vhost_fd, &msg);
  if (r == 0 || r == -ECONNRESET)
    return 0;
  if (r < 0)
    return rv_error_make (err, -r, "read vhost-user message");
  d->stats.vhost_messages++;
  r = vsock_vhu_handle (&d->vhu, &msg, &reply);
  if (r > 0)
    {
      r = vsock_vhu_send (d->vhost_fd, &reply);
      if (r == -EPIPE || r == -ECONNRESET)
        return 0;
      if (r < 0)
        return rv_error_make (err, -r, "send vhost-user reply to %s", vsock_vhu_request_name (msg.request));
    }
  if (d->vhu.changed & VSOCK_VHU_CHANGED_STOPPED)
    {
      /* The guest's driver went away (reset, reboot, shutdown): whatever
       * it had connected is gone with it.  */
      vsock_muxer_reset (&d->mux);
    }
  if (d->vhu.changed & VSOCK_VHU_CHANGED_RINGS)
    {
      d->ring_error_reported[VSOCK_VQ_RX] = d->vhu.vq[VSOCK_VQ_RX].error != VSOCK_VQ_OK;
      d->ring_error_reported[VSOCK_VQ_TX] = d->vhu.vq[VSOCK_VQ_TX].error != VSOCK_VQ_OK;
    }
  d->vhu.changed = 0;
  return 1;
}

static void
drain_kick (struct vsock_device *d, unsigned int q)
{
  uint64_t v;

  if (q < VSOCK_VHU_NUM_QUEUES && d->vhu.vq[q].kick_fd >= 0)
    (void) !read (d->vhu.vq[q].kick_fd, &v, sizeof (v));
}

int
vsock_device_step (struct vsock_device *d, int timeout_ms, rv_error_t *err)
{
  struct epoll_event evs[MAX_EVENTS];
  uint64_t now_ms;
  int n, i, t;

  if (process_rings (d))
    timeout_ms = 0;

  t = vsock_muxer_timeout_ms (&d->mux, vsock_now_ms ());
  if (t >= 0 && (timeout_ms < 0 || t < timeout_ms))
    timeout_ms = t;
  n = epoll_wait (d->epoll_fd, evs, MAX_EVENTS, timeout_ms);
  if (n < 0)
    {
      if (errno == EINTR)
        return 1;
      return rv_error_make (err, errno, "epoll_wait");
    }
  now_ms = vsock_now_ms ();
  for (i = 0; i < n; i++)
    {
      uint64_t data = evs[i].data.u64;
      int r;

      switch (vsock_ev_kind (data))
        {
        case VSOCK_EV_VHOST:
          r = handle_vhost (d, err);
          if (r <= 0)
            return r;
          break;
        case VSOCK_EV_KICK:
          drain_kick (d, (unsigned int) vsock_ev_fd (data));
          break;
        case VSOCK_EV_STOP:
          return 0;
        default:
          vsock_muxer_event (&d->mux, data, evs[i].events, now_ms);
          break;
        }
    }
  vsock_muxer_tick (&d->mux, now_ms);
  return 1;
}

int
vsock_device_run (struct vsock_device *d, rv_error_t *err)
{
  int r;

  do
    r = vsock_device_step (d, -1, err);
  while (r > 0);
  return r;
}
