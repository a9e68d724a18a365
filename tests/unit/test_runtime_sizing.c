/* The guest's size from the container's resources (docs/lifecycle.md,
 * "Guest size"), and the host cgroup's path and resources.  */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/utils.h"
#include "runtime/rt_impl.h"

static struct vm_config *
defaults (void)
{
  struct vm_config *c = NULL;
  rv_error_t err = NULL;
  cr_assert_eq (vm_config_parse ("test",
                                 "{\"vcpus\": 1, \"memory_mb\": 256, \"max_vcpus\": 64, "
                                 "\"max_memory_mb\": 8192, \"tb_size_mb\": 64}",
                                 strlen ("{\"vcpus\": 1, \"memory_mb\": 256, \"max_vcpus\": 64, "
                                         "\"max_memory_mb\": 8192, \"tb_size_mb\": 64}"),
                                 &c, &err),
                0, "%s", err ? err->msg : "");
  return c;
}

Test (runtime_sizing, no_resources_give_the_configured_size)
{
  struct vm_config *c = defaults ();
  struct rt_guest_size s;

  rt_guest_size (NULL, c, true, 8, false, false, &s);
  cr_assert_eq (s.vcpus, 1);
  cr_assert_eq (s.memory_mb, 256);
  vm_config_free (c);
}

Test (runtime_sizing, vcpus_follow_the_quota_rounded_up)
{
  struct vm_config *c = defaults ();
  struct spec_cpu cpu = { 0 };
  struct spec_resources res = { .cpu = &cpu };
  struct rt_guest_size s;

  cpu.quota = (struct spec_opt_i64){ true, 150000 };
  cpu.period = (struct spec_opt_u64){ true, 100000 };
  rt_guest_size (&res, c, true, 8, false, false, &s);
  cr_assert_eq (s.vcpus, 2);
  /* At most the host's CPUs.  */
  cpu.quota.value = 1600000;
  rt_guest_size (&res, c, true, 8, false, false, &s);
  cr_assert_eq (s.vcpus, 8);
  /* A tiny quota still gets a vCPU; -1 is "no quota".  */
  cpu.quota.value = 1000;
  rt_guest_size (&res, c, true, 8, false, false, &s);
  cr_assert_eq (s.vcpus, 1);
  cpu.quota.value = -1;
  rt_guest_size (&res, c, true, 8, false, false, &s);
  cr_assert_eq (s.vcpus, 1);
  vm_config_free (c);
}

Test (runtime_sizing, vcpus_follow_the_cpuset_without_a_quota)
{
  struct vm_config *c = defaults ();
  struct spec_cpu cpu = { .cpus = (char *) "0-2,5" };
  struct spec_resources res = { .cpu = &cpu };
  struct rt_guest_size s;

  rt_guest_size (&res, c, true, 8, false, false, &s);
  cr_assert_eq (s.vcpus, 4);
  cr_assert_eq (rt_cpuset_count ("0"), 1);
  cr_assert_eq (rt_cpuset_count ("1,3-4\n"), 3);
  cr_assert_eq (rt_cpuset_count ("3-1"), 0);
  cr_assert_eq (rt_cpuset_count ("x"), 0);
  vm_config_free (c);
}

Test (runtime_sizing, memory_is_the_limit_less_the_vmm_with_a_floor)
{
  struct vm_config *c = defaults ();
  struct spec_memory mem = { 0 };
  struct spec_resources res = { .memory = &mem };
  struct rt_guest_size s;

  mem.limit = (struct spec_opt_i64){ true, 1024ll << 20 };
  rt_guest_size (&res, c, false, 8, false, false, &s);
  cr_assert_eq (s.memory_mb, 1024 - RT_VMM_OVERHEAD_MB);
  /* TCG's translation cache is overhead too.  */
  rt_guest_size (&res, c, true, 8, false, false, &s);
  cr_assert_eq (s.memory_mb, 1024 - RT_VMM_OVERHEAD_MB - 64);
  mem.limit.value = 64ll << 20;
  rt_guest_size (&res, c, true, 8, false, false, &s);
  cr_assert_eq (s.memory_mb, RT_GUEST_MEMORY_FLOOR_MB);
  mem.limit.value = 64ll << 30;
  rt_guest_size (&res, c, false, 8, false, false, &s);
  cr_assert_eq (s.memory_mb, 8192);
  /* Unlimited.  */
  mem.limit.value = -1;
  rt_guest_size (&res, c, false, 8, false, false, &s);
  cr_assert_eq (s.memory_mb, 256);
  vm_config_free (c);
}

Test (runtime_sizing, annotations_win_over_resources)
{
  struct vm_config *c = defaults ();
  struct spec_memory mem = { .limit = { true, 2048ll << 20 } };
  struct spec_cpu cpu = { .quota = { true, 400000 }, .period = { true, 100000 } };
  struct spec_resources res = { .memory = &mem, .cpu = &cpu };
  struct rt_guest_size s;

  c->vcpus = 3;
  c->memory_mb = 300;
  rt_guest_size (&res, c, false, 8, true, true, &s);
  cr_assert_eq (s.vcpus, 3);
  cr_assert_eq (s.memory_mb, 300);
  vm_config_free (c);
}

Test (runtime_sizing, host_cgroup_paths)
{
  struct spec_linux lx = { 0 };
  struct spec_config config = { .linux = &lx };
  _cleanup_free_ char *abs = NULL, *sd = NULL, *rel = NULL, *def = NULL;

  lx.cgroups_path = (char *) "/a/b";
  abs = rt_host_cgroup_path (&config, "id", RT_CGROUP_MANAGER_CGROUPFS);
  cr_assert_str_eq (abs, "/a/b");
  cr_assert_null (rt_host_cgroup_path (&config, "id", RT_CGROUP_MANAGER_DISABLED));
  lx.cgroups_path = (char *) "system.slice:runvm:id";
  sd = rt_host_cgroup_path (&config, "id", RT_CGROUP_MANAGER_SYSTEMD);
  cr_assert_str_eq (sd, "system.slice:runvm:id");
  /* Relative: below our own cgroup, made absolute once and for all.  */
  lx.cgroups_path = (char *) "x/y";
  rel = rt_host_cgroup_path (&config, "id", RT_CGROUP_MANAGER_CGROUPFS);
  cr_assert (rel[0] == '/' && str_has_suffix (rel, "/x/y"), "%s", rel);
  lx.cgroups_path = NULL;
  def = rt_host_cgroup_path (&config, "id", RT_CGROUP_MANAGER_CGROUPFS);
  cr_assert (def[0] == '/' && str_has_suffix (def, "/id"), "%s", def);
}

Test (runtime_sizing, host_resources_leave_the_devices_to_the_guest)
{
  struct spec_device_cgroup deny = { .allow = false, .access = (char *) "rwm" };
  struct spec_memory mem = { .limit = { true, 1 << 30 } };
  struct spec_resources res
      = { .devices = &deny, .devices_len = 1, .memory = &mem, .has_pids = true, .pids_limit = 10 };
  _cleanup_free_ struct spec_resources *host = rt_host_resources (&res);

  cr_assert_eq (host->devices_len, 0);
  cr_assert_null (host->devices);
  cr_assert_eq (host->memory, &mem);
  cr_assert_eq (host->pids_limit, 10);
  cr_assert_null (rt_host_resources (NULL));
}

Test (runtime_sizing, pod_annotations_of_containerd_and_cri_o)
{
  struct spec_kv ctd[] = { { (char *) "io.kubernetes.cri.container-type", (char *) "sandbox" },
                           { (char *) "io.kubernetes.cri.sandbox-id", (char *) "abc" } };
  struct spec_kv crio[] = { { (char *) "io.kubernetes.cri-o.ContainerType", (char *) "container" },
                            { (char *) "io.kubernetes.cri-o.SandboxID", (char *) "def" } };
  struct spec_kv bad[] = { { (char *) "io.kubernetes.cri.container-type", (char *) "pause" } };
  struct spec_config c = { .annotations = ctd, .annotations_len = 2 };
  struct rt_pod pod;
  rv_error_t err = NULL;

  cr_assert_eq (rt_pod_parse (&c, &pod, &err), 0);
  cr_assert_eq (pod.role, RT_POD_SANDBOX);
  cr_assert_str_eq (pod.sandbox_id, "abc");
  cr_assert_str_eq (pod.engine, "containerd");
  c.annotations = crio;
  cr_assert_eq (rt_pod_parse (&c, &pod, &err), 0);
  cr_assert_eq (pod.role, RT_POD_CONTAINER);
  cr_assert_str_eq (pod.sandbox_id, "def");
  cr_assert_str_eq (pod.engine, "cri-o");
  c.annotations = NULL;
  c.annotations_len = 0;
  cr_assert_eq (rt_pod_parse (&c, &pod, &err), 0);
  cr_assert_eq (pod.role, RT_POD_NONE);
  c.annotations = bad;
  c.annotations_len = 1;
  cr_assert_eq (rt_pod_parse (&c, &pod, &err), -EINVAL);
  cr_assert (strstr (err->msg, "unknown container type `pause`") != NULL, "%s", err->msg);
  rv_error_release (&err);
}
