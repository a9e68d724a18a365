#include <string.h>

#include "vm/vsock/packet.h"

static inline uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | p[1] << 8);
}

static inline uint32_t
get32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline uint64_t
get64 (const uint8_t *p)
{
  return (uint64_t) get32 (p) | (uint64_t) get32 (p + 4) << 32;
}

static inline void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static inline void
put32 (uint8_t *p, uint32_t v)
{
  put16 (p, (uint16_t) v);
  put16 (p + 2, (uint16_t) (v >> 16));
}

static inline void
put64 (uint8_t *p, uint64_t v)
{
  put32 (p, (uint32_t) v);
  put32 (p + 4, (uint32_t) (v >> 32));
}

/* Offsets of struct virtio_vsock_hdr (packed).  */
enum
{
  OFF_SRC_CID = 0,
  OFF_DST_CID = 8,
  OFF_SRC_PORT = 16,
  OFF_DST_PORT = 20,
  OFF_LEN = 24,
  OFF_TYPE = 28,
  OFF_OP = 30,
  OFF_FLAGS = 32,
  OFF_BUF_ALLOC = 36,
  OFF_FWD_CNT = 40,
};

void
vsock_hdr_decode (const uint8_t raw[VSOCK_HDR_SIZE], struct vsock_hdr *ret)
{
  ret->src_cid = get64 (raw + OFF_SRC_CID);
  ret->dst_cid = get64 (raw + OFF_DST_CID);
  ret->src_port = get32 (raw + OFF_SRC_PORT);
  ret->dst_port = get32 (raw + OFF_DST_PORT);
  ret->len = get32 (raw + OFF_LEN);
  ret->type = get16 (raw + OFF_TYPE);
  ret->op = get16 (raw + OFF_OP);
  ret->flags = get32 (raw + OFF_FLAGS);
  ret->buf_alloc = get32 (raw + OFF_BUF_ALLOC);
  ret->fwd_cnt = get32 (raw + OFF_FWD_CNT);
}

void
vsock_hdr_encode (const struct vsock_hdr *h, uint8_t raw[VSOCK_HDR_SIZE])
{
  put64 (raw + OFF_SRC_CID, h->src_cid);
  put64 (raw + OFF_DST_CID, h->dst_cid);
  put32 (raw + OFF_SRC_PORT, h->src_port);
  put32 (raw + OFF_DST_PORT, h->dst_port);
  put32 (raw + OFF_LEN, h->len);
  put16 (raw + OFF_TYPE, h->type);
  put16 (raw + OFF_OP, h->op);
  put32 (raw + OFF_FLAGS, h->flags);
  put32 (raw + OFF_BUF_ALLOC, h->buf_alloc);
  put32 (raw + OFF_FWD_CNT, h->fwd_cnt);
}

const char *
vsock_op_name (uint16_t op)
{
  switch (op)
    {
    case VSOCK_OP_REQUEST:
      return "REQUEST";
    case VSOCK_OP_RESPONSE:
      return "RESPONSE";
    case VSOCK_OP_RST:
      return "RST";
    case VSOCK_OP_SHUTDOWN:
      return "SHUTDOWN";
    case VSOCK_OP_RW:
      return "RW";
    case VSOCK_OP_CREDIT_UPDATE:
      return "CREDIT_UPDATE";
    case VSOCK_OP_CREDIT_REQUEST:
      return "CREDIT_REQUEST";
    default:
      return "INVALID";
    }
}

enum vsock_pkt_error
vsock_pkt_parse (const struct vsock_chain *chain, struct vsock_pkt *ret)
{
  uint8_t raw[VSOCK_HDR_SIZE];
  int n;

  if (chain->n_in > 0)
    return VSOCK_PKT_ERR_WRITABLE;
  if (chain->out_len < VSOCK_HDR_SIZE
      || vsock_iov_to_buf (chain->iov, chain->n_out, 0, raw, sizeof (raw)) != sizeof (raw))
    return VSOCK_PKT_ERR_SHORT;
  vsock_hdr_decode (raw, &ret->hdr);
  ret->niov = 0;
  if (ret->hdr.op != VSOCK_OP_RW)
    return VSOCK_PKT_OK;
  if (ret->hdr.len > VSOCK_MAX_PAYLOAD || ret->hdr.len > chain->out_len - VSOCK_HDR_SIZE)
    return VSOCK_PKT_ERR_LEN;
  n = vsock_iov_slice (chain->iov, chain->n_out, VSOCK_HDR_SIZE, ret->hdr.len, ret->iov, VSOCK_PKT_MAX_IOV);
  if (n < 0)
    return VSOCK_PKT_ERR_LEN;
  ret->niov = (unsigned int) n;
  return VSOCK_PKT_OK;
}

const char *
vsock_pkt_error_str (enum vsock_pkt_error e)
{
  switch (e)
    {
    case VSOCK_PKT_OK:
      return "no error";
    case VSOCK_PKT_ERR_SHORT:
      return "packet shorter than its header";
    case VSOCK_PKT_ERR_LEN:
      return "payload length beyond the buffer or the maximum";
    case VSOCK_PKT_ERR_WRITABLE:
      return "transmit buffer has device-writable parts";
    }
  return "unknown error";
}

size_t
vsock_pkt_write_hdr (const struct vsock_chain *chain, struct vsock_hdr *h, uint32_t payload_len)
{
  uint8_t raw[VSOCK_HDR_SIZE];
  const struct iovec *in = chain->iov + chain->n_out;

  if (chain->in_len < VSOCK_HDR_SIZE || payload_len > chain->in_len - VSOCK_HDR_SIZE)
    return 0;
  h->len = payload_len;
  vsock_hdr_encode (h, raw);
  if (vsock_iov_from_buf (in, chain->n_in, 0, raw, sizeof (raw)) != sizeof (raw))
    return 0;
  return VSOCK_HDR_SIZE + (size_t) payload_len;
}

unsigned int
vsock_pkt_rx_payload (const struct vsock_chain *chain, size_t max, struct iovec *out, unsigned int out_max,
                      size_t *ret_len)
{
  size_t room;
  int n;

  if (chain->in_len <= VSOCK_HDR_SIZE || max == 0)
    return 0;
  room = chain->in_len - VSOCK_HDR_SIZE;
  if (room > max)
    room = max;
  n = vsock_iov_slice (chain->iov + chain->n_out, chain->n_in, VSOCK_HDR_SIZE, room, out, out_max);
  if (n <= 0)
    return 0;
  *ret_len = room;
  return (unsigned int) n;
}
