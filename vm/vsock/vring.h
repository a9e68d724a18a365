/* Guest memory and the split virtqueue (virtio 1.x, section 2.7), as seen
 * by a vhost-user back-end.
 *
 * The guest is untrusted.  Every address the guest (or the front-end) hands
 * us goes through vsock_mem_*() translation, which checks the whole range
 * against one mapped region; every index read from a ring is checked
 * against the ring size; every descriptor chain is bounded by the ring size
 * and by VSOCK_CHAIN_MAX_IOV.  A ring that breaks a rule is marked broken
 * and never touched again until the front-end reconfigures it.
 *
 * Rings and descriptors live in memory the guest writes concurrently: each
 * descriptor is copied out once (memcpy) and only the copy is used.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* The vhost-user baseline: SET_MEM_TABLE carries at most 8 regions.  */
#define VSOCK_MEM_MAX_REGIONS 8

struct vsock_mem_region
{
  uint64_t gpa;  /* guest-physical address of the region's first byte */
  uint64_t size; /* bytes; never 0 */
  uint64_t uva;  /* the front-end's (QEMU's) virtual address of the first byte */
  uint8_t *host; /* our address of the first byte */
  void *map;     /* what to munmap (NULL: not owned, as in tests) */
  size_t map_len;
};

struct vsock_mem
{
  unsigned int n;
  struct vsock_mem_region r[VSOCK_MEM_MAX_REGIONS];
};

/* Our pointer to guest-physical [GPA, GPA + LEN), or NULL unless the whole
 * range lies inside one region (LEN 0 is treated as 1).  */
void *vsock_mem_gpa (const struct vsock_mem *mem, uint64_t gpa, uint64_t len);

/* Our pointer to the front-end virtual range [UVA, UVA + LEN) (ring
 * addresses in SET_VRING_ADDR use this convention), or NULL.  */
void *vsock_mem_uva (const struct vsock_mem *mem, uint64_t uva, uint64_t len);

/* The longest prefix of guest-physical [GPA, GPA + LEN) that is contiguous
 * in one region: stores our pointer in *RET and returns its length, or
 * returns 0 when GPA is not mapped.  */
size_t vsock_mem_gpa_prefix (const struct vsock_mem *mem, uint64_t gpa, uint64_t len, void **ret);

/* Unmaps every owned region and empties the table.  */
void vsock_mem_clear (struct vsock_mem *mem);

/* The split virtqueue layout (virtio 1.x 2.7), little-endian on the wire;
 * this daemon only builds for little-endian hosts.  */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

#define VIRTQ_MAX_SIZE 32768

struct virtq_desc
{
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};

struct virtq_used_elem
{
  uint32_t id;
  uint32_t len;
};

/* Sizes of the three areas for a ring of NUM entries, event index fields
 * included (they are always present in the layout).  */
#define VIRTQ_DESC_SIZE(num)  ((size_t) (num) *16)
#define VIRTQ_AVAIL_SIZE(num) (6 + (size_t) (num) *2)
#define VIRTQ_USED_SIZE(num)  (6 + (size_t) (num) *8)

/* Most iovecs one chain may produce (a descriptor that spans two memory
 * regions gives two).  Longer chains break the ring.  */
#define VSOCK_CHAIN_MAX_IOV 256

/* One descriptor chain taken from the available ring: the device-readable
 * part (out) followed by the device-writable part (in).  */
struct vsock_chain
{
  uint16_t head;
  unsigned int n_out; /* iov[0 .. n_out) */
  unsigned int n_in;  /* iov[n_out .. n_out + n_in) */
  size_t out_len;
  size_t in_len;
  struct iovec iov[VSOCK_CHAIN_MAX_IOV];
};

enum vsock_vq_error
{
  VSOCK_VQ_OK = 0,
  VSOCK_VQ_ERR_AVAIL_IDX,     /* avail->idx ran more than num ahead */
  VSOCK_VQ_ERR_HEAD,          /* head index >= num */
  VSOCK_VQ_ERR_NEXT,          /* next index >= num (or >= indirect table size) */
  VSOCK_VQ_ERR_LOOP,          /* chain longer than the ring: a loop */
  VSOCK_VQ_ERR_ADDR,          /* buffer not inside guest memory */
  VSOCK_VQ_ERR_ORDER,         /* readable descriptor after a writable one */
  VSOCK_VQ_ERR_INDIRECT,      /* bad indirect table (size, nesting, NEXT) */
  VSOCK_VQ_ERR_TOO_MANY_IOV,  /* more than VSOCK_CHAIN_MAX_IOV pieces */
  VSOCK_VQ_ERR_NOT_CONFIGURED /* ring used before it was mapped */
};

/* A split virtqueue as configured by the front-end.  */
struct vsock_vq
{
  /* Configuration from vhost-user messages.  */
  uint16_t num; /* ring size, 0 until SET_VRING_NUM */
  bool addr_set;
  uint64_t desc_uva, avail_uva, used_uva;
  int kick_fd; /* -1 when none */
  int call_fd;
  int err_fd;
  bool enabled;   /* SET_VRING_ENABLE (or implicit without protocol features) */
  bool started;   /* between SET_VRING_KICK and GET_VRING_BASE */
  bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */

  /* Our pointers into guest memory, valid while mapped.  */
  bool mapped;
  uint8_t *desc; /* struct virtq_desc[num], read with memcpy */
  uint8_t *avail;
  uint8_t *used;

  uint16_t last_avail; /* next available-ring entry to take */
  uint16_t used_idx;   /* next used-ring entry to fill (our shadow of used->idx) */
  uint16_t signalled_used;
  bool signalled_used_valid;

  enum vsock_vq_error error; /* first rule the guest broke; the ring is dead */
};

void vsock_vq_init (struct vsock_vq *vq);

/* Closes the eventfds and forgets everything (the ring is stopped).  */
void vsock_vq_reset (struct vsock_vq *vq);

/* Resolves the ring addresses against MEM, checking alignment (16, 2, 4)
 * and that each area lies inside one region.  Returns 0 or -EINVAL (the
 * ring stays unmapped).  Called again after every new memory table.  */
int vsock_vq_map (struct vsock_vq *vq, const struct vsock_mem *mem);

/* True when the ring may be processed: mapped, started, enabled, intact.  */
bool vsock_vq_ready (const struct vsock_vq *vq);

/* Takes the next available chain into *CHAIN.  Returns 1 when it did, 0
 * when the ring is empty, -EINVAL when the guest broke a rule (vq->error
 * says which; the ring is dead from then on).  */
int vsock_vq_pop (struct vsock_vq *vq, const struct vsock_mem *mem, struct vsock_chain *chain);

/* Gives back the chain taken last (nothing was written to it).  */
void vsock_vq_unpop (struct vsock_vq *vq);

/* Returns chain HEAD to the guest with LEN bytes written.  */
void vsock_vq_push (struct vsock_vq *vq, uint16_t head, uint32_t len);

/* Whether the guest asked to be interrupted for what was pushed since the
 * last notification (VIRTQ_AVAIL_F_NO_INTERRUPT or the used_event index).
 * Updates the record of the last notification when it returns true.  */
bool vsock_vq_should_notify (struct vsock_vq *vq);

/* Signals the call eventfd when vsock_vq_should_notify() says so.  */
void vsock_vq_notify (struct vsock_vq *vq);

/* Asks the guest to kick us for the next buffer it adds (avail_event with
 * event index; used->flags otherwise), then reports whether buffers arrived
 * meanwhile (the caller then processes again instead of sleeping).  */
bool vsock_vq_enable_kick (struct vsock_vq *vq);

/* Number of chains the guest has made available and we have not taken
 * (0 when the ring is not ready or avail->idx is out of range).  */
unsigned int vsock_vq_avail_count (const struct vsock_vq *vq);

const char *vsock_vq_error_str (enum vsock_vq_error e);

/* Copies between an iovec array and a flat buffer, starting OFF bytes
 * into the iovecs.  Return the number of bytes copied.  */
size_t vsock_iov_to_buf (const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len);
size_t vsock_iov_from_buf (const struct iovec *iov, unsigned int n, size_t off, const void *buf, size_t len);

/* Fills OUT (at most MAX entries) with the slice [OFF, OFF + LEN) of IOV.
 * Returns the number of entries, or -1 when MAX is too small or the slice
 * runs past the end.  */
int vsock_iov_slice (const struct iovec *iov, unsigned int n, size_t off, size_t len, struct iovec *out,
                     unsigned int max);
