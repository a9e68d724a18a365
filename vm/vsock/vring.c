#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "vm/vsock/vring.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "runvm-vsockd reads virtio rings in host byte order: little-endian hosts only"
#endif

static const struct vsock_mem_region *
region_of (const struct vsock_mem *mem, uint64_t addr, bool by_uva, uint64_t *ret_off)
{
  unsigned int i;

  for (i = 0; i < mem->n && i < VSOCK_MEM_MAX_REGIONS; i++)
    {
      const struct vsock_mem_region *r = &mem->r[i];
      uint64_t base = by_uva ? r->uva : r->gpa;
      if (addr >= base && addr - base < r->size)
        {
          *ret_off = addr - base;
          return r;
        }
    }
  return NULL;
}

static void *
translate (const struct vsock_mem *mem, uint64_t addr, uint64_t len, bool by_uva)
{
  const struct vsock_mem_region *r;
  uint64_t off;

  if (len == 0)
    len = 1;
  r = region_of (mem, addr, by_uva, &off);
  /* off < size, so size - off cannot underflow.  */
  if (r == NULL || len > r->size - off)
    return NULL;
  return r->host + off;
}

void *
vsock_mem_gpa (const struct vsock_mem *mem, uint64_t gpa, uint64_t len)
{
  return translate (mem, gpa, len, false);
}

void *
vsock_mem_uva (const struct vsock_mem *mem, uint64_t uva, uint64_t len)
{
  return translate (mem, uva, len, true);
}

size_t
vsock_mem_gpa_prefix (const struct vsock_mem *mem, uint64_t gpa, uint64_t len, void **ret)
{
  const struct vsock_mem_region *r;
  uint64_t off, n;

  r = region_of (mem, gpa, false, &off);
  if (r == NULL || len == 0)
    return 0;
  n = r->size - off;
  if (n > len)
    n = len;
  if (n > SIZE_MAX)
    n = SIZE_MAX;
  *ret = r->host + off;
  return (size_t) n;
}

void
vsock_mem_clear (struct vsock_mem *mem)
{
  unsigned int i;

  for (i = 0; i < mem->n && i < VSOCK_MEM_MAX_REGIONS; i++)
    if (mem->r[i].map != NULL)
      (void) munmap (mem->r[i].map, mem->r[i].map_len);
  memset (mem, 0, sizeof (*mem));
}

/* Ring fields.  The ring areas are checked for alignment when mapped, so
 * these are naturally aligned accesses; the atomics order them against the
 * guest's accesses on other CPUs.  */
static inline uint16_t
load16 (const uint8_t *p)
{
  return __atomic_load_n ((const uint16_t *) (const void *) p, __ATOMIC_RELAXED);
}

static inline uint16_t
load16_acquire (const uint8_t *p)
{
  return __atomic_load_n ((const uint16_t *) (const void *) p, __ATOMIC_ACQUIRE);
}

static inline void
store16 (uint8_t *p, uint16_t v)
{
  __atomic_store_n ((uint16_t *) (void *) p, v, __ATOMIC_RELAXED);
}

static inline void
store16_release (uint8_t *p, uint16_t v)
{
  __atomic_store_n ((uint16_t *) (void *) p, v, __ATOMIC_RELEASE);
}

static inline void
store32 (uint8_t *p, uint32_t v)
{
  __atomic_store_n ((uint32_t *) (void *) p, v, __ATOMIC_RELAXED);
}

#define AVAIL_FLAGS(vq)      ((vq)->avail)
#define AVAIL_IDX(vq)        ((vq)->avail + 2)
#define AVAIL_RING(vq, i)    ((vq)->avail + 4 + 2 * (size_t) (i))
#define AVAIL_USED_EVENT(vq) ((vq)->avail + 4 + 2 * (size_t) (vq)->num)
#define USED_FLAGS(vq)       ((vq)->used)
#define USED_IDX(vq)         ((vq)->used + 2)
#define USED_RING(vq, i)     ((vq)->used + 4 + 8 * (size_t) (i))
#define USED_AVAIL_EVENT(vq) ((vq)->used + 4 + 8 * (size_t) (vq)->num)

void
vsock_vq_init (struct vsock_vq *vq)
{
  memset (vq, 0, sizeof (*vq));
  vq->kick_fd = -1;
  vq->call_fd = -1;
  vq->err_fd = -1;
}

void
vsock_vq_reset (struct vsock_vq *vq)
{
  cleanup_closep (&vq->kick_fd);
  cleanup_closep (&vq->call_fd);
  cleanup_closep (&vq->err_fd);
  vsock_vq_init (vq);
}

int
vsock_vq_map (struct vsock_vq *vq, const struct vsock_mem *mem)
{
  uint8_t *desc, *avail, *used;

  vq->mapped = false;
  vq->desc = vq->avail = vq->used = NULL;
  if (vq->num == 0 || !vq->addr_set)
    return -EINVAL;
  desc = vsock_mem_uva (mem, vq->desc_uva, VIRTQ_DESC_SIZE (vq->num));
  avail = vsock_mem_uva (mem, vq->avail_uva, VIRTQ_AVAIL_SIZE (vq->num));
  used = vsock_mem_uva (mem, vq->used_uva, VIRTQ_USED_SIZE (vq->num));
  if (desc == NULL || avail == NULL || used == NULL)
    return -EINVAL;
  /* Virtio 1.x 2.7: descriptor table 16, available ring 2, used ring 4.
   * Checked on our pointers, which is what the loads and stores use.  */
  if ((uintptr_t) desc % 16 != 0 || (uintptr_t) avail % 2 != 0 || (uintptr_t) used % 4 != 0)
    return -EINVAL;
  vq->desc = desc;
  vq->avail = avail;
  vq->used = used;
  vq->mapped = true;
  return 0;
}

bool
vsock_vq_ready (const struct vsock_vq *vq)
{
  return vq->mapped && vq->started && vq->enabled && vq->error == VSOCK_VQ_OK;
}

static int
fail (struct vsock_vq *vq, enum vsock_vq_error e)
{
  if (vq->error == VSOCK_VQ_OK)
    vq->error = e;
  /* Tell the front-end, which may report or reset the device.  */
  if (vq->err_fd >= 0)
    {
      uint64_t one = 1;
      (void) !write (vq->err_fd, &one, sizeof (one));
    }
  return -EINVAL;
}

/* Appends guest-physical [ADDR, ADDR + LEN) to the chain, split where it
 * crosses regions, counting the pieces in *COUNT (n_out or n_in; writable
 * pieces come last, so the next slot is always n_out + n_in).  */
static enum vsock_vq_error
add_iov (struct vsock_chain *c, unsigned int *count, const struct vsock_mem *mem, uint64_t addr, uint32_t len)
{
  uint64_t left = len;

  while (left > 0)
    {
      void *p;
      size_t n = vsock_mem_gpa_prefix (mem, addr, left, &p);
      unsigned int i = c->n_out + c->n_in;

      if (n == 0)
        return VSOCK_VQ_ERR_ADDR;
      if (i >= VSOCK_CHAIN_MAX_IOV)
        return VSOCK_VQ_ERR_TOO_MANY_IOV;
      c->iov[i].iov_base = p;
      c->iov[i].iov_len = n;
      (*count)++;
      addr += n;
      left -= n;
    }
  return VSOCK_VQ_OK;
}

/* Walks the chain starting at HEAD.  Bounds: every index < the size of the
 * table it indexes; at most that many descriptors per table (a longer walk
 * is a loop); one level of indirection, as the last descriptor; readable
 * before writable.  */
static enum vsock_vq_error
walk_chain (const struct vsock_vq *vq, const struct vsock_mem *mem, uint16_t head, struct vsock_chain *c)
{
  const uint8_t *table = vq->desc;
  uint32_t table_size = vq->num;
  uint32_t idx = head, count = 0;
  bool indirect = false, seen_write = false;
  enum vsock_vq_error e;

  c->head = head;
  c->n_out = c->n_in = 0;
  c->out_len = c->in_len = 0;
  for (;;)
    {
      struct virtq_desc d;

      if (++count > table_size)
        return VSOCK_VQ_ERR_LOOP;
      memcpy (&d, table + (size_t) idx * sizeof (d), sizeof (d));

      if (d.flags & VIRTQ_DESC_F_INDIRECT)
        {
          if (indirect || (d.flags & VIRTQ_DESC_F_NEXT) || d.len == 0 || d.len % sizeof (d) != 0
              || d.len / sizeof (d) > VIRTQ_MAX_SIZE)
            return VSOCK_VQ_ERR_INDIRECT;
          table = vsock_mem_gpa (mem, d.addr, d.len);
          if (table == NULL)
            return VSOCK_VQ_ERR_ADDR;
          table_size = d.len / sizeof (d);
          idx = 0;
          count = 0;
          indirect = true;
          continue;
        }

      if (d.flags & VIRTQ_DESC_F_WRITE)
        {
          e = add_iov (c, &c->n_in, mem, d.addr, d.len);
          c->in_len += d.len;
          seen_write = true;
        }
      else
        {
          if (seen_write)
            return VSOCK_VQ_ERR_ORDER;
          e = add_iov (c, &c->n_out, mem, d.addr, d.len);
          c->out_len += d.len;
        }
      if (e != VSOCK_VQ_OK)
        return e;

      if (!(d.flags & VIRTQ_DESC_F_NEXT))
        return VSOCK_VQ_OK;
      idx = d.next;
      if (idx >= table_size)
        return VSOCK_VQ_ERR_NEXT;
    }
}

unsigned int
vsock_vq_avail_count (const struct vsock_vq *vq)
{
  uint16_t n;

  if (!vsock_vq_ready (vq))
    return 0;
  n = (uint16_t) (load16_acquire (AVAIL_IDX (vq)) - vq->last_avail);
  return n > vq->num ? 0 : n;
}

int
vsock_vq_pop (struct vsock_vq *vq, const struct vsock_mem *mem, struct vsock_chain *chain)
{
  uint16_t avail_idx, head, pending;
  enum vsock_vq_error e;

  if (vq->error != VSOCK_VQ_OK)
    return -EINVAL;
  if (!vq->mapped)
    return fail (vq, VSOCK_VQ_ERR_NOT_CONFIGURED);

  /* Acquire: the ring entries and descriptors the guest wrote before
   * publishing idx are visible once we see idx.  */
  avail_idx = load16_acquire (AVAIL_IDX (vq));
  pending = (uint16_t) (avail_idx - vq->last_avail);
  if (pending > vq->num)
    return fail (vq, VSOCK_VQ_ERR_AVAIL_IDX);
  if (pending == 0)
    return 0;

  /* num is a power of two (checked at SET_VRING_NUM), so the free-running
   * 16-bit index wraps consistently with the ring.  */
  head = load16 (AVAIL_RING (vq, vq->last_avail & (vq->num - 1)));
  if (head >= vq->num)
    return fail (vq, VSOCK_VQ_ERR_HEAD);

  e = walk_chain (vq, mem, head, chain);
  if (e != VSOCK_VQ_OK)
    return fail (vq, e);
  vq->last_avail++;
  return 1;
}

void
vsock_vq_unpop (struct vsock_vq *vq)
{
  vq->last_avail--;
}

void
vsock_vq_push (struct vsock_vq *vq, uint16_t head, uint32_t len)
{
  uint8_t *elem;

  if (!vq->mapped || vq->error != VSOCK_VQ_OK)
    return;
  elem = USED_RING (vq, vq->used_idx & (vq->num - 1));
  store32 (elem, head);
  store32 (elem + 4, len);
  vq->used_idx++;
  /* Release: the element (and the data written into the buffer) is
   * visible before the new index.  */
  store16_release (USED_IDX (vq), vq->used_idx);
}

bool
vsock_vq_should_notify (struct vsock_vq *vq)
{
  uint16_t old, now, event;
  bool valid;

  if (!vq->mapped)
    return false;
  /* Full barrier: the used index store must be visible before we read
   * the guest's wish, or both sides may decide not to notify.  */
  __atomic_thread_fence (__ATOMIC_SEQ_CST);
  now = vq->used_idx;
  if (!vq->event_idx)
    {
      if (vq->signalled_used_valid && vq->signalled_used == now)
        return false;
      vq->signalled_used = now;
      vq->signalled_used_valid = true;
      return !(load16 (AVAIL_FLAGS (vq)) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
  old = vq->signalled_used;
  valid = vq->signalled_used_valid;
  vq->signalled_used = now;
  vq->signalled_used_valid = true;
  if (!valid)
    return true;
  if (old == now)
    return false;
  event = load16 (AVAIL_USED_EVENT (vq));
  /* virtio 1.x 2.7.10: notify when used_event lies in [old, now).  */
  return (uint16_t) (now - event - 1) < (uint16_t) (now - old);
}

void
vsock_vq_notify (struct vsock_vq *vq)
{
  uint64_t one = 1;

  if (vq->call_fd < 0 || !vsock_vq_should_notify (vq))
    return;
  (void) !write (vq->call_fd, &one, sizeof (one));
}

bool
vsock_vq_enable_kick (struct vsock_vq *vq)
{
  if (!vq->mapped || vq->error != VSOCK_VQ_OK)
    return false;
  if (vq->event_idx)
    store16 (USED_AVAIL_EVENT (vq), vq->last_avail);
  else
    store16 (USED_FLAGS (vq), 0);
  /* Full barrier: publish our wish before looking at avail->idx again,
   * so a buffer added meanwhile is either seen here or kicked.  */
  __atomic_thread_fence (__ATOMIC_SEQ_CST);
  return load16_acquire (AVAIL_IDX (vq)) != vq->last_avail;
}

const char *
vsock_vq_error_str (enum vsock_vq_error e)
{
  switch (e)
    {
    case VSOCK_VQ_OK:
      return "no error";
    case VSOCK_VQ_ERR_AVAIL_IDX:
      return "available index runs ahead of the ring size";
    case VSOCK_VQ_ERR_HEAD:
      return "chain head out of range";
    case VSOCK_VQ_ERR_NEXT:
      return "next descriptor index out of range";
    case VSOCK_VQ_ERR_LOOP:
      return "descriptor chain longer than its table (loop)";
    case VSOCK_VQ_ERR_ADDR:
      return "buffer outside guest memory";
    case VSOCK_VQ_ERR_ORDER:
      return "device-readable descriptor after a device-writable one";
    case VSOCK_VQ_ERR_INDIRECT:
      return "bad indirect descriptor table";
    case VSOCK_VQ_ERR_TOO_MANY_IOV:
      return "descriptor chain has too many pieces";
    case VSOCK_VQ_ERR_NOT_CONFIGURED:
      return "ring used before it was configured";
    }
  return "unknown error";
}

size_t
vsock_iov_to_buf (const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len)
{
  size_t done = 0;
  unsigned int i;

  for (i = 0; i < n && done < len; i++)
    {
      size_t take;
      if (off >= iov[i].iov_len)
        {
          off -= iov[i].iov_len;
          continue;
        }
      take = iov[i].iov_len - off;
      if (take > len - done)
        take = len - done;
      memcpy ((uint8_t *) buf + done, (const uint8_t *) iov[i].iov_base + off, take);
      done += take;
      off = 0;
    }
  return done;
}

size_t
vsock_iov_from_buf (const struct iovec *iov, unsigned int n, size_t off, const void *buf, size_t len)
{
  size_t done = 0;
  unsigned int i;

  for (i = 0; i < n && done < len; i++)
    {
      size_t take;
      if (off >= iov[i].iov_len)
        {
          off -= iov[i].iov_len;
          continue;
        }
      take = iov[i].iov_len - off;
      if (take > len - done)
        take = len - done;
      memcpy ((uint8_t *) iov[i].iov_base + off, (const uint8_t *) buf + done, take);
      done += take;
      off = 0;
    }
  return done;
}

int
vsock_iov_slice (const struct iovec *iov, unsigned int n, size_t off, size_t len, struct iovec *out,
                 unsigned int max)
{
  unsigned int i, k = 0;

  for (i = 0; i < n && len > 0; i++)
    {
      size_t take;
      if (off >= iov[i].iov_len)
        {
          off -= iov[i].iov_len;
          continue;
        }
      if (k >= max)
        return -1;
      take = iov[i].iov_len - off;
      if (take > len)
        take = len;
      out[k].iov_base = (uint8_t *) iov[i].iov_base + off;
      out[k].iov_len = take;
      k++;
      len -= take;
      off = 0;
    }
  return len == 0 ? (int) k : -1;
}
