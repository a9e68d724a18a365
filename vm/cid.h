/* Guest CIDs for kernel vsock (/dev/vhost-vsock).
 *
 * A CID is unique per host.  Rather than a registry of our own that could
 * go stale, the kernel is the arbiter: VHOST_VSOCK_SET_GUEST_CID on an open
 * /dev/vhost-vsock fails with EADDRINUSE when another open device holds the
 * CID, and the reservation lasts exactly as long as the fd.  So a CID is
 * claimed by trying it, and on EADDRINUSE the next one is tried; two
 * runvm instances racing for one CID cannot both win.  The fd then goes to
 * QEMU (vhostfd=), which sets the same CID on it again (allowed: same
 * device) and keeps it for the VM's life.  */
#pragma once

#include <stdint.h>

#include "common/error.h"

#define VM_CID_MIN       3u          /* 0-2: hypervisor, local, host */
#define VM_CID_MAX       0xfffffffeu /* 0xffffffff: VMADDR_CID_ANY */
#define VM_CID_MAX_TRIES 4096

/* Claims CID for the caller: 0 when claimed, -EADDRINUSE when someone else
 * holds it, another negative errno to give up.  */
typedef int (*vm_cid_try_fn) (void *data, uint32_t cid);

/* Tries START (brought into range), then the CIDs after it, wrapping,
 * until one is claimed.  */
int vm_cid_allocate (uint32_t start, vm_cid_try_fn try_cid, void *data, uint32_t *ret_cid, rv_error_t *err);

/* Opens DEV (NULL: /dev/vhost-vsock) and claims a CID on it, starting at a
 * random one.  *RET_FD keeps the claim.  */
int vm_vhost_vsock_claim (const char *dev, int *ret_fd, uint32_t *ret_cid, rv_error_t *err);
