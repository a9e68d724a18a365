/* libFuzzer target: descriptor-chain walking over guest memory the fuzzer
 * writes (descriptor table, rings, indirect tables, packet headers).
 *
 * Input: [ring size selector][flags][guest memory ...].  Guest memory is two
 * separately allocated regions, so ASan sees any access outside them; every
 * iovec a chain yields is also checked to lie inside a region.  Popped
 * chains are parsed as tx packets and used as rx buffers.  */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/vsock/packet.h"
#include "vm/vsock/vring.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define REGION 32768
#define UVA    0x7f0000000000ull

static bool
inside (const struct vsock_mem *mem, const struct iovec *iov)
{
  unsigned int i;

  for (i = 0; i < mem->n; i++)
    {
      const uint8_t *p = iov->iov_base, *h = mem->r[i].host;
      if (p >= h && p + iov->iov_len <= h + mem->r[i].size)
        return true;
    }
  return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct vsock_chain chain;
  static struct vsock_pkt pkt;
  struct vsock_mem mem = { 0 };
  struct vsock_vq vq;
  uint8_t *r0, *r1;
  unsigned int i, rounds;
  uint16_t num;
  size_t n;

  if (size < 2)
    return 0;
  num = (uint16_t) (1u << (data[0] % 9)); /* 1 .. 256 */
  r0 = calloc (1, REGION);
  r1 = calloc (1, REGION);
  n = size - 2 < 2 * REGION ? size - 2 : 2 * REGION;
  memcpy (r0, data + 2, n < REGION ? n : REGION);
  if (n > REGION)
    memcpy (r1, data + 2 + REGION, n - REGION);

  /* Regions: gpa [0, 32K) and [32K, 64K), not contiguous in our memory. */
  mem.n = 2;
  mem.r[0] = (struct vsock_mem_region){ .gpa = 0, .size = REGION, .uva = UVA, .host = r0 };
  mem.r[1] = (struct vsock_mem_region){ .gpa = REGION, .size = REGION, .uva = UVA + REGION, .host = r1 };

  vsock_vq_init (&vq);
  vq.num = num;
  vq.desc_uva = UVA;
  vq.avail_uva = UVA + VIRTQ_DESC_SIZE (num);
  vq.used_uva = UVA + 16384;
  vq.addr_set = true;
  vq.started = true;
  vq.enabled = true;
  vq.event_idx = data[1] & 1;
  vq.last_avail = (uint16_t) (data[1] >> 1) * 300;
  vq.used_idx = vq.last_avail;
  if (vsock_vq_map (&vq, &mem) < 0)
    abort ();

  for (rounds = 0; rounds < 2 * num + 4; rounds++)
    {
      int r = vsock_vq_pop (&vq, &mem, &chain);
      if (r <= 0)
        {
          if (r == 0 && vsock_vq_enable_kick (&vq))
            continue;
          break;
        }
      if (chain.head >= num || chain.n_out + chain.n_in > VSOCK_CHAIN_MAX_IOV)
        abort ();
      for (i = 0; i < chain.n_out + chain.n_in; i++)
        if (!inside (&mem, &chain.iov[i]))
          abort ();
      if (chain.n_in == 0)
        {
          if (vsock_pkt_parse (&chain, &pkt) == VSOCK_PKT_OK)
            for (i = 0; i < pkt.niov; i++)
              if (!inside (&mem, &pkt.iov[i]))
                abort ();
          vsock_vq_push (&vq, chain.head, 0);
        }
      else
        {
          struct vsock_hdr h = { .op = VSOCK_OP_RW };
          struct iovec iov[VSOCK_CHAIN_MAX_IOV];
          size_t room = 0;
          unsigned int k = vsock_pkt_rx_payload (&chain, VSOCK_MAX_PAYLOAD, iov, VSOCK_CHAIN_MAX_IOV, &room);
          for (i = 0; i < k; i++)
            memset (iov[i].iov_base, 0x5a, iov[i].iov_len);
          vsock_vq_push (&vq, chain.head, (uint32_t) vsock_pkt_write_hdr (&chain, &h, (uint32_t) room));
        }
      (void) vsock_vq_should_notify (&vq);
    }
  free (r0);
  free (r1);
  return 0;
}
