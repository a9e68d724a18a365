/* runvm's host configuration: /etc/runvm/config.json and the io.runvm.*
 * annotations that may override part of it per container.
 *
 * Every value has a default, so runvm runs with no file at all.  The file
 * is strict: an unknown key or a value of the wrong type or out of range is
 * an error naming the key, since a typo silently ignored would leave the
 * administrator believing a setting applies.  The file's path is
 * $RUNVM_CONFIG when set (tests), else SYSCONFDIR/runvm/config.json.
 *
 *   {
 *     "launcher": "qemu",                  qemu | host
 *     "guest": "cloud",                    image name: vmlinuz-<guest>, initrd-<guest>.img
 *     "image_dir": "/usr/local/share/runvm",
 *     "kernel": "/path/vmlinuz",           overrides guest/image_dir
 *     "initrd": "/path/initrd.img",
 *     "kernel_params": ["..."],            appended to the guest's command line
 *     "vcpus": 1, "memory_mb": 256,
 *     "max_vcpus": 0, "max_memory_mb": 0, bounds for annotations (0: the host's)
 *     "accel": "auto",                     auto | kvm | tcg
 *     "tb_size_mb": 64,                    TCG translation cache
 *     "transport": "auto",                 auto | vsock | hybrid
 *     "agent_port": 1024,
 *     "timeouts": { "boot_ms": 30000, "stop_ms": 10000 },
 *     "console_log_max_bytes": 1048576,
 *     "debug": false,
 *     "annotations": ["io.runvm.vcpus", ...],  which of the allow-list apply
 *     "binaries": { "qemu": "...", "virtiofsd": "...", "vsockd": "...", "agent": "..." }
 *   }
 *
 * Annotations (docs/vm.md explains each choice): a container's author may
 * size its VM and pick among the guest images the administrator installed,
 * but may not name host paths (QEMU would read any file as the kernel), add
 * kernel parameters (init=, module options) or select the `host` launcher
 * (no isolation at all).  Any other io.runvm.* key is an error.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* GNU C predefines `linux`, which spec/config.h uses as a member name.  */
#undef linux
#include "spec/config.h"

enum vm_accel
{
  VM_ACCEL_AUTO = 0,
  VM_ACCEL_KVM,
  VM_ACCEL_TCG,
};

enum vm_transport_pref
{
  VM_TRANSPORT_AUTO = 0,
  VM_TRANSPORT_VSOCK,  /* kernel vsock through /dev/vhost-vsock */
  VM_TRANSPORT_HYBRID, /* runvm-vsockd, a vhost-user device */
};

/* The annotations a container may set, as bits of vm_config.annotations.  */
enum vm_annotation
{
  VM_ANN_VCPUS = 1 << 0,           /* io.runvm.vcpus */
  VM_ANN_MEMORY_MB = 1 << 1,       /* io.runvm.memory_mb */
  VM_ANN_GUEST = 1 << 2,           /* io.runvm.guest */
  VM_ANN_ACCEL = 1 << 3,           /* io.runvm.accel */
  VM_ANN_DEBUG = 1 << 4,           /* io.runvm.debug */
  VM_ANN_BOOT_TIMEOUT_MS = 1 << 5, /* io.runvm.boot_timeout_ms */
  VM_ANN_ALL = (1 << 6) - 1,
};

#define VM_MIN_MEMORY_MB 64
#define VM_MAX_VCPUS     255

struct vm_config
{
  char *launcher;
  char *guest;
  char *image_dir;
  char *kernel; /* NULL: <image_dir>/vmlinuz-<guest> */
  char *initrd; /* NULL: <image_dir>/initrd-<guest>.img */
  char **kernel_params;
  uint32_t vcpus;
  uint32_t memory_mb;
  uint32_t max_vcpus;     /* 0 until vm_config_load fills in the host's */
  uint32_t max_memory_mb; /* likewise */
  enum vm_accel accel;
  uint32_t tb_size_mb;
  enum vm_transport_pref transport;
  uint32_t agent_port;
  uint32_t boot_timeout_ms;
  uint32_t stop_timeout_ms;
  uint64_t console_log_max_bytes;
  bool debug;
  unsigned annotations; /* enum vm_annotation bits */
  char *qemu;           /* a path, or a name searched in $PATH */
  char *virtiofsd;
  char *vsockd;
  char *agent;
  char *source; /* the file read, or NULL when defaults only */
};

/* The defaults, with host-dependent bounds filled in.  */
struct vm_config *vm_config_new (void);
void vm_config_free (struct vm_config *config);

/* The path vm_config_load reads: $RUNVM_CONFIG or SYSCONFDIR/runvm/config.json.  */
const char *vm_config_path (void);

/* Reads PATH (NULL: vm_config_path ()).  A missing file gives the defaults;
 * an unreadable or invalid one is an error naming the file and the key.  */
int vm_config_load (const char *path, struct vm_config **ret, rv_error_t *err);

/* Parses DATA (LEN bytes) over the defaults; NAME is used in messages.  */
int vm_config_parse (const char *name, const char *data, size_t len, struct vm_config **ret, rv_error_t *err);

/* Applies the io.runvm.* annotations among ANNOTATIONS (LEN entries) to a
 * copy of CONFIG.  Keys outside io.runvm.* are ignored; an io.runvm.* key
 * that is unknown, not enabled by the configuration, or has an invalid
 * value is an error naming it.  */
int vm_config_apply_annotations (const struct vm_config *config, const struct spec_kv *annotations,
                                 size_t len, struct vm_config **ret, rv_error_t *err);

struct vm_config *vm_config_dup (const struct vm_config *config);

/* The kernel and initrd CONFIG selects, checked to be readable files.  The
 * error says what to install or configure.  */
int vm_config_guest_paths (const struct vm_config *config, char **ret_kernel, char **ret_initrd,
                           rv_error_t *err);

/* Finds a helper program: PATH_OR_NAME as given when it holds a '/', else
 * the first executable among the NDIRS entries of DIRS (NULL entries are
 * skipped) and then $PATH.  Returns a new string or NULL.  */
char *vm_find_program (const char *path_or_name, const char *const *dirs, size_t ndirs);

/* The helpers' paths, found as vm_find_program does with the default
 * directories of each (the configured value first).  The error names the
 * helper and the package or make target that provides it.  */
int vm_config_find_qemu (const struct vm_config *config, char **ret, rv_error_t *err);
int vm_config_find_virtiofsd (const struct vm_config *config, char **ret, rv_error_t *err);
int vm_config_find_vsockd (const struct vm_config *config, char **ret, rv_error_t *err);
int vm_config_find_agent (const struct vm_config *config, char **ret, rv_error_t *err);

const char *vm_accel_name (enum vm_accel accel);
const char *vm_transport_pref_name (enum vm_transport_pref t);
