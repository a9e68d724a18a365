#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/cid.h"

/* A fake kernel: CIDs in [taken_lo, taken_hi] are held by other VMs.  */
struct fake
{
  uint32_t taken_lo, taken_hi;
  int fatal_at; /* a CID that fails with EPERM, 0 for none */
  uint32_t tried[16];
  int ntried;
};

static int
fake_try (void *data, uint32_t cid)
{
  struct fake *f = data;
  if (f->ntried < 16)
    f->tried[f->ntried] = cid;
  f->ntried++;
  if (f->fatal_at && cid == (uint32_t) f->fatal_at)
    return -EPERM;
  if (cid >= f->taken_lo && cid <= f->taken_hi)
    return -EADDRINUSE;
  return 0;
}

Test (cid, first_free_is_taken_as_is)
{
  struct fake f = { .taken_lo = 1, .taken_hi = 0 };
  rv_error_t err = NULL;
  uint32_t cid = 0;
  cr_assert_eq (vm_cid_allocate (100, fake_try, &f, &cid, &err), 0);
  cr_assert_eq (cid, 100);
  cr_assert_eq (f.ntried, 1);
}

Test (cid, skips_cids_in_use)
{
  struct fake f = { .taken_lo = 100, .taken_hi = 104 };
  rv_error_t err = NULL;
  uint32_t cid = 0;
  cr_assert_eq (vm_cid_allocate (100, fake_try, &f, &cid, &err), 0);
  cr_assert_eq (cid, 105);
  cr_assert_eq (f.ntried, 6);
}

Test (cid, never_tries_reserved_cids_and_wraps)
{
  struct fake f = { .taken_lo = VM_CID_MAX - 1, .taken_hi = VM_CID_MAX };
  rv_error_t err = NULL;
  uint32_t cid = 0;
  int i;
  cr_assert_eq (vm_cid_allocate (VM_CID_MAX - 1, fake_try, &f, &cid, &err), 0);
  cr_assert_eq (cid, VM_CID_MIN);
  for (i = 0; i < f.ntried; i++)
    cr_assert (f.tried[i] >= VM_CID_MIN && f.tried[i] <= VM_CID_MAX, "tried %u", f.tried[i]);
}

Test (cid, out_of_range_start_is_mapped_into_range)
{
  struct fake f = { .taken_lo = 1, .taken_hi = 0 };
  rv_error_t err = NULL;
  uint32_t cid = 0;
  cr_assert_eq (vm_cid_allocate (0, fake_try, &f, &cid, &err), 0);
  cr_assert (cid >= VM_CID_MIN && cid <= VM_CID_MAX);
  f.ntried = 0;
  cr_assert_eq (vm_cid_allocate (0xffffffffu, fake_try, &f, &cid, &err), 0);
  cr_assert (cid >= VM_CID_MIN && cid <= VM_CID_MAX);
}

Test (cid, other_errors_stop_with_a_message)
{
  struct fake f = { .taken_lo = 10, .taken_hi = 11, .fatal_at = 12 };
  _cleanup_error_ rv_error_t err = NULL;
  uint32_t cid = 77;
  cr_assert_eq (vm_cid_allocate (10, fake_try, &f, &cid, &err), -EPERM);
  cr_assert_eq (cid, 77, "output untouched on failure");
  cr_assert_str_eq (err->msg, "claim guest CID 12: Operation not permitted");
}

Test (cid, gives_up_when_everything_is_taken)
{
  struct fake f = { .taken_lo = 0, .taken_hi = 0xffffffffu };
  _cleanup_error_ rv_error_t err = NULL;
  uint32_t cid = 0;
  cr_assert_eq (vm_cid_allocate (5, fake_try, &f, &cid, &err), -EADDRINUSE);
  cr_assert_eq (f.ntried, VM_CID_MAX_TRIES);
  cr_assert_not_null (strstr (err->msg, "no free guest CID"));
}

Test (cid, claim_without_the_device_names_it)
{
  _cleanup_error_ rv_error_t err = NULL;
  int fd = -1;
  uint32_t cid = 0;
  cr_assert_lt (vm_vhost_vsock_claim ("/nonexistent/vhost-vsock", &fd, &cid, &err), 0);
  cr_assert_eq (fd, -1);
  cr_assert_str_eq (err->msg, "open `/nonexistent/vhost-vsock`: No such file or directory");
}

Test (cid, claim_on_a_non_vhost_device_fails_cleanly)
{
  _cleanup_error_ rv_error_t err = NULL;
  int fd = -1;
  uint32_t cid = 0;
  /* /dev/null accepts the open but not the ioctl: the claim must fail
   * with the ioctl's errno rather than loop.  */
  cr_assert_lt (vm_vhost_vsock_claim ("/dev/null", &fd, &cid, &err), 0);
  cr_assert_eq (fd, -1);
  cr_assert_eq (err->status, ENOTTY);
}
