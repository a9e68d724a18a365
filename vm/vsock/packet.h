/* virtio-vsock packets (virtio 1.2, 5.10.6): a 44-byte little-endian
 * header followed by LEN bytes of payload (only for VIRTIO_VSOCK_OP_RW).
 *
 * A packet from the guest (tx queue) is parsed in place: the payload is a
 * set of iovecs into guest memory.  A packet to the guest (rx queue) is
 * written into a device-writable chain: header first, payload after it.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vm/vsock/vring.h"

#define VSOCK_HOST_CID 2

#define VSOCK_HDR_SIZE 44

/* Largest payload one packet carries, in either direction: what Linux
 * uses (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE).  */
#define VSOCK_MAX_PAYLOAD (64 * 1024)

enum vsock_type
{
  VSOCK_TYPE_STREAM = 1,
  VSOCK_TYPE_SEQPACKET = 2,
};

enum vsock_op
{
  VSOCK_OP_INVALID = 0,
  VSOCK_OP_REQUEST = 1,
  VSOCK_OP_RESPONSE = 2,
  VSOCK_OP_RST = 3,
  VSOCK_OP_SHUTDOWN = 4,
  VSOCK_OP_RW = 5,
  VSOCK_OP_CREDIT_UPDATE = 6,
  VSOCK_OP_CREDIT_REQUEST = 7,
};

/* Flags of VSOCK_OP_SHUTDOWN.  */
enum
{
  VSOCK_SHUTDOWN_RCV = 1 << 0,  /* the sender will receive no more */
  VSOCK_SHUTDOWN_SEND = 1 << 1, /* the sender will send no more */
};

/* The header in host byte order.  */
struct vsock_hdr
{
  uint64_t src_cid;
  uint64_t dst_cid;
  uint32_t src_port;
  uint32_t dst_port;
  uint32_t len;
  uint16_t type;
  uint16_t op;
  uint32_t flags;
  uint32_t buf_alloc;
  uint32_t fwd_cnt;
};

void vsock_hdr_decode (const uint8_t raw[VSOCK_HDR_SIZE], struct vsock_hdr *ret);
void vsock_hdr_encode (const struct vsock_hdr *h, uint8_t raw[VSOCK_HDR_SIZE]);

const char *vsock_op_name (uint16_t op);

/* Most iovecs of one payload.  */
#define VSOCK_PKT_MAX_IOV VSOCK_CHAIN_MAX_IOV

/* A packet the guest sent: the decoded header and its payload in place.  */
struct vsock_pkt
{
  struct vsock_hdr hdr;
  unsigned int niov;
  struct iovec iov[VSOCK_PKT_MAX_IOV];
};

enum vsock_pkt_error
{
  VSOCK_PKT_OK = 0,
  VSOCK_PKT_ERR_SHORT,    /* fewer readable bytes than a header */
  VSOCK_PKT_ERR_LEN,      /* header.len larger than what follows it or than VSOCK_MAX_PAYLOAD */
  VSOCK_PKT_ERR_WRITABLE, /* the chain has device-writable buffers (tx is read-only) */
};

/* Parses the packet in the device-readable part of CHAIN.  The payload is
 * exactly header.len bytes (extra trailing bytes are ignored, as Linux
 * does).  Returns VSOCK_PKT_OK or why the packet is malformed.  */
enum vsock_pkt_error vsock_pkt_parse (const struct vsock_chain *chain, struct vsock_pkt *ret);

const char *vsock_pkt_error_str (enum vsock_pkt_error e);

/* Writes header H (with len = PAYLOAD_LEN) into the device-writable part
 * of CHAIN; the caller has already written PAYLOAD_LEN bytes of payload at
 * offset VSOCK_HDR_SIZE.  Returns the total bytes written, or 0 when the
 * chain's writable part is smaller than the header plus payload.  */
size_t vsock_pkt_write_hdr (const struct vsock_chain *chain, struct vsock_hdr *h, uint32_t payload_len);

/* The payload area of an rx chain: the writable iovecs past the header,
 * at most MAX bytes.  Returns the number of iovecs in OUT, 0 when there is
 * no room past the header.  */
unsigned int vsock_pkt_rx_payload (const struct vsock_chain *chain, size_t max, struct iovec *out,
                                   unsigned int out_max, size_t *ret_len);
