#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/utils.h"
#include "vm/vsock/muxer.h"
#include "vm/vsock/vhost_user.h"

/* Payload layouts (all little-endian, packed).  */
#define STATE_SIZE      8  /* u32 index, u32 num */
#define ADDR_SIZE       40 /* u32 index, u32 flags, u64 desc, used, avail, log */
#define U64_SIZE        8
#define REGION_SIZE     32 /* u64 guest_addr, size, user_addr, mmap_offset */
#define MEM_HDR_SIZE    8  /* u32 nregions, u32 padding */
#define CONFIG_HDR_SIZE 12 /* u32 offset, size, flags */

#define VRING_IDX_MASK  0xffu
#define VRING_NOFD_MASK (1u << 8)

static uint32_t
rd32 (const uint8_t *p)
{
  uint32_t v;
  memcpy (&v, p, sizeof (v));
  return v;
}

static uint64_t
rd64 (const uint8_t *p)
{
  uint64_t v;
  memcpy (&v, p, sizeof (v));
  return v;
}

static void
wr32 (uint8_t *p, uint32_t v)
{
  memcpy (p, &v, sizeof (v));
}

static void
wr64 (uint8_t *p, uint64_t v)
{
  memcpy (p, &v, sizeof (v));
}

const char *
vsock_vhu_request_name (uint32_t request)
{
  static const char *const names[] = {
    [VHOST_USER_GET_FEATURES] = "GET_FEATURES",
    [VHOST_USER_SET_FEATURES] = "SET_FEATURES",
    [VHOST_USER_SET_OWNER] = "SET_OWNER",
    [VHOST_USER_RESET_OWNER] = "RESET_OWNER",
    [VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
    [VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
    [VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
    [VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
    [VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
    [VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
    [VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
    [VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
    [VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
    [VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
    [VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
    [VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
    [VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
    [VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
    [VHOST_USER_SEND_RARP] = "SEND_RARP",
    [VHOST_USER_NET_SET_MTU] = "NET_SET_MTU",
    [VHOST_USER_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD",
    [VHOST_USER_IOTLB_MSG] = "IOTLB_MSG",
    [VHOST_USER_SET_VRING_ENDIAN] = "SET_VRING_ENDIAN",
    [VHOST_USER_GET_CONFIG] = "GET_CONFIG",
    [VHOST_USER_SET_CONFIG] = "SET_CONFIG",
    [VHOST_USER_CREATE_CRYPTO_SESSION] = "CREATE_CRYPTO_SESSION",
    [VHOST_USER_CLOSE_CRYPTO_SESSION] = "CLOSE_CRYPTO_SESSION",
    [VHOST_USER_POSTCOPY_ADVISE] = "POSTCOPY_ADVISE",
    [VHOST_USER_POSTCOPY_LISTEN] = "POSTCOPY_LISTEN",
    [VHOST_USER_POSTCOPY_END] = "POSTCOPY_END",
    [VHOST_USER_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
    [VHOST_USER_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD",
    [VHOST_USER_GPU_SET_SOCKET] = "GPU_SET_SOCKET",
    [VHOST_USER_RESET_DEVICE] = "RESET_DEVICE",
    [VHOST_USER_VRING_KICK] = "VRING_KICK",
    [VHOST_USER_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
    [VHOST_USER_ADD_MEM_REG] = "ADD_MEM_REG",
    [VHOST_USER_REM_MEM_REG] = "REM_MEM_REG",
    [VHOST_USER_SET_STATUS] = "SET_STATUS",
    [VHOST_USER_GET_STATUS] = "GET_STATUS",
  };

  if (request < ARRAY_SIZE (names) && names[request])
    return names[request];
  return "UNKNOWN";
}

void
vsock_vhu_init (struct vsock_vhu *b, uint64_t guest_cid, int epoll_fd)
{
  unsigned int i;

  memset (b, 0, sizeof (*b));
  b->guest_cid = guest_cid;
  b->epoll_fd = epoll_fd;
  for (i = 0; i < VSOCK_VHU_NUM_QUEUES; i++)
    vsock_vq_init (&b->vq[i]);
}

/* Replaces ring I's kick fd with FD (-1: none), keeping the epoll set in
 * step: the old fd leaves the set before it is closed.  */
static void
set_kick_fd (struct vsock_vhu *b, unsigned int i, int fd)
{
  struct vsock_vq *vq = &b->vq[i];

  if (vq->kick_fd >= 0)
    {
      if (b->epoll_fd >= 0)
        (void) epoll_ctl (b->epoll_fd, EPOLL_CTL_DEL, vq->kick_fd, NULL);
      (void) close (vq->kick_fd);
    }
  vq->kick_fd = fd;
  if (fd >= 0)
    {
      /* Drained after each wake-up; it must not block.  */
      int flags = fcntl (fd, F_GETFL);
      if (flags >= 0 && !(flags & O_NONBLOCK))
        (void) fcntl (fd, F_SETFL, flags | O_NONBLOCK);
      if (b->epoll_fd >= 0)
        {
          struct epoll_event ev
              = { .events = EPOLLIN, .data.u64 = vsock_ev_pack (VSOCK_EV_KICK, 0, (int) i) };
          (void) epoll_ctl (b->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
        }
    }
}

static void
reset_ring (struct vsock_vhu *b, unsigned int i)
{
  set_kick_fd (b, i, -1);
  vsock_vq_reset (&b->vq[i]);
}

void
vsock_vhu_destroy (struct vsock_vhu *b)
{
  unsigned int i;

  for (i = 0; i < VSOCK_VHU_NUM_QUEUES; i++)
    reset_ring (b, i);
  vsock_mem_clear (&b->mem);
}

void
vsock_vhu_msg_close_fds (struct vsock_vhu_msg *msg)
{
  unsigned int i;

  for (i = 0; i < msg->nfds && i < VSOCK_VHU_MAX_FDS; i++)
    if (msg->fds[i] >= 0)
      {
        (void) close (msg->fds[i]);
        msg->fds[i] = -1;
      }
  msg->nfds = 0;
}

/* Takes descriptor I out of MSG (so it is not closed with the rest).  */
static int
take_fd (struct vsock_vhu_msg *msg, unsigned int i)
{
  int fd;

  if (i >= msg->nfds)
    return -1;
  fd = msg->fds[i];
  msg->fds[i] = -1;
  return fd;
}

int
vsock_vhu_check_hdr (const struct vsock_vhu_msg *msg)
{
  if ((msg->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
    return -EPROTO;
  if (msg->size > VSOCK_VHU_MAX_PAYLOAD)
    return -EPROTO;
  return 0;
}

int
vsock_vhu_parse (const uint8_t *buf, size_t len, struct vsock_vhu_msg *msg, size_t *ret_used)
{
  if (len < VSOCK_VHU_HDR_SIZE)
    return -EAGAIN;
  msg->request = rd32 (buf);
  msg->flags = rd32 (buf + 4);
  msg->size = rd32 (buf + 8);
  msg->nfds = 0;
  if (vsock_vhu_check_hdr (msg) < 0)
    return -EPROTO;
  if (len - VSOCK_VHU_HDR_SIZE < msg->size)
    return -EAGAIN;
  memcpy (msg->payload, buf + VSOCK_VHU_HDR_SIZE, msg->size);
  *ret_used = VSOCK_VHU_HDR_SIZE + msg->size;
  return 0;
}

int
vsock_vhu_recv (int fd, struct vsock_vhu_msg *msg)
{
  uint8_t hdr[VSOCK_VHU_HDR_SIZE];
  union
  {
    char buf[CMSG_SPACE (VSOCK_VHU_MAX_FDS * sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = hdr, .iov_len = sizeof (hdr) };
  struct msghdr mh = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof (control.buf),
  };
  struct cmsghdr *cm;
  ssize_t n;
  int r;

  msg->nfds = 0;
  do
    n = recvmsg (fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;

  /* Collect every descriptor first, so that none leaks on any error.  */
  for (cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm))
    {
      size_t i, count;
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
        continue;
      count = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (i = 0; i < count; i++)
        {
          int one;
          memcpy (&one, CMSG_DATA (cm) + i * sizeof (int), sizeof (int));
          if (msg->nfds < VSOCK_VHU_MAX_FDS)
            msg->fds[msg->nfds++] = one;
          else
            (void) close (one);
        }
    }
  if (n == 0)
    {
      vsock_vhu_msg_close_fds (msg);
      return 0;
    }
  if ((size_t) n < sizeof (hdr) || (mh.msg_flags & MSG_CTRUNC))
    {
      vsock_vhu_msg_close_fds (msg);
      return -EPROTO;
    }
  msg->request = rd32 (hdr);
  msg->flags = rd32 (hdr + 4);
  msg->size = rd32 (hdr + 8);
  if (vsock_vhu_check_hdr (msg) < 0)
    {
      vsock_vhu_msg_close_fds (msg);
      return -EPROTO;
    }
  r = read_exact (fd, msg->payload, msg->size);
  if (r < 0)
    {
      vsock_vhu_msg_close_fds (msg);
      return r == -EPIPE ? -EPROTO : r;
    }
  return 1;
}

int
vsock_vhu_send (int fd, const struct vsock_vhu_msg *reply)
{
  uint8_t buf[VSOCK_VHU_HDR_SIZE + VSOCK_VHU_MAX_PAYLOAD];

  wr32 (buf, reply->request);
  wr32 (buf + 4, reply->flags);
  wr32 (buf + 8, reply->size);
  memcpy (buf + VSOCK_VHU_HDR_SIZE, reply->payload, reply->size);
  return write_all (fd, buf, VSOCK_VHU_HDR_SIZE + reply->size);
}

static void
reply_u64 (const struct vsock_vhu_msg *msg, struct vsock_vhu_msg *reply, uint64_t v)
{
  reply->request = msg->request;
  reply->flags = VHOST_USER_VERSION | VHOST_USER_REPLY;
  reply->size = U64_SIZE;
  reply->nfds = 0;
  wr64 (reply->payload, v);
}

/* The ring a message addresses, or NULL.  */
static struct vsock_vq *
msg_vq (struct vsock_vhu *b, uint32_t index)
{
  if (index >= VSOCK_VHU_NUM_QUEUES)
    return NULL;
  return &b->vq[index];
}

static void
remap_rings (struct vsock_vhu *b)
{
  unsigned int i;

  for (i = 0; i < VSOCK_VHU_NUM_QUEUES; i++)
    if (b->vq[i].num != 0 && b->vq[i].addr_set)
      (void) vsock_vq_map (&b->vq[i], &b->mem);
}

static int
set_mem_table (struct vsock_vhu *b, struct vsock_vhu_msg *msg)
{
  struct vsock_mem mem = { 0 };
  long page = sysconf (_SC_PAGESIZE);
  uint32_t n, i, j;

  if (msg->size < MEM_HDR_SIZE)
    return -EINVAL;
  n = rd32 (msg->payload);
  if (n == 0 || n > VSOCK_MEM_MAX_REGIONS || msg->size != MEM_HDR_SIZE + n * REGION_SIZE || msg->nfds != n)
    return -EINVAL;
  if (page <= 0)
    page = 4096;

  for (i = 0; i < n; i++)
    {
      const uint8_t *p = msg->payload + MEM_HDR_SIZE + i * REGION_SIZE;
      struct vsock_mem_region *r = &mem.r[i];
      uint64_t offset = rd64 (p + 24), aligned, lead;
      struct stat st;
      void *map;
      int fd = msg->fds[i];

      r->gpa = rd64 (p);
      r->size = rd64 (p + 8);
      r->uva = rd64 (p + 16);
      /* No wrap-around anywhere, so that every later range check is
       * plain arithmetic.  */
      if (r->size == 0 || r->gpa + r->size < r->gpa || r->uva + r->size < r->uva || offset + r->size < offset)
        goto fail;
      for (j = 0; j < i; j++)
        if (r->gpa < mem.r[j].gpa + mem.r[j].size && mem.r[j].gpa < r->gpa + r->size)
          goto fail;
      aligned = offset & ~((uint64_t) page - 1);
      lead = offset - aligned;
      if (r->size > SIZE_MAX - lead || aligned > (uint64_t) INT64_MAX)
        goto fail;
      /* The mapping must be backed: touching pages past the end of the
       * file would raise SIGBUS in the daemon.  */
      if (fstat (fd, &st) < 0 || (S_ISREG (st.st_mode) && (uint64_t) st.st_size < offset + r->size))
        goto fail;
      map = mmap (NULL, (size_t) (r->size + lead), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd,
                  (off_t) aligned);
      if (map == MAP_FAILED)
        goto fail;
      r->map = map;
      r->map_len = (size_t) (r->size + lead);
      r->host = (uint8_t *) map + lead;
      mem.n = i + 1;
    }
  vsock_vhu_msg_close_fds (msg);

  /* The old table goes only now: the rings are remapped at once.  */
  vsock_mem_clear (&b->mem);
  b->mem = mem;
  remap_rings (b);
  b->changed |= VSOCK_VHU_CHANGED_RINGS;
  return 0;

fail:
  vsock_mem_clear (&mem);
  return -EINVAL;
}

static int
set_vring_fd (struct vsock_vhu *b, struct vsock_vhu_msg *msg)
{
  uint64_t v;
  struct vsock_vq *vq;
  int *slot, fd = -1;

  if (msg->size != U64_SIZE)
    return -EINVAL;
  v = rd64 (msg->payload);
  if (v & ~(uint64_t) (VRING_IDX_MASK | VRING_NOFD_MASK))
    return -EINVAL;
  vq = msg_vq (b, (uint32_t) (v & VRING_IDX_MASK));
  if (vq == NULL)
    return -EINVAL;
  if (v & VRING_NOFD_MASK)
    {
      if (msg->nfds != 0)
        return -EINVAL;
    }
  else
    {
      if (msg->nfds != 1)
        return -EINVAL;
      fd = take_fd (msg, 0);
    }

  if (msg->request == VHOST_USER_SET_VRING_KICK)
    {
      set_kick_fd (b, (unsigned int) (vq - b->vq), fd);
      /* A kick starts the ring; without protocol features it is enabled
       * from the start (vhost-user.rst, "Ring states").  With no fd the
       * front-end asks for polling: the ring is processed whenever the
       * device wakes for anything else.  */
      vq->started = true;
      if (!(b->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
        vq->enabled = true;
      b->changed |= VSOCK_VHU_CHANGED_RINGS;
      return 0;
    }
  slot = msg->request == VHOST_USER_SET_VRING_CALL ? &vq->call_fd : &vq->err_fd;
  cleanup_closep (slot);
  *slot = fd;
  return 0;
}

static int
get_config (struct vsock_vhu *b, const struct vsock_vhu_msg *msg, struct vsock_vhu_msg *reply)
{
  uint8_t space[VSOCK_VHU_CONFIG_SIZE];
  uint32_t offset, size;

  reply->request = msg->request;
  reply->flags = VHOST_USER_VERSION | VHOST_USER_REPLY;
  reply->nfds = 0;
  /* An empty reply is the protocol's way of saying "failed".  */
  reply->size = 0;
  if (msg->size < CONFIG_HDR_SIZE)
    return -EINVAL;
  offset = rd32 (msg->payload);
  size = rd32 (msg->payload + 4);
  if (size > VSOCK_VHU_MAX_CONFIG || msg->size != CONFIG_HDR_SIZE + size || offset > VSOCK_VHU_CONFIG_SIZE
      || size > VSOCK_VHU_CONFIG_SIZE - offset)
    return -EINVAL;
  wr64 (space, b->guest_cid);
  memcpy (reply->payload, msg->payload, CONFIG_HDR_SIZE);
  memcpy (reply->payload + CONFIG_HDR_SIZE, space + offset, size);
  reply->size = CONFIG_HDR_SIZE + size;
  return 0;
}

static void
reset_rings (struct vsock_vhu *b)
{
  unsigned int i;

  for (i = 0; i < VSOCK_VHU_NUM_QUEUES; i++)
    reset_ring (b, i);
  b->changed |= VSOCK_VHU_CHANGED_STOPPED;
}

int
vsock_vhu_handle (struct vsock_vhu *b, struct vsock_vhu_msg *msg, struct vsock_vhu_msg *reply)
{
  struct vsock_vq *vq = NULL;
  uint64_t v = 0;
  uint32_t index = 0, num = 0;
  int r = 0;

  if (b->debug)
    rv_debug ("vhost-user: %s (%u) flags=%#x size=%u fds=%u", vsock_vhu_request_name (msg->request),
              msg->request, msg->flags, msg->size, msg->nfds);

  /* Common payload shapes.  */
  if (msg->size >= U64_SIZE)
    v = rd64 (msg->payload);
  if (msg->size >= STATE_SIZE)
    {
      index = rd32 (msg->payload);
      num = rd32 (msg->payload + 4);
    }

  switch (msg->request)
    {
    case VHOST_USER_GET_FEATURES:
      reply_u64 (msg, reply, VSOCK_VHU_FEATURES);
      vsock_vhu_msg_close_fds (msg);
      return 1;

    case VHOST_USER_GET_PROTOCOL_FEATURES:
      reply_u64 (msg, reply, VSOCK_VHU_PROTOCOL_FEATURES);
      vsock_vhu_msg_close_fds (msg);
      return 1;

    case VHOST_USER_GET_QUEUE_NUM:
      reply_u64 (msg, reply, VSOCK_VHU_NUM_QUEUES);
      vsock_vhu_msg_close_fds (msg);
      return 1;

    case VHOST_USER_GET_MAX_MEM_SLOTS:
      reply_u64 (msg, reply, VSOCK_MEM_MAX_REGIONS);
      vsock_vhu_msg_close_fds (msg);
      return 1;

    case VHOST_USER_GET_CONFIG:
      (void) get_config (b, msg, reply);
      vsock_vhu_msg_close_fds (msg);
      return 1;

    case VHOST_USER_GET_VRING_BASE:
      /* Stops the ring (vhost-user.rst, "Ring states"): the reply carries
       * where the guest's next buffer is; the notifications go away.  */
      reply->request = msg->request;
      reply->flags = VHOST_USER_VERSION | VHOST_USER_REPLY;
      reply->size = STATE_SIZE;
      reply->nfds = 0;
      vq = msg->size == STATE_SIZE ? msg_vq (b, index) : NULL;
      wr32 (reply->payload, index);
      wr32 (reply->payload + 4, vq ? vq->last_avail : 0);
      if (vq)
        {
          vq->started = false;
          set_kick_fd (b, index, -1);
          cleanup_closep (&vq->call_fd);
          vq->call_fd = -1;
          b->changed |= VSOCK_VHU_CHANGED_STOPPED;
        }
      vsock_vhu_msg_close_fds (msg);
      return 1;

    case VHOST_USER_IOTLB_MSG:
    case VHOST_USER_POSTCOPY_END:
      /* Always answered; we offer neither IOMMU nor postcopy.  */
      reply_u64 (msg, reply, 1);
      vsock_vhu_msg_close_fds (msg);
      return 1;

    case VHOST_USER_SET_FEATURES:
      if (msg->size != U64_SIZE || (v & ~VSOCK_VHU_FEATURES))
        {
          r = -EINVAL;
          break;
        }
      b->features = v;
      for (index = 0; index < VSOCK_VHU_NUM_QUEUES; index++)
        b->vq[index].event_idx = (v >> VIRTIO_RING_F_EVENT_IDX) & 1;
      break;

    case VHOST_USER_SET_PROTOCOL_FEATURES:
      if (msg->size != U64_SIZE || (v & ~VSOCK_VHU_PROTOCOL_FEATURES))
        {
          r = -EINVAL;
          break;
        }
      b->protocol_features = v;
      break;

    case VHOST_USER_SET_OWNER:
      b->owner = true;
      break;

    case VHOST_USER_RESET_OWNER:
    case VHOST_USER_RESET_DEVICE:
      /* Back to the state before the rings were set up; the memory table
       * and the negotiated protocol features stay.  */
      reset_rings (b);
      b->features = 0;
      break;

    case VHOST_USER_SET_MEM_TABLE:
      r = set_mem_table (b, msg);
      break;

    case VHOST_USER_SET_VRING_NUM:
      vq = msg->size == STATE_SIZE ? msg_vq (b, index) : NULL;
      /* Split rings: a power of two (the free-running indexes wrap at
       * 2^16), at most 32768.  */
      if (vq == NULL || num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)) != 0)
        {
          r = -EINVAL;
          break;
        }
      vq->num = (uint16_t) num;
      vq->error = VSOCK_VQ_OK;
      if (vq->addr_set)
        (void) vsock_vq_map (vq, &b->mem);
      else
        vq->mapped = false;
      b->changed |= VSOCK_VHU_CHANGED_RINGS;
      break;

    case VHOST_USER_SET_VRING_ADDR:
      vq = msg->size == ADDR_SIZE ? msg_vq (b, index) : NULL;
      if (vq == NULL)
        {
          r = -EINVAL;
          break;
        }
      /* Flag bit 0 (VHOST_VRING_F_LOG) asks for dirty logging, which only
       * matters with VHOST_F_LOG_ALL, never offered.  */
      vq->desc_uva = rd64 (msg->payload + 8);
      vq->used_uva = rd64 (msg->payload + 16);
      vq->avail_uva = rd64 (msg->payload + 24);
      vq->addr_set = true;
      vq->error = VSOCK_VQ_OK;
      if (vsock_vq_map (vq, &b->mem) < 0)
        {
          r = -EINVAL;
          break;
        }
      /* The used index lives in guest memory; pick up where it is, which is
       * 0 on a fresh start and the front-end's value after a restart.  */
      vq->used_idx = __atomic_load_n ((uint16_t *) (void *) (vq->used + 2), __ATOMIC_RELAXED);
      vq->signalled_used_valid = false;
      b->changed |= VSOCK_VHU_CHANGED_RINGS;
      break;

    case VHOST_USER_SET_VRING_BASE:
      vq = msg->size == STATE_SIZE ? msg_vq (b, index) : NULL;
      if (vq == NULL || num > UINT16_MAX)
        {
          r = -EINVAL;
          break;
        }
      vq->last_avail = (uint16_t) num;
      vq->used_idx = (uint16_t) num;
      vq->signalled_used_valid = false;
      break;

    case VHOST_USER_SET_VRING_KICK:
    case VHOST_USER_SET_VRING_CALL:
    case VHOST_USER_SET_VRING_ERR:
      r = set_vring_fd (b, msg);
      break;

    case VHOST_USER_SET_VRING_ENABLE:
      vq = msg->size == STATE_SIZE ? msg_vq (b, index) : NULL;
      if (vq == NULL || num > 1)
        {
          r = -EINVAL;
          break;
        }
      vq->enabled = num == 1;
      b->changed |= VSOCK_VHU_CHANGED_RINGS;
      break;

    case VHOST_USER_SET_CONFIG:
      /* The guest CID is read-only.  */
      r = -EPERM;
      break;

    default:
      /* Messages for features we do not offer (logging, backend channel,
       * inflight tracking, memory slots, status, ...) and unknown ones.  */
      r = -ENOTSUP;
      break;
    }

  if (r < 0 && b->debug)
    rv_debug ("vhost-user: %s refused: %s", vsock_vhu_request_name (msg->request), strerror (-r));
  vsock_vhu_msg_close_fds (msg);
  if ((msg->flags & VHOST_USER_NEED_REPLY)
      && (b->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK)))
    {
      reply_u64 (msg, reply, r < 0 ? 1 : 0);
      return 1;
    }
  return 0;
}
