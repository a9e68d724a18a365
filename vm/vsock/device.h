/* runvm-vsockd's device: a vhost-user virtio-vsock back-end whose host
 * side is a hybrid-vsock Unix socket (docs/vsock.md).
 *
 *   struct vsock_device_config cfg = {
 *     .vhost_fd = fd,                         connected to QEMU
 *     .uds_path = "/run/runvm/ID/vsock.sock", hybrid vsock
 *     .guest_cid = 3,
 *   };
 *   r = vsock_device_new (&cfg, &dev, &err);
 *   ... confine the process (vsock_seccomp_apply) ...
 *   r = vsock_device_run (dev, &err);         returns 0 when QEMU hangs up
 *   vsock_device_free (dev);                  unlinks the hybrid socket
 *
 * One thread, one epoll set: the vhost-user socket, the two kick
 * eventfds, the hybrid listener, clients mid-handshake and every
 * connection's host socket.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "vm/vsock/muxer.h"
#include "vm/vsock/vhost_user.h"

#define VSOCK_DEFAULT_BUF_ALLOC (256 * 1024)
#define VSOCK_DEFAULT_MAX_CONNS 1024

struct vsock_device_config
{
  int vhost_fd;           /* connected vhost-user socket (taken, even on failure) */
  const char *uds_path;   /* hybrid vsock path <path>; guest ports reach <path>_<port> */
  int uds_listen_fd;      /* a listener on <path> made beforehand (taken); -1: create one */
  bool uds_unlink;        /* with uds_listen_fd: remove <path> at the end */
  uint64_t guest_cid;     /* >= 3 */
  uint32_t buf_alloc;     /* per-connection receive buffer; 0: VSOCK_DEFAULT_BUF_ALLOC */
  unsigned int max_conns; /* 0: VSOCK_DEFAULT_MAX_CONNS */
  int stop_fd;            /* when readable, vsock_device_run returns 0 (a signalfd); -1 */
  bool debug;             /* log every vhost-user message and ring event at debug level */
};

struct vsock_device_stats
{
  uint64_t tx_packets; /* from the guest */
  uint64_t rx_packets; /* to the guest */
  uint64_t bad_packets;
  uint64_t vhost_messages;
  uint64_t ring_errors; /* rings the guest broke (each stops the ring) */
  enum vsock_vq_error last_ring_error;
  unsigned int last_ring_error_queue;
};

struct vsock_device
{
  int epoll_fd;
  int vhost_fd;
  int stop_fd;
  bool debug;
  bool ring_error_reported[VSOCK_VHU_NUM_QUEUES];
  struct vsock_vhu vhu;
  struct vsock_muxer mux;
  struct vsock_device_stats stats;
  struct vsock_chain chain; /* scratch; too large for the stack */
  struct vsock_pkt pkt;
};

/* Sets the device up: epoll set, hybrid listener.  */
int vsock_device_new (const struct vsock_device_config *cfg, struct vsock_device **ret, rv_error_t *err);

/* Serves until the front-end closes the vhost-user connection or STOP_FD
 * becomes readable (returns 0), or a fatal error (negative).  */
int vsock_device_run (struct vsock_device *d, rv_error_t *err);

/* One turn of the loop: does the ring work that is due, waits at most
 * TIMEOUT_MS (-1: no limit) for events and handles them.  Returns 1 to go
 * on, 0 when the front-end has gone or the stop fd fired, or negative.  */
int vsock_device_step (struct vsock_device *d, int timeout_ms, rv_error_t *err);

/* Closes everything and removes the hybrid socket.  Accepts NULL.  */
void vsock_device_free (struct vsock_device *d);
