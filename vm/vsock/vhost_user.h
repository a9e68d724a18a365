/* The vhost-user back-end protocol (QEMU docs/interop/vhost-user.rst) for
 * a virtio-vsock device: message framing, validation, and the state the
 * messages set up (features, memory table, rings, config space).
 *
 * Every message is a 12-byte header (request, flags, size) and SIZE bytes
 * of payload, with up to 8 file descriptors as SCM_RIGHTS ancillary data.
 * A header we cannot trust (wrong version bits, size above the largest
 * payload) ends the connection, since the stream cannot be resynchronised.
 * Anything wrong inside a well-framed message is refused: the front-end
 * gets a failure reply when it asked for one (REPLY_ACK), and the message
 * has no effect.  Descriptors a message does not keep are closed.
 *
 * The device owns two rings: 0 = rx (to the guest), 1 = tx (from the
 * guest).  QEMU keeps the event queue (index 2) to itself.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "vm/vsock/vring.h"

enum vsock_vhu_request
{
  VHOST_USER_GET_FEATURES = 1,
  VHOST_USER_SET_FEATURES = 2,
  VHOST_USER_SET_OWNER = 3,
  VHOST_USER_RESET_OWNER = 4,
  VHOST_USER_SET_MEM_TABLE = 5,
  VHOST_USER_SET_LOG_BASE = 6,
  VHOST_USER_SET_LOG_FD = 7,
  VHOST_USER_SET_VRING_NUM = 8,
  VHOST_USER_SET_VRING_ADDR = 9,
  VHOST_USER_SET_VRING_BASE = 10,
  VHOST_USER_GET_VRING_BASE = 11,
  VHOST_USER_SET_VRING_KICK = 12,
  VHOST_USER_SET_VRING_CALL = 13,
  VHOST_USER_SET_VRING_ERR = 14,
  VHOST_USER_GET_PROTOCOL_FEATURES = 15,
  VHOST_USER_SET_PROTOCOL_FEATURES = 16,
  VHOST_USER_GET_QUEUE_NUM = 17,
  VHOST_USER_SET_VRING_ENABLE = 18,
  VHOST_USER_SEND_RARP = 19,
  VHOST_USER_NET_SET_MTU = 20,
  VHOST_USER_SET_BACKEND_REQ_FD = 21,
  VHOST_USER_IOTLB_MSG = 22,
  VHOST_USER_SET_VRING_ENDIAN = 23,
  VHOST_USER_GET_CONFIG = 24,
  VHOST_USER_SET_CONFIG = 25,
  VHOST_USER_CREATE_CRYPTO_SESSION = 26,
  VHOST_USER_CLOSE_CRYPTO_SESSION = 27,
  VHOST_USER_POSTCOPY_ADVISE = 28,
  VHOST_USER_POSTCOPY_LISTEN = 29,
  VHOST_USER_POSTCOPY_END = 30,
  VHOST_USER_GET_INFLIGHT_FD = 31,
  VHOST_USER_SET_INFLIGHT_FD = 32,
  VHOST_USER_GPU_SET_SOCKET = 33,
  VHOST_USER_RESET_DEVICE = 34,
  VHOST_USER_VRING_KICK = 35,
  VHOST_USER_GET_MAX_MEM_SLOTS = 36,
  VHOST_USER_ADD_MEM_REG = 37,
  VHOST_USER_REM_MEM_REG = 38,
  VHOST_USER_SET_STATUS = 39,
  VHOST_USER_GET_STATUS = 40,
};

/* Header flags.  */
#define VHOST_USER_VERSION_MASK 0x3
#define VHOST_USER_VERSION      0x1
#define VHOST_USER_REPLY        (1u << 2)
#define VHOST_USER_NEED_REPLY   (1u << 3)

/* Virtio and vhost-user feature bits we deal with.  */
#define VIRTIO_RING_F_INDIRECT_DESC    28
#define VIRTIO_RING_F_EVENT_IDX        29
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VIRTIO_F_VERSION_1             32

#define VHOST_USER_PROTOCOL_F_MQ                   0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK            3
#define VHOST_USER_PROTOCOL_F_CONFIG               9
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE         13
#define VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS 14

/* What this back-end offers.  */
#define VSOCK_VHU_FEATURES                                                                                   \
  ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_RING_F_EVENT_IDX)  \
   | (1ull << VHOST_USER_F_PROTOCOL_FEATURES))
#define VSOCK_VHU_PROTOCOL_FEATURES                                                                          \
  ((1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK)                            \
   | (1ull << VHOST_USER_PROTOCOL_F_CONFIG) | (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE))

#define VSOCK_VHU_HDR_SIZE 12
/* Larger than any payload of the messages above (a memory table is 264
 * bytes, a config access at most 268).  */
#define VSOCK_VHU_MAX_PAYLOAD 512
#define VSOCK_VHU_MAX_FDS     8
#define VSOCK_VHU_NUM_QUEUES  2
#define VSOCK_VHU_CONFIG_SIZE 8 /* struct virtio_vsock_config: le64 guest_cid */
#define VSOCK_VHU_MAX_CONFIG  256

enum
{
  VSOCK_VQ_RX = 0,
  VSOCK_VQ_TX = 1,
};

struct vsock_vhu_msg
{
  uint32_t request;
  uint32_t flags;
  uint32_t size;
  uint8_t payload[VSOCK_VHU_MAX_PAYLOAD];
  int fds[VSOCK_VHU_MAX_FDS];
  unsigned int nfds;
};

/* What a handled message changed, for the device to act on.  */
enum
{
  VSOCK_VHU_CHANGED_STOPPED = 1 << 0, /* a ring stopped or the device reset: drop connections */
  VSOCK_VHU_CHANGED_RINGS = 1 << 1,   /* rings (re)configured: process them */
};

struct vsock_vhu
{
  uint64_t guest_cid;
  uint64_t features;          /* acknowledged by SET_FEATURES */
  uint64_t protocol_features; /* acknowledged by SET_PROTOCOL_FEATURES */
  bool owner;
  struct vsock_mem mem;
  struct vsock_vq vq[VSOCK_VHU_NUM_QUEUES];
  unsigned int changed; /* VSOCK_VHU_CHANGED_*, cleared by the device */
  bool debug;           /* log every message at debug level */
  /* When >= 0, each ring's kick fd is kept in this epoll set (data:
   * vsock_ev_pack (VSOCK_EV_KICK, 0, index)), removed before it is closed
   * so that a recycled fd number is never confused with it.  */
  int epoll_fd;
};

/* EPOLL_FD: see struct vsock_vhu; -1 for none.  */
void vsock_vhu_init (struct vsock_vhu *b, uint64_t guest_cid, int epoll_fd);

/* Unmaps guest memory and closes every descriptor.  */
void vsock_vhu_destroy (struct vsock_vhu *b);

/* Checks a received header: version bits and payload size.  Returns 0 or
 * -EPROTO.  */
int vsock_vhu_check_hdr (const struct vsock_vhu_msg *msg);

/* Parses one message from BUF (header and payload, no descriptors) into
 * MSG; *RET_USED gets the bytes it took.  Returns 0, -EAGAIN when BUF holds
 * less than a whole message, or -EPROTO.  */
int vsock_vhu_parse (const uint8_t *buf, size_t len, struct vsock_vhu_msg *msg, size_t *ret_used);

/* Reads one message from the (blocking) socket FD, descriptors included.
 * Returns 1 for a message, 0 when the front-end closed the connection, or
 * a negative errno (-EPROTO for a bad header).  */
int vsock_vhu_recv (int fd, struct vsock_vhu_msg *msg);

/* Handles MSG.  When a reply is due, fills REPLY and returns 1; returns 0
 * when none is due.  Descriptors in MSG are taken (kept or closed).  Never
 * fails: a refused message leaves the state as it was.  */
int vsock_vhu_handle (struct vsock_vhu *b, struct vsock_vhu_msg *msg, struct vsock_vhu_msg *reply);

/* Writes REPLY to FD.  Returns 0 or -errno.  */
int vsock_vhu_send (int fd, const struct vsock_vhu_msg *reply);

const char *vsock_vhu_request_name (uint32_t request);

/* Closes the descriptors of MSG.  */
void vsock_vhu_msg_close_fds (struct vsock_vhu_msg *msg);
