/* The whole device in one thread: the test plays QEMU (vhost-user messages
 * over a socketpair, guest memory in a memfd, kick and call eventfds), the
 * guest's driver (rings in that memory) and a host client of the hybrid
 * socket.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/utils.h"
#include "test_vsock_guest.h"
#include "vm/vsock/device.h"

#define CID        7
#define MEM_SIZE   (1u << 20)
#define RX_RING    0x1000ull
#define TX_RING    0x4000ull
#define RX_BUFS    0x10000ull /* 32 buffers of 44 + 4096 bytes, 8 KiB apart */
#define TX_BUFS    0x60000ull
#define RX_BUF_LEN (VSOCK_HDR_SIZE + 4096)

static char dir[64], path[80];
static int qemu = -1, memfd = -1;
static int kick[2] = { -1, -1 }, call[2] = { -1, -1 }, errfd[2] = { -1, -1 };
static uint8_t *ram;
static struct fake_guest g;
static struct fake_vq rxq, txq;
static struct vsock_vq shadow; /* fvq_init wants one; unused */
static struct vsock_device *dev;
static unsigned int rx_next_buf, tx_next_buf;

static void
step (void)
{
  rv_error_t err = NULL;
  int r = vsock_device_step (dev, 20, &err);
  cr_assert_eq (r, 1, "device stopped: %d %s", r, err ? err->msg : "");
}

static void
steps (unsigned int n)
{
  while (n--)
    step ();
}

static void
put32 (uint8_t *p, uint32_t v)
{
  memcpy (p, &v, 4);
}

static void
put64 (uint8_t *p, uint64_t v)
{
  memcpy (p, &v, 8);
}

/* Sends one vhost-user message as QEMU does and lets the device handle it;
 * returns the u64 of the reply when one is expected.  */
static uint64_t
qemu_send (uint32_t request, const void *payload, uint32_t size, const int *fds, unsigned int nfds,
           bool reply)
{
  uint8_t buf[12 + 512];
  union
  {
    char b[CMSG_SPACE (8 * sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { buf, 12 + size };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  uint64_t v = 0;

  put32 (buf, request);
  put32 (buf + 4, VHOST_USER_VERSION | (reply ? 0 : VHOST_USER_NEED_REPLY));
  put32 (buf + 8, size);
  if (size)
    memcpy (buf + 12, payload, size);
  if (nfds)
    {
      struct cmsghdr *cm;
      mh.msg_control = control.b;
      mh.msg_controllen = CMSG_SPACE (nfds * sizeof (int));
      cm = CMSG_FIRSTHDR (&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN (nfds * sizeof (int));
      memcpy (CMSG_DATA (cm), fds, nfds * sizeof (int));
    }
  cr_assert_eq (sendmsg (qemu, &mh, 0), (ssize_t) (12 + size));
  step ();
  /* Every message gets an answer: the reply proper or REPLY_ACK.  */
  cr_assert_geq (read (qemu, buf, sizeof (buf)), 12 + 8, "no reply to %s", vsock_vhu_request_name (request));
  memcpy (&v, buf + 12, 8);
  if (!reply)
    cr_assert_eq (v, 0, "%s refused", vsock_vhu_request_name (request));
  return v;
}

static void
qemu_state (uint32_t request, uint32_t index, uint32_t num)
{
  uint8_t p[8];
  put32 (p, index);
  put32 (p + 4, num);
  qemu_send (request, p, 8, NULL, 0, false);
}

static void
qemu_vring_fd (uint32_t request, uint32_t index, int fd)
{
  uint8_t p[8];
  put64 (p, index);
  qemu_send (request, p, 8, &fd, 1, false);
}

static void
qemu_addr (uint32_t index, uint64_t base, uint16_t num)
{
  uint8_t p[40] = { 0 };
  uint64_t avail = base + VIRTQ_DESC_SIZE (num);
  uint64_t used = (avail + VIRTQ_AVAIL_SIZE (num) + 3) & ~3ull;

  put32 (p, index);
  put64 (p + 8, base + FG_UVA_OFFSET);
  put64 (p + 16, used + FG_UVA_OFFSET);
  put64 (p + 24, avail + FG_UVA_OFFSET);
  qemu_send (VHOST_USER_SET_VRING_ADDR, p, 40, NULL, 0, false);
}

/* QEMU 7.2's sequence for vhost-user-vsock-device (docs/vsock.md).  */
static void
qemu_start (void)
{
  uint8_t p[8 + 32] = { 0 };
  uint8_t cfg[12 + 8] = { 0 };
  uint64_t v;
  unsigned int q;

  cr_assert_eq (qemu_send (VHOST_USER_GET_FEATURES, NULL, 0, NULL, 0, true), VSOCK_VHU_FEATURES);
  v = qemu_send (VHOST_USER_GET_PROTOCOL_FEATURES, NULL, 0, NULL, 0, true);
  put64 (p, v);
  qemu_send (VHOST_USER_SET_PROTOCOL_FEATURES, p, 8, NULL, 0, false);
  qemu_send (VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, false);
  put32 (cfg + 4, 8);
  {
    uint8_t buf[64];
    uint32_t len;
    /* GET_CONFIG's reply carries the config, not a u64.  */
    uint8_t raw[12 + 20];
    put32 (raw, VHOST_USER_GET_CONFIG);
    put32 (raw + 4, VHOST_USER_VERSION);
    put32 (raw + 8, 20);
    memcpy (raw + 12, cfg, 20);
    cr_assert_eq (write (qemu, raw, sizeof (raw)), (ssize_t) sizeof (raw));
    step ();
    cr_assert_eq (read (qemu, buf, sizeof (buf)), 32);
    memcpy (&len, buf + 8, 4);
    cr_assert_eq (len, 20);
    memcpy (&v, buf + 24, 8);
    cr_assert_eq (v, CID);
  }
  put64 (p, VSOCK_VHU_FEATURES);
  qemu_send (VHOST_USER_SET_FEATURES, p, 8, NULL, 0, false);
  memset (p, 0, sizeof (p));
  put32 (p, 1);
  put64 (p + 8, 0);
  put64 (p + 16, MEM_SIZE);
  put64 (p + 24, FG_UVA_OFFSET);
  put64 (p + 32, 0);
  qemu_send (VHOST_USER_SET_MEM_TABLE, p, sizeof (p), &memfd, 1, false);
  for (q = 0; q < 2; q++)
    {
      qemu_state (VHOST_USER_SET_VRING_NUM, q, 64);
      qemu_state (VHOST_USER_SET_VRING_BASE, q, 0);
      qemu_addr (q, q == 0 ? RX_RING : TX_RING, 64);
      qemu_vring_fd (VHOST_USER_SET_VRING_KICK, q, kick[q]);
      qemu_vring_fd (VHOST_USER_SET_VRING_CALL, q, call[q]);
      qemu_vring_fd (VHOST_USER_SET_VRING_ERR, q, errfd[q]);
    }
  qemu_state (VHOST_USER_SET_VRING_ENABLE, 0, 1);
  qemu_state (VHOST_USER_SET_VRING_ENABLE, 1, 1);
}

static void
guest_kick (unsigned int q)
{
  uint64_t one = 1;
  cr_assert_eq (write (kick[q], &one, 8), 8);
}

/* The driver posts receive buffers.  */
static void
guest_fill_rx (unsigned int n)
{
  while (n--)
    {
      struct fake_desc d
          = { RX_BUFS + (uint64_t) (rx_next_buf++ % 32) * 0x2000, RX_BUF_LEN, VIRTQ_DESC_F_WRITE };
      fvq_add (&rxq, &d, 1);
    }
  guest_kick (0);
}

/* The next packet the device gave the guest; REFILL posts a buffer in
 * its place.  */
static bool
guest_take_refill (struct vsock_hdr *h, void *payload, bool refill)
{
  uint32_t id, len;
  uint64_t gpa;

  if (!fvq_take_used (&rxq, &id, &len))
    return false;
  /* Buffers are posted in order, one descriptor each, head == slot.  */
  fg_read (&g, RX_RING + (uint64_t) id * 16, &gpa, 8);
  fg_get_hdr (&g, gpa, h);
  cr_assert_eq (len, VSOCK_HDR_SIZE + h->len);
  if (payload)
    fg_read (&g, gpa + VSOCK_HDR_SIZE, payload, h->len);
  if (refill)
    guest_fill_rx (1);
  return true;
}

static bool
guest_take (struct vsock_hdr *h, void *payload)
{
  return guest_take_refill (h, payload, true);
}

static void
guest_send (uint16_t op, uint32_t src_port, uint32_t dst_port, uint32_t flags, const void *payload,
            uint32_t len)
{
  struct vsock_hdr h = {
    .src_cid = CID,
    .dst_cid = VSOCK_HOST_CID,
    .src_port = src_port,
    .dst_port = dst_port,
    .len = len,
    .type = VSOCK_TYPE_STREAM,
    .op = op,
    .flags = flags,
    .buf_alloc = 1 << 20,
  };
  uint64_t gpa = TX_BUFS + (uint64_t) (tx_next_buf++ % 16) * 0x2000;
  struct fake_desc d[2] = { { gpa, VSOCK_HDR_SIZE, 0 }, { gpa + 0x100, len, 0 } };
  uint8_t raw[VSOCK_HDR_SIZE];

  vsock_hdr_encode (&h, raw);
  fg_write (&g, gpa, raw, sizeof (raw));
  if (len)
    fg_write (&g, gpa + 0x100, payload, len);
  fvq_add (&txq, d, len ? 2 : 1);
  guest_kick (1);
  step ();
}

static int
client_dial (uint32_t port)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char line[32];
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  memcpy (addr.sun_path, path, strlen (path));
  cr_assert_eq (connect (fd, (struct sockaddr *) &addr, sizeof (addr)), 0);
  snprintf (line, sizeof (line), "CONNECT %u\n", port);
  cr_assert_eq (write_all (fd, line, strlen (line)), 0);
  steps (3);
  return fd;
}

static ssize_t
client_read (int fd, char *buf, size_t len)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  if (poll (&p, 1, 200) <= 0)
    return -1;
  return read (fd, buf, len);
}

static void
setup (void)
{
  struct vsock_device_config cfg = { .uds_listen_fd = -1, .guest_cid = CID, .stop_fd = -1 };
  rv_error_t err = NULL;
  int sv[2];
  unsigned int q;

  snprintf (dir, sizeof (dir), "/tmp/vsock-dev.XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
  snprintf (path, sizeof (path), "%s/v.sock", dir);
  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  qemu = sv[0];
  memfd = memfd_create ("ram", MFD_CLOEXEC);
  cr_assert_eq (ftruncate (memfd, MEM_SIZE), 0);
  ram = mmap (NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  cr_assert_neq (ram, MAP_FAILED);
  /* The driver's view of the same memory.  */
  memset (&g, 0, sizeof (g));
  g.size = MEM_SIZE;
  g.mem.n = 1;
  g.mem.r[0] = (struct vsock_mem_region){ .gpa = 0, .size = MEM_SIZE, .uva = FG_UVA_OFFSET, .host = ram };
  for (q = 0; q < 2; q++)
    {
      kick[q] = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      call[q] = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      errfd[q] = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
  fvq_init (&rxq, &g, &shadow, 64, RX_RING);
  fvq_init (&txq, &g, &shadow, 64, TX_RING);
  rx_next_buf = tx_next_buf = 0;

  cfg.vhost_fd = sv[1];
  cfg.uds_path = path;
  cfg.buf_alloc = 64 * 1024;
  cr_assert_eq (vsock_device_new (&cfg, &dev, &err), 0, "%s", err ? err->msg : "");
  qemu_start ();
  guest_fill_rx (32);
  step ();
}

static void
teardown (void)
{
  unsigned int q;

  vsock_device_free (dev);
  dev = NULL;
  if (qemu >= 0)
    close (qemu);
  qemu = -1;
  for (q = 0; q < 2; q++)
    {
      close (kick[q]);
      close (call[q]);
      close (errfd[q]);
    }
  munmap (ram, MEM_SIZE);
  close (memfd);
  (void) rmdir (dir);
}

TestSuite (vsock_device, .init = setup, .fini = teardown);

static uint64_t
eventfd_count (int fd)
{
  uint64_t v = 0;
  if (read (fd, &v, 8) != 8)
    return 0;
  return v;
}

/* Host dials 5000, the guest accepts; returns the client socket.  */
static int
establish (uint32_t *ret_local)
{
  struct vsock_hdr h;
  char buf[64];
  int fd = client_dial (5000);

  cr_assert (guest_take (&h, NULL), "no REQUEST");
  cr_assert_eq (h.op, VSOCK_OP_REQUEST);
  cr_assert_eq (h.dst_cid, CID);
  cr_assert_eq (h.dst_port, 5000);
  cr_assert_gt (eventfd_count (call[0]), 0, "the guest was interrupted");
  guest_send (VSOCK_OP_RESPONSE, 5000, h.src_port, 0, NULL, 0);
  cr_assert_gt (client_read (fd, buf, sizeof (buf)), 0);
  *ret_local = h.src_port;
  return fd;
}

Test (vsock_device, stream_both_ways_through_rings)
{
  static char out[20000], back[20000], in[20000];
  struct vsock_hdr h;
  uint32_t local, got = 0, i;
  int fd = establish (&local);

  for (i = 0; i < sizeof (out); i++)
    out[i] = (char) (i * 31 + 7);
  cr_assert_eq (write_all (fd, out, sizeof (out)), 0);
  for (i = 0; i < 50 && got < sizeof (out); i++)
    {
      step ();
      while (got < sizeof (out) && guest_take (&h, back + got))
        {
          cr_assert_eq (h.op, VSOCK_OP_RW);
          cr_assert_leq (h.len, 4096, "fits the guest's buffer");
          got += h.len;
        }
    }
  cr_assert_eq (got, sizeof (out));
  cr_assert_eq (memcmp (out, back, sizeof (out)), 0);

  for (i = 0; i < sizeof (out); i += 4000)
    guest_send (VSOCK_OP_RW, 5000, local, 0, out + i, sizeof (out) - i < 4000 ? sizeof (out) - i : 4000);
  got = 0;
  while (got < sizeof (in))
    {
      ssize_t n = client_read (fd, in + got, sizeof (in) - got);
      cr_assert_gt (n, 0);
      got += (uint32_t) n;
    }
  cr_assert_eq (memcmp (out, in, sizeof (in)), 0);
  cr_assert_gt (eventfd_count (call[1]), 0, "tx buffers were returned with an interrupt");
  close (fd);
}

Test (vsock_device, no_rx_buffers_waits_for_the_guest)
{
  struct vsock_hdr h;
  int fds[40];
  unsigned int i, n = 0;

  /* 32 buffers are posted; 40 host dials need 40 REQUESTs.  */
  for (i = 0; i < 40; i++)
    fds[i] = client_dial (5000 + i);
  while (guest_take_refill (&h, NULL, false))
    {
      cr_assert_eq (h.op, VSOCK_OP_REQUEST);
      n++;
    }
  cr_assert_eq (n, 32, "one packet per posted buffer");
  guest_fill_rx (8);
  steps (2);
  while (guest_take_refill (&h, NULL, false))
    {
      cr_assert_eq (h.op, VSOCK_OP_REQUEST);
      n++;
    }
  cr_assert_eq (n, 40, "the rest once the guest posted buffers");
  for (i = 0; i < 40; i++)
    close (fds[i]);
}

Test (vsock_device, malicious_tx_chain_stops_ring_and_resets)
{
  struct fake_desc d = { MEM_SIZE - 4, 44, 0 };
  uint32_t local;
  char buf[16];
  int fd = establish (&local);
  rv_error_t err = NULL;

  fvq_add (&txq, &d, 1);
  guest_kick (1);
  steps (2);
  cr_assert_eq (dev->vhu.vq[1].error, VSOCK_VQ_ERR_ADDR);
  cr_assert_eq (dev->stats.ring_errors, 1);
  cr_assert_eq (dev->stats.last_ring_error_queue, VSOCK_VQ_TX);
  cr_assert_eq (client_read (fd, buf, sizeof (buf)), 0, "connection reset");
  cr_assert_eq (eventfd_count (errfd[1]), 1, "the front-end was told");

  /* The device still serves the front-end, and the rx ring still works. */
  qemu_state (VHOST_USER_SET_VRING_ENABLE, 1, 0);
  cr_assert_eq (vsock_device_step (dev, 10, &err), 1);
  close (fd);
  fd = client_dial (5000);
  {
    struct vsock_hdr h;
    cr_assert (guest_take (&h, NULL));
    cr_assert_eq (h.op, VSOCK_OP_REQUEST);
  }
  close (fd);
}

Test (vsock_device, stopping_the_rings_drops_connections)
{
  uint32_t local;
  uint8_t p[8] = { 1, 0, 0, 0, 0, 0, 0, 0 }, buf[64];
  int fd = establish (&local);

  /* GET_VRING_BASE: the guest driver is going away.  */
  cr_assert_eq (write (qemu, (uint8_t[]){ 11, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0 }, 12), 12);
  cr_assert_eq (write (qemu, p, 8), 8);
  step ();
  cr_assert_eq (read (qemu, buf, sizeof (buf)), 20);
  cr_assert_eq (client_read (fd, (char *) buf, sizeof (buf)), 0);
  cr_assert_eq (dev->mux.n_conns, 0);
  close (fd);
}

Test (vsock_device, front_end_hangup_ends_the_loop)
{
  rv_error_t err = NULL;

  close (qemu);
  qemu = -1;
  cr_assert_eq (vsock_device_step (dev, 100, &err), 0);
}

Test (vsock_device, bad_vhost_header_is_fatal)
{
  rv_error_t err = NULL;
  uint8_t bad[12] = { 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0 }; /* version 2 */

  cr_assert_eq (write (qemu, bad, sizeof (bad)), 12);
  cr_assert_lt (vsock_device_step (dev, 100, &err), 0);
  cr_assert_eq (err->status, EPROTO);
  rv_error_release (&err);
}

Test (vsock_device, stop_fd_ends_the_loop)
{
  struct vsock_device_config cfg = { .uds_listen_fd = -1, .guest_cid = CID };
  struct vsock_device *d2;
  rv_error_t err = NULL;
  char p2[96];
  int sv[2], stop = eventfd (0, EFD_CLOEXEC);
  uint64_t one = 1;

  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  snprintf (p2, sizeof (p2), "%s/w.sock", dir);
  cfg.vhost_fd = sv[1];
  cfg.uds_path = p2;
  cfg.stop_fd = stop;
  cr_assert_eq (vsock_device_new (&cfg, &d2, &err), 0);
  cr_assert_eq (write (stop, &one, 8), 8);
  cr_assert_eq (vsock_device_run (d2, &err), 0);
  vsock_device_free (d2);
  cr_assert_eq (access (p2, F_OK), -1, "hybrid socket removed");
  close (sv[0]);
  close (stop);
}

Test (vsock_device, new_refuses_bad_cid_and_existing_path)
{
  struct vsock_device_config cfg = { .uds_listen_fd = -1, .guest_cid = 2, .stop_fd = -1 };
  struct vsock_device *d2 = NULL;
  rv_error_t err = NULL;
  int sv[2];

  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  cfg.vhost_fd = sv[1];
  cfg.uds_path = path;
  cr_assert_lt (vsock_device_new (&cfg, &d2, &err), 0);
  cr_assert_eq (err->status, EINVAL);
  rv_error_release (&err);
  cr_assert_eq (fcntl (sv[1], F_GETFD), -1, "the vhost fd is taken even on failure");
  close (sv[0]);

  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  cfg.vhost_fd = sv[1];
  cfg.guest_cid = CID;
  cr_assert_lt (vsock_device_new (&cfg, &d2, &err), 0, "the path is in use by the fixture's device");
  cr_assert_eq (err->status, EADDRINUSE);
  rv_error_release (&err);
  cr_assert_eq (access (path, F_OK), 0, "and stays");
  close (sv[0]);
}

Test (vsock_device, inherited_hybrid_listener)
{
  struct vsock_device_config cfg = { .guest_cid = CID, .stop_fd = -1 };
  struct vsock_device *d2;
  rv_error_t err = NULL;
  char p2[96];
  int sv[2], fd;
  struct vsock_hdr h;

  /* A listener made by the caller, its path the caller's: left in place. */
  snprintf (p2, sizeof (p2), "%s/inherited.sock", dir);
  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  cfg.vhost_fd = sv[1];
  cfg.uds_path = p2;
  cfg.uds_listen_fd = vsock_muxer_listen (p2, &err);
  cr_assert_geq (cfg.uds_listen_fd, 0);
  cr_assert_eq (vsock_device_new (&cfg, &d2, &err), 0);
  cr_assert_eq (d2->mux.listen_fd >= 0, true);
  vsock_device_free (d2);
  cr_assert_eq (access (p2, F_OK), 0, "the caller's path stays");
  close (sv[0]);

  /* Handed over with its path: removed at the end.  */
  (void) unlink (p2);
  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  cfg.vhost_fd = sv[1];
  cfg.uds_listen_fd = vsock_muxer_listen (p2, &err);
  cfg.uds_unlink = true;
  cr_assert_eq (vsock_device_new (&cfg, &d2, &err), 0);
  vsock_device_free (d2);
  cr_assert_eq (access (p2, F_OK), -1);
  close (sv[0]);

  /* The fixture's device still serves its own socket.  */
  fd = client_dial (5000);
  cr_assert (guest_take (&h, NULL));
  cr_assert_eq (h.op, VSOCK_OP_REQUEST);
  close (fd);
}
