/* What the runtime's files share: the monitor, the share of host paths
 * with the guest, hooks on the host, the guest's size, connections to a
 * container's agent.  Private to runtime/; cmd/ sees runtime/runtime.h.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent-client/agent.h"
#include "common/error.h"
#include "runtime/runtime.h"
#include "runtime/state.h"
#include "spec/config.h"
#include "vm/config.h"

/* Where the guest sees <state>/shared (the agent mounts the virtio-fs
 * share there).  */
#define RT_GUEST_SHARE "/run/runvm/shared"

/* ---- hooks on the host (hooks.c) --------------------------------------- */

/* Runs HOOKS[0..N) of KIND in order with the state of container ID on
 * stdin (STATUS, PID as the host sees it: the monitor).  The first failure
 * stops the list.  */
int rt_hooks_run_list (const char *kind, const struct spec_hook *hooks, size_t n, const char *id,
                       const char *status, pid_t pid, const char *bundle, const struct spec_config *config,
                       rv_error_t *err);
int rt_hooks_run (const struct spec_config *config, enum spec_hook_kind kind, const char *id,
                  const char *status, pid_t pid, const char *bundle, rv_error_t *err);
/* poststart and poststop: a failure is a warning (the spec's steps 9 and
 * 13), logged, and the remaining hooks still run.  */
void rt_hooks_run_warn (const struct spec_config *config, enum spec_hook_kind kind, const char *id,
                        const char *status, pid_t pid, const char *bundle);

/* ---- the guest's size (sizing.c) --------------------------------------- */

/* Guest memory never goes below this, whatever the limit.  */
#define RT_GUEST_MEMORY_FLOOR_MB 128
/* What the VMM and its helpers use on the host besides guest memory,
 * charged to the container's cgroup: QEMU itself, virtiofsd,
 * runvm-vsockd, the monitor.  Under TCG the translation cache comes on
 * top.  */
#define RT_VMM_OVERHEAD_MB 48

struct rt_guest_size
{
  uint32_t vcpus;
  uint32_t memory_mb;
};

/* The guest's vCPUs and memory for RESOURCES (may be NULL) on top of the
 * configured defaults C (docs/lifecycle.md, "Guest size"):
 *  - vCPUs: ceil(cpu.quota / cpu.period) when both are set and the quota
 *    is positive, else the number of CPUs in cpu.cpus, else C->vcpus;
 *    at least 1, at most HOST_CPUS and C->max_vcpus;
 *  - memory: memory.limit minus the VMM's overhead (RT_VMM_OVERHEAD_MB,
 *    plus the TCG translation cache when TCG), at least
 *    RT_GUEST_MEMORY_FLOOR_MB, at most C->max_memory_mb; C->memory_mb
 *    without a positive limit.
 * An io.runvm.vcpus or io.runvm.memory_mb annotation (already applied to
 * C: VCPUS_FIXED, MEMORY_FIXED) wins over the resources.  */
void rt_guest_size (const struct spec_resources *resources, const struct vm_config *c, bool tcg,
                    uint32_t host_cpus, bool vcpus_fixed, bool memory_fixed, struct rt_guest_size *ret);

/* The number of CPUs in a cpuset list ("0-3,6"), 0 when it does not
 * parse.  */
uint32_t rt_cpuset_count (const char *list);

/* ---- host cgroups (hostcg.c) ------------------------------------------- */

/* The container's cgroup on the host as an absolute path: cgroupsPath as
 * given when absolute; expanded from systemd's "slice:prefix:name" with
 * the systemd manager; otherwise (relative, or empty: the id) below the
 * cgroup of the calling process on the cgroup2 hierarchy (the memory
 * hierarchy on a v1-only host), as runc puts it below its caller's.  NULL
 * when MANAGER is disabled.  */
char *rt_host_cgroup_path (const struct spec_config *config, const char *id, enum rt_cgroup_manager manager);

/* What creating the host cgroup PATH will make (lc_cgroup_missing_dirs),
 * for the state record; an empty list when PATH is NULL or cannot be
 * resolved (nothing will be removed then).  */
char **rt_host_cgroup_plan (const char *path);

/* Removes what create made of the host cgroup PATH: MADE as recorded (see
 * state_record.cgroup_made): with KILL_LEFT, what is left in its leaves is
 * killed (SIGKILL, until nothing is listed); then the directories go,
 * deepest first, a leaf waited for while its last processes exit, a
 * parent left as soon as it holds other cgroups.  MADE empty leaves the
 * cgroup alone (it was not ours); MADE NULL (an older record) empties and
 * removes PATH's leaf.  Missing directories are not an error.  */
int rt_host_cgroup_remove (const char *path, char *const *made, bool kill_left, rv_error_t *err);

/* The resources applied on the host: all of them except the device rules,
 * which are the guest's business (the VMM needs /dev/kvm, /dev/net/tun
 * and the vhost devices whatever the container may open).  A copy that
 * borrows RESOURCES' members: free with free() only.  */
struct spec_resources *rt_host_resources (const struct spec_resources *resources);

/* ---- the container's files in the state directory (container.c) -------- */

/* <root>/<id>/config.json: the bundle's config.json as create read it
 * (the spec: later changes to the bundle do not affect the container).  */
int rt_config_save (const char *state_dir, const char *data, size_t len, rv_error_t *err);
int rt_config_load (const char *state_dir, struct spec_config **ret, rv_error_t *err);

/* The agent transport of R with a relative socket path made usable: a
 * path through /proc/self/fd of *RET_DIR_FD (an O_PATH fd of the state
 * directory the caller closes) when the plain one would not fit in
 * sun_path.  */
int rt_transport_resolve (const char *root, const struct state_record *r, struct agent_transport *ret,
                          int *ret_dir_fd, rv_error_t *err);
/* Connects to the agent of container R.  */
int rt_agent_connect (const char *root, const struct state_record *r, int timeout_ms, struct agent_conn **ret,
                      rv_error_t *err);

/* ---- the container as the agent builds it (guestcfg.c) ----------------- */

struct rt_guest_config
{
  char *config_json; /* config.json for the agent's `create` */
  char *rootfs;      /* the root filesystem as the agent sees it */
  char *cgroup_path; /* the agent's cgroup_path argument, or NULL */
  /* createContainer hooks the guest cannot reach: run on the host, after
   * createRuntime.  */
  struct spec_config *host_hooks_holder; /* owns HOST_CREATE_CONTAINER */
  struct spec_hook *host_create_container;
  size_t host_create_container_len;
};

void rt_guest_config_clear (struct rt_guest_config *g);

/* Builds what the agent gets for CONFIG (the bundle's, BUNDLE absolute).
 *
 * VM: the rootfs and the sources of bind mounts are bind-mounted into
 * STATE_DIR/shared (the caller is in a mount namespace of its own, so the
 * mounts go with it), and the config names them by their guest paths
 * under RT_GUEST_SHARE; the network namespace is dropped (the container
 * uses the guest's, which mirrors the one the monitor sits in), other
 * namespace paths are dropped (a host namespace cannot be entered from a
 * VM: the container gets new ones), a user namespace given by path is
 * dropped altogether; createContainer hooks whose program lies in the
 * rootfs run in the guest, the others on the host.
 *
 * Not VM (the host launcher): paths stay; the container joins the
 * network namespace of the monitor MONITOR_PID (0: it keeps its own
 * entry), and its cgroup is HOST_CGROUP (absolute, or NULL: the
 * config's).  */
int rt_guest_config_build (const struct spec_config *config, const char *bundle, const char *state_dir,
                           bool vm, pid_t monitor_pid, const char *host_cgroup, struct rt_guest_config *ret,
                           rv_error_t *err);

/* The rootfs of CONFIG as an absolute path (root.path against BUNDLE).  */
char *rt_rootfs_path (const struct spec_config *config, const char *bundle);

/* ---- terminals (console.c) ------------------------------------------------ */

/* A new pseudo-terminal: master and slave, close-on-exec, the slave in raw
 * mode (the guest's own pty does the line discipline; this one only
 * carries bytes and window sizes), its size ROWS x COLS when not 0.
 * *RET_NAME (may be NULL) gets the slave's path.  */
int rt_pty_open (unsigned rows, unsigned cols, int *ret_master, int *ret_slave, char **ret_name,
                 rv_error_t *err);

/* Sends FD over the AF_UNIX socket at PATH with SCM_RIGHTS, NAME as the
 * message's data (runc's utils.SendFile: engines read the pty master of
 * --console-socket this way, and a pidfd of --pidfd-socket).  */
int rt_send_fd (const char *path, int fd, const char *name, rv_error_t *err);

/* Connects a SOCK_STREAM socket to the Unix socket at PATH, however long
 * PATH is (through /proc/self/fd of its directory when it does not fit in
 * sun_path).  */
int rt_unix_connect (const char *path, int *ret_fd, rv_error_t *err);

/* Puts the terminal FD in raw mode; *RET_SAVED gets what to restore.  */
int rt_tty_raw (int fd, void *ret_saved, rv_error_t *err);
void rt_tty_restore (int fd, const void *saved);
/* Rows and columns of the terminal FD (0 and 0 when unknown).  */
void rt_tty_size (int fd, unsigned *ret_rows, unsigned *ret_cols);

/* ---- a process's stdio (io.c) -------------------------------------------- */

struct rt_relay;
struct rt_relay_ep;

/* What to connect to a process's streams.  Fds are the caller's (dup'ed).
 * With TERMINAL, the process's tty stream goes to OUT and comes from IN
 * (the same fd for a pty slave); otherwise IN, OUT, ERR feed stdin and take
 * stdout and stderr, -1 for none (the process gets /dev/null).  REOPEN:
 * the fds are shared with others (inherited stdio), see relay.h.  */
struct rt_io_plan
{
  bool terminal;
  int in, out, err;
  bool reopen;
};

struct rt_io
{
  struct rt_relay *relay;
  struct rt_relay_ep *host_in; /* NULL when there is no input */
};

/* The streams the plan asks for (for `create` and `exec`).  */
void rt_io_stdio (const struct rt_io_plan *p, bool *ret_in, bool *ret_out, bool *ret_err);
/* Attaches the process's streams over T and builds the relay, registered
 * with EPFD.  */
int rt_io_attach (const struct agent_transport *t, const char *container, const char *exec_id,
                  const struct rt_io_plan *p, int epfd, struct rt_io *ret, rv_error_t *err);
void rt_io_clear (struct rt_io *io);
/* Whether FD is /dev/null, closed, or otherwise not worth relaying.  */
bool rt_fd_is_null (int fd);

/* ---- pods (pod.c) --------------------------------------------------------- */

enum rt_pod_role
{
  RT_POD_NONE = 0,  /* not part of a pod as far as the annotations say */
  RT_POD_SANDBOX,   /* the pod's sandbox (pause) container */
  RT_POD_CONTAINER, /* a container of the pod */
};

struct rt_pod
{
  enum rt_pod_role role;
  const char *sandbox_id; /* borrowed from the config; NULL when not given */
  const char *engine;     /* "containerd" or "cri-o" */
};

/* What containerd's CRI plugin (io.kubernetes.cri.container-type,
 * io.kubernetes.cri.sandbox-id) or CRI-O (io.kubernetes.cri-o.ContainerType,
 * io.kubernetes.cri-o.SandboxID) say about the container's pod.  A type
 * other than "sandbox" or "container" is an error naming the annotation.
 * Every container still gets a VM of its own (docs/lifecycle.md, "Pods").  */
int rt_pod_parse (const struct spec_config *config, struct rt_pod *ret, rv_error_t *err);
