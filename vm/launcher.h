/* VM launchers: one table of operations, one file per launcher.
 *
 *   qemu   (vm/qemu.c, the default) QEMU's microvm machine with virtiofsd
 *          and, without /dev/vhost-vsock, runvm-vsockd
 *   host   (vm/host.c) the agent as a plain host process, no VM: machines
 *          without virtualization, fast tests
 *
 * The launcher runs inside the monitor process, which owns one epoll loop.
 * The calls, in order:
 *
 *   vm_prepare     checks everything that can be checked without starting
 *                  anything: configuration, kernel, initrd, helper programs,
 *                  accelerator; creates <state>/shared.  No process, no fd
 *                  that outlives vm_free.
 *   vm_start       spawns the children (each dies with the monitor: see
 *                  vm/spawn.h) and returns at once.
 *   vm_wait_ready  pumps the console and watches the children until the
 *                  agent answers on the transport (the protocol handshake
 *                  done), the VM dies (error quoting the console's last
 *                  lines), or the time is up (likewise).  Then the agent
 *                  connection can be taken with vm_take_agent.
 *   ...            the monitor polls vm_watches(): when one is readable it
 *                  calls vm_handle, which pumps the console or reaps a
 *                  child, and tells when the VM has gone.
 *   vm_stop        after the caller asked the guest to power off (agent
 *                  `shutdown`): waits for the VMM to exit, then ends the
 *                  helpers; kills what is left when the time is up.
 *   vm_kill        SIGKILL to every child, reaped before it returns: no
 *                  process is left.  vm_free does it too.
 *
 * The children must be reaped through the launcher (vm_handle, vm_stop,
 * vm_kill), not by a waitpid(-1) in the monitor, which would steal their
 * exit status.
 *
 * Other VMMs fit the same table without changing it:
 *  - Firecracker: prepare writes its JSON configuration (kernel, initrd,
 *    boot args, vCPUs, memory, a vsock device with uds_path <state>/vsock.sock)
 *    into the state directory; start spawns `firecracker --no-api
 *    --config-file`; its vsock is the hybrid transport already described
 *    by AGENT_TRANSPORT_HYBRID_VSOCK, so transport() returns that.  It has
 *    no virtio-fs; the rootfs would travel as a block device, which is the
 *    launcher's business inside prepare/start.
 *  - Cloud Hypervisor: start spawns `cloud-hypervisor --kernel --initramfs
 *    --cmdline --memory shared=on --vsock cid=,socket=<state>/vsock.sock
 *    --fs tag=runvm,socket=` plus virtiofsd exactly as qemu does; hybrid
 *    transport again.
 * Both report their children through pids() and watches() the same way.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "agent-client/agent.h"
#include "agent-client/transport.h"
#include "common/error.h"
#include "vm/config.h"
#include "vm/console.h"
#include "vm/net.h"

struct vm;

struct vm_params
{
  const char *id;                 /* the container's id, for names and messages */
  const char *state_dir;          /* <root>/<id>: exists, private to the container */
  const struct vm_config *config; /* borrowed until vm_prepare returns (copied) */
  /* When set, the VM is ready when this text shows on the console, and no
   * agent is dialled: bench/boot's floor (a trivial /init) and tests.  */
  const char *ready_marker;
  /* With ready_marker only: boot the machine bare, with the console and no
   * device or helper (no virtio-fs, no vsock): the floor bench/boot
   * compares runvm with.  */
  bool bare;
  /* Optional: called with each console line as it arrives (bench/boot
   * times the boot with it).  */
  vm_console_line_fn on_console_line;
  void *on_console_line_data;
};

enum vm_watch_kind
{
  VM_WATCH_CONSOLE = 1, /* a console pipe: readable means output */
  VM_WATCH_CHILD,       /* a child's pidfd: readable means it exited */
};

struct vm_watch
{
  int fd;
  enum vm_watch_kind kind;
};

/* What vm_handle saw.  */
enum vm_event
{
  VM_EVENT_NONE = 0,      /* console output logged */
  VM_EVENT_VMM_EXITED,    /* the VMM (or the host agent) has exited: the VM is gone */
  VM_EVENT_HELPER_EXITED, /* a helper (virtiofsd, runvm-vsockd) has exited while the
                           * VMM runs: the guest lost a device; the caller decides */
};

struct vm_launcher_ops
{
  const char *name;
  int (*prepare) (struct vm *vm, rv_error_t *err);
  int (*start) (struct vm *vm, rv_error_t *err);
  int (*wait_ready) (struct vm *vm, int timeout_ms, rv_error_t *err);
  int (*stop) (struct vm *vm, int timeout_ms, rv_error_t *err);
  void (*kill) (struct vm *vm);
  int (*transport) (struct vm *vm, struct agent_transport *ret, rv_error_t *err);
  size_t (*pids) (struct vm *vm, pid_t *ret, size_t max);
  size_t (*watches) (struct vm *vm, struct vm_watch *ret, size_t max);
  int (*handle) (struct vm *vm, int fd, enum vm_event *ret, rv_error_t *err);
  void (*destroy) (struct vm *vm); /* frees the launcher's private data */
};

extern const struct vm_launcher_ops vm_launcher_qemu;
extern const struct vm_launcher_ops vm_launcher_host;

/* The launcher called NAME, or NULL.  */
const struct vm_launcher_ops *vm_launcher_find (const char *name);

/* Picks the launcher PARAMS->config names and runs its prepare.  */
int vm_prepare (const struct vm_params *params, struct vm **ret, rv_error_t *err);
/* Gives the guest one virtio-net device per NIC (vm/net.h), in order;
 * between vm_prepare and vm_start.  The fds are duplicated: the caller
 * keeps its own.  Launchers without networking (host) ignore them.  */
int vm_add_nics (struct vm *vm, const struct net_qemu_nic *nics, size_t n, rv_error_t *err);
int vm_start (struct vm *vm, rv_error_t *err);
int vm_wait_ready (struct vm *vm, int timeout_ms, rv_error_t *err);
int vm_stop (struct vm *vm, int timeout_ms, rv_error_t *err);
void vm_kill (struct vm *vm);
int vm_transport (struct vm *vm, struct agent_transport *ret, rv_error_t *err);
/* The PIDs to put into the container's cgroup on the host.  Returns how
 * many there are (which may exceed MAX; only MAX are written).  */
size_t vm_pids (struct vm *vm, pid_t *ret, size_t max);
size_t vm_watches (struct vm *vm, struct vm_watch *ret, size_t max);
int vm_handle (struct vm *vm, int fd, enum vm_event *ret, rv_error_t *err);
/* Kills what is left and frees everything.  Accepts NULL.  */
void vm_free (struct vm *vm);

/* The agent connection wait_ready made (NULL when the ready marker was
 * used, or already taken).  The caller owns it (agent_conn_free).  */
struct agent_conn *vm_take_agent (struct vm *vm);

/* The launcher's name, and a one-line description of what was started
 * ("qemu tcg 1 vCPU 256 MiB, kernel ..., hybrid vsock"), for logs.  */
const char *vm_launcher_name (const struct vm *vm);
const char *vm_describe (const struct vm *vm);

/* The last lines of the console, joined for an error message.  */
char *vm_console_tail_text (struct vm *vm);
