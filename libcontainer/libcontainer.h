/* libcontainer: builds OCI containers on Linux from a parsed config.json.
 *
 * The guest agent is its main caller (inside the VM); the `host` launcher
 * reaches it through the agent run as a host process; the runtime uses the
 * cgroup part (lc_cgroup_*) on the host for `linux.cgroupsPath`.
 *
 * Process ownership: libcontainer forks the container's init and the
 * processes of exec, and hands their PIDs to the caller.  It never reaps
 * them: the caller waits for them (the agent is PID 1 and reaps everything).
 * Helper processes libcontainer starts itself (hooks, intermediate forks)
 * are waited for by PID before the call that started them returns, so a
 * caller that reaps with waitpid(-1) only between calls steals nothing.
 *
 * Every call is synchronous and bounded (hooks by their timeouts).  */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "spec/config.h"

/* Standard streams for a process: each is an fd that the process gets as
 * its fd 0, 1 or 2 (dup'ed; the caller keeps its own), or -1 for
 * /dev/null.  Ignored when the process has `terminal: true`.  */
struct lc_stdio
{
  int in;
  int out;
  int err;
};

struct lc_create_opts
{
  const char *id;
  const struct spec_config *config; /* borrowed; must outlive the call.  */
  const char *bundle;               /* reported to hooks in the state.  */
  /* The root filesystem as the caller sees it (absolute).  NULL means
   * config->root->path resolved against BUNDLE.  The agent passes the
   * virtio-fs location of the rootfs here.  */
  const char *rootfs;
  bool no_pivot;
  bool no_new_keyring;
  struct lc_stdio stdio;
  /* Extra fds given to the init as 3, 4, ... (runc's --preserve-fds).  */
  const int *preserve_fds;
  size_t preserve_fds_len;
  /* Where cgroups live for this container.  NULL means
   * config->linux->cgroupsPath, or a default derived from ID.  */
  const char *cgroup_path;
  /* The caller runs the hooks that belong to the runtime's namespace
   * (prestart, createRuntime, poststart, poststop) itself: runvm does on
   * the host, while the agent builds the container in the guest.  false:
   * libcontainer runs them (the host launcher, tests).  */
  bool no_runtime_hooks;
};

struct lc_container;

/* Creates the container: namespaces, cgroup, rootfs and mounts, devices,
 * hooks createRuntime... up to and including createContainer, then leaves
 * the init blocked just before it execs process.args (runc's `created`
 * state).  With process.terminal, a pty is made inside the container and
 * its master is kept for lc_container_take_console.
 * On failure nothing is left: no process, mount or cgroup.  */
int lc_container_create (const struct lc_create_opts *opts, struct lc_container **ret, rv_error_t *err);

/* The init's PID, as seen by the caller.  */
pid_t lc_container_pid (const struct lc_container *c);

/* The pty master of a terminal init (ownership passes to the caller), or
 * -1.  */
int lc_container_take_console (struct lc_container *c);

/* Lets the init exec process.args (runs startContainer hooks inside the
 * container first).  Fails if the init is gone.  */
int lc_container_start (struct lc_container *c, rv_error_t *err);

/* Runs PROCESS inside the running container (joins its namespaces,
 * cgroup, applies the process's user, caps, rlimits, seccomp...).  Returns
 * the new PID in *RET_PID and, when process->terminal, the pty master in
 * *RET_CONSOLE (else -1).  */
int lc_container_exec (struct lc_container *c, const struct spec_process *process, struct lc_stdio stdio,
                       pid_t *ret_pid, int *ret_console, rv_error_t *err);

/* Sends SIG to the init, or with ALL to every process in the container's
 * cgroup.  */
int lc_container_kill (struct lc_container *c, int sig, bool all, rv_error_t *err);

/* PIDs of every process in the container (its cgroup), as the caller sees
 * them.  */
int lc_container_pids (struct lc_container *c, pid_t **ret, size_t *ret_len, rv_error_t *err);

int lc_container_pause (struct lc_container *c, rv_error_t *err);
int lc_container_resume (struct lc_container *c, rv_error_t *err);

/* Applies RESOURCES to the running container (in place, as runc update).  */
int lc_container_update (struct lc_container *c, const struct spec_resources *resources, rv_error_t *err);

/* Kills what is left of the container (SIGKILL to its cgroup), reaps
 * nothing the caller owns, unmounts what the caller's namespace holds for
 * it, and removes its cgroup.  Safe to call on a half-created container and
 * more than once.  */
int lc_container_destroy (struct lc_container *c, rv_error_t *err);

void lc_container_free (struct lc_container *c);

/* ---- cgroups, usable on their own (the runtime applies the same
 * resources to the VM's processes on the host) ------------------------- */

struct lc_cgroup;

/* Creates (or joins) the cgroup PATH (relative to the hierarchy roots; an
 * absolute cgroupsPath is taken as such) on v1, v2 or hybrid hosts, applies
 * RESOURCES exactly (NULL applies nothing) and moves PID into it (0: no
 * process).  */
int lc_cgroup_create (const char *path, const struct spec_resources *resources, pid_t pid,
                      struct lc_cgroup **ret, rv_error_t *err);
/* The directories lc_cgroup_create (PATH) would make now, in every
 * hierarchy: those that do not exist yet, each parent before its
 * children; an empty list when the cgroup exists everywhere.  Recorded
 * before creating, it says what removing the cgroup may remove.  */
int lc_cgroup_missing_dirs (const char *path, char ***ret, rv_error_t *err);
/* Opens an existing cgroup by path without changing it.  */
int lc_cgroup_open (const char *path, struct lc_cgroup **ret, rv_error_t *err);
int lc_cgroup_add_pid (struct lc_cgroup *cg, pid_t pid, rv_error_t *err);
int lc_cgroup_update (struct lc_cgroup *cg, const struct spec_resources *resources, rv_error_t *err);
int lc_cgroup_pids (struct lc_cgroup *cg, pid_t **ret, size_t *ret_len, rv_error_t *err);
int lc_cgroup_freeze (struct lc_cgroup *cg, bool frozen, rv_error_t *err);
int lc_cgroup_kill (struct lc_cgroup *cg, int sig, rv_error_t *err);
/* Removes the cgroup (and in v1 every controller's directory).  Processes
 * must be gone.  */
int lc_cgroup_destroy (struct lc_cgroup *cg, rv_error_t *err);
void lc_cgroup_free (struct lc_cgroup *cg);

/* Statistics in the shape of runc's `events --stats` ("cpu", "memory",
 * "pids", "blkio", "hugetlb", ...), as a JSON object text.  */
int lc_cgroup_stats_json (struct lc_cgroup *cg, char **ret, rv_error_t *err);
