/* Guest memory translation and the split virtqueue, against a synthetic
 * guest: chains, wrap-around, indirect tables, notifications, and every
 * malformed-descriptor rule.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "test_vsock_guest.h"
#include "vm/vsock/vring.h"

#define MEM_SIZE (1u << 20) /* two regions of 512 KiB */
#define HALF     (MEM_SIZE / 2)
#define RING     0x1000ull  /* ring area */
#define BUFS     0x10000ull /* buffers */

static struct fake_guest g;
static struct fake_vq f;
static struct vsock_vq vq;
static struct vsock_chain chain;

static void
setup (void)
{
  fg_init (&g, MEM_SIZE, 2);
  fvq_init (&f, &g, &vq, 8, RING);
}

static void
teardown (void)
{
  vsock_vq_reset (&vq);
  fg_destroy (&g);
}

TestSuite (vsock_vring, .init = setup, .fini = teardown);

Test (vsock_vring, mem_translation_checks_whole_range)
{
  uint8_t *base = vsock_mem_gpa (&g.mem, 0, 1);
  void *p;

  cr_assert_not_null (base);
  cr_assert_not_null (vsock_mem_gpa (&g.mem, HALF - 1, 1));
  cr_assert_null (vsock_mem_gpa (&g.mem, HALF - 1, 2), "a range crossing regions is not one pointer");
  cr_assert_not_null (vsock_mem_gpa (&g.mem, HALF, HALF));
  cr_assert_null (vsock_mem_gpa (&g.mem, HALF, HALF + 1));
  cr_assert_null (vsock_mem_gpa (&g.mem, MEM_SIZE, 1));
  cr_assert_null (vsock_mem_gpa (&g.mem, UINT64_MAX, 2), "wrapping range");
  cr_assert_null (vsock_mem_gpa (&g.mem, 16, UINT64_MAX));
  /* uva uses the front-end's addresses, not guest-physical ones.  */
  cr_assert_eq (vsock_mem_uva (&g.mem, FG_UVA_OFFSET + 16, 8), base + 16);
  cr_assert_null (vsock_mem_uva (&g.mem, 16, 8));
  cr_assert_eq (vsock_mem_gpa_prefix (&g.mem, HALF - 10, 100, &p), 10);
  cr_assert_eq (vsock_mem_gpa_prefix (&g.mem, MEM_SIZE + 10, 100, &p), 0);
}

Test (vsock_vring, map_rejects_misaligned_and_outside_rings)
{
  struct vsock_vq v;

  vsock_vq_init (&v);
  v.num = 8;
  v.addr_set = true;
  v.desc_uva = FG_UVA_OFFSET + RING + 8; /* not 16-aligned */
  v.avail_uva = FG_UVA_OFFSET + RING + 0x200;
  v.used_uva = FG_UVA_OFFSET + RING + 0x400;
  cr_assert_eq (vsock_vq_map (&v, &g.mem), -EINVAL);
  v.desc_uva = FG_UVA_OFFSET + RING;
  v.used_uva = FG_UVA_OFFSET + RING + 0x402; /* not 4-aligned */
  cr_assert_eq (vsock_vq_map (&v, &g.mem), -EINVAL);
  v.used_uva = FG_UVA_OFFSET + MEM_SIZE - 8; /* runs past the end */
  cr_assert_eq (vsock_vq_map (&v, &g.mem), -EINVAL);
  v.used_uva = FG_UVA_OFFSET + HALF - 40; /* crosses regions */
  cr_assert_eq (vsock_vq_map (&v, &g.mem), -EINVAL);
  v.used_uva = FG_UVA_OFFSET + RING + 0x400;
  cr_assert_eq (vsock_vq_map (&v, &g.mem), 0);
  cr_assert (v.mapped);
}

Test (vsock_vring, readable_then_writable_chain)
{
  struct fake_desc d[] = {
    { BUFS, 44, 0 },
    { BUFS + 0x100, 10, 0 },
    { BUFS + 0x1000, 4096, VIRTQ_DESC_F_WRITE },
  };
  uint32_t id, len;
  uint16_t head;

  fg_write (&g, BUFS, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH", 44);
  fg_write (&g, BUFS + 0x100, "payload!!!", 10);
  head = fvq_add (&f, d, 3);

  cr_assert_eq (vsock_vq_avail_count (&vq), 1);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  cr_assert_eq (chain.head, head);
  cr_assert_eq (chain.n_out, 2);
  cr_assert_eq (chain.n_in, 1);
  cr_assert_eq (chain.out_len, 54);
  cr_assert_eq (chain.in_len, 4096);
  cr_assert_eq (memcmp (chain.iov[1].iov_base, "payload!!!", 10), 0);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 0, "ring is empty now");

  vsock_vq_push (&vq, head, 123);
  cr_assert (fvq_take_used (&f, &id, &len));
  cr_assert_eq (id, head);
  cr_assert_eq (len, 123);
  cr_assert_not (fvq_take_used (&f, &id, &len));
}

Test (vsock_vring, wraps_ring_and_16_bit_indexes)
{
  struct fake_desc d = { BUFS, 64, VIRTQ_DESC_F_WRITE };
  uint32_t id, len;
  unsigned int i;

  /* Start just below the 16-bit wrap, as after a long uptime.  */
  vq.last_avail = 65530;
  vq.used_idx = 65530;
  f.avail_idx = 65530;
  f.used_seen = 65530;
  fg_w16 (&g, f.used + 2, 65530);
  fg_w16 (&g, f.avail + 2, 65530);

  for (i = 0; i < 40; i++)
    {
      uint16_t head = fvq_add (&f, &d, 1);
      cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1, "round %u", i);
      cr_assert_eq (chain.head, head);
      vsock_vq_push (&vq, chain.head, i);
      cr_assert (fvq_take_used (&f, &id, &len));
      cr_assert_eq (id, head);
      cr_assert_eq (len, i);
    }
  cr_assert_eq (vq.last_avail, (uint16_t) (65530 + 40));
}

Test (vsock_vring, fills_ring_then_unpop)
{
  struct fake_desc d = { BUFS, 64, VIRTQ_DESC_F_WRITE };
  unsigned int i;

  for (i = 0; i < 8; i++)
    fvq_add (&f, &d, 1);
  cr_assert_eq (vsock_vq_avail_count (&vq), 8);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  vsock_vq_unpop (&vq);
  cr_assert_eq (vsock_vq_avail_count (&vq), 8);
  for (i = 0; i < 8; i++)
    cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 0);
}

Test (vsock_vring, buffer_across_regions_is_split)
{
  struct fake_desc d = { HALF - 100, 300, 0 };
  uint8_t src[300], dst[300];
  unsigned int i;

  for (i = 0; i < sizeof (src); i++)
    src[i] = (uint8_t) (i * 7);
  fg_write (&g, HALF - 100, src, sizeof (src));
  fvq_add (&f, &d, 1);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  cr_assert_eq (chain.n_out, 2);
  cr_assert_eq (chain.iov[0].iov_len, 100);
  cr_assert_eq (chain.iov[1].iov_len, 200);
  cr_assert_eq (vsock_iov_to_buf (chain.iov, chain.n_out, 0, dst, sizeof (dst)), 300);
  cr_assert_eq (memcmp (src, dst, sizeof (src)), 0);
  memset (dst, 0, sizeof (dst));
  cr_assert_eq (vsock_iov_to_buf (chain.iov, chain.n_out, 90, dst, 20), 20);
  cr_assert_eq (memcmp (src + 90, dst, 20), 0);
}

Test (vsock_vring, indirect_table)
{
  uint64_t table = BUFS + 0x8000;
  struct virtq_desc t[3] = {
    { .addr = BUFS, .len = 44, .flags = VIRTQ_DESC_F_NEXT, .next = 2 },
    { .addr = BUFS + 0x2000, .len = 512, .flags = VIRTQ_DESC_F_WRITE, .next = 0 },
    { .addr = BUFS + 0x100, .len = 8, .flags = VIRTQ_DESC_F_NEXT, .next = 1 },
  };
  struct fake_desc d = { table, sizeof (t), VIRTQ_DESC_F_INDIRECT };

  fg_write (&g, table, t, sizeof (t));
  fvq_add (&f, &d, 1);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  cr_assert_eq (chain.n_out, 2);
  cr_assert_eq (chain.n_in, 1);
  cr_assert_eq (chain.out_len, 52);
  cr_assert_eq (chain.in_len, 512);
}

/* Each malformed chain kills the ring with the right reason, and the ring
 * stays dead.  */
static void
expect_broken (enum vsock_vq_error e)
{
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), -EINVAL);
  cr_assert_eq (vq.error, e, "got %s, want %s", vsock_vq_error_str (vq.error), vsock_vq_error_str (e));
  cr_assert_not (vsock_vq_ready (&vq));
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), -EINVAL);
}

Test (vsock_vring, bad_head_index)
{
  fvq_publish (&f, 8);
  expect_broken (VSOCK_VQ_ERR_HEAD);
}

Test (vsock_vring, bad_next_index)
{
  fvq_write_desc (&f, 0, BUFS, 16, VIRTQ_DESC_F_NEXT, 9);
  fvq_publish (&f, 0);
  expect_broken (VSOCK_VQ_ERR_NEXT);
}

Test (vsock_vring, descriptor_loop)
{
  fvq_write_desc (&f, 0, BUFS, 16, VIRTQ_DESC_F_NEXT, 1);
  fvq_write_desc (&f, 1, BUFS, 16, VIRTQ_DESC_F_NEXT, 0);
  fvq_publish (&f, 0);
  expect_broken (VSOCK_VQ_ERR_LOOP);
}

Test (vsock_vring, self_loop)
{
  fvq_write_desc (&f, 3, BUFS, 0, VIRTQ_DESC_F_NEXT, 3);
  fvq_publish (&f, 3);
  expect_broken (VSOCK_VQ_ERR_LOOP);
}

Test (vsock_vring, buffer_outside_memory)
{
  struct fake_desc d = { MEM_SIZE - 8, 16, 0 };
  fvq_add (&f, &d, 1);
  expect_broken (VSOCK_VQ_ERR_ADDR);
}

Test (vsock_vring, buffer_address_wraps)
{
  struct fake_desc d = { UINT64_MAX - 4, 16, VIRTQ_DESC_F_WRITE };
  fvq_add (&f, &d, 1);
  expect_broken (VSOCK_VQ_ERR_ADDR);
}

Test (vsock_vring, readable_after_writable)
{
  struct fake_desc d[] = { { BUFS, 16, VIRTQ_DESC_F_WRITE }, { BUFS + 64, 16, 0 } };
  fvq_add (&f, d, 2);
  expect_broken (VSOCK_VQ_ERR_ORDER);
}

Test (vsock_vring, indirect_with_next)
{
  struct fake_desc d[] = { { BUFS, 32, VIRTQ_DESC_F_INDIRECT }, { BUFS + 64, 16, 0 } };
  fvq_add (&f, d, 2);
  expect_broken (VSOCK_VQ_ERR_INDIRECT);
}

Test (vsock_vring, indirect_bad_length)
{
  struct fake_desc d = { BUFS, 24, VIRTQ_DESC_F_INDIRECT };
  fvq_add (&f, &d, 1);
  expect_broken (VSOCK_VQ_ERR_INDIRECT);
}

Test (vsock_vring, indirect_empty)
{
  struct fake_desc d = { BUFS, 0, VIRTQ_DESC_F_INDIRECT };
  fvq_add (&f, &d, 1);
  expect_broken (VSOCK_VQ_ERR_INDIRECT);
}

Test (vsock_vring, indirect_nested)
{
  struct virtq_desc t[1] = { { .addr = BUFS + 0x9000, .len = 16, .flags = VIRTQ_DESC_F_INDIRECT } };
  struct fake_desc d = { BUFS + 0x8000, sizeof (t), VIRTQ_DESC_F_INDIRECT };
  fg_write (&g, BUFS + 0x8000, t, sizeof (t));
  fvq_add (&f, &d, 1);
  expect_broken (VSOCK_VQ_ERR_INDIRECT);
}

Test (vsock_vring, indirect_table_outside_memory)
{
  struct fake_desc d = { MEM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT };
  fvq_add (&f, &d, 1);
  expect_broken (VSOCK_VQ_ERR_ADDR);
}

Test (vsock_vring, indirect_loop_and_bad_next)
{
  struct virtq_desc t[2] = {
    { .addr = BUFS, .len = 8, .flags = VIRTQ_DESC_F_NEXT, .next = 1 },
    { .addr = BUFS, .len = 8, .flags = VIRTQ_DESC_F_NEXT, .next = 0 },
  };
  struct fake_desc d = { BUFS + 0x8000, sizeof (t), VIRTQ_DESC_F_INDIRECT };
  fg_write (&g, BUFS + 0x8000, t, sizeof (t));
  fvq_add (&f, &d, 1);
  expect_broken (VSOCK_VQ_ERR_LOOP);
}

Test (vsock_vring, indirect_next_beyond_table)
{
  struct virtq_desc t[2] = {
    { .addr = BUFS, .len = 8, .flags = VIRTQ_DESC_F_NEXT, .next = 2 },
    { .addr = BUFS, .len = 8 },
  };
  struct fake_desc d = { BUFS + 0x8000, sizeof (t), VIRTQ_DESC_F_INDIRECT };
  fg_write (&g, BUFS + 0x8000, t, sizeof (t));
  fvq_add (&f, &d, 1);
  expect_broken (VSOCK_VQ_ERR_NEXT);
}

Test (vsock_vring, too_many_pieces)
{
  /* An indirect table of 300 one-byte buffers, each crossing nothing:
   * more pieces than a chain may have.  */
  struct virtq_desc t[300];
  struct fake_desc d = { BUFS + 0x8000, sizeof (t), VIRTQ_DESC_F_INDIRECT };
  unsigned int i;

  for (i = 0; i < 300; i++)
    t[i] = (struct virtq_desc){
      .addr = BUFS + i, .len = 1, .flags = i < 299 ? VIRTQ_DESC_F_NEXT : 0, .next = (uint16_t) (i + 1)
    };
  fg_write (&g, BUFS + 0x8000, t, sizeof (t));
  fvq_add (&f, &d, 1);
  expect_broken (VSOCK_VQ_ERR_TOO_MANY_IOV);
}

Test (vsock_vring, avail_index_runs_ahead)
{
  fg_w16 (&g, f.avail + 2, 9); /* 9 > num: impossible */
  cr_assert_eq (vsock_vq_avail_count (&vq), 0);
  expect_broken (VSOCK_VQ_ERR_AVAIL_IDX);
}

Test (vsock_vring, broken_ring_signals_err_fd_and_ignores_push)
{
  uint64_t v = 0;
  int efd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);

  cr_assert_geq (efd, 0);
  vq.err_fd = efd; /* vsock_vq_reset closes it */
  fvq_publish (&f, 200);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), -EINVAL);
  cr_assert_eq (read (efd, &v, sizeof (v)), (ssize_t) sizeof (v));
  cr_assert_eq (v, 1);
  vsock_vq_push (&vq, 0, 0);
  cr_assert_eq (fg_r16 (&g, f.used + 2), 0, "a dead ring is not written");
}

Test (vsock_vring, unconfigured_ring)
{
  struct vsock_vq v;

  vsock_vq_init (&v);
  cr_assert_not (vsock_vq_ready (&v));
  cr_assert_eq (vsock_vq_pop (&v, &g.mem, &chain), -EINVAL);
  cr_assert_eq (v.error, VSOCK_VQ_ERR_NOT_CONFIGURED);
}

Test (vsock_vring, notify_without_event_idx_honours_no_interrupt)
{
  struct fake_desc d = { BUFS, 64, VIRTQ_DESC_F_WRITE };

  fvq_add (&f, &d, 1);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  vsock_vq_push (&vq, chain.head, 0);
  cr_assert (vsock_vq_should_notify (&vq));
  cr_assert_not (vsock_vq_should_notify (&vq), "nothing new since");

  fg_w16 (&g, f.avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
  fvq_add (&f, &d, 1);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  vsock_vq_push (&vq, chain.head, 0);
  cr_assert_not (vsock_vq_should_notify (&vq));
}

Test (vsock_vring, notify_with_event_idx)
{
  struct fake_desc d = { BUFS, 64, VIRTQ_DESC_F_WRITE };
  unsigned int i;
  uint64_t used_event = f.avail + 4 + 2 * 8;

  vq.event_idx = true;
  /* First notification always goes out.  */
  fvq_add (&f, &d, 1);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  vsock_vq_push (&vq, chain.head, 0);
  cr_assert (vsock_vq_should_notify (&vq));

  /* The driver wants an interrupt once used->idx passes 3.  */
  fg_w16 (&g, used_event, 3);
  for (i = 1; i < 5; i++)
    {
      fvq_add (&f, &d, 1);
      cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
      vsock_vq_push (&vq, chain.head, 0);
      /* used_idx is now i + 1; notify exactly when it goes past 3.  */
      cr_assert_eq (vsock_vq_should_notify (&vq), i + 1 == 4, "used idx %u", i + 1);
    }
}

Test (vsock_vring, enable_kick_publishes_avail_event)
{
  struct fake_desc d = { BUFS, 64, VIRTQ_DESC_F_WRITE };
  uint64_t avail_event = f.used + 4 + 8 * 8;

  vq.event_idx = true;
  cr_assert_not (vsock_vq_enable_kick (&vq));
  cr_assert_eq (fg_r16 (&g, avail_event), 0);
  fvq_add (&f, &d, 1);
  cr_assert (vsock_vq_enable_kick (&vq), "a buffer arrived: process again");
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  cr_assert_not (vsock_vq_enable_kick (&vq));
  cr_assert_eq (fg_r16 (&g, avail_event), 1);
}

Test (vsock_vring, notify_writes_call_fd)
{
  struct fake_desc d = { BUFS, 64, VIRTQ_DESC_F_WRITE };
  uint64_t v = 0;
  int efd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);

  vq.call_fd = efd;
  fvq_add (&f, &d, 1);
  cr_assert_eq (vsock_vq_pop (&vq, &g.mem, &chain), 1);
  vsock_vq_push (&vq, chain.head, 0);
  vsock_vq_notify (&vq);
  cr_assert_eq (read (efd, &v, sizeof (v)), (ssize_t) sizeof (v));
  vsock_vq_notify (&vq);
  cr_assert_eq (read (efd, &v, sizeof (v)), -1, "no second interrupt for the same buffers");
}

Test (vsock_vring, iov_slice)
{
  char a[10], b[10];
  struct iovec iov[2] = { { a, 10 }, { b, 10 } }, out[2];

  cr_assert_eq (vsock_iov_slice (iov, 2, 5, 10, out, 2), 2);
  cr_assert_eq (out[0].iov_base, a + 5);
  cr_assert_eq (out[0].iov_len, 5);
  cr_assert_eq (out[1].iov_base, b);
  cr_assert_eq (out[1].iov_len, 5);
  cr_assert_eq (vsock_iov_slice (iov, 2, 5, 16, out, 2), -1, "past the end");
  cr_assert_eq (vsock_iov_slice (iov, 2, 5, 10, out, 1), -1, "too few slots");
  cr_assert_eq (vsock_iov_slice (iov, 2, 10, 10, out, 1), 1);
}
