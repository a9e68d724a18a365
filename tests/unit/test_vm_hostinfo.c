#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/hostinfo.h"

static char dir[64];

static void
setup (void)
{
  snprintf (dir, sizeof (dir), "/tmp/test_vm_hostinfo.XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
}

static void
teardown (void)
{
  _cleanup_free_ char *a = xasprintf ("%s/cpuinfo", dir);
  (void) unlink (a);
  (void) rmdir (dir);
}

TestSuite (hostinfo, .init = setup, .fini = teardown);

static char *
cpuinfo (const char *flags)
{
  char *path = xasprintf ("%s/cpuinfo", dir);
  _cleanup_free_ char *text
      = xasprintf ("processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: %s\n\nprocessor\t: 1\n"
                   "flags\t\t: fpu vmx\n",
                   flags);
  rv_error_t err = NULL;
  cr_assert_eq (write_file_atomic (path, text, strlen (text), 0644, &err), 0);
  return path;
}

Test (hostinfo, no_device_no_kvm)
{
  _cleanup_free_ char *ci = cpuinfo ("fpu svm sse");
  struct vm_kvm_info k;
  vm_kvm_probe (ci, "/nonexistent/kvm", &k);
  cr_assert_not (k.usable);
  cr_assert_str_eq (k.cpu_flag, "svm");
  cr_assert_str_eq (k.reason, "/nonexistent/kvm: No such file or directory");
}

Test (hostinfo, device_that_is_not_kvm)
{
  _cleanup_free_ char *ci = cpuinfo ("fpu vmx");
  struct vm_kvm_info k;
  vm_kvm_probe (ci, "/dev/null", &k);
  cr_assert_not (k.usable);
  cr_assert_str_eq (k.cpu_flag, "vmx");
  cr_assert (str_has_prefix (k.reason, "/dev/null: KVM API version -1"), "%s", k.reason);
}

Test (hostinfo, cpu_flags_of_the_first_processor_only)
{
  _cleanup_free_ char *ci = cpuinfo ("fpu sse hypervisor");
  struct vm_kvm_info k;
  vm_kvm_probe (ci, "/nonexistent/kvm", &k);
  cr_assert_null (k.cpu_flag);
}

Test (hostinfo, accel_resolution)
{
  struct vm_kvm_info yes = { .usable = true, .cpu_flag = "vmx" };
  struct vm_kvm_info no = { .usable = false, .reason = "/dev/kvm: Permission denied" };
  _cleanup_error_ rv_error_t err = NULL;
  enum vm_accel a = VM_ACCEL_AUTO;

  cr_assert_eq (vm_accel_resolve (VM_ACCEL_AUTO, &yes, &a, &err), 0);
  cr_assert_eq (a, VM_ACCEL_KVM);
  cr_assert_eq (vm_accel_resolve (VM_ACCEL_AUTO, &no, &a, &err), 0);
  cr_assert_eq (a, VM_ACCEL_TCG);
  cr_assert_eq (vm_accel_resolve (VM_ACCEL_TCG, &yes, &a, &err), 0);
  cr_assert_eq (a, VM_ACCEL_TCG);
  a = VM_ACCEL_AUTO;
  cr_assert_lt (vm_accel_resolve (VM_ACCEL_KVM, &no, &a, &err), 0);
  cr_assert_eq (a, VM_ACCEL_AUTO);
  cr_assert_str_eq (err->msg, "accel kvm requested but KVM is not usable: /dev/kvm: Permission denied");
}

Test (hostinfo, tsc_rate_is_plausible_and_stable)
{
#if defined(__x86_64__)
  rv_error_t err = NULL;
  enum vm_tsc_source src = 0;
  uint32_t a = 0, b = 0;
  cr_assert_eq (vm_tsc_khz (&a, &src, &err), 0);
  cr_assert (a > 100000 && a < 10000000, "%u kHz", a);
  cr_assert_neq (src, 0);
  cr_assert_neq (strcmp (vm_tsc_source_name (src), "unknown"), 0);
  cr_assert_eq (vm_tsc_khz (&b, NULL, &err), 0);
  cr_assert_eq (a, b, "cached");
#endif
}

Test (hostinfo, vhost_vsock_reason)
{
  char reason[128];
  cr_assert_not (vm_vhost_vsock_usable ("/nonexistent/vhost-vsock", reason, sizeof (reason)));
  cr_assert_str_eq (reason, "/nonexistent/vhost-vsock: No such file or directory");
  cr_assert (vm_vhost_vsock_usable ("/dev/null", reason, sizeof (reason)));
  cr_assert_str_eq (reason, "");
}

Test (hostinfo, cgroup_layout)
{
  cr_assert_eq (vm_cgroup_layout ("/nonexistent"), VM_CGROUP_UNKNOWN);
  cr_assert_eq (vm_cgroup_layout ("/proc"), VM_CGROUP_UNKNOWN);
  cr_assert_neq (vm_cgroup_layout (NULL), VM_CGROUP_UNKNOWN, "this host has cgroups at /sys/fs/cgroup");
  cr_assert_str_eq (vm_cgroup_layout_name (VM_CGROUP_HYBRID), "hybrid (v1 controllers, cgroup2 at unified/)");
}
