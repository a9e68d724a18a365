/* The host side of hybrid vsock (Firecracker's unix/muxer): the listening
 * socket <path>, the handshake, the table of connections, and the order in
 * which they get the guest's receive buffers.
 *
 * Host-initiated:  a client connects to <path> and writes "CONNECT <port>\n"
 *                  (at most VSOCK_MUXER_LINE_MAX bytes); the guest gets a
 *                  REQUEST from a fresh host port; on its RESPONSE the client
 *                  reads "OK <hostport>\n" and the socket is the stream.  When
 *                  the guest answers RST (nobody listens on the port) the
 *                  client's socket is closed without a reply.
 * Guest-initiated: a REQUEST to CID 2 port P connects to the Unix socket
 *                  "<path>_<P>"; when that fails, the guest gets RST.
 *
 * All sockets share the device's epoll set; their epoll data carries a
 * kind, a generation and the fd (vsock_ev_pack), so an event that outlived
 * its connection within one epoll_wait batch is recognised and dropped.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "vm/vsock/conn.h"
#include "vm/vsock/packet.h"
#include "vm/vsock/vring.h"

enum vsock_ev_kind
{
  VSOCK_EV_VHOST = 1, /* the vhost-user socket */
  VSOCK_EV_KICK,      /* a queue's kick eventfd; fd field = queue index */
  VSOCK_EV_STOP,      /* the caller's stop fd (signalfd) */
  VSOCK_EV_LISTEN,    /* <path> */
  VSOCK_EV_PENDING,   /* an accepted client still sending its CONNECT line */
  VSOCK_EV_CONN,      /* a connection's host socket */
};

static inline uint64_t
vsock_ev_pack (enum vsock_ev_kind kind, uint32_t gen, int fd)
{
  return (uint64_t) kind << 56 | (uint64_t) (gen & 0xffffff) << 32 | (uint32_t) fd;
}

static inline enum vsock_ev_kind
vsock_ev_kind (uint64_t v)
{
  return (enum vsock_ev_kind) (v >> 56);
}

static inline uint32_t
vsock_ev_gen (uint64_t v)
{
  return (uint32_t) (v >> 32) & 0xffffff;
}

static inline int
vsock_ev_fd (uint64_t v)
{
  return (int) (uint32_t) v;
}

#define VSOCK_MUXER_LINE_MAX        32
#define VSOCK_MUXER_MAX_PENDING     128
#define VSOCK_MUXER_HANDSHAKE_MS    10000
#define VSOCK_MUXER_RST_QUEUE       256
#define VSOCK_MUXER_LOCAL_PORT_BASE (1u << 30)

struct vsock_muxer_config
{
  uint64_t guest_cid;
  const char *uds_path; /* <path>; the listener is created here */
  int listen_fd;        /* or an inherited listening socket (>= 0), owned */
  bool unlink_path;     /* with listen_fd: <path> is ours to remove at the end */
  uint32_t buf_alloc;   /* per-connection receive buffer we advertise */
  unsigned int max_conns;
  int epoll_fd; /* not owned */
};

struct vsock_pending;

struct vsock_fd_slot
{
  uint32_t gen;
  void *obj;
};

struct vsock_muxer_stats
{
  uint64_t conns_local;   /* host-initiated connections created */
  uint64_t conns_peer;    /* guest-initiated connections created */
  uint64_t rst_sent;      /* RSTs for packets that matched no connection */
  uint64_t refused;       /* host dials or guest requests turned away at the limits */
  uint64_t bad_handshake; /* clients that sent no valid CONNECT line */
};

struct vsock_muxer
{
  struct vsock_muxer_config cfg;
  char *uds_path;
  int listen_fd;
  bool listen_paused;
  bool own_path; /* we created <path> and unlink it */

  struct vsock_conn **table; /* hash buckets by (local_port, peer_port) */
  unsigned int n_conns;

  /* fd -> the object registered with that fd, and its generation.  */
  struct vsock_fd_slot *slots;
  size_t n_slots;
  uint32_t next_gen;
  uint64_t next_tick_ms;

  struct vsock_conn *rxq_head, *rxq_tail;

  struct
  {
    uint32_t src_port; /* the guest's port */
    uint32_t dst_port; /* the port the guest addressed */
  } rst[VSOCK_MUXER_RST_QUEUE];
  unsigned int rst_head, rst_len;

  struct vsock_pending *pending;
  unsigned int n_pending;

  uint32_t next_local_port;
  struct vsock_muxer_stats stats;
};

/* Creates a listening Unix socket at PATH (which must not exist yet).  */
int vsock_muxer_listen (const char *path, rv_error_t *err);

/* Creates (or adopts) the listening socket and registers it.  <path>
 * must not exist yet.  */
int vsock_muxer_init (struct vsock_muxer *m, const struct vsock_muxer_config *cfg, rv_error_t *err);

/* Closes every socket and unlinks <path> when we created it.  */
void vsock_muxer_destroy (struct vsock_muxer *m);

/* An epoll event of kind VSOCK_EV_LISTEN, _PENDING or _CONN.  */
void vsock_muxer_event (struct vsock_muxer *m, uint64_t data, uint32_t events, uint64_t now_ms);

/* A packet from the guest's tx queue.  */
void vsock_muxer_recv (struct vsock_muxer *m, const struct vsock_pkt *pkt, uint64_t now_ms);

/* Whether anything waits for the guest's rx queue.  */
bool vsock_muxer_has_rx (const struct vsock_muxer *m);

/* Fills CHAIN with the next packet for the guest.  Returns the bytes
 * written, or 0 when nothing was ready after all (give the chain back).  */
uint32_t vsock_muxer_fill_rx (struct vsock_muxer *m, const struct vsock_chain *chain, uint64_t now_ms);

/* True while the queue of RSTs owed for unknown connections is full: the
 * device then stops taking packets from the guest until rx drains it.  */
bool vsock_muxer_tx_blocked (const struct vsock_muxer *m);

/* The device was reset or stopped: every connection is dropped (the guest
 * forgot them), clients still handshaking stay.  */
void vsock_muxer_reset (struct vsock_muxer *m);

/* Milliseconds until the next deadline (-1: none), and its handling.  */
int vsock_muxer_timeout_ms (const struct vsock_muxer *m, uint64_t now_ms);
void vsock_muxer_tick (struct vsock_muxer *m, uint64_t now_ms);

/* The connection for (LOCAL_PORT, PEER_PORT), or NULL (for tests).  */
struct vsock_conn *vsock_muxer_find (const struct vsock_muxer *m, uint32_t local_port, uint32_t peer_port);

/* Monotonic milliseconds.  */
uint64_t vsock_now_ms (void);
