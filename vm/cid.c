#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/cid.h"

static uint32_t
cid_in_range (uint64_t v)
{
  return VM_CID_MIN + (uint32_t) (v % ((uint64_t) VM_CID_MAX - VM_CID_MIN + 1));
}

int
vm_cid_allocate (uint32_t start, vm_cid_try_fn try_cid, void *data, uint32_t *ret_cid, rv_error_t *err)
{
  uint32_t cid = start >= VM_CID_MIN && start <= VM_CID_MAX ? start : cid_in_range (start);
  int i, r;

  for (i = 0; i < VM_CID_MAX_TRIES; i++)
    {
      r = try_cid (data, cid);
      if (r == 0)
        {
          *ret_cid = cid;
          return 0;
        }
      if (r != -EADDRINUSE)
        return rv_error_make (err, -r, "claim guest CID %u", cid);
      cid = cid == VM_CID_MAX ? VM_CID_MIN : cid + 1;
    }
  return rv_error_set (err, EADDRINUSE, "no free guest CID after %d tries from %u", VM_CID_MAX_TRIES, start);
}

static int
try_vhost (void *data, uint32_t cid)
{
  uint64_t v = cid;
  if (ioctl (*(int *) data, VHOST_VSOCK_SET_GUEST_CID, &v) < 0)
    return -errno;
  return 0;
}

int
vm_vhost_vsock_claim (const char *dev, int *ret_fd, uint32_t *ret_cid, rv_error_t *err)
{
  _cleanup_close_ int fd = -1;
  uint32_t start = 0, cid = 0;
  int r;

  if (dev == NULL)
    dev = "/dev/vhost-vsock";
  fd = open (dev, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return rv_error_make (err, errno, "open `%s`", dev);
  /* A random start keeps concurrent instances from walking the same
   * sequence of collisions.  */
  if (getrandom (&start, sizeof (start), GRND_NONBLOCK) != (ssize_t) sizeof (start))
    start = (uint32_t) getpid () * 2654435761u;
  r = vm_cid_allocate (start, try_vhost, &fd, &cid, err);
  if (r < 0)
    return rv_error_wrap (err, "`%s`", dev);
  *ret_fd = TAKE_FD (fd);
  *ret_cid = cid;
  return 0;
}
