/* QEMU's command line, built from typed fields.
 *
 * Nothing is pasted: every option value is assembled from a constant key
 * and a value that is escaped for QEMU's option parser (a ',' in a value
 * is written ",,"), so a path or an id holding ",share=off" or ",id=x"
 * stays one value.  The kernel command line is one argv element of its
 * own (-append is not parsed into key=value pairs) built from words that
 * were validated to hold no whitespace.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vm/config.h"
#include "vm/net.h"

enum qemu_vsock
{
  QEMU_VSOCK_NONE = 0,
  QEMU_VSOCK_VHOST,      /* vhost-vsock-device, kernel vsock, guest-cid + vhostfd */
  QEMU_VSOCK_VHOST_USER, /* vhost-user-vsock-device on a chardev socket (runvm-vsockd) */
};

struct qemu_spec
{
  const char *binary;
  const char *name;    /* -name, for ps and logs; may be NULL */
  enum vm_accel accel; /* KVM or TCG, resolved */
  uint32_t tb_size_mb; /* TCG only */
  uint32_t vcpus;
  uint32_t memory_mb;
  const char *kernel;
  const char *initrd;
  char **cmdline; /* kernel command line words */

  enum qemu_vsock vsock;
  uint32_t guest_cid;       /* QEMU_VSOCK_VHOST */
  int vhost_fd;             /* QEMU_VSOCK_VHOST: an open /dev/vhost-vsock, -1 to let QEMU open it */
  int vsock_fd;             /* QEMU_VSOCK_VHOST_USER: QEMU's end of a socketpair with the device, or -1 */
  const char *vsock_socket; /* QEMU_VSOCK_VHOST_USER when vsock_fd is -1: the device's listening socket */

  const char *fs_socket; /* virtiofsd's vhost-user socket, NULL for none */
  const char *fs_tag;

  /* virtio-net devices, each on a tap (vm/net.h: net_qemu_nics).  */
  const struct net_qemu_nic *nics;
  size_t n_nics;

  bool sandbox; /* -sandbox on: QEMU's own seccomp filter */
};

/* Appends KEY=VALUE to the option string *OPTS (created when NULL), escaping
 * ',' in VALUE.  KEY must be a constant of QEMU's.  */
void qemu_opt_add (char **opts, const char *key, const char *value);
void qemu_opt_add_u64 (char **opts, const char *key, uint64_t value);

/* The argv for SPEC (NULL-terminated, argv[0] = binary).  */
char **qemu_build_argv (const struct qemu_spec *spec);

/* The guest's command line words for the runvm guest contract: console,
 * agent port, debug, panic and power-off behaviour, tsc_early_khz under
 * TCG (0: omitted), then EXTRA (the administrator's kernel_params).  */
char **qemu_guest_cmdline (uint32_t agent_port, bool debug, uint32_t tsc_khz, char *const *extra);
