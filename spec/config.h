/* The OCI runtime-spec 1.2 model: config.json (Linux), process.json.
 *
 * Conventions, kept throughout:
 *  - strings are `char *`, NULL when absent;
 *  - string lists are NULL-terminated vectors (`char **`), NULL when absent,
 *    an empty vector ({ NULL }) when present and empty;
 *  - arrays of objects are a pointer and a `_len` count;
 *  - optional scalars whose absence means something are spec_opt_* values;
 *  - maps (annotations, sysctl, unified, ...) are arrays of spec_kv in
 *    document order.
 * Every object owns what it points to; spec_config_free releases it all.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* GNU C modes predefine `linux` as 1, which would turn the `linux` member
 * below into a syntax error; the spec's own name wins (libocispec does the
 * same).  Test the platform with __linux__.  */
#undef linux

#define SPEC_VERSION "1.2.0"

struct spec_opt_i64
{
  bool set;
  int64_t value;
};

struct spec_opt_u64
{
  bool set;
  uint64_t value;
};

struct spec_opt_u32
{
  bool set;
  uint32_t value;
};

struct spec_opt_i32
{
  bool set;
  int32_t value;
};

struct spec_opt_bool
{
  bool set;
  bool value;
};

struct spec_kv
{
  char *key;
  char *value;
};

struct spec_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

/* ---- process ---------------------------------------------------------- */

struct spec_user
{
  uint32_t uid;
  uint32_t gid;
  struct spec_opt_u32 umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username; /* windows only; kept for round trips.  */
};

struct spec_capabilities
{
  char **bounding;
  char **effective;
  char **inheritable;
  char **permitted;
  char **ambient;
};

struct spec_rlimit
{
  char *type; /* "RLIMIT_NOFILE" ...  */
  uint64_t soft;
  uint64_t hard;
};

struct spec_box
{
  uint32_t height;
  uint32_t width;
};

struct spec_scheduler
{
  char *policy; /* "SCHED_OTHER" ... "SCHED_DEADLINE"; required.  */
  int32_t nice;
  int32_t priority;
  char **flags; /* "SCHED_FLAG_RESET_ON_FORK" ...  */
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
};

struct spec_io_priority
{
  char *klass; /* "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE".  */
  int32_t priority;
};

struct spec_exec_cpu_affinity
{
  char *initial;
  char *final;
};

struct spec_process
{
  bool terminal;
  bool has_console_size;
  struct spec_box console_size;
  struct spec_user user;
  char **args;
  char *command_line; /* windows only.  */
  char **env;
  char *cwd;
  struct spec_capabilities *capabilities;
  struct spec_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  char *apparmor_profile;
  struct spec_opt_i32 oom_score_adj;
  struct spec_scheduler *scheduler;
  char *selinux_label;
  struct spec_io_priority *io_priority;
  struct spec_exec_cpu_affinity *exec_cpu_affinity;
};

/* ---- root, mounts, hooks ---------------------------------------------- */

struct spec_root
{
  char *path;
  bool readonly;
};

struct spec_mount
{
  char *destination;
  char *type;
  char *source;
  char **options;
  struct spec_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct spec_id_mapping *gid_mappings;
  size_t gid_mappings_len;
};

struct spec_hook
{
  char *path;
  char **args;
  char **env;
  struct spec_opt_i32 timeout; /* seconds, > 0 when set.  */
};

enum spec_hook_kind
{
  SPEC_HOOK_PRESTART = 0,
  SPEC_HOOK_CREATE_RUNTIME,
  SPEC_HOOK_CREATE_CONTAINER,
  SPEC_HOOK_START_CONTAINER,
  SPEC_HOOK_POSTSTART,
  SPEC_HOOK_POSTSTOP,
  SPEC_HOOK_KINDS,
};

struct spec_hooks
{
  struct spec_hook *hooks[SPEC_HOOK_KINDS];
  size_t len[SPEC_HOOK_KINDS];
};

/* "prestart", "createRuntime", ...  */
const char *spec_hook_kind_name (enum spec_hook_kind kind);

/* ---- linux ------------------------------------------------------------ */

struct spec_namespace
{
  char *type; /* pid network mount ipc uts user cgroup time.  */
  char *path;
};

struct spec_time_offset
{
  char *clock; /* "monotonic" or "boottime".  */
  int64_t secs;
  uint32_t nanosecs;
};

struct spec_device
{
  char *path;
  char *type; /* "c", "b", "u", "p".  */
  int64_t major;
  int64_t minor;
  struct spec_opt_u32 file_mode;
  struct spec_opt_u32 uid;
  struct spec_opt_u32 gid;
};

struct spec_device_cgroup
{
  bool allow;
  char *type; /* "a", "c", "b"; NULL means all.  */
  struct spec_opt_i64 major;
  struct spec_opt_i64 minor;
  char *access; /* subset of "rwm".  */
};

struct spec_memory
{
  struct spec_opt_i64 limit;
  struct spec_opt_i64 reservation;
  struct spec_opt_i64 swap;
  struct spec_opt_i64 kernel;
  struct spec_opt_i64 kernel_tcp;
  struct spec_opt_u64 swappiness;
  struct spec_opt_bool disable_oom_killer;
  struct spec_opt_bool use_hierarchy;
  struct spec_opt_bool check_before_update;
};

struct spec_cpu
{
  struct spec_opt_u64 shares;
  struct spec_opt_i64 quota;
  struct spec_opt_u64 burst;
  struct spec_opt_u64 period;
  struct spec_opt_i64 realtime_runtime;
  struct spec_opt_u64 realtime_period;
  char *cpus;
  char *mems;
  struct spec_opt_i64 idle;
};

struct spec_weight_device
{
  int64_t major;
  int64_t minor;
  struct spec_opt_u32 weight;      /* uint16 range.  */
  struct spec_opt_u32 leaf_weight; /* uint16 range.  */
};

struct spec_throttle_device
{
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct spec_block_io
{
  struct spec_opt_u32 weight;      /* uint16 range.  */
  struct spec_opt_u32 leaf_weight; /* uint16 range.  */
  struct spec_weight_device *weight_device;
  size_t weight_device_len;
  struct spec_throttle_device *throttle_read_bps_device;
  size_t throttle_read_bps_device_len;
  struct spec_throttle_device *throttle_write_bps_device;
  size_t throttle_write_bps_device_len;
  struct spec_throttle_device *throttle_read_iops_device;
  size_t throttle_read_iops_device_len;
  struct spec_throttle_device *throttle_write_iops_device;
  size_t throttle_write_iops_device_len;
};

struct spec_hugepage_limit
{
  char *page_size; /* "2MB", "1GB" ...  */
  uint64_t limit;
};

struct spec_interface_priority
{
  char *name;
  uint32_t priority;
};

struct spec_network
{
  struct spec_opt_u32 class_id;
  struct spec_interface_priority *priorities;
  size_t priorities_len;
};

struct spec_rdma
{
  char *device;
  struct spec_opt_u32 hca_handles;
  struct spec_opt_u32 hca_objects;
};

struct spec_resources
{
  struct spec_device_cgroup *devices;
  size_t devices_len;
  struct spec_memory *memory;
  struct spec_cpu *cpu;
  bool has_pids;
  int64_t pids_limit;
  struct spec_block_io *block_io;
  struct spec_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  struct spec_network *network;
  struct spec_rdma *rdma;
  size_t rdma_len;
  struct spec_kv *unified;
  size_t unified_len;
};

struct spec_seccomp_arg
{
  uint32_t index;
  uint64_t value;
  uint64_t value_two;
  char *op; /* "SCMP_CMP_EQ" ...  */
};

struct spec_syscall
{
  char **names;
  char *action; /* "SCMP_ACT_ERRNO" ...  */
  struct spec_opt_u32 errno_ret;
  struct spec_seccomp_arg *args;
  size_t args_len;
};

struct spec_seccomp
{
  char *default_action;
  struct spec_opt_u32 default_errno_ret;
  char **architectures; /* "SCMP_ARCH_X86_64" ...  */
  char **flags;         /* "SECCOMP_FILTER_FLAG_LOG" ...  */
  char *listener_path;
  char *listener_metadata;
  struct spec_syscall *syscalls;
  size_t syscalls_len;
};

struct spec_intel_rdt
{
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
  bool enable_cmt;
  bool enable_mbm;
};

struct spec_personality
{
  char *domain; /* "LINUX" or "LINUX32".  */
  char **flags;
};

struct spec_linux
{
  struct spec_namespace *namespaces;
  size_t namespaces_len;
  struct spec_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct spec_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  struct spec_time_offset *time_offsets;
  size_t time_offsets_len;
  struct spec_device *devices;
  size_t devices_len;
  char *cgroups_path;
  struct spec_resources *resources;
  struct spec_kv *sysctl;
  size_t sysctl_len;
  struct spec_seccomp *seccomp;
  char *rootfs_propagation; /* "private", "shared", "slave", "unbindable" (r-prefixed too).  */
  char **masked_paths;
  char **readonly_paths;
  char *mount_label;
  struct spec_intel_rdt *intel_rdt;
  struct spec_personality *personality;
};

/* ---- the document ----------------------------------------------------- */

struct spec_config
{
  char *oci_version;
  struct spec_process *process;
  struct spec_root *root;
  char *hostname;
  char *domainname;
  struct spec_mount *mounts;
  size_t mounts_len;
  struct spec_hooks *hooks;
  struct spec_kv *annotations;
  size_t annotations_len;
  struct spec_linux *linux;
};

/* Parses and validates config.json.  NAME is the file name used in error
 * messages (NULL: "config.json").  Errors read
 *   "config.json: .linux.resources.memory.limit: expected an integer, got a string".
 * Unknown properties are ignored, as the spec requires; a property given
 * twice in one object is an error.  Returns -EINVAL for a bad document,
 * -EFBIG for one over 64 MiB.
 *
 * What a parsed config guarantees (users need not check again):
 *  - types and ranges of every field (uint32/uint16/int32/int64/uint64 as
 *    the schema says); required fields present;
 *  - ociVersion is SemVer; root.path set when root is; process.args has an
 *    entry and process.cwd is absolute; env entries are NAME=VALUE;
 *  - rlimit types are known RLIMIT_* names, unique, soft <= hard;
 *  - capability names look like CAP_[A-Z0-9_]+ (not checked against the
 *    kernel: runc warns and skips unknown ones);
 *  - scheduler policy and flags known, nice -20..19 for SCHED_OTHER and
 *    SCHED_BATCH, priority only for FIFO/RR, runtime/deadline/period only
 *    for SCHED_DEADLINE; ioPriority class known and priority 0..7;
 *  - hook paths absolute, timeouts > 0;
 *  - mount uidMappings and gidMappings come together (destinations may be
 *    relative: runc takes them relative to "/");
 *  - namespace types known and unique, namespace paths absolute; timeOffsets
 *    clocks are "monotonic"/"boottime", nanosecs < 1e9;
 *  - devices: type c/b/u/p, major and minor given unless "p"; cgroup device
 *    rules: type a/c/b, access a subset of "rwm";
 *  - blkio weights 10..1000 or 0 (Docker's "unset"); weightDevice entries
 *    have weight or leafWeight; rdma entries hcaHandles or hcaObjects;
 *    hugepage sizes like "2MB"; unified keys have no '/';
 *  - seccomp actions, operators, architectures and flags known; names has
 *    an entry; errnoRet only with SCMP_ACT_ERRNO/SCMP_ACT_TRACE;
 *    listenerMetadata only with listenerPath;
 *  - rootfsPropagation one of (r)private, (r)shared, (r)slave,
 *    (r)unbindable; maskedPaths and readonlyPaths absolute; memBwSchema
 *    starts with "MB:"; personality domain LINUX or LINUX32;
 *  - map keys (annotations, sysctl, unified, rdma) non-empty and unique;
 *    no string holds a NUL byte.  */
int spec_config_parse (const char *name, const char *data, size_t len, struct spec_config **ret,
                       rv_error_t *err);

/* Reads and parses PATH; messages name the file by its base name.  */
int spec_config_load (const char *path, struct spec_config **ret, rv_error_t *err);

/* Serialises back to JSON (round trip: parse (to_json (c)) equals c), in
 * the member order runc writes, leaving absent optionals out.  Returns a
 * string the caller frees; NULL for a NULL config or a string that is not
 * UTF-8 (only possible in a config built in code).  */
char *spec_config_to_json (const struct spec_config *config, bool beautify);

/* Whether two configs hold the same values (absent and empty differ).  */
bool spec_config_equal (const struct spec_config *a, const struct spec_config *b);

/* Accepts NULL and objects that failed half-way through parsing.  */
void spec_config_free (struct spec_config *config);

/* process.json as `runc exec --process` reads it.  */
int spec_process_parse (const char *name, const char *data, size_t len, struct spec_process **ret,
                        rv_error_t *err);
int spec_process_load (const char *path, struct spec_process **ret, rv_error_t *err);
char *spec_process_to_json (const struct spec_process *process, bool beautify);
bool spec_process_equal (const struct spec_process *a, const struct spec_process *b);
void spec_process_free (struct spec_process *process);

/* Lookups used everywhere.  */
const char *spec_annotation (const struct spec_config *config, const char *key);
/* The namespace entry of TYPE ("pid", "network", ...), or NULL.  */
const struct spec_namespace *spec_namespace_find (const struct spec_config *config, const char *type);
