/* One vsock stream between a guest port and a host Unix socket: the
 * connection state machine and the credit-based flow control of virtio
 * vsock (virtio 1.2, 5.10.6.3 - 5.10.6.6), in the shape of Firecracker's
 * csm.
 *
 * Flow control, both ways, without unbounded buffers:
 *   guest -> host  the guest may have at most buf_alloc bytes in flight
 *                  (sent, not yet written to the host socket).  They are
 *                  written straight from guest memory; what the socket does
 *                  not take is copied to a buffer of buf_alloc bytes, and
 *                  fwd_cnt (reported back to the guest) only grows as the
 *                  socket takes bytes.  A slow host socket therefore stops
 *                  the guest through credit; a guest that ignores its credit
 *                  gets the connection reset.
 *   host -> guest  we read the host socket only while the guest has credit
 *                  for us and has given us a receive buffer, straight into
 *                  that buffer; otherwise the socket is not polled and the
 *                  host writer blocks.
 *
 * Shutdown is half-duplex: end of file on the host socket becomes
 * SHUTDOWN(SEND) to the guest, SHUTDOWN(SEND) from the guest becomes
 * shutdown(SHUT_WR) on the host socket once the buffered bytes are written.
 * When neither side can send any more, or either side is gone, the guest
 * gets RST and the connection is freed.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vm/vsock/packet.h"
#include "vm/vsock/vring.h"

enum vsock_conn_state
{
  /* The host dialled "CONNECT <port>": REQUEST owed to (or sent to) the
   * guest, waiting for its RESPONSE.  */
  VSOCK_CONN_LOCAL_INIT,
  /* The guest sent REQUEST and we connected to <path>_<port>: RESPONSE
   * owed to the guest.  */
  VSOCK_CONN_PEER_INIT,
  VSOCK_CONN_ESTABLISHED,
  /* Over: the host socket is closed; an RST may still be owed.  */
  VSOCK_CONN_CLOSED,
};

/* Control packets owed to the guest.  */
enum
{
  VSOCK_CONN_OWE_REQUEST = 1 << 0,
  VSOCK_CONN_OWE_RESPONSE = 1 << 1,
  VSOCK_CONN_OWE_RST = 1 << 2,
  VSOCK_CONN_OWE_CREDIT_UPDATE = 1 << 3,
  VSOCK_CONN_OWE_CREDIT_REQUEST = 1 << 4,
};

struct vsock_conn
{
  uint64_t guest_cid;
  uint32_t local_port; /* the host end's port (Firecracker's "local") */
  uint32_t peer_port;  /* the guest end's port */
  int fd;              /* host Unix stream socket, non-blocking; -1 once closed */
  enum vsock_conn_state state;
  unsigned int owe; /* VSOCK_CONN_OWE_* */

  /* guest -> host.  */
  uint32_t buf_alloc;    /* what we advertise: the most bytes in flight */
  uint32_t rx_cnt;       /* payload bytes received from the guest */
  uint32_t fwd_cnt;      /* of those, written to the host socket */
  uint32_t fwd_cnt_sent; /* fwd_cnt as last told to the guest */
  uint8_t *buf;          /* ring of buf_alloc bytes; NULL when empty */
  uint32_t buf_head;     /* offset of the oldest byte */
  uint32_t buf_len;      /* bytes held */
  bool peer_shut_send;   /* guest sent SHUTDOWN(SEND) */
  bool peer_shut_rcv;    /* guest sent SHUTDOWN(RCV) */
  bool host_wr_shut;     /* we did shutdown(SHUT_WR) on the host socket */
  char reply[24];        /* "OK <port>\n" for the host, after RESPONSE */
  uint8_t reply_len, reply_off;

  /* host -> guest.  */
  uint32_t peer_buf_alloc; /* the guest's receive buffer */
  uint32_t peer_fwd_cnt;   /* bytes the guest's reader has consumed */
  uint32_t tx_cnt;         /* payload bytes we sent to the guest */
  bool readable;           /* the host socket has data or EOF for us */
  bool host_eof;           /* read() gave 0: SHUTDOWN(SEND) sent */
  bool hup;                /* EPOLLHUP/EPOLLERR seen: no more events to wait for */
  bool credit_requested;   /* CREDIT_REQUEST sent, no update since */

  uint64_t deadline_ms; /* monotonic; 0 when no timer runs */

  /* Owned by the muxer.  */
  struct vsock_conn *hnext;
  struct vsock_conn *rxq_next, *rxq_prev;
  bool in_rxq;
  bool registered; /* reg_fd is in the epoll set with interest `events` */
  int reg_fd;
  uint32_t events;
};

/* A connection the host asked for: REQUEST owed to the guest.  Takes FD.  */
struct vsock_conn *vsock_conn_new_local (uint64_t guest_cid, uint32_t local_port, uint32_t peer_port, int fd,
                                         uint32_t buf_alloc);

/* A connection the guest asked for (REQ is its REQUEST) and that we have
 * connected on the host: RESPONSE owed.  Takes FD.  */
struct vsock_conn *vsock_conn_new_peer (uint64_t guest_cid, const struct vsock_hdr *req, int fd,
                                        uint32_t buf_alloc);

/* Closes the host socket and frees the connection.  Accepts NULL.  */
void vsock_conn_free (struct vsock_conn *c);

/* Handles a packet the guest sent on this connection.  */
void vsock_conn_recv (struct vsock_conn *c, const struct vsock_pkt *pkt, uint64_t now_ms);

/* Whether the connection has something for the guest's rx queue.  */
bool vsock_conn_has_rx (const struct vsock_conn *c);

/* Writes the next packet for the guest into CHAIN (a device-writable
 * chain from the rx queue).  Returns the bytes written (header included),
 * or 0 when there was nothing to send after all (the caller gives the
 * chain back).  */
uint32_t vsock_conn_fill_rx (struct vsock_conn *c, const struct vsock_chain *chain, uint64_t now_ms);

/* The host socket became writable: write the reply and buffered bytes.  */
void vsock_conn_host_writable (struct vsock_conn *c);

/* The host socket hung up or failed (EPOLLHUP / EPOLLERR).  */
void vsock_conn_host_hup (struct vsock_conn *c);

/* Resets the connection: RST owed to the guest when it knows of it, host
 * socket closed.  */
void vsock_conn_kill (struct vsock_conn *c);

/* The timer ran out: an unanswered REQUEST.  */
void vsock_conn_timeout (struct vsock_conn *c, uint64_t now_ms);

/* epoll events the connection wants on its host socket now.  */
uint32_t vsock_conn_wanted_events (const struct vsock_conn *c);

/* Over and owes nothing: the muxer may free it.  */
bool vsock_conn_done (const struct vsock_conn *c);

/* Bytes the guest can still receive from us.  */
uint32_t vsock_conn_peer_credit (const struct vsock_conn *c);

/* How long the guest may take to answer our REQUEST.  */
#define VSOCK_CONN_REQUEST_TIMEOUT_MS 10000
