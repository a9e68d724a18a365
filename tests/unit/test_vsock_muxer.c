/* The hybrid-vsock muxer and the connection state machine, with real Unix
 * sockets on the host side and packets built by hand on the guest side:
 * the handshake, every op, RST for ports nobody listens on, credit
 * exhaustion and recovery in both directions, shutdown, limits.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/vsock/muxer.h"

#define CID        3
#define GUEST_PORT 40000 /* the guest's end of guest-initiated connections */

static char dir[64];
static char path[80];
static int epfd = -1;
static struct vsock_muxer m;
static bool mux_up;
static uint64_t now = 1000000;

static void
mux_start (uint32_t buf_alloc, unsigned int max_conns)
{
  struct vsock_muxer_config cfg = {
    .guest_cid = CID,
    .uds_path = path,
    .listen_fd = -1,
    .buf_alloc = buf_alloc,
    .max_conns = max_conns,
    .epoll_fd = epfd,
  };
  rv_error_t err = NULL;

  cr_assert_eq (vsock_muxer_init (&m, &cfg, &err), 0, "%s", err ? err->msg : "");
  mux_up = true;
}

static void
setup (void)
{
  snprintf (dir, sizeof (dir), "/tmp/vsock-mux.XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
  snprintf (path, sizeof (path), "%s/v.sock", dir);
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  cr_assert_geq (epfd, 0);
  mux_start (4096, 16);
}

static void
teardown (void)
{
  char extra[160];
  if (mux_up)
    vsock_muxer_destroy (&m);
  mux_up = false;
  close (epfd);
  for (int p = 0; p < 10000; p += 1000)
    {
      snprintf (extra, sizeof (extra), "%s_%d", path, 7000 + p);
      (void) unlink (extra);
    }
  (void) rmdir (dir);
}

TestSuite (vsock_muxer, .init = setup, .fini = teardown);

/* Delivers every pending epoll event to the muxer.  */
static void
pump (void)
{
  struct epoll_event evs[32];
  int n, i;

  while ((n = epoll_wait (epfd, evs, 32, 20)) > 0)
    for (i = 0; i < n; i++)
      vsock_muxer_event (&m, evs[i].data.u64, evs[i].events, now);
}

/* A packet from the guest, header and payload in separate buffers as Linux
 * places them.  */
static void
guest_send_full (uint16_t op, uint32_t src_port, uint32_t dst_port, uint32_t flags, uint32_t buf_alloc,
                 uint32_t fwd_cnt, const void *payload, uint32_t len, uint64_t src_cid, uint16_t type)
{
  struct vsock_hdr h = {
    .src_cid = src_cid,
    .dst_cid = VSOCK_HOST_CID,
    .src_port = src_port,
    .dst_port = dst_port,
    .len = len,
    .type = type,
    .op = op,
    .flags = flags,
    .buf_alloc = buf_alloc,
    .fwd_cnt = fwd_cnt,
  };
  static uint8_t raw[VSOCK_HDR_SIZE], body[VSOCK_MAX_PAYLOAD];
  static struct vsock_chain c;
  static struct vsock_pkt pkt;

  vsock_hdr_encode (&h, raw);
  if (len)
    memcpy (body, payload, len);
  c.n_out = 2;
  c.n_in = 0;
  c.iov[0] = (struct iovec){ raw, sizeof (raw) };
  c.iov[1] = (struct iovec){ body, len };
  c.out_len = sizeof (raw) + len;
  c.in_len = 0;
  cr_assert_eq (vsock_pkt_parse (&c, &pkt), VSOCK_PKT_OK);
  vsock_muxer_recv (&m, &pkt, now);
}

static void
guest_send (uint16_t op, uint32_t src_port, uint32_t dst_port, uint32_t flags, uint32_t fwd_cnt,
            const void *payload, uint32_t len)
{
  guest_send_full (op, src_port, dst_port, flags, 65536, fwd_cnt, payload, len, CID, VSOCK_TYPE_STREAM);
}

/* The next packet for the guest, into a buffer of ROOM payload bytes.
 * Returns false when there is none.  */
static bool
guest_recv_room (struct vsock_hdr *h, void *payload, size_t room)
{
  static uint8_t buf[VSOCK_HDR_SIZE + VSOCK_MAX_PAYLOAD];
  static struct vsock_chain c;
  uint32_t n;

  c.n_out = 0;
  c.n_in = 1;
  c.iov[0] = (struct iovec){ buf, VSOCK_HDR_SIZE + room };
  c.out_len = 0;
  c.in_len = VSOCK_HDR_SIZE + room;
  n = vsock_muxer_fill_rx (&m, &c, now);
  if (n == 0)
    return false;
  vsock_hdr_decode (buf, h);
  cr_assert_eq (n, VSOCK_HDR_SIZE + h->len);
  cr_assert_eq (h->src_cid, VSOCK_HOST_CID);
  cr_assert_eq (h->dst_cid, CID);
  cr_assert_eq (h->type, VSOCK_TYPE_STREAM);
  if (payload)
    memcpy (payload, buf + VSOCK_HDR_SIZE, h->len);
  return true;
}

static bool
guest_recv (struct vsock_hdr *h, void *payload)
{
  return guest_recv_room (h, payload, 4096);
}

static void
expect_op (uint16_t op, struct vsock_hdr *h)
{
  struct vsock_hdr tmp;
  if (h == NULL)
    h = &tmp;
  cr_assert (guest_recv (h, NULL), "expected %s, got nothing", vsock_op_name (op));
  cr_assert_eq (h->op, op, "expected %s, got %s", vsock_op_name (op), vsock_op_name (h->op));
}

static void
expect_nothing (void)
{
  struct vsock_hdr h;
  cr_assert_not (guest_recv (&h, NULL), "unexpected %s", vsock_op_name (h.op));
}

static int
client_dial (const char *line)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  cr_assert_geq (fd, 0);
  memcpy (addr.sun_path, path, strlen (path));
  cr_assert_eq (connect (fd, (struct sockaddr *) &addr, sizeof (addr)), 0);
  if (line)
    cr_assert_eq (write_all (fd, line, strlen (line)), 0);
  pump ();
  return fd;
}

/* Reads what is available within a short while; "" on EOF, NULL when the
 * socket is still open and silent.  */
static const char *
client_read (int fd)
{
  static char buf[8192];
  struct pollfd p = { .fd = fd, .events = POLLIN };
  ssize_t n;

  if (poll (&p, 1, 200) <= 0)
    return NULL;
  n = read (fd, buf, sizeof (buf) - 1);
  if (n < 0)
    return "";
  buf[n] = '\0';
  return buf;
}

/* Host dials guest port 5000; the guest accepts.  Returns the client's
 * socket, *RET_LOCAL the host port.  */
static int
established_local (uint32_t *ret_local)
{
  struct vsock_hdr h;
  const char *r;
  char want[32];
  int fd = client_dial ("CONNECT 5000\n");

  expect_op (VSOCK_OP_REQUEST, &h);
  cr_assert_eq (h.dst_port, 5000);
  cr_assert_eq (h.buf_alloc, 4096);
  guest_send (VSOCK_OP_RESPONSE, 5000, h.src_port, 0, 0, NULL, 0);
  r = client_read (fd);
  snprintf (want, sizeof (want), "OK %u\n", h.src_port);
  cr_assert_str_eq (r, want);
  *ret_local = h.src_port;
  return fd;
}

Test (vsock_muxer, host_connect_handshake_and_data)
{
  struct vsock_hdr h;
  char payload[4096];
  uint32_t local;
  int fd = established_local (&local);

  cr_assert_eq (local, VSOCK_MUXER_LOCAL_PORT_BASE);
  expect_nothing ();

  /* host -> guest */
  cr_assert_eq (write_all (fd, "hello", 5), 0);
  pump ();
  cr_assert (guest_recv (&h, payload));
  cr_assert_eq (h.op, VSOCK_OP_RW);
  cr_assert_eq (h.src_port, local);
  cr_assert_eq (h.dst_port, 5000);
  cr_assert_eq (h.len, 5);
  cr_assert_eq (memcmp (payload, "hello", 5), 0);

  /* guest -> host */
  guest_send (VSOCK_OP_RW, 5000, local, 0, 5, "world", 5);
  cr_assert_str_eq (client_read (fd), "world");
  cr_assert_not_null (vsock_muxer_find (&m, local, 5000));
  cr_assert_eq (m.stats.conns_local, 1);
  close (fd);
}

Test (vsock_muxer, data_sent_with_the_connect_line_waits_for_the_guest)
{
  struct vsock_hdr h;
  char payload[64];
  int fd = client_dial ("CONNECT 5000\nearly");

  expect_op (VSOCK_OP_REQUEST, &h);
  expect_nothing ();
  guest_send (VSOCK_OP_RESPONSE, 5000, h.src_port, 0, 0, NULL, 0);
  pump ();
  cr_assert (guest_recv (&h, payload));
  cr_assert_eq (h.op, VSOCK_OP_RW);
  cr_assert_eq (h.len, 5);
  cr_assert_eq (memcmp (payload, "early", 5), 0);
  close (fd);
}

Test (vsock_muxer, ports_are_allocated_per_connection)
{
  struct vsock_hdr a, b;
  int f1 = client_dial ("CONNECT 5000\n");
  int f2 = client_dial ("CONNECT 5000\n");

  expect_op (VSOCK_OP_REQUEST, &a);
  expect_op (VSOCK_OP_REQUEST, &b);
  cr_assert_neq (a.src_port, b.src_port);
  close (f1);
  close (f2);
}

Test (vsock_muxer, guest_rst_answers_a_closed_port)
{
  struct vsock_hdr h;
  int fd = client_dial ("CONNECT 4999\n");

  expect_op (VSOCK_OP_REQUEST, &h);
  guest_send (VSOCK_OP_RST, 4999, h.src_port, 0, 0, NULL, 0);
  cr_assert_str_eq (client_read (fd), "", "closed without an OK");
  cr_assert_null (vsock_muxer_find (&m, h.src_port, 4999));
  expect_nothing ();
  close (fd);
}

Test (vsock_muxer, bad_handshakes_are_closed)
{
  static const char *const lines[] = {
    "CONNECT\n",
    "CONNECT \n",
    "CONNECT abc\n",
    "CONNECT 99999999999\n",
    "CONNECT 4294967296\n",
    "connect 5000\n",
    "CONNECT 5000 \n",
    "HELLO\n",
    "CONNECT 000000000000000001\n",
    "CONNECT 123456789012345678901234567890\n",
  };
  unsigned int i;

  for (i = 0; i < sizeof (lines) / sizeof (lines[0]); i++)
    {
      int fd = client_dial (lines[i]);
      cr_assert_str_eq (client_read (fd), "", "line %u (%s) accepted", i, lines[i]);
      close (fd);
    }
  expect_nothing ();
  cr_assert_eq (m.stats.bad_handshake, sizeof (lines) / sizeof (lines[0]));
  cr_assert_eq (m.n_pending, 0);
}

Test (vsock_muxer, handshake_timeout)
{
  int fd = client_dial ("CONN");

  cr_assert_null (client_read (fd), "still waiting for the line");
  now += VSOCK_MUXER_HANDSHAKE_MS + 1;
  vsock_muxer_tick (&m, now);
  cr_assert_str_eq (client_read (fd), "");
  close (fd);
}

Test (vsock_muxer, unanswered_request_times_out)
{
  struct vsock_hdr h;
  int fd = client_dial ("CONNECT 5000\n");

  expect_op (VSOCK_OP_REQUEST, &h);
  cr_assert_geq (vsock_muxer_timeout_ms (&m, now), 0);
  now += VSOCK_CONN_REQUEST_TIMEOUT_MS + 1;
  vsock_muxer_tick (&m, now);
  cr_assert_str_eq (client_read (fd), "");
  expect_op (VSOCK_OP_RST, &h);
  cr_assert_eq (h.dst_port, 5000);
  cr_assert_null (vsock_muxer_find (&m, h.src_port, 5000));
  close (fd);
}

Test (vsock_muxer, client_gone_before_request_left)
{
  int fd = client_dial ("CONNECT 5000\n");

  close (fd);
  pump ();
  expect_nothing ();
  cr_assert_eq (m.n_conns, 0);
}

Test (vsock_muxer, client_gone_after_request_left)
{
  struct vsock_hdr h;
  int fd = client_dial ("CONNECT 5000\n");

  expect_op (VSOCK_OP_REQUEST, &h);
  close (fd);
  pump ();
  expect_op (VSOCK_OP_RST, NULL);
  cr_assert_eq (m.n_conns, 0);
}

Test (vsock_muxer, guest_connect_without_listener_gets_rst)
{
  struct vsock_hdr h;

  guest_send (VSOCK_OP_REQUEST, GUEST_PORT, 7000, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_RST, &h);
  cr_assert_eq (h.src_port, 7000);
  cr_assert_eq (h.dst_port, GUEST_PORT);
  cr_assert_eq (m.n_conns, 0);
}

static int
host_listen (uint32_t port)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  snprintf (addr.sun_path, sizeof (addr.sun_path), "%s_%u", path, port);
  cr_assert_eq (bind (fd, (struct sockaddr *) &addr, sizeof (addr)), 0);
  cr_assert_eq (listen (fd, 4), 0);
  return fd;
}

Test (vsock_muxer, guest_connects_to_host_listener)
{
  struct vsock_hdr h;
  char payload[64];
  int lfd = host_listen (7000), fd;

  guest_send (VSOCK_OP_REQUEST, GUEST_PORT, 7000, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_RESPONSE, &h);
  cr_assert_eq (h.src_port, 7000);
  cr_assert_eq (h.dst_port, GUEST_PORT);
  fd = accept (lfd, NULL, NULL);
  cr_assert_geq (fd, 0);

  guest_send (VSOCK_OP_RW, GUEST_PORT, 7000, 0, 0, "ping", 4);
  cr_assert_str_eq (client_read (fd), "ping");
  cr_assert_eq (write_all (fd, "pong", 4), 0);
  pump ();
  cr_assert (guest_recv (&h, payload));
  cr_assert_eq (h.op, VSOCK_OP_RW);
  cr_assert_eq (memcmp (payload, "pong", 4), 0);
  cr_assert_eq (m.stats.conns_peer, 1);

  /* A second REQUEST for the same pair is a protocol error.  */
  guest_send (VSOCK_OP_REQUEST, GUEST_PORT, 7000, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_RST, NULL);
  cr_assert_str_eq (client_read (fd), "");
  close (fd);
  close (lfd);
}

Test (vsock_muxer, rst_for_unknown_connections_and_bad_addresses)
{
  struct vsock_hdr h;

  guest_send (VSOCK_OP_RW, 1234, 5678, 0, 0, "x", 1);
  expect_op (VSOCK_OP_RST, &h);
  cr_assert_eq (h.src_port, 5678);
  cr_assert_eq (h.dst_port, 1234);
  guest_send (VSOCK_OP_SHUTDOWN, 1234, 5678, 3, 0, NULL, 0);
  expect_op (VSOCK_OP_RST, NULL);
  guest_send (VSOCK_OP_CREDIT_UPDATE, 1234, 5678, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_RST, NULL);
  guest_send (VSOCK_OP_RESPONSE, 1234, 5678, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_RST, NULL);
  /* RST is never answered.  */
  guest_send (VSOCK_OP_RST, 1234, 5678, 0, 0, NULL, 0);
  expect_nothing ();
  /* Seqpacket is not offered.  */
  guest_send_full (VSOCK_OP_REQUEST, 1234, 7000, 0, 65536, 0, NULL, 0, CID, VSOCK_TYPE_SEQPACKET);
  expect_op (VSOCK_OP_RST, NULL);
  /* Another CID: not ours to answer for; a spoofed source: dropped.  */
  guest_send_full (VSOCK_OP_REQUEST, 1234, 7000, 0, 65536, 0, NULL, 0, CID + 1, VSOCK_TYPE_STREAM);
  expect_nothing ();
  cr_assert_eq (m.stats.rst_sent, 5);
}

Test (vsock_muxer, rst_queue_full_blocks_tx)
{
  unsigned int i;

  for (i = 0; i < VSOCK_MUXER_RST_QUEUE; i++)
    {
      cr_assert_not (vsock_muxer_tx_blocked (&m));
      guest_send (VSOCK_OP_RW, 1000 + i, 5678, 0, 0, "x", 1);
    }
  cr_assert (vsock_muxer_tx_blocked (&m));
  expect_op (VSOCK_OP_RST, NULL);
  cr_assert_not (vsock_muxer_tx_blocked (&m));
}

Test (vsock_muxer, credit_request_gets_update_and_unknown_op_resets)
{
  struct vsock_hdr h;
  uint32_t local;
  int fd = established_local (&local);

  guest_send (VSOCK_OP_CREDIT_REQUEST, 5000, local, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_CREDIT_UPDATE, &h);
  cr_assert_eq (h.buf_alloc, 4096);
  cr_assert_eq (h.fwd_cnt, 0);
  guest_send (VSOCK_OP_CREDIT_UPDATE, 5000, local, 0, 0, NULL, 0);
  expect_nothing ();

  guest_send (99, 5000, local, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_RST, NULL);
  cr_assert_str_eq (client_read (fd), "");
  cr_assert_eq (m.n_conns, 0);
  close (fd);
}

Test (vsock_muxer, response_on_established_resets)
{
  uint32_t local;
  int fd = established_local (&local);

  guest_send (VSOCK_OP_RESPONSE, 5000, local, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_RST, NULL);
  cr_assert_str_eq (client_read (fd), "");
  close (fd);
}

Test (vsock_muxer, guest_credit_violation_resets)
{
  static char big[4097];
  uint32_t local;
  int fd = established_local (&local);

  guest_send (VSOCK_OP_RW, 5000, local, 0, 0, big, sizeof (big));
  expect_op (VSOCK_OP_RST, NULL);
  cr_assert_str_eq (client_read (fd), "");
  close (fd);
}

/* A host reader that does not read: the guest's bytes fill the socket,
 * then our buffer; then the guest's credit runs out (it must stop); once
 * the host reads, credit comes back.  */
Test (vsock_muxer, slow_host_stops_the_guest_through_credit)
{
  static char chunk[4096], sink[65536];
  struct vsock_hdr h;
  uint32_t local, sent = 0, fwd_seen = 0, buf_alloc = 4096;
  unsigned int rounds;
  int fd = established_local (&local);
  struct vsock_conn *c = vsock_muxer_find (&m, local, 5000);

  memset (chunk, 'z', sizeof (chunk));
  /* Send within credit (as told by the device) until the device keeps
   * bytes in its buffer: the host socket is full.  */
  for (rounds = 0; rounds < 10000 && c->buf_len == 0; rounds++)
    {
      uint32_t credit = buf_alloc - (sent - fwd_seen);
      cr_assert_gt (credit, 0);
      guest_send (VSOCK_OP_RW, 5000, local, 0, 0, chunk, credit);
      sent += credit;
      while (guest_recv (&h, NULL))
        fwd_seen = h.fwd_cnt;
    }
  cr_assert_gt (c->buf_len, 0, "the host socket never filled");
  cr_assert_leq (c->buf_len, buf_alloc, "bounded by the credit");
  cr_assert (c->events & EPOLLOUT, "waits for the host socket");

  /* Fill the credit completely; one more byte is a violation (tested
   * elsewhere), so the guest is stuck now.  */
  if (sent - fwd_seen < buf_alloc)
    {
      uint32_t credit = buf_alloc - (sent - c->fwd_cnt_sent);
      guest_send (VSOCK_OP_RW, 5000, local, 0, 0, chunk, credit);
      sent += credit;
    }
  cr_assert_eq (c->rx_cnt - c->fwd_cnt_sent, buf_alloc, "no credit left for the guest");
  cr_assert_eq (c->rx_cnt, sent);

  /* The host reads: the device writes its buffer out and tells the guest. */
  {
    bool updated = false;
    fcntl (fd, F_SETFL, O_NONBLOCK);
    for (rounds = 0; rounds < 1000 && !updated; rounds++)
      {
        while (read (fd, sink, sizeof (sink)) > 0)
          ;
        pump ();
        while (guest_recv (&h, NULL))
          if (h.op == VSOCK_OP_CREDIT_UPDATE && h.fwd_cnt != fwd_seen)
            updated = true;
      }
    cr_assert (updated, "no credit update after the host caught up");
  }
  cr_assert_eq (c->buf_len, 0);
  cr_assert_null (c->buf, "an empty buffer is released");
  cr_assert_eq (c->fwd_cnt, sent);
  close (fd);
}

/* The guest's receive buffer is small: the host's bytes are read only as
 * far as the guest's credit goes; the device asks for credit and resumes
 * when the guest reports progress.  */
Test (vsock_muxer, slow_guest_stops_reading_the_host)
{
  static char data[1000], payload[4096];
  struct vsock_hdr h;
  struct vsock_conn *c;
  uint32_t local;
  int fd = client_dial ("CONNECT 5000\n");

  expect_op (VSOCK_OP_REQUEST, &h);
  local = h.src_port;
  guest_send_full (VSOCK_OP_RESPONSE, 5000, local, 0, 100, 0, NULL, 0, CID, VSOCK_TYPE_STREAM);
  cr_assert_not_null (client_read (fd));
  c = vsock_muxer_find (&m, local, 5000);

  memset (data, 'q', sizeof (data));
  cr_assert_eq (write_all (fd, data, sizeof (data)), 0);
  pump ();
  cr_assert (guest_recv (&h, payload));
  cr_assert_eq (h.op, VSOCK_OP_RW);
  cr_assert_eq (h.len, 100, "only as much as the guest's buffer");
  expect_op (VSOCK_OP_CREDIT_REQUEST, NULL);
  expect_nothing ();
  cr_assert_eq (c->events & EPOLLIN, 0, "host socket no longer polled");

  /* The guest's reader consumed 60 bytes.  */
  guest_send_full (VSOCK_OP_CREDIT_UPDATE, 5000, local, 0, 100, 60, NULL, 0, CID, VSOCK_TYPE_STREAM);
  pump ();
  cr_assert (guest_recv (&h, payload));
  cr_assert_eq (h.op, VSOCK_OP_RW);
  cr_assert_eq (h.len, 60);
  cr_assert_eq (c->tx_cnt, 160);
  close (fd);
}

Test (vsock_muxer, rx_payload_limited_by_the_buffer)
{
  static char data[3000], payload[4096];
  struct vsock_hdr h;
  uint32_t local;
  int fd = established_local (&local);

  memset (data, 'b', sizeof (data));
  cr_assert_eq (write_all (fd, data, sizeof (data)), 0);
  pump ();
  cr_assert (guest_recv_room (&h, payload, 1000));
  cr_assert_eq (h.len, 1000);
  cr_assert (guest_recv_room (&h, payload, 0) == false || h.op != VSOCK_OP_RW,
             "no data into a header-only buffer");
  cr_assert (guest_recv_room (&h, payload, 4096));
  cr_assert_eq (h.op, VSOCK_OP_RW);
  cr_assert_eq (h.len, 2000);
  close (fd);
}

Test (vsock_muxer, half_close_both_ways_then_rst)
{
  struct vsock_hdr h;
  uint32_t local;
  int fd = established_local (&local);

  /* Host stops sending: the guest hears SHUTDOWN(SEND).  */
  shutdown (fd, SHUT_WR);
  pump ();
  expect_op (VSOCK_OP_SHUTDOWN, &h);
  cr_assert_eq (h.flags, VSOCK_SHUTDOWN_SEND);
  expect_nothing ();

  /* The guest can still send.  */
  guest_send (VSOCK_OP_RW, 5000, local, 0, 0, "late", 4);
  cr_assert_str_eq (client_read (fd), "late");

  /* Guest stops too: the host reads EOF; nothing can move any more, so
   * the guest gets RST and the connection is gone.  */
  guest_send (VSOCK_OP_SHUTDOWN, 5000, local, VSOCK_SHUTDOWN_SEND, 0, NULL, 0);
  cr_assert_str_eq (client_read (fd), "");
  expect_op (VSOCK_OP_RST, NULL);
  cr_assert_null (vsock_muxer_find (&m, local, 5000));
  close (fd);
}

Test (vsock_muxer, guest_close_flushes_then_rst)
{
  uint32_t local;
  int fd = established_local (&local);

  guest_send (VSOCK_OP_RW, 5000, local, 0, 0, "bye", 3);
  guest_send (VSOCK_OP_SHUTDOWN, 5000, local, VSOCK_SHUTDOWN_SEND | VSOCK_SHUTDOWN_RCV, 0, NULL, 0);
  expect_op (VSOCK_OP_RST, NULL);
  cr_assert_str_eq (client_read (fd), "bye");
  cr_assert_str_eq (client_read (fd), "");
  cr_assert_eq (m.n_conns, 0);
  close (fd);
}

Test (vsock_muxer, guest_rst_closes_host_socket)
{
  uint32_t local;
  int fd = established_local (&local);

  guest_send (VSOCK_OP_RST, 5000, local, 0, 0, NULL, 0);
  cr_assert_str_eq (client_read (fd), "");
  expect_nothing ();
  cr_assert_eq (m.n_conns, 0);
  close (fd);
}

Test (vsock_muxer, host_close_ends_connection)
{
  struct vsock_hdr h;
  uint32_t local;
  int fd = established_local (&local);

  cr_assert_eq (write_all (fd, "last", 4), 0);
  close (fd);
  pump ();
  cr_assert (guest_recv (&h, NULL));
  cr_assert_eq (h.op, VSOCK_OP_RW);
  expect_op (VSOCK_OP_SHUTDOWN, &h);
  cr_assert_eq (h.flags, VSOCK_SHUTDOWN_SEND);
  /* Whatever the guest sends now cannot be delivered.  */
  guest_send (VSOCK_OP_RW, 5000, local, 0, 0, "x", 1);
  expect_op (VSOCK_OP_RST, NULL);
  cr_assert_eq (m.n_conns, 0);
}

Test (vsock_muxer, data_after_shutdown_send_resets)
{
  uint32_t local;
  int fd = established_local (&local);

  guest_send (VSOCK_OP_SHUTDOWN, 5000, local, VSOCK_SHUTDOWN_SEND, 0, NULL, 0);
  cr_assert_str_eq (client_read (fd), "");
  guest_send (VSOCK_OP_RW, 5000, local, 0, 0, "x", 1);
  expect_op (VSOCK_OP_RST, NULL);
  close (fd);
}

Test (vsock_muxer, connection_limit)
{
  struct vsock_hdr h;
  int lfd, fds[3];

  vsock_muxer_destroy (&m);
  mux_start (4096, 2);
  fds[0] = client_dial ("CONNECT 5000\n");
  fds[1] = client_dial ("CONNECT 5000\n");
  fds[2] = client_dial (NULL);
  cr_assert_str_eq (client_read (fds[2]), "", "third client turned away");
  cr_assert_eq (m.n_conns, 2);
  expect_op (VSOCK_OP_REQUEST, NULL);
  expect_op (VSOCK_OP_REQUEST, NULL);

  lfd = host_listen (7000);
  guest_send (VSOCK_OP_REQUEST, GUEST_PORT, 7000, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_RST, &h);
  cr_assert_eq (h.dst_port, GUEST_PORT);
  cr_assert_geq (m.stats.refused, 2);
  close (lfd);
  for (int i = 0; i < 3; i++)
    close (fds[i]);
}

Test (vsock_muxer, reset_drops_every_connection)
{
  uint32_t local;
  int fd = established_local (&local);
  int lfd = host_listen (7000), hfd;

  guest_send (VSOCK_OP_REQUEST, GUEST_PORT, 7000, 0, 0, NULL, 0);
  expect_op (VSOCK_OP_RESPONSE, NULL);
  hfd = accept (lfd, NULL, NULL);
  cr_assert_eq (m.n_conns, 2);
  vsock_muxer_reset (&m);
  cr_assert_eq (m.n_conns, 0);
  cr_assert_str_eq (client_read (fd), "");
  cr_assert_str_eq (client_read (hfd), "");
  expect_nothing ();
  close (fd);
  close (hfd);
  close (lfd);
}

Test (vsock_muxer, path_must_not_exist_and_is_removed)
{
  struct vsock_muxer other;
  struct vsock_muxer_config cfg = {
    .guest_cid = CID,
    .uds_path = path,
    .listen_fd = -1,
    .buf_alloc = 4096,
    .max_conns = 4,
    .epoll_fd = epfd,
  };
  rv_error_t err = NULL;
  struct stat st;

  cr_assert_lt (vsock_muxer_init (&other, &cfg, &err), 0);
  cr_assert_eq (err->status, EADDRINUSE);
  rv_error_release (&err);
  vsock_muxer_destroy (&other);
  cr_assert_eq (stat (path, &st), 0, "a failed start leaves the existing socket alone");

  vsock_muxer_destroy (&m);
  mux_up = false;
  cr_assert_eq (stat (path, &st), -1);
}
