/* What launchers share: the VM object and the operations every launcher
 * implements the same way (children, console, waiting, stopping).  Private
 * to vm/; users see vm/launcher.h.  */
#pragma once

#include "vm/launcher.h"
#include "vm/spawn.h"

#define VM_MAX_CHILDREN 4

struct vm
{
  const struct vm_launcher_ops *ops;
  char *id;
  char *state_dir;
  struct vm_config *config;
  char *ready_marker;
  bool bare;
  vm_console_line_fn on_line;
  void *on_line_data;
  struct net_qemu_nic *nics; /* vm_add_nics: fds our own */
  size_t n_nics;

  struct vm_console console;
  bool console_open;
  struct vm_child children[VM_MAX_CHILDREN];
  size_t nchildren;
  int main_child; /* index of the VMM (or the host agent), -1 before start */

  struct agent_transport transport;
  bool transport_set;
  struct agent_conn *agent; /* the connection wait_ready made, until taken */
  char *description;
  int state_fd; /* O_PATH of state_dir once a socket path needs it, else -1 */
  void *priv;   /* the launcher's own */
};

/* Opens <state>/console.log with the configured cap.  */
int vm_impl_console_open (struct vm *vm, rv_error_t *err);

/* Spawns a child and records it; MAIN marks the VMM.  */
int vm_impl_spawn (struct vm *vm, const char *name, const struct vm_spawn_opts *opts, bool main,
                   rv_error_t *err);

/* vm_impl_spawn of ARGV with no stdin, stdout to OUT_FD and stderr to
 * ERR_FD (console sources), keeping the NKEEP descriptors KEEP.  */
int vm_impl_spawn_argv (struct vm *vm, const char *name, char *const *argv, int out_fd, int err_fd,
                        const int *keep, size_t nkeep, bool main, rv_error_t *err);

/* "<state>/<name>" as a new string.  */
char *vm_impl_state_path (const struct vm *vm, const char *name);

/* A path to NAME in the state directory that fits in sun_path: the plain
 * one when short enough, else one through /proc/self/fd of an O_PATH
 * descriptor of the directory (vm->state_fd, valid in this process and
 * in the children that inherit it at the same number: deep state
 * directories such as docker's).  *RET_KEEP_FD gets that descriptor for
 * the child to keep, or -1.  */
int vm_impl_socket_path (struct vm *vm, const char *name, char **ret, int *ret_keep_fd, rv_error_t *err);

/* A listening Unix socket at PATH (an old file there is removed), for a
 * helper to inherit: the VMM can connect before the helper runs.  */
int vm_impl_listen_unix (const char *path, int *ret_fd, rv_error_t *err);

/* The common implementations; launchers put them in their table.  */
int vm_impl_wait_ready (struct vm *vm, int timeout_ms, rv_error_t *err);
int vm_impl_stop (struct vm *vm, int timeout_ms, rv_error_t *err);
void vm_impl_kill (struct vm *vm);
int vm_impl_transport (struct vm *vm, struct agent_transport *ret, rv_error_t *err);
size_t vm_impl_pids (struct vm *vm, pid_t *ret, size_t max);
size_t vm_impl_watches (struct vm *vm, struct vm_watch *ret, size_t max);
int vm_impl_handle (struct vm *vm, int fd, enum vm_event *ret, rv_error_t *err);
