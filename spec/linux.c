/* The `linux` section of config.json: namespaces, id mappings, time
 * offsets, devices, cgroup resources, sysctl, seccomp, paths, labels,
 * Intel RDT and personality (config-linux.md of runtime-spec 1.2).  */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "common/utils.h"
#include "spec/config.h"
#include "spec/walk.h"

static const struct sj_check absolute_check = { sj_check_absolute, NULL };

/* ---- enumerations shared with features.json --------------------------- */

const struct sj_enum sj_namespace_types = {
  "namespace type",
  (const char *const[]){ "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", NULL },
};

const struct sj_enum sj_seccomp_actions = {
  "seccomp action",
  (const char *const[]){ "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                         "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
                         "SCMP_ACT_NOTIFY", NULL },
};

const struct sj_enum sj_seccomp_operators = {
  "seccomp operator",
  (const char *const[]){ "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
                         "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL },
};

/* The 1.2.0 list plus the four runtime-spec 1.2.1 added from libseccomp
 * 2.6 (LOONGARCH64, M68K, SH, SHEB): engines generate profiles naming them.  */
const struct sj_enum sj_seccomp_archs = {
  "seccomp architecture",
  (const char *const[]){
      "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",
      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",    "SCMP_ARCH_MIPS",
      "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
      "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",
      "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",      "SCMP_ARCH_SHEB",
      "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64", NULL },
};

const struct sj_enum sj_seccomp_flags = {
  "seccomp flag",
  (const char *const[]){ "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                         "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL },
};

/* ---- namespaces, time offsets, devices -------------------------------- */

static const struct sj_check namespace_type_check = { sj_check_enum, &sj_namespace_types };

static const struct sj_field namespace_fields[] = {
  { "type", &sj_string, offsetof (struct spec_namespace, type), 0, SJ_MANDATORY, &namespace_type_check },
  { "path", &sj_string, offsetof (struct spec_namespace, path), 0, 0, &absolute_check },
};
static const struct sj_object namespace_desc = SJ_OBJECT (namespace_fields, struct spec_namespace, NULL);

static const struct sj_enum clocks = { "clock", (const char *const[]){ "monotonic", "boottime", NULL } };
/* The kernel takes the nanoseconds of a timespec: below one second.  */
static const struct sj_range nanosecs_range = { 0, 999999999, false };

static const struct sj_field time_offset_fields[] = {
  { "secs", &sj_i64, offsetof (struct spec_time_offset, secs), 0, SJ_OMIT_ZERO, NULL },
  { "nanosecs", &sj_u32, offsetof (struct spec_time_offset, nanosecs), 0, SJ_OMIT_ZERO, &nanosecs_range },
};
static const struct sj_object time_offset_desc
    = SJ_OBJECT (time_offset_fields, struct spec_time_offset, NULL);
static const struct sj_keyed time_offsets_keyed = { &time_offset_desc, { sj_check_enum, &clocks } };

static const struct sj_enum device_types
    = { "device type", (const char *const[]){ "c", "b", "u", "p", NULL } };
static const struct sj_check device_type_check = { sj_check_enum, &device_types };

static bool
has_key (const struct sj_node *node, const char *key)
{
  size_t i, n = strlen (key);
  for (i = 0; i < node->len; i++)
    if (node->members[i].key_len == n && memcmp (node->members[i].key, key, n) == 0)
      return true;
  return false;
}

static int
device_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_device *d = obj;

  /* A FIFO has no device numbers; every other type needs both.  */
  if (str_eq (d->type, "p"))
    return 0;
  if (!has_key (node, "major"))
    return sj_field_error (w, "major", "required");
  if (!has_key (node, "minor"))
    return sj_field_error (w, "minor", "required");
  return 0;
}

/* fileMode is uint32 in config-linux.md; the schema's maximum of 512
 * would refuse 0o666 | setgid and similar modes engines pass through.
 * path is "the full path inside the container" but, unlike namespace
 * paths, not a MUST-be-absolute; runc takes it relative to the rootfs
 * either way, so it is not checked here.  */
static const struct sj_field device_fields[] = {
  { "path", &sj_string, offsetof (struct spec_device, path), 0, SJ_MANDATORY, NULL },
  { "type", &sj_string, offsetof (struct spec_device, type), 0, SJ_MANDATORY, &device_type_check },
  { "major", &sj_i64, offsetof (struct spec_device, major), 0, 0, NULL },
  { "minor", &sj_i64, offsetof (struct spec_device, minor), 0, 0, NULL },
  { "fileMode", &sj_opt_u32, offsetof (struct spec_device, file_mode), 0, 0, NULL },
  { "uid", &sj_opt_u32, offsetof (struct spec_device, uid), 0, 0, NULL },
  { "gid", &sj_opt_u32, offsetof (struct spec_device, gid), 0, 0, NULL },
};
static const struct sj_object device_desc = SJ_OBJECT (device_fields, struct spec_device, device_check);

/* ---- resources -------------------------------------------------------- */

static const struct sj_enum cgroup_device_types
    = { "device type", (const char *const[]){ "a", "c", "b", NULL } };
static const struct sj_check cgroup_device_type_check = { sj_check_enum, &cgroup_device_types };

static int
check_access (struct sj_walk *w, const char *s, const void *data)
{
  _cleanup_free_ char *q = NULL;
  (void) data;
  if (s[strspn (s, "rwm")] == '\0')
    return 0;
  q = sj_quote (s, strlen (s));
  return sj_error (w, "invalid access %s: only r, w and m are allowed", q);
}
static const struct sj_check access_check = { check_access, NULL };

static const struct sj_field device_cgroup_fields[] = {
  { "allow", &sj_bool, offsetof (struct spec_device_cgroup, allow), 0, SJ_MANDATORY, NULL },
  { "type", &sj_string, offsetof (struct spec_device_cgroup, type), 0, 0, &cgroup_device_type_check },
  { "major", &sj_opt_i64, offsetof (struct spec_device_cgroup, major), 0, 0, NULL },
  { "minor", &sj_opt_i64, offsetof (struct spec_device_cgroup, minor), 0, 0, NULL },
  { "access", &sj_string, offsetof (struct spec_device_cgroup, access), 0, 0, &access_check },
};
static const struct sj_object device_cgroup_desc
    = SJ_OBJECT (device_cgroup_fields, struct spec_device_cgroup, NULL);

static const struct sj_field memory_fields[] = {
  { "limit", &sj_opt_i64, offsetof (struct spec_memory, limit), 0, 0, NULL },
  { "reservation", &sj_opt_i64, offsetof (struct spec_memory, reservation), 0, 0, NULL },
  { "swap", &sj_opt_i64, offsetof (struct spec_memory, swap), 0, 0, NULL },
  { "kernel", &sj_opt_i64, offsetof (struct spec_memory, kernel), 0, 0, NULL },
  { "kernelTCP", &sj_opt_i64, offsetof (struct spec_memory, kernel_tcp), 0, 0, NULL },
  { "swappiness", &sj_opt_u64, offsetof (struct spec_memory, swappiness), 0, 0, NULL },
  { "disableOOMKiller", &sj_opt_bool, offsetof (struct spec_memory, disable_oom_killer), 0, 0, NULL },
  { "useHierarchy", &sj_opt_bool, offsetof (struct spec_memory, use_hierarchy), 0, 0, NULL },
  { "checkBeforeUpdate", &sj_opt_bool, offsetof (struct spec_memory, check_before_update), 0, 0, NULL },
};
static const struct sj_object memory_desc = SJ_OBJECT (memory_fields, struct spec_memory, NULL);

static const struct sj_field cpu_fields[] = {
  { "shares", &sj_opt_u64, offsetof (struct spec_cpu, shares), 0, 0, NULL },
  { "quota", &sj_opt_i64, offsetof (struct spec_cpu, quota), 0, 0, NULL },
  { "burst", &sj_opt_u64, offsetof (struct spec_cpu, burst), 0, 0, NULL },
  { "period", &sj_opt_u64, offsetof (struct spec_cpu, period), 0, 0, NULL },
  { "realtimeRuntime", &sj_opt_i64, offsetof (struct spec_cpu, realtime_runtime), 0, 0, NULL },
  { "realtimePeriod", &sj_opt_u64, offsetof (struct spec_cpu, realtime_period), 0, 0, NULL },
  { "cpus", &sj_string, offsetof (struct spec_cpu, cpus), 0, 0, NULL },
  { "mems", &sj_string, offsetof (struct spec_cpu, mems), 0, 0, NULL },
  { "idle", &sj_opt_i64, offsetof (struct spec_cpu, idle), 0, 0, NULL },
};
static const struct sj_object cpu_desc = SJ_OBJECT (cpu_fields, struct spec_cpu, NULL);

/* The pids object fills two members of spec_resources itself: the nested
 * table's offsets are relative to the resources struct (sj_embedded at
 * offset 0), and has_pids records that it was given.  */
static const struct sj_field pids_fields[] = {
  { "limit", &sj_i64, offsetof (struct spec_resources, pids_limit), 0, SJ_MANDATORY, NULL },
};
static const struct sj_object pids_desc = SJ_OBJECT (pids_fields, struct spec_resources, NULL);

/* blkio weights are 10..1000 (the kernel's range for blkio.weight and
 * io.bfq.weight).  0 is accepted as "unset": Docker always writes
 * "weight": 0 when no weight was asked for, and runc skips 0.  */
static const struct sj_range weight_range = { 10, 1000, true };

static int
weight_device_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_weight_device *d = obj;
  (void) node;
  if (!d->weight.set && !d->leaf_weight.set)
    return sj_error (w, "needs weight or leafWeight");
  return 0;
}

static const struct sj_field weight_device_fields[] = {
  { "major", &sj_i64, offsetof (struct spec_weight_device, major), 0, SJ_MANDATORY, NULL },
  { "minor", &sj_i64, offsetof (struct spec_weight_device, minor), 0, SJ_MANDATORY, NULL },
  { "weight", &sj_opt_u16, offsetof (struct spec_weight_device, weight), 0, 0, &weight_range },
  { "leafWeight", &sj_opt_u16, offsetof (struct spec_weight_device, leaf_weight), 0, 0, &weight_range },
};
static const struct sj_object weight_device_desc
    = SJ_OBJECT (weight_device_fields, struct spec_weight_device, weight_device_check);

static const struct sj_field throttle_device_fields[] = {
  { "major", &sj_i64, offsetof (struct spec_throttle_device, major), 0, SJ_MANDATORY, NULL },
  { "minor", &sj_i64, offsetof (struct spec_throttle_device, minor), 0, SJ_MANDATORY, NULL },
  { "rate", &sj_u64, offsetof (struct spec_throttle_device, rate), 0, SJ_MANDATORY, NULL },
};
static const struct sj_object throttle_device_desc
    = SJ_OBJECT (throttle_device_fields, struct spec_throttle_device, NULL);

#define THROTTLE_FIELD(name, member)                                                                         \
  {                                                                                                          \
    name, &sj_object_array, offsetof (struct spec_block_io, member),                                         \
        offsetof (struct spec_block_io, member##_len), 0, &throttle_device_desc                              \
  }

static const struct sj_field block_io_fields[] = {
  { "weight", &sj_opt_u16, offsetof (struct spec_block_io, weight), 0, 0, &weight_range },
  { "leafWeight", &sj_opt_u16, offsetof (struct spec_block_io, leaf_weight), 0, 0, &weight_range },
  { "weightDevice", &sj_object_array, offsetof (struct spec_block_io, weight_device),
    offsetof (struct spec_block_io, weight_device_len), 0, &weight_device_desc },
  THROTTLE_FIELD ("throttleReadBpsDevice", throttle_read_bps_device),
  THROTTLE_FIELD ("throttleWriteBpsDevice", throttle_write_bps_device),
  THROTTLE_FIELD ("throttleReadIOPSDevice", throttle_read_iops_device),
  THROTTLE_FIELD ("throttleWriteIOPSDevice", throttle_write_iops_device),
};
static const struct sj_object block_io_desc = SJ_OBJECT (block_io_fields, struct spec_block_io, NULL);

/* The schema's ^[1-9][0-9]*[KMG]B$.  */
static int
check_page_size (struct sj_walk *w, const char *s, const void *data)
{
  _cleanup_free_ char *q = NULL;
  size_t digits = strspn (s, "0123456789");

  (void) data;
  if (digits > 0 && s[0] != '0' && s[digits] != '\0' && strchr ("KMG", s[digits]) && s[digits + 1] == 'B'
      && s[digits + 2] == '\0')
    return 0;
  q = sj_quote (s, strlen (s));
  return sj_error (w, "invalid page size %s", q);
}
static const struct sj_check page_size_check = { check_page_size, NULL };

static const struct sj_field hugepage_limit_fields[] = {
  { "pageSize", &sj_string, offsetof (struct spec_hugepage_limit, page_size), 0, SJ_MANDATORY,
    &page_size_check },
  { "limit", &sj_u64, offsetof (struct spec_hugepage_limit, limit), 0, SJ_MANDATORY, NULL },
};
static const struct sj_object hugepage_limit_desc
    = SJ_OBJECT (hugepage_limit_fields, struct spec_hugepage_limit, NULL);

static const struct sj_field interface_priority_fields[] = {
  { "name", &sj_string, offsetof (struct spec_interface_priority, name), 0, SJ_MANDATORY, NULL },
  { "priority", &sj_u32, offsetof (struct spec_interface_priority, priority), 0, SJ_MANDATORY, NULL },
};
static const struct sj_object interface_priority_desc
    = SJ_OBJECT (interface_priority_fields, struct spec_interface_priority, NULL);

static const struct sj_field network_fields[] = {
  { "classID", &sj_opt_u32, offsetof (struct spec_network, class_id), 0, 0, NULL },
  { "priorities", &sj_object_array, offsetof (struct spec_network, priorities),
    offsetof (struct spec_network, priorities_len), 0, &interface_priority_desc },
};
static const struct sj_object network_desc = SJ_OBJECT (network_fields, struct spec_network, NULL);

static int
rdma_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_rdma *r = obj;
  (void) node;
  if (!r->hca_handles.set && !r->hca_objects.set)
    return sj_error (w, "needs hcaHandles or hcaObjects");
  return 0;
}

static const struct sj_field rdma_fields[] = {
  { "hcaHandles", &sj_opt_u32, offsetof (struct spec_rdma, hca_handles), 0, 0, NULL },
  { "hcaObjects", &sj_opt_u32, offsetof (struct spec_rdma, hca_objects), 0, 0, NULL },
};
static const struct sj_object rdma_desc = SJ_OBJECT (rdma_fields, struct spec_rdma, rdma_check);
static const struct sj_keyed rdma_keyed = { &rdma_desc, { NULL, NULL } };

/* Each key names a file in the container's cgroup directory.  */
static int
check_unified_key (struct sj_walk *w, const char *s, const void *data)
{
  (void) data;
  if (strchr (s, '/') == NULL)
    return 0;
  return sj_error (w, "must be a file name, without '/'");
}
static const struct sj_check unified_key_check = { check_unified_key, NULL };

static const struct sj_field resources_fields[] = {
  { "devices", &sj_object_array, offsetof (struct spec_resources, devices),
    offsetof (struct spec_resources, devices_len), 0, &device_cgroup_desc },
  { "memory", &sj_object, offsetof (struct spec_resources, memory), 0, 0, &memory_desc },
  { "cpu", &sj_object, offsetof (struct spec_resources, cpu), 0, 0, &cpu_desc },
  { "pids", &sj_embedded, 0, offsetof (struct spec_resources, has_pids), SJ_HAS_FLAG, &pids_desc },
  { "blockIO", &sj_object, offsetof (struct spec_resources, block_io), 0, 0, &block_io_desc },
  { "hugepageLimits", &sj_object_array, offsetof (struct spec_resources, hugepage_limits),
    offsetof (struct spec_resources, hugepage_limits_len), 0, &hugepage_limit_desc },
  { "network", &sj_object, offsetof (struct spec_resources, network), 0, 0, &network_desc },
  { "rdma", &sj_keyed_array, offsetof (struct spec_resources, rdma),
    offsetof (struct spec_resources, rdma_len), 0, &rdma_keyed },
  { "unified", &sj_map, offsetof (struct spec_resources, unified),
    offsetof (struct spec_resources, unified_len), 0, &unified_key_check },
};
static const struct sj_object resources_desc = SJ_OBJECT (resources_fields, struct spec_resources, NULL);

/* ---- seccomp ---------------------------------------------------------- */

static const struct sj_check seccomp_action_check = { sj_check_enum, &sj_seccomp_actions };
static const struct sj_check seccomp_operator_check = { sj_check_enum, &sj_seccomp_operators };
static const struct sj_check seccomp_arch_check = { sj_check_enum, &sj_seccomp_archs };
static const struct sj_check seccomp_flag_check = { sj_check_enum, &sj_seccomp_flags };

/* Only these actions return an errno; with any other the runtime MUST
 * fail when an errno is given.  */
static bool
action_takes_errno (const char *action)
{
  return str_eq (action, "SCMP_ACT_ERRNO") || str_eq (action, "SCMP_ACT_TRACE");
}

static const struct sj_field seccomp_arg_fields[] = {
  { "index", &sj_u32, offsetof (struct spec_seccomp_arg, index), 0, SJ_MANDATORY, NULL },
  { "value", &sj_u64, offsetof (struct spec_seccomp_arg, value), 0, SJ_MANDATORY, NULL },
  { "valueTwo", &sj_u64, offsetof (struct spec_seccomp_arg, value_two), 0, SJ_OMIT_ZERO, NULL },
  { "op", &sj_string, offsetof (struct spec_seccomp_arg, op), 0, SJ_MANDATORY, &seccomp_operator_check },
};
static const struct sj_object seccomp_arg_desc
    = SJ_OBJECT (seccomp_arg_fields, struct spec_seccomp_arg, NULL);

static int
syscall_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_syscall *s = obj;
  (void) node;
  if (s->names[0] == NULL)
    return sj_field_error (w, "names", "must contain at least one entry");
  if (s->errno_ret.set && !action_takes_errno (s->action))
    return sj_field_error (w, "errnoRet", "not allowed with action \"%s\"", s->action);
  return 0;
}

static const struct sj_field syscall_fields[] = {
  { "names", &sj_strv, offsetof (struct spec_syscall, names), 0, SJ_MANDATORY, NULL },
  { "action", &sj_string, offsetof (struct spec_syscall, action), 0, SJ_MANDATORY, &seccomp_action_check },
  { "errnoRet", &sj_opt_u32, offsetof (struct spec_syscall, errno_ret), 0, 0, NULL },
  { "args", &sj_object_array, offsetof (struct spec_syscall, args), offsetof (struct spec_syscall, args_len),
    0, &seccomp_arg_desc },
};
static const struct sj_object syscall_desc = SJ_OBJECT (syscall_fields, struct spec_syscall, syscall_check);

static int
seccomp_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_seccomp *s = obj;
  (void) node;
  if (s->default_errno_ret.set && !action_takes_errno (s->default_action))
    return sj_field_error (w, "defaultErrnoRet", "not allowed with action \"%s\"", s->default_action);
  if (s->listener_metadata && !s->listener_path)
    return sj_field_error (w, "listenerMetadata", "not allowed without listenerPath");
  return 0;
}

static const struct sj_field seccomp_fields[] = {
  { "defaultAction", &sj_string, offsetof (struct spec_seccomp, default_action), 0, SJ_MANDATORY,
    &seccomp_action_check },
  { "defaultErrnoRet", &sj_opt_u32, offsetof (struct spec_seccomp, default_errno_ret), 0, 0, NULL },
  { "architectures", &sj_strv, offsetof (struct spec_seccomp, architectures), 0, 0, &seccomp_arch_check },
  { "flags", &sj_strv, offsetof (struct spec_seccomp, flags), 0, 0, &seccomp_flag_check },
  { "listenerPath", &sj_string, offsetof (struct spec_seccomp, listener_path), 0, 0, NULL },
  { "listenerMetadata", &sj_string, offsetof (struct spec_seccomp, listener_metadata), 0, 0, NULL },
  { "syscalls", &sj_object_array, offsetof (struct spec_seccomp, syscalls),
    offsetof (struct spec_seccomp, syscalls_len), 0, &syscall_desc },
};
static const struct sj_object seccomp_desc = SJ_OBJECT (seccomp_fields, struct spec_seccomp, seccomp_check);

/* ---- the rest --------------------------------------------------------- */

static int
check_mem_bw_schema (struct sj_walk *w, const char *s, const void *data)
{
  (void) data;
  if (strncmp (s, "MB:", 3) == 0 && strchr (s, '\n') == NULL)
    return 0;
  return sj_error (w, "must start with \"MB:\" and be one line");
}
static const struct sj_check mem_bw_schema_check = { check_mem_bw_schema, NULL };

static const struct sj_field intel_rdt_fields[] = {
  { "closID", &sj_string, offsetof (struct spec_intel_rdt, clos_id), 0, 0, NULL },
  { "l3CacheSchema", &sj_string, offsetof (struct spec_intel_rdt, l3_cache_schema), 0, 0, NULL },
  { "memBwSchema", &sj_string, offsetof (struct spec_intel_rdt, mem_bw_schema), 0, 0, &mem_bw_schema_check },
  { "enableCMT", &sj_bool, offsetof (struct spec_intel_rdt, enable_cmt), 0, SJ_OMIT_ZERO, NULL },
  { "enableMBM", &sj_bool, offsetof (struct spec_intel_rdt, enable_mbm), 0, SJ_OMIT_ZERO, NULL },
};
static const struct sj_object intel_rdt_desc = SJ_OBJECT (intel_rdt_fields, struct spec_intel_rdt, NULL);

static const struct sj_enum personality_domains
    = { "personality domain", (const char *const[]){ "LINUX", "LINUX32", NULL } };
static const struct sj_check personality_domain_check = { sj_check_enum, &personality_domains };

/* domain is REQUIRED in config-linux.md (the schema forgets it); there is
 * no default to fall back on.  */
static const struct sj_field personality_fields[] = {
  { "domain", &sj_string, offsetof (struct spec_personality, domain), 0, SJ_MANDATORY,
    &personality_domain_check },
  { "flags", &sj_strv, offsetof (struct spec_personality, flags), 0, 0, NULL },
};
static const struct sj_object personality_desc
    = SJ_OBJECT (personality_fields, struct spec_personality, NULL);

/* The schema lists the four plain values; runc also takes the recursive
 * forms, and engines (podman's --rootfs-propagation) pass them.  */
static const struct sj_enum propagations = {
  "rootfs propagation",
  (const char *const[]){ "private", "shared", "slave", "unbindable", "rprivate", "rshared", "rslave",
                         "runbindable", NULL },
};
static const struct sj_check propagation_check = { sj_check_enum, &propagations };

static int
linux_check (struct sj_walk *w, const struct sj_node *node, void *obj)
{
  const struct spec_linux *l = obj;
  size_t i, j;

  (void) node;
  for (i = 0; i < l->namespaces_len; i++)
    for (j = 0; j < i; j++)
      if (str_eq (l->namespaces[i].type, l->namespaces[j].type))
        {
          _cleanup_free_ char *q = sj_quote (l->namespaces[i].type, strlen (l->namespaces[i].type));
          size_t saved = sj_push_field (w, "namespaces");
          int r;
          sj_push_index (w, i);
          sj_push_field (w, "type");
          r = sj_error (w, "duplicate namespace type %s", q);
          sj_pop (w, saved);
          return r;
        }
  return 0;
}

static const struct sj_field linux_fields[] = {
  { "resources", &sj_object, offsetof (struct spec_linux, resources), 0, 0, &resources_desc },
  { "cgroupsPath", &sj_string, offsetof (struct spec_linux, cgroups_path), 0, 0, NULL },
  { "namespaces", &sj_object_array, offsetof (struct spec_linux, namespaces),
    offsetof (struct spec_linux, namespaces_len), 0, &namespace_desc },
  { "uidMappings", &sj_object_array, offsetof (struct spec_linux, uid_mappings),
    offsetof (struct spec_linux, uid_mappings_len), 0, &sj_id_mapping_desc },
  { "gidMappings", &sj_object_array, offsetof (struct spec_linux, gid_mappings),
    offsetof (struct spec_linux, gid_mappings_len), 0, &sj_id_mapping_desc },
  { "timeOffsets", &sj_keyed_array, offsetof (struct spec_linux, time_offsets),
    offsetof (struct spec_linux, time_offsets_len), 0, &time_offsets_keyed },
  { "devices", &sj_object_array, offsetof (struct spec_linux, devices),
    offsetof (struct spec_linux, devices_len), 0, &device_desc },
  { "sysctl", &sj_map, offsetof (struct spec_linux, sysctl), offsetof (struct spec_linux, sysctl_len), 0,
    NULL },
  { "seccomp", &sj_object, offsetof (struct spec_linux, seccomp), 0, 0, &seccomp_desc },
  { "rootfsPropagation", &sj_string, offsetof (struct spec_linux, rootfs_propagation), 0, 0,
    &propagation_check },
  { "maskedPaths", &sj_strv, offsetof (struct spec_linux, masked_paths), 0, 0, &absolute_check },
  { "readonlyPaths", &sj_strv, offsetof (struct spec_linux, readonly_paths), 0, 0, &absolute_check },
  { "mountLabel", &sj_string, offsetof (struct spec_linux, mount_label), 0, 0, NULL },
  { "intelRdt", &sj_object, offsetof (struct spec_linux, intel_rdt), 0, 0, &intel_rdt_desc },
  { "personality", &sj_object, offsetof (struct spec_linux, personality), 0, 0, &personality_desc },
};
const struct sj_object sj_linux_desc = SJ_OBJECT (linux_fields, struct spec_linux, linux_check);
