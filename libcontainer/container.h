/* Internal: the container object and what the parent hands to the child
 * processes it starts (the container's init, an exec'd process).  The
 * parent side is container.c and exec.c, the child side init.c.  */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "libcontainer/caps.h"
#include "libcontainer/cgroup.h"
#include "libcontainer/devices.h"
#include "libcontainer/libcontainer.h"
#include "libcontainer/mounts.h"
#include "libcontainer/namespaces.h"
#include "libcontainer/process.h"
#include "libcontainer/seccomp.h"

struct lc_container
{
  char *id;
  char *bundle;
  pid_t pid;   /* the init, as the caller sees it.  */
  int pidfd;   /* of the init: signals never reach a recycled pid.  */
  int sync;    /* our end of the init's socket until it execs.  */
  int console; /* pty master until taken.  */
  bool started;
  bool destroyed;
  bool runtime_hooks;
  /* What outlives the caller's config: hooks run after create, the state
   * they read, the filter exec'd processes get.  */
  struct spec_hook *poststart;
  size_t poststart_len;
  struct spec_hook *poststop;
  size_t poststop_len;
  struct spec_kv *annotations;
  size_t annotations_len;
  struct lc_cgroup *cgroup;
  struct lc_seccomp *seccomp;
  char *seccomp_listener;
  char *seccomp_metadata;
  char **device_paths; /* linux.devices: their default rules are not added.  */
};

/* Everything a child needs, prepared by the parent before the fork.  */
struct lc_child
{
  int sock;
  bool is_exec;
  const char *id;
  const char *bundle;
  const struct spec_config *config;   /* init only.  */
  const struct spec_process *process; /* the process to run.  */
  struct lc_proc *proc;
  struct lc_caps caps;
  const struct lc_seccomp *seccomp;
  /* init only */
  const struct lc_ns_plan *ns;
  const struct lc_mount_plan *plan;
  const struct lc_dev_list *devices;
  struct lc_cgroup *cgroup;
  int *mount_fds; /* per plan entry, received at sync 1.  */
  const char *rootfs;
  bool no_pivot;
  bool no_new_keyring;
  /* exec only: the container's root, opened from /proc/<init>/root.  */
  int rootfd;
  int stdio[3];
  const int *preserve;
  size_t preserve_len;
};

/* The init: from the clone to the exec of process.args.  Never returns.  */
void lc_init_main (struct lc_child *c) __attribute__ ((noreturn));
/* An exec'd process, after the helper joined the container's namespaces.  */
void lc_exec_main (struct lc_child *c) __attribute__ ((noreturn));

/* Shared by the parent sides: the fds a child needs, moved above the
 * range the preserved fds will take.  */
int lc_pidfd_open (pid_t pid);
int lc_pidfd_signal (int pidfd, int sig);

/* Runs the seccomp listener handoff of a SECCOMP message (container.c).  */
int lc_container_seccomp_handoff (struct lc_container *c, pid_t pid, int notify_fd, rv_error_t *err);
