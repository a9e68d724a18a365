/* The linux section of config.json: every field reaches the struct.  */
#include "test_spec.h"

static struct spec_config *full;
static struct spec_linux *lx;

static void
load_full (void)
{
  full = load_fixture ("full.json");
  lx = full->linux;
  cr_assert_not_null (lx);
}

static void
free_full (void)
{
  spec_config_free (full);
}

TestSuite (linux_fields, .init = load_full, .fini = free_full);

Test (linux_fields, namespaces)
{
  const char *types[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };
  size_t i;

  cr_assert_eq (lx->namespaces_len, ARRAY_SIZE (types));
  for (i = 0; i < ARRAY_SIZE (types); i++)
    cr_assert_str_eq (lx->namespaces[i].type, types[i]);
  cr_assert_str_eq (lx->namespaces[1].path, "/var/run/netns/box");
  cr_assert_null (lx->namespaces[0].path);
}

Test (linux_fields, id_mappings)
{
  cr_assert_eq (lx->uid_mappings_len, 1);
  cr_assert_eq (lx->uid_mappings[0].container_id, 0);
  cr_assert_eq (lx->uid_mappings[0].host_id, 1000);
  cr_assert_eq (lx->uid_mappings[0].size, 32000);
  cr_assert_eq (lx->gid_mappings_len, 2);
  cr_assert_eq (lx->gid_mappings[1].container_id, 1);
  cr_assert_eq (lx->gid_mappings[1].host_id, 100000);
  cr_assert_eq (lx->gid_mappings[1].size, 65535);
}

Test (linux_fields, time_offsets)
{
  cr_assert_eq (lx->time_offsets_len, 2);
  cr_assert_str_eq (lx->time_offsets[0].clock, "monotonic");
  cr_assert_eq (lx->time_offsets[0].secs, -86400);
  cr_assert_eq (lx->time_offsets[0].nanosecs, 500);
  cr_assert_str_eq (lx->time_offsets[1].clock, "boottime");
  cr_assert_eq (lx->time_offsets[1].secs, INT64_MAX);
  cr_assert_eq (lx->time_offsets[1].nanosecs, 0);
}

Test (linux_fields, devices)
{
  struct spec_device *d = lx->devices;
  cr_assert_eq (lx->devices_len, 3);
  cr_assert_str_eq (d[0].path, "/dev/fuse");
  cr_assert_str_eq (d[0].type, "c");
  cr_assert_eq (d[0].major, 10);
  cr_assert_eq (d[0].minor, 229);
  cr_assert (d[0].file_mode.set);
  cr_assert_eq (d[0].file_mode.value, 0666);
  cr_assert (d[0].uid.set);
  cr_assert_eq (d[0].uid.value, 0);
  cr_assert (d[0].gid.set);
  cr_assert_str_eq (d[1].type, "b");
  cr_assert_eq (d[1].file_mode.value, 02666);
  cr_assert_not (d[1].uid.set);
  cr_assert_not (d[1].gid.set);
  /* A FIFO needs no device numbers.  */
  cr_assert_str_eq (d[2].type, "p");
  cr_assert_not (d[2].file_mode.set);
}

Test (linux_fields, cgroups_path_sysctl)
{
  cr_assert_str_eq (lx->cgroups_path, "/runvm/box");
  cr_assert_eq (lx->sysctl_len, 2);
  cr_assert_str_eq (lx->sysctl[0].key, "net.ipv4.ip_forward");
  cr_assert_str_eq (lx->sysctl[0].value, "1");
  cr_assert_str_eq (lx->sysctl[1].key, "kernel.shmmax");
}

Test (linux_fields, resources_devices)
{
  struct spec_device_cgroup *d = lx->resources->devices;
  cr_assert_eq (lx->resources->devices_len, 3);
  cr_assert_not (d[0].allow);
  cr_assert_null (d[0].type);
  cr_assert_not (d[0].major.set);
  cr_assert_not (d[0].minor.set);
  cr_assert_str_eq (d[0].access, "rwm");
  cr_assert (d[1].allow);
  cr_assert_str_eq (d[1].type, "c");
  cr_assert (d[1].major.set);
  cr_assert_eq (d[1].major.value, 10);
  cr_assert_eq (d[1].minor.value, 229);
  cr_assert_str_eq (d[1].access, "rw");
  cr_assert_eq (d[2].major.value, -1);
  cr_assert_str_eq (d[2].access, "");
}

Test (linux_fields, resources_memory)
{
  struct spec_memory *m = lx->resources->memory;
  cr_assert (m->limit.set);
  cr_assert_eq (m->limit.value, 536870912);
  cr_assert_eq (m->reservation.value, 268435456);
  cr_assert (m->swap.set);
  cr_assert_eq (m->swap.value, -1);
  cr_assert (m->kernel.set);
  cr_assert_eq (m->kernel.value, 0);
  cr_assert_eq (m->kernel_tcp.value, 1048576);
  cr_assert (m->swappiness.set);
  cr_assert_eq (m->swappiness.value, 60);
  cr_assert (m->disable_oom_killer.set);
  cr_assert (m->disable_oom_killer.value);
  cr_assert (m->use_hierarchy.set);
  cr_assert_not (m->use_hierarchy.value);
  cr_assert (m->check_before_update.set);
  cr_assert (m->check_before_update.value);
}

Test (linux_fields, resources_cpu)
{
  struct spec_cpu *c = lx->resources->cpu;
  cr_assert_eq (c->shares.value, 1024);
  cr_assert_eq (c->quota.value, 100000);
  cr_assert_eq (c->burst.value, 50000);
  cr_assert_eq (c->period.value, 100000);
  cr_assert (c->realtime_runtime.set);
  cr_assert_eq (c->realtime_runtime.value, -1);
  cr_assert_eq (c->realtime_period.value, 1000000);
  cr_assert_str_eq (c->cpus, "0-1");
  cr_assert_str_eq (c->mems, "0");
  cr_assert (c->idle.set);
  cr_assert_eq (c->idle.value, 1);
}

Test (linux_fields, resources_pids)
{
  cr_assert (lx->resources->has_pids);
  cr_assert_eq (lx->resources->pids_limit, -1);
}

Test (linux_fields, resources_block_io)
{
  struct spec_block_io *b = lx->resources->block_io;
  cr_assert (b->weight.set);
  cr_assert_eq (b->weight.value, 500);
  cr_assert_eq (b->leaf_weight.value, 10);
  cr_assert_eq (b->weight_device_len, 2);
  cr_assert_eq (b->weight_device[0].major, 8);
  cr_assert_eq (b->weight_device[0].minor, 0);
  cr_assert_eq (b->weight_device[0].weight.value, 1000);
  cr_assert_not (b->weight_device[0].leaf_weight.set);
  cr_assert_not (b->weight_device[1].weight.set);
  cr_assert_eq (b->weight_device[1].leaf_weight.value, 100);
  cr_assert_eq (b->throttle_read_bps_device_len, 1);
  cr_assert_eq (b->throttle_read_bps_device[0].rate, 1048576);
  cr_assert_eq (b->throttle_write_bps_device[0].rate, UINT64_MAX);
  cr_assert_eq (b->throttle_read_iops_device[0].minor, 16);
  cr_assert_eq (b->throttle_read_iops_device[0].rate, 100);
  cr_assert_not_null (b->throttle_write_iops_device);
  cr_assert_eq (b->throttle_write_iops_device_len, 0);
}

Test (linux_fields, resources_hugepages_network_rdma_unified)
{
  struct spec_resources *r = lx->resources;
  cr_assert_eq (r->hugepage_limits_len, 2);
  cr_assert_str_eq (r->hugepage_limits[0].page_size, "2MB");
  cr_assert_eq (r->hugepage_limits[0].limit, 209715200);
  cr_assert_str_eq (r->hugepage_limits[1].page_size, "1GB");

  cr_assert (r->network->class_id.set);
  cr_assert_eq (r->network->class_id.value, 1048577);
  cr_assert_eq (r->network->priorities_len, 2);
  cr_assert_str_eq (r->network->priorities[0].name, "eth0");
  cr_assert_eq (r->network->priorities[0].priority, 500);
  cr_assert_str_eq (r->network->priorities[1].name, "lo");

  cr_assert_eq (r->rdma_len, 2);
  cr_assert_str_eq (r->rdma[0].device, "mlx5_1");
  cr_assert_eq (r->rdma[0].hca_handles.value, 3);
  cr_assert_eq (r->rdma[0].hca_objects.value, 10000);
  cr_assert_str_eq (r->rdma[1].device, "mlx4_0");
  cr_assert_not (r->rdma[1].hca_handles.set);
  cr_assert_eq (r->rdma[1].hca_objects.value, 1000);

  cr_assert_eq (r->unified_len, 2);
  cr_assert_str_eq (r->unified[0].key, "memory.high");
  cr_assert_str_eq (r->unified[0].value, "max");
  cr_assert_str_eq (r->unified[1].value, "259:0 rbps=2097152\n253:0 wiops=120");
}

Test (linux_fields, seccomp)
{
  struct spec_seccomp *s = lx->seccomp;
  cr_assert_str_eq (s->default_action, "SCMP_ACT_ERRNO");
  cr_assert (s->default_errno_ret.set);
  cr_assert_eq (s->default_errno_ret.value, 38);
  cr_assert_str_eq (s->architectures[0], "SCMP_ARCH_X86_64");
  cr_assert_str_eq (s->architectures[2], "SCMP_ARCH_X32");
  cr_assert_null (s->architectures[3]);
  cr_assert_str_eq (s->flags[0], "SECCOMP_FILTER_FLAG_LOG");
  cr_assert_str_eq (s->flags[1], "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
  cr_assert_str_eq (s->listener_path, "/run/seccomp-agent.sock");
  cr_assert_str_eq (s->listener_metadata, "opaque");

  cr_assert_eq (s->syscalls_len, 4);
  cr_assert_str_eq (s->syscalls[0].names[2], "exit_group");
  cr_assert_str_eq (s->syscalls[0].action, "SCMP_ACT_ALLOW");
  cr_assert_not (s->syscalls[0].errno_ret.set);
  cr_assert_null (s->syscalls[0].args);
  cr_assert_eq (s->syscalls[1].args_len, 2);
  cr_assert_eq (s->syscalls[1].args[0].index, 0);
  cr_assert_eq (s->syscalls[1].args[0].value, 0);
  cr_assert_eq (s->syscalls[1].args[0].value_two, 0);
  cr_assert_str_eq (s->syscalls[1].args[0].op, "SCMP_CMP_EQ");
  cr_assert_eq (s->syscalls[1].args[1].value, UINT32_MAX);
  cr_assert_eq (s->syscalls[1].args[1].value_two, 8);
  cr_assert_str_eq (s->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ");
  cr_assert (s->syscalls[2].errno_ret.set);
  cr_assert_eq (s->syscalls[2].errno_ret.value, 1);
  cr_assert_str_eq (s->syscalls[3].action, "SCMP_ACT_NOTIFY");
}

Test (linux_fields, paths_labels_propagation)
{
  cr_assert_str_eq (lx->rootfs_propagation, "rslave");
  cr_assert_str_eq (lx->masked_paths[0], "/proc/kcore");
  cr_assert_str_eq (lx->masked_paths[1], "/sys/firmware");
  cr_assert_null (lx->masked_paths[2]);
  cr_assert_str_eq (lx->readonly_paths[0], "/proc/sys");
  cr_assert_str_eq (lx->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
}

Test (linux_fields, intel_rdt_personality)
{
  cr_assert_str_eq (lx->intel_rdt->clos_id, "guaranteed");
  cr_assert_str_eq (lx->intel_rdt->l3_cache_schema, "L3:0=7f0;1=1f");
  cr_assert_str_eq (lx->intel_rdt->mem_bw_schema, "MB:0=20;1=70");
  cr_assert (lx->intel_rdt->enable_cmt);
  cr_assert (lx->intel_rdt->enable_mbm);
  cr_assert_str_eq (lx->personality->domain, "LINUX32");
  cr_assert_not_null (lx->personality->flags);
  cr_assert_null (lx->personality->flags[0]);
}

Test (linux, absent_members_stay_absent)
{
  struct spec_config *c = config_ok ("{'ociVersion':'1.2.0','linux':{'resources':{'pids':{'limit':0}}}}");
  struct spec_resources *r = c->linux->resources;
  _cleanup_free_ char *json = spec_config_to_json (c, false);

  cr_assert_null (c->linux->namespaces);
  cr_assert_null (c->linux->seccomp);
  cr_assert_null (c->linux->rootfs_propagation);
  cr_assert_null (r->memory);
  cr_assert_null (r->rdma);
  cr_assert (r->has_pids);
  cr_assert_eq (r->pids_limit, 0);
  cr_assert_str_eq (json, "{\"ociVersion\":\"1.2.0\",\"linux\":{\"resources\":{\"pids\":{\"limit\":0}}}}");
  spec_config_free (c);
}

Test (linux, docker_blkio_weight_zero_means_unset)
{
  struct spec_config *c = config_ok ("{'ociVersion':'1.2.0','linux':{'resources':{'blockIO':{'weight':0},"
                                     "'devices':[{'allow':true,'type':'a'}]}}}");
  cr_assert (c->linux->resources->block_io->weight.set);
  cr_assert_eq (c->linux->resources->block_io->weight.value, 0);
  config_round_trip (c);
  spec_config_free (c);
}

Test (linux, recursive_rootfs_propagation_and_relative_values)
{
  const char *values[]
      = { "private", "shared", "slave", "unbindable", "rprivate", "rshared", "rslave", "runbindable" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (values); i++)
    {
      _cleanup_free_ char *doc
          = xasprintf ("{'ociVersion':'1.2.0','linux':{'rootfsPropagation':'%s'}}", values[i]);
      struct spec_config *c = config_ok (doc);
      cr_assert_str_eq (c->linux->rootfs_propagation, values[i]);
      spec_config_free (c);
    }
}

Test (linux, seccomp_every_action_operator_arch_flag)
{
  const char *actions[] = { "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                            "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                            "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY" };
  const char *ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (actions); i++)
    {
      _cleanup_free_ char *doc = xasprintf ("{'ociVersion':'1.2.0','linux':{'seccomp':{'defaultAction':'%s',"
                                            "'syscalls':[{'names':['x'],'action':'%s'}]}}}",
                                            actions[i], actions[i]);
      spec_config_free (config_ok (doc));
    }
  for (i = 0; i < ARRAY_SIZE (ops); i++)
    {
      _cleanup_free_ char *doc
          = xasprintf ("{'ociVersion':'1.2.0','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
                       "'syscalls':[{'names':['x'],'action':'SCMP_ACT_LOG','args':[{'index':5,"
                       "'value':18446744073709551615,'op':'%s'}]}]}}}",
                       ops[i]);
      struct spec_config *c = config_ok (doc);
      cr_assert_eq (c->linux->seccomp->syscalls[0].args[0].value, UINT64_MAX);
      spec_config_free (c);
    }
  spec_config_free (config_ok (
      "{'ociVersion':'1.2.0','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','architectures':["
      "'SCMP_ARCH_X86','SCMP_ARCH_X86_64','SCMP_ARCH_X32','SCMP_ARCH_ARM','SCMP_ARCH_AARCH64',"
      "'SCMP_ARCH_LOONGARCH64','SCMP_ARCH_M68K','SCMP_ARCH_MIPS','SCMP_ARCH_MIPS64','SCMP_ARCH_MIPS64N32',"
      "'SCMP_ARCH_MIPSEL','SCMP_ARCH_MIPSEL64','SCMP_ARCH_MIPSEL64N32','SCMP_ARCH_PPC','SCMP_ARCH_PPC64',"
      "'SCMP_ARCH_PPC64LE','SCMP_ARCH_S390','SCMP_ARCH_S390X','SCMP_ARCH_SH','SCMP_ARCH_SHEB',"
      "'SCMP_ARCH_PARISC','SCMP_ARCH_PARISC64','SCMP_ARCH_RISCV64'],'flags':['SECCOMP_FILTER_FLAG_TSYNC',"
      "'SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW','SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']}}"
      "}"));
}

Test (linux, errno_ret_with_trace)
{
  struct spec_config *c = config_ok (
      "{'ociVersion':'1.2.0','linux':{'seccomp':{'defaultAction':'SCMP_ACT_TRACE','defaultErrnoRet':0,"
      "'syscalls':[{'names':['x'],'action':'SCMP_ACT_TRACE','errnoRet':4294967295}]}}}");
  cr_assert (c->linux->seccomp->default_errno_ret.set);
  cr_assert_eq (c->linux->seccomp->default_errno_ret.value, 0);
  cr_assert_eq (c->linux->seccomp->syscalls[0].errno_ret.value, UINT32_MAX);
  spec_config_free (c);
}

Test (linux, weights_bounds)
{
  struct spec_config *c
      = config_ok ("{'ociVersion':'1.2.0','linux':{'resources':{'blockIO':{'weight':10,"
                   "'leafWeight':1000,'weightDevice':[{'major':-1,'minor':-1,'weight':0}]}}}}");
  cr_assert_eq (c->linux->resources->block_io->weight.value, 10);
  cr_assert_eq (c->linux->resources->block_io->leaf_weight.value, 1000);
  cr_assert (c->linux->resources->block_io->weight_device[0].weight.set);
  spec_config_free (c);
}
