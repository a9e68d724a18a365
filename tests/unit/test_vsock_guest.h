/* A synthetic guest for the vsock unit tests: guest memory made of
 * separately mapped regions (so that a buffer crossing a region boundary is
 * really split), and a split virtqueue driven from the driver's side.
 * Included by tests/unit/test_vsock*.c only.  */
#pragma once

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/vsock/packet.h"
#include "vm/vsock/vring.h"

/* The front-end's virtual addresses are guest-physical plus this, so that
 * a mix-up of the two conventions fails.  */
#define FG_UVA_OFFSET 0x7f0000000000ull

struct fake_guest
{
  size_t size; /* bytes of guest-physical memory, from 0 */
  struct vsock_mem mem;
};

static inline void
fg_init (struct fake_guest *g, size_t size, unsigned int nregions)
{
  size_t per = size / nregions;
  unsigned int i;

  memset (g, 0, sizeof (*g));
  g->size = per * nregions;
  for (i = 0; i < nregions; i++)
    {
      void *p = mmap (NULL, per, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      cr_assert_neq (p, MAP_FAILED);
      g->mem.r[i].gpa = (uint64_t) i * per;
      g->mem.r[i].size = per;
      g->mem.r[i].uva = g->mem.r[i].gpa + FG_UVA_OFFSET;
      g->mem.r[i].host = p;
      g->mem.r[i].map = p;
      g->mem.r[i].map_len = per;
    }
  g->mem.n = nregions;
}

static inline void
fg_destroy (struct fake_guest *g)
{
  vsock_mem_clear (&g->mem);
}

/* Guest-side access (the driver's view), splitting across regions.  */
static inline void
fg_write (struct fake_guest *g, uint64_t gpa, const void *buf, size_t len)
{
  while (len > 0)
    {
      void *p;
      size_t n = vsock_mem_gpa_prefix (&g->mem, gpa, len, &p);
      cr_assert_gt (n, 0, "fg_write outside guest memory: %#llx", (unsigned long long) gpa);
      memcpy (p, buf, n);
      buf = (const uint8_t *) buf + n;
      gpa += n;
      len -= n;
    }
}

static inline void
fg_read (struct fake_guest *g, uint64_t gpa, void *buf, size_t len)
{
  while (len > 0)
    {
      void *p;
      size_t n = vsock_mem_gpa_prefix (&g->mem, gpa, len, &p);
      cr_assert_gt (n, 0, "fg_read outside guest memory: %#llx", (unsigned long long) gpa);
      memcpy (buf, p, n);
      buf = (uint8_t *) buf + n;
      gpa += n;
      len -= n;
    }
}

static inline void
fg_w16 (struct fake_guest *g, uint64_t gpa, uint16_t v)
{
  fg_write (g, gpa, &v, 2);
}

static inline uint16_t
fg_r16 (struct fake_guest *g, uint64_t gpa)
{
  uint16_t v;
  fg_read (g, gpa, &v, 2);
  return v;
}

static inline uint32_t
fg_r32 (struct fake_guest *g, uint64_t gpa)
{
  uint32_t v;
  fg_read (g, gpa, &v, 4);
  return v;
}

/* The driver's side of one split virtqueue.  */
struct fake_vq
{
  struct fake_guest *g;
  uint16_t num;
  uint64_t desc, avail, used; /* guest-physical */
  uint16_t avail_idx;         /* next avail->idx to publish */
  uint16_t used_seen;         /* used entries consumed */
  uint16_t next_desc;         /* descriptors are handed out round robin */
};

struct fake_desc
{
  uint64_t addr;
  uint32_t len;
  uint16_t flags; /* VIRTQ_DESC_F_WRITE / _INDIRECT; NEXT is added */
};

/* Lays the ring out at guest-physical BASE and configures VQ as the
 * vhost-user messages would (uva addresses, started, enabled, mapped).  */
static inline void
fvq_init (struct fake_vq *f, struct fake_guest *g, struct vsock_vq *vq, uint16_t num, uint64_t base)
{
  memset (f, 0, sizeof (*f));
  f->g = g;
  f->num = num;
  f->desc = base;
  f->avail = base + VIRTQ_DESC_SIZE (num);
  f->used = (f->avail + VIRTQ_AVAIL_SIZE (num) + 3) & ~3ull;
  vsock_vq_init (vq);
  vq->num = num;
  vq->desc_uva = f->desc + FG_UVA_OFFSET;
  vq->avail_uva = f->avail + FG_UVA_OFFSET;
  vq->used_uva = f->used + FG_UVA_OFFSET;
  vq->addr_set = true;
  vq->started = true;
  vq->enabled = true;
  cr_assert_eq (vsock_vq_map (vq, &g->mem), 0);
}

static inline void
fvq_write_desc (struct fake_vq *f, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
  struct virtq_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };
  fg_write (f->g, f->desc + (uint64_t) i * 16, &d, sizeof (d));
}

/* Publishes HEAD in the available ring.  */
static inline void
fvq_publish (struct fake_vq *f, uint16_t head)
{
  fg_w16 (f->g, f->avail + 4 + 2 * (uint64_t) (f->avail_idx % f->num), head);
  f->avail_idx++;
  fg_w16 (f->g, f->avail + 2, f->avail_idx);
}

/* Writes a chain of N descriptors into consecutive slots and publishes
 * it.  Returns the head.  */
static inline uint16_t
fvq_add (struct fake_vq *f, const struct fake_desc *d, unsigned int n)
{
  uint16_t head = f->next_desc % f->num;
  unsigned int i;

  for (i = 0; i < n; i++)
    {
      uint16_t idx = (uint16_t) ((head + i) % f->num);
      uint16_t next = (uint16_t) ((head + i + 1) % f->num);
      fvq_write_desc (f, idx, d[i].addr, d[i].len,
                      (uint16_t) (d[i].flags | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)), i + 1 < n ? next : 0);
    }
  f->next_desc = (uint16_t) ((head + n) % f->num);
  fvq_publish (f, head);
  return head;
}

/* Takes the next used element; returns false when there is none.  */
static inline bool
fvq_take_used (struct fake_vq *f, uint32_t *ret_id, uint32_t *ret_len)
{
  uint16_t idx = fg_r16 (f->g, f->used + 2);
  uint64_t elem;

  if (idx == f->used_seen)
    return false;
  elem = f->used + 4 + 8 * (uint64_t) (f->used_seen % f->num);
  *ret_id = fg_r32 (f->g, elem);
  *ret_len = fg_r32 (f->g, elem + 4);
  f->used_seen++;
  return true;
}

/* A guest packet: header (and payload) as the driver would place them. */
static inline void
fg_put_pkt (struct fake_guest *g, uint64_t gpa, const struct vsock_hdr *h, const void *payload)
{
  uint8_t raw[VSOCK_HDR_SIZE];
  vsock_hdr_encode (h, raw);
  fg_write (g, gpa, raw, sizeof (raw));
  if (payload && h->len)
    fg_write (g, gpa + VSOCK_HDR_SIZE, payload, h->len);
}

static inline void
fg_get_hdr (struct fake_guest *g, uint64_t gpa, struct vsock_hdr *h)
{
  uint8_t raw[VSOCK_HDR_SIZE];
  fg_read (g, gpa, raw, sizeof (raw));
  vsock_hdr_decode (raw, h);
}
