/* The vhost-user back-end: framing over a real socket with descriptors,
 * every request the device handles, and refusal of malformed ones (state
 * unchanged, failure reply when asked, descriptors closed).  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vm/vsock/vhost_user.h"

#define CID 42

static struct vsock_vhu b;
static struct vsock_vhu_msg msg, reply;

static void
setup (void)
{
  vsock_vhu_init (&b, CID, -1);
  b.protocol_features = VSOCK_VHU_PROTOCOL_FEATURES;
}

static void
teardown (void)
{
  vsock_vhu_destroy (&b);
}

TestSuite (vsock_vhu, .init = setup, .fini = teardown);

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

static uint64_t
get64 (const uint8_t *p)
{
  uint64_t v;
  memcpy (&v, p, 8);
  return v;
}

static void
mk (uint32_t request, uint32_t size, bool need_reply)
{
  memset (&msg, 0, sizeof (msg));
  msg.request = request;
  msg.flags = VHOST_USER_VERSION | (need_reply ? VHOST_USER_NEED_REPLY : 0);
  msg.size = size;
}

static void
add_fd (int fd)
{
  msg.fds[msg.nfds++] = fd;
}

static void
mk_state (uint32_t request, uint32_t index, uint32_t num)
{
  mk (request, 8, true);
  put32 (msg.payload, index);
  put32 (msg.payload + 4, num);
}

static void
mk_u64 (uint32_t request, uint64_t v)
{
  mk (request, 8, true);
  put64 (msg.payload, v);
}

/* Handles MSG and returns the REPLY_ACK status (0 ok, 1 refused).  */
static uint64_t
handle_acked (void)
{
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1, "%s gave no ack",
                vsock_vhu_request_name (msg.request));
  cr_assert_eq (reply.size, 8);
  cr_assert_eq (reply.flags, VHOST_USER_VERSION | VHOST_USER_REPLY);
  cr_assert_eq (reply.request, msg.request);
  return get64 (reply.payload);
}

static bool
fd_is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

Test (vsock_vhu, features)
{
  mk (VHOST_USER_GET_FEATURES, 0, false);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (get64 (reply.payload), VSOCK_VHU_FEATURES);
  cr_assert (get64 (reply.payload) & (1ull << VIRTIO_F_VERSION_1));
  mk (VHOST_USER_GET_PROTOCOL_FEATURES, 0, false);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert (get64 (reply.payload) & (1ull << VHOST_USER_PROTOCOL_F_CONFIG));
  cr_assert (get64 (reply.payload) & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));

  mk_u64 (VHOST_USER_SET_FEATURES, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX));
  cr_assert_eq (handle_acked (), 0);
  cr_assert (b.vq[0].event_idx && b.vq[1].event_idx);
  mk_u64 (VHOST_USER_SET_FEATURES, 1ull << 33); /* ACCESS_PLATFORM: not offered */
  cr_assert_eq (handle_acked (), 1);
  cr_assert_eq (b.features, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX), "unchanged");

  mk_u64 (VHOST_USER_SET_PROTOCOL_FEATURES, 1ull << VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS);
  cr_assert_eq (handle_acked (), 1);
  mk_u64 (VHOST_USER_SET_PROTOCOL_FEATURES, VSOCK_VHU_PROTOCOL_FEATURES);
  cr_assert_eq (handle_acked (), 0);
}

Test (vsock_vhu, no_ack_without_reply_ack_or_need_reply)
{
  mk (VHOST_USER_SET_OWNER, 0, false);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 0);
  cr_assert (b.owner);
  b.protocol_features = 0;
  mk (VHOST_USER_SET_OWNER, 0, true);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 0);
}

Test (vsock_vhu, config_space_is_the_cid)
{
  mk (VHOST_USER_GET_CONFIG, 12 + 8, false);
  put32 (msg.payload, 0);
  put32 (msg.payload + 4, 8);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (reply.size, 20);
  cr_assert_eq (get64 (reply.payload + 12), CID);

  mk (VHOST_USER_GET_CONFIG, 12 + 4, false);
  put32 (msg.payload, 4);
  put32 (msg.payload + 4, 4);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (reply.size, 16);

  /* Out of range, or a size that does not match the message: empty reply. */
  mk (VHOST_USER_GET_CONFIG, 12 + 8, false);
  put32 (msg.payload, 4);
  put32 (msg.payload + 4, 8);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (reply.size, 0);
  mk (VHOST_USER_GET_CONFIG, 12, false);
  put32 (msg.payload + 4, 8);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (reply.size, 0);
  mk (VHOST_USER_GET_CONFIG, 4, false);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (reply.size, 0);
  mk (VHOST_USER_GET_CONFIG, 12 + 8, false);
  put32 (msg.payload, UINT32_MAX);
  put32 (msg.payload + 4, 8);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (reply.size, 0);

  mk (VHOST_USER_SET_CONFIG, 12 + 8, true);
  put32 (msg.payload + 4, 8);
  cr_assert_eq (handle_acked (), 1, "the CID is read-only");
}

static int
memfd (size_t size)
{
  int fd = memfd_create ("guest", MFD_CLOEXEC);
  cr_assert_geq (fd, 0);
  cr_assert_eq (ftruncate (fd, (off_t) size), 0);
  return fd;
}

static void
mk_region (unsigned int i, uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off)
{
  uint8_t *p = msg.payload + 8 + 32 * i;
  put64 (p, gpa);
  put64 (p + 8, size);
  put64 (p + 16, uva);
  put64 (p + 24, off);
}

Test (vsock_vhu, mem_table_maps_regions_with_offsets)
{
  int fd = memfd (3 << 20);
  uint8_t *view = mmap (NULL, 3 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  uint8_t *p;

  cr_assert_neq (view, MAP_FAILED);
  view[(1 << 20) + 100] = 0xab;      /* gpa 0x100000 + 100 (region 0 starts 1 MiB in) */
  view[(2 << 20) + 4096 + 5] = 0xcd; /* region 1: page-unaligned offset */
  mk (VHOST_USER_SET_MEM_TABLE, 8 + 2 * 32, true);
  put32 (msg.payload, 2);
  mk_region (0, 0x100000, 1 << 20, 0x7000000000, 1 << 20);
  mk_region (1, 0x40000000, 8192, 0x7100000000, (2 << 20) + 4000);
  add_fd (fd);
  add_fd (dup (fd));
  cr_assert_eq (handle_acked (), 0);
  cr_assert_eq (b.mem.n, 2);

  p = vsock_mem_gpa (&b.mem, 0x100000 + 100, 1);
  cr_assert_not_null (p);
  cr_assert_eq (*p, 0xab);
  p = vsock_mem_uva (&b.mem, 0x7000000000 + 100, 1);
  cr_assert_eq (*p, 0xab);
  p = vsock_mem_gpa (&b.mem, 0x40000000 + 96 + 5, 1);
  cr_assert_eq (*p, 0xcd);
  cr_assert_null (vsock_mem_gpa (&b.mem, 0x40000000 + 8190, 3));
  munmap (view, 3 << 20);
}

Test (vsock_vhu, bad_mem_tables_are_refused_and_fds_closed)
{
  struct
  {
    uint32_t n, nfds;
    uint64_t gpa, size, uva, off;
    uint64_t gpa2, size2;
  } cases[] = {
    { 0, 0, 0, 0, 0, 0, 0, 0 },                  /* no region */
    { 9, 9, 0, 4096, 0, 0, 0, 0 },               /* too many */
    { 1, 2, 0, 4096, 0, 0, 0, 0 },               /* fd count */
    { 1, 1, 0, 0, 0, 0, 0, 0 },                  /* empty region */
    { 1, 1, UINT64_MAX - 10, 4096, 0, 0, 0, 0 }, /* gpa wraps */
    { 1, 1, 0, 4096, UINT64_MAX - 10, 0, 0, 0 }, /* uva wraps */
    { 1, 1, 0, 4096, 0, UINT64_MAX - 10, 0, 0 }, /* offset wraps */
    { 1, 1, 0, 1 << 20, 0, 0, 0, 0 },            /* beyond the file */
    { 2, 2, 0, 8192, 0, 0, 4096, 4096 },         /* overlap */
  };
  unsigned int i, j;

  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      int fds[9];
      mk (VHOST_USER_SET_MEM_TABLE, 8 + 32 * (cases[i].n < 9 ? cases[i].n : 8), true);
      if (cases[i].n == 9)
        msg.size = 8 + 32 * 8;
      put32 (msg.payload, cases[i].n);
      if (cases[i].n >= 1)
        mk_region (0, cases[i].gpa, cases[i].size, cases[i].uva, cases[i].off);
      if (cases[i].n >= 2)
        mk_region (1, cases[i].gpa2, cases[i].size2, 0x10000, 0);
      for (j = 0; j < cases[i].nfds && j < VSOCK_VHU_MAX_FDS; j++)
        {
          fds[j] = memfd (64 << 10);
          add_fd (fds[j]);
        }
      cr_assert_eq (handle_acked (), 1, "case %u accepted", i);
      cr_assert_eq (b.mem.n, 0, "case %u changed the table", i);
      for (j = 0; j < cases[i].nfds && j < VSOCK_VHU_MAX_FDS; j++)
        cr_assert_not (fd_is_open (fds[j]), "case %u leaked fd %d", i, fds[j]);
    }
}

/* A memory table, a ring at gpa 0x1000 of 8 entries, QEMU's order:
 * NUM, BASE, ADDR, KICK, ENABLE.  */
static int
setup_ring (unsigned int index, int kick)
{
  int fd = memfd (1 << 20);

  mk_u64 (VHOST_USER_SET_FEATURES, VSOCK_VHU_FEATURES);
  cr_assert_eq (handle_acked (), 0);
  mk (VHOST_USER_SET_MEM_TABLE, 8 + 32, true);
  put32 (msg.payload, 1);
  mk_region (0, 0, 1 << 20, 0x7f0000000000, 0);
  add_fd (fd);
  cr_assert_eq (handle_acked (), 0);
  mk_state (VHOST_USER_SET_VRING_NUM, index, 8);
  cr_assert_eq (handle_acked (), 0);
  mk_state (VHOST_USER_SET_VRING_BASE, index, 5);
  cr_assert_eq (handle_acked (), 0);
  mk (VHOST_USER_SET_VRING_ADDR, 40, true);
  put32 (msg.payload, index);
  put64 (msg.payload + 8, 0x7f0000001000);  /* desc */
  put64 (msg.payload + 16, 0x7f0000002000); /* used */
  put64 (msg.payload + 24, 0x7f0000001800); /* avail */
  cr_assert_eq (handle_acked (), 0);
  mk_u64 (VHOST_USER_SET_VRING_KICK, index);
  add_fd (kick);
  cr_assert_eq (handle_acked (), 0);
  return kick;
}

Test (vsock_vhu, ring_setup_in_qemu_order)
{
  int kick = eventfd (0, EFD_CLOEXEC);
  struct vsock_vq *vq = &b.vq[1];

  setup_ring (1, kick);
  cr_assert (vq->mapped);
  cr_assert (vq->started);
  cr_assert_not (vq->enabled, "protocol features negotiated: disabled until SET_VRING_ENABLE");
  cr_assert_eq (vq->kick_fd, kick);
  cr_assert_eq (vq->last_avail, 5);
  cr_assert (fcntl (kick, F_GETFL) & O_NONBLOCK);
  mk_state (VHOST_USER_SET_VRING_ENABLE, 1, 1);
  cr_assert_eq (handle_acked (), 0);
  cr_assert (vsock_vq_ready (vq));

  /* GET_VRING_BASE stops the ring and reports where it stood.  */
  mk_state (VHOST_USER_GET_VRING_BASE, 1, 0);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (reply.size, 8);
  cr_assert_eq (get64 (reply.payload) >> 32, 5);
  cr_assert_not (vq->started);
  cr_assert_eq (vq->kick_fd, -1);
  cr_assert_not (fd_is_open (kick));
  cr_assert (b.changed & VSOCK_VHU_CHANGED_STOPPED);
}

Test (vsock_vhu, rings_enabled_at_once_without_protocol_features)
{
  int kick = eventfd (0, EFD_CLOEXEC);

  mk_u64 (VHOST_USER_SET_FEATURES, 1ull << VIRTIO_F_VERSION_1);
  cr_assert_eq (handle_acked (), 0);
  mk_u64 (VHOST_USER_SET_VRING_KICK, 0);
  add_fd (kick);
  cr_assert_eq (handle_acked (), 0);
  cr_assert (b.vq[0].enabled);
}

Test (vsock_vhu, ring_messages_validate_index_and_values)
{
  int efd = eventfd (0, EFD_CLOEXEC), efd2 = eventfd (0, EFD_CLOEXEC);

  mk_state (VHOST_USER_SET_VRING_NUM, 2, 8); /* the event queue is QEMU's */
  cr_assert_eq (handle_acked (), 1);
  mk_state (VHOST_USER_SET_VRING_NUM, 0, 0);
  cr_assert_eq (handle_acked (), 1);
  mk_state (VHOST_USER_SET_VRING_NUM, 0, 24); /* not a power of two */
  cr_assert_eq (handle_acked (), 1);
  mk_state (VHOST_USER_SET_VRING_NUM, 0, 65536);
  cr_assert_eq (handle_acked (), 1);
  cr_assert_eq (b.vq[0].num, 0);
  mk_state (VHOST_USER_SET_VRING_NUM, 0, 256);
  cr_assert_eq (handle_acked (), 0);
  cr_assert_eq (b.vq[0].num, 256);
  mk_state (VHOST_USER_SET_VRING_BASE, 0, 70000);
  cr_assert_eq (handle_acked (), 1);
  mk_state (VHOST_USER_SET_VRING_ENABLE, 0, 2);
  cr_assert_eq (handle_acked (), 1);
  mk_state (VHOST_USER_SET_VRING_ENABLE, 7, 1);
  cr_assert_eq (handle_acked (), 1);

  /* Ring addresses outside guest memory (no table yet).  */
  mk (VHOST_USER_SET_VRING_ADDR, 40, true);
  cr_assert_eq (handle_acked (), 1);
  cr_assert_not (b.vq[0].mapped);
  mk (VHOST_USER_SET_VRING_ADDR, 32, true);
  cr_assert_eq (handle_acked (), 1);

  /* Notifier fds: count must match the "no fd" bit; unknown bits refused. */
  mk_u64 (VHOST_USER_SET_VRING_CALL, 0);
  cr_assert_eq (handle_acked (), 1);
  mk_u64 (VHOST_USER_SET_VRING_CALL, 0x100);
  add_fd (efd);
  cr_assert_eq (handle_acked (), 1);
  cr_assert_not (fd_is_open (efd), "refused fds are closed");
  mk_u64 (VHOST_USER_SET_VRING_CALL, 0x200 | 1);
  add_fd (efd2);
  cr_assert_eq (handle_acked (), 1);
  cr_assert_not (fd_is_open (efd2));
  efd = eventfd (0, EFD_CLOEXEC);
  mk_u64 (VHOST_USER_SET_VRING_CALL, 1);
  add_fd (efd);
  cr_assert_eq (handle_acked (), 0);
  cr_assert_eq (b.vq[1].call_fd, efd);
  mk_u64 (VHOST_USER_SET_VRING_CALL, 0x100 | 1);
  cr_assert_eq (handle_acked (), 0);
  cr_assert_eq (b.vq[1].call_fd, -1);
  cr_assert_not (fd_is_open (efd), "replaced fds are closed");
  efd = eventfd (0, EFD_CLOEXEC);
  mk_u64 (VHOST_USER_SET_VRING_ERR, 0);
  add_fd (efd);
  cr_assert_eq (handle_acked (), 0);
  cr_assert_eq (b.vq[0].err_fd, efd);
}

Test (vsock_vhu, unknown_and_unoffered_requests)
{
  int fd = eventfd (0, EFD_CLOEXEC);
  static const uint32_t refused[] = {
    VHOST_USER_SET_LOG_BASE,
    VHOST_USER_SET_LOG_FD,
    VHOST_USER_SEND_RARP,
    VHOST_USER_NET_SET_MTU,
    VHOST_USER_SET_BACKEND_REQ_FD,
    VHOST_USER_SET_VRING_ENDIAN,
    VHOST_USER_POSTCOPY_ADVISE,
    VHOST_USER_SET_INFLIGHT_FD,
    VHOST_USER_ADD_MEM_REG,
    VHOST_USER_SET_STATUS,
    VHOST_USER_VRING_KICK,
    99,
    0,
  };
  unsigned int i;

  mk (99, 0, true);
  add_fd (fd);
  cr_assert_eq (handle_acked (), 1);
  cr_assert_not (fd_is_open (fd));
  mk (99, 16, false);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 0, "no reply unless asked");
  for (i = 0; i < sizeof (refused) / sizeof (refused[0]); i++)
    {
      mk (refused[i], 8, true);
      cr_assert_eq (handle_acked (), 1, "%s accepted", vsock_vhu_request_name (refused[i]));
    }
  /* These always reply; we do not offer what they need.  */
  mk (VHOST_USER_IOTLB_MSG, 0, false);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_neq (get64 (reply.payload), 0);
  mk (VHOST_USER_GET_QUEUE_NUM, 0, false);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (get64 (reply.payload), 2);
}

Test (vsock_vhu, reset_device_forgets_rings)
{
  int kick = eventfd (0, EFD_CLOEXEC);

  setup_ring (0, kick);
  mk (VHOST_USER_RESET_DEVICE, 0, true);
  cr_assert_eq (handle_acked (), 0);
  cr_assert_eq (b.vq[0].num, 0);
  cr_assert_not (b.vq[0].started);
  cr_assert_not (fd_is_open (kick));
  cr_assert_eq (b.features, 0);
  cr_assert_eq (b.mem.n, 1, "memory stays");
}

Test (vsock_vhu, new_mem_table_remaps_rings)
{
  int kick = eventfd (0, EFD_CLOEXEC), fd = memfd (2 << 20);
  uint8_t *before;

  setup_ring (0, kick);
  before = b.vq[0].desc;
  mk (VHOST_USER_SET_MEM_TABLE, 8 + 32, true);
  put32 (msg.payload, 1);
  mk_region (0, 0, 2 << 20, 0x7f0000000000, 0);
  add_fd (fd);
  cr_assert_eq (handle_acked (), 0);
  cr_assert (b.vq[0].mapped);
  cr_assert_neq (b.vq[0].desc, before);
  cr_assert_eq (b.vq[0].desc, vsock_mem_uva (&b.mem, 0x7f0000001000, 16));
}

Test (vsock_vhu, parse_and_check_headers)
{
  uint8_t buf[64] = { 0 };
  size_t used = 0;

  put32 (buf, VHOST_USER_GET_FEATURES);
  put32 (buf + 4, VHOST_USER_VERSION);
  put32 (buf + 8, 4);
  cr_assert_eq (vsock_vhu_parse (buf, 10, &msg, &used), -EAGAIN);
  cr_assert_eq (vsock_vhu_parse (buf, 14, &msg, &used), -EAGAIN);
  cr_assert_eq (vsock_vhu_parse (buf, 16, &msg, &used), 0);
  cr_assert_eq (used, 16);
  put32 (buf + 4, 2); /* version 2 */
  cr_assert_eq (vsock_vhu_parse (buf, 16, &msg, &used), -EPROTO);
  put32 (buf + 4, VHOST_USER_VERSION);
  put32 (buf + 8, VSOCK_VHU_MAX_PAYLOAD + 1);
  cr_assert_eq (vsock_vhu_parse (buf, 64, &msg, &used), -EPROTO);
}

static void
send_raw (int fd, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
  union
  {
    char b[CMSG_SPACE (16 * sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { (void *) buf, len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

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
  cr_assert_eq (sendmsg (fd, &mh, 0), (ssize_t) len);
}

Test (vsock_vhu, recv_over_a_socket)
{
  int sv[2], efd = eventfd (0, EFD_CLOEXEC), fds[10];
  uint8_t buf[12 + 8];
  unsigned int i;

  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);

  /* A message with a descriptor.  */
  put32 (buf, VHOST_USER_SET_VRING_CALL);
  put32 (buf + 4, VHOST_USER_VERSION);
  put32 (buf + 8, 8);
  put64 (buf + 12, 1);
  send_raw (sv[0], buf, sizeof (buf), &efd, 1);
  cr_assert_eq (vsock_vhu_recv (sv[1], &msg), 1);
  cr_assert_eq (msg.request, VHOST_USER_SET_VRING_CALL);
  cr_assert_eq (msg.nfds, 1);
  cr_assert_eq (get64 (msg.payload), 1);
  vsock_vhu_msg_close_fds (&msg);

  /* Too many descriptors: refused, none kept.  */
  for (i = 0; i < 10; i++)
    fds[i] = efd;
  send_raw (sv[0], buf, sizeof (buf), fds, 10);
  cr_assert_eq (vsock_vhu_recv (sv[1], &msg), -EPROTO);
  cr_assert_eq (msg.nfds, 0);
  {
    /* The payload of the refused message is still in the stream: the
     * connection cannot continue, as the device then treats it.  */
    uint8_t junk[8];
    cr_assert_eq (read (sv[1], junk, 8), 8);
  }

  /* Bad version: refused.  */
  put32 (buf + 4, 3);
  send_raw (sv[0], buf, sizeof (buf), NULL, 0);
  cr_assert_eq (vsock_vhu_recv (sv[1], &msg), -EPROTO);
  {
    uint8_t junk[8];
    cr_assert_eq (read (sv[1], junk, 8), 8);
  }

  /* Payload cut short by the peer going away.  */
  put32 (buf + 4, VHOST_USER_VERSION);
  send_raw (sv[0], buf, 16, &efd, 1);
  close (sv[0]);
  cr_assert_eq (vsock_vhu_recv (sv[1], &msg), -EPROTO);
  cr_assert_eq (msg.nfds, 0);
  cr_assert_eq (vsock_vhu_recv (sv[1], &msg), 0, "end of file");
  close (sv[1]);
  close (efd);
}

Test (vsock_vhu, send_reply)
{
  int sv[2];
  uint8_t buf[32];

  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  mk (VHOST_USER_GET_FEATURES, 0, false);
  cr_assert_eq (vsock_vhu_handle (&b, &msg, &reply), 1);
  cr_assert_eq (vsock_vhu_send (sv[1], &reply), 0);
  cr_assert_eq (read (sv[0], buf, sizeof (buf)), 20);
  cr_assert_eq (get64 (buf + 12), VSOCK_VHU_FEATURES);
  close (sv[0]);
  close (sv[1]);
}
