#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/check.h"

static bool
has (const char *text, const char *needle)
{
  return strstr (text, needle) != NULL;
}

/* A host with everything: KVM, kernel vsock, all programs, the guest.  */
static struct vm_check_facts
good_host (const struct vm_config *c)
{
  struct vm_check_facts f = { 0 };
  f.config = c;
  f.kvm.usable = true;
  f.kvm.cpu_flag = "vmx";
  f.accel = VM_ACCEL_KVM;
  f.vhost_vsock = true;
  f.qemu = xstrdup ("/usr/bin/qemu-system-x86_64");
  f.qemu_version = xstrdup ("QEMU emulator version 7.2.22");
  f.qemu_microvm = true;
  f.virtiofsd = xstrdup ("/usr/libexec/virtiofsd");
  f.virtiofsd_version = xstrdup ("virtiofsd 1.10.0");
  f.vsockd = xstrdup ("/usr/local/libexec/runvm/runvm-vsockd");
  f.agent = xstrdup ("/usr/local/libexec/runvm/runvm-agent");
  f.kernel = xstrdup ("/usr/local/share/runvm/vmlinuz-cloud");
  f.initrd = xstrdup ("/usr/local/share/runvm/initrd-cloud.img");
  f.cgroups = VM_CGROUP_UNIFIED;
  f.cgroup2_controllers = xstrdup ("cpuset cpu io memory pids");
  return f;
}

Test (check, everything_there_with_kvm)
{
  struct vm_config *c = vm_config_new ();
  struct vm_check_facts f = good_host (c);
  _cleanup_free_ char *text = NULL;
  int problems = -1;

  text = vm_check_report (&f, &problems);
  cr_assert_eq (problems, 0, "%s", text);
  cr_assert (has (text, "accelerator:   KVM (CPU flag vmx, /dev/kvm usable)\n"), "%s", text);
  cr_assert (has (text, "vsock:         kernel vsock through /dev/vhost-vsock"), "%s", text);
  cr_assert (has (text, "QEMU:          /usr/bin/qemu-system-x86_64 (QEMU emulator version 7.2.22)\n"), "%s",
             text);
  cr_assert (has (text, "guest kernel:  /usr/local/share/runvm/vmlinuz-cloud\n"), "%s", text);
  cr_assert (has (text, "cgroups:       v2 (unified); cgroup2 controllers: cpuset cpu io memory pids\n"),
             "%s", text);
  cr_assert (str_has_suffix (text, "\nrunvm can start containers\n"), "%s", text);
  cr_assert_not (has (text, "TSC"), "no TSC line under KVM");
  vm_check_facts_free (&f);
  vm_config_free (c);
}

Test (check, this_kind_of_host_tcg_hybrid_nothing_installed)
{
  struct vm_config *c = vm_config_new ();
  struct vm_check_facts f = good_host (c);
  _cleanup_free_ char *text = NULL;
  int problems = 0;

  f.kvm.usable = false;
  f.kvm.cpu_flag = NULL;
  snprintf (f.kvm.reason, sizeof (f.kvm.reason), "/dev/kvm opens but the CPU does not advertise vmx or svm");
  f.accel = VM_ACCEL_TCG;
  f.tsc_khz = 2445430;
  f.tsc_source = VM_TSC_MEASURED;
  f.vhost_vsock = false;
  snprintf (f.vhost_vsock_reason, sizeof (f.vhost_vsock_reason),
            "/dev/vhost-vsock: No such file or directory");
  free (TAKE_PTR (f.vsockd));
  f.vsockd_error = xstrdup ("runvm-vsockd `runvm-vsockd` not found (it is part of runvm: `make install`)");
  free (TAKE_PTR (f.kernel));
  free (TAKE_PTR (f.initrd));
  f.guest_error = xstrdup ("guest kernel `/usr/local/share/runvm/vmlinuz-cloud`: No such file or directory");
  f.cgroups = VM_CGROUP_HYBRID;
  free (f.cgroup2_controllers);
  f.cgroup2_controllers = xstrdup ("");

  text = vm_check_report (&f, &problems);
  cr_assert_eq (problems, 2, "%s", text);
  cr_assert (has (text,
                  "accelerator:   TCG (emulation, slower), because KVM is not usable: /dev/kvm opens but the "
                  "CPU does not advertise vmx or svm\n"),
             "%s", text);
  cr_assert (has (text, "  TSC:         2445430 kHz (measured against CLOCK_MONOTONIC_RAW)"), "%s", text);
  cr_assert (has (text, "vsock:         hybrid through runvm-vsockd, not found"), "%s", text);
  cr_assert (has (text, "  - runvm-vsockd `runvm-vsockd` not found (it is part of runvm: `make install`)\n"),
             "%s", text);
  cr_assert (has (text, "  - the guest kernel and initrd: `make guest install`"), "%s", text);
  cr_assert (has (text, "  * kernel vsock (faster, no helper process): `modprobe vhost_vsock`\n"), "%s",
             text);
  cr_assert (has (text, "  * KVM: enable virtualization"), "%s", text);
  cr_assert (
      has (text, "cgroups:       hybrid (v1 controllers, cgroup2 at unified/); cgroup2 controllers: none\n"),
      "%s", text);
  cr_assert (str_has_suffix (text, "runvm cannot start containers until the items marked - are fixed\n"),
             "%s", text);
  vm_check_facts_free (&f);
  vm_config_free (c);
}

Test (check, kvm_module_missing_names_the_module_and_qemu_missing_the_package)
{
  struct vm_config *c = vm_config_new ();
  struct vm_check_facts f = good_host (c);
  _cleanup_free_ char *text = NULL;
  int problems = 0;

  f.kvm.usable = false;
  f.kvm.cpu_flag = "svm";
  snprintf (f.kvm.reason, sizeof (f.kvm.reason), "/dev/kvm: No such file or directory");
  f.accel = VM_ACCEL_TCG;
  free (TAKE_PTR (f.qemu));
  free (TAKE_PTR (f.qemu_version));
  f.qemu_error = xstrdup ("QEMU `qemu-system-x86_64` not found (install the package qemu-system-x86)");
  text = vm_check_report (&f, &problems);
  cr_assert_eq (problems, 1, "%s", text);
  cr_assert (has (text, "load kvm_intel or kvm_amd (`modprobe kvm_amd`)"), "%s", text);
  cr_assert (has (text, "  - QEMU `qemu-system-x86_64` not found (install the package qemu-system-x86)\n"),
             "%s", text);
  vm_check_facts_free (&f);
  vm_config_free (c);
}

Test (check, kvm_required_but_missing_and_bad_config)
{
  struct vm_config *c = vm_config_new ();
  struct vm_check_facts f = good_host (c);
  _cleanup_free_ char *text = NULL;
  int problems = 0;

  c->accel = VM_ACCEL_KVM;
  f.accel = VM_ACCEL_AUTO;
  f.accel_error = xstrdup ("accel kvm requested but KVM is not usable: /dev/kvm: Permission denied");
  f.config_error = xstrdup ("/etc/runvm/config.json: .vcpu: unknown key");
  text = vm_check_report (&f, &problems);
  cr_assert_eq (problems, 2, "%s", text);
  cr_assert (has (text, "configuration: /etc/runvm/config.json: .vcpu: unknown key\n"), "%s", text);
  cr_assert (has (text, "accelerator:   none: accel kvm requested"), "%s", text);
  vm_check_facts_free (&f);
  vm_config_free (c);
}

Test (check, host_launcher_needs_the_agent_only)
{
  struct vm_config *c = vm_config_new ();
  struct vm_check_facts f = good_host (c);
  _cleanup_free_ char *text = NULL;
  int problems = 0;

  free (c->launcher);
  c->launcher = xstrdup ("host");
  free (TAKE_PTR (f.qemu));
  f.qemu_error = xstrdup ("QEMU not found");
  free (TAKE_PTR (f.kernel));
  f.guest_error = xstrdup ("no kernel");
  text = vm_check_report (&f, &problems);
  cr_assert_eq (problems, 0, "%s", text);
  cr_assert (has (text, "agent:         /usr/local/libexec/runvm/runvm-agent\n"), "%s", text);
  cr_assert (has (text, "vsock:         not used"), "%s", text);
  cr_assert_not (has (text, "guest"), "%s", text);
  vm_check_facts_free (&f);
  vm_config_free (c);
}

Test (check, collect_runs_the_programs_for_versions)
{
  char dir[] = "/tmp/test_vm_check.XXXXXX";
  _cleanup_free_ char *qemu = NULL, *vfs = NULL, *text = NULL, *cmd = NULL;
  struct vm_config *c = vm_config_new ();
  struct vm_check_facts f;
  rv_error_t err = NULL;
  const char *q
      = "#!/bin/sh\n"
        "case \"$1\" in --version) echo 'QEMU emulator version 9.9.9'; echo 'Copyright';;\n"
        "-machine) printf 'Supported machines are:\\nmicrovm              microvm (i386)\\n';; esac\n";
  const char *v = "#!/bin/sh\necho 'virtiofsd 1.2.3'\n";

  cr_assert_not_null (mkdtemp (dir));
  qemu = xasprintf ("%s/qemu", dir);
  vfs = xasprintf ("%s/virtiofsd", dir);
  cr_assert_eq (write_file_atomic (qemu, q, strlen (q), 0755, &err), 0);
  cr_assert_eq (write_file_atomic (vfs, v, strlen (v), 0755, &err), 0);
  c->qemu = xstrdup (qemu);
  c->virtiofsd = xstrdup (vfs);
  free (c->image_dir);
  c->image_dir = xasprintf ("%s/share", dir);

  vm_check_collect (c, NULL, &f);
  cr_assert_str_eq (f.qemu, qemu);
  cr_assert_str_eq (f.qemu_version, "QEMU emulator version 9.9.9");
  cr_assert (f.qemu_microvm);
  cr_assert_str_eq (f.virtiofsd_version, "virtiofsd 1.2.3");
  cr_assert_not_null (f.guest_error);
  cr_assert_neq (f.cgroups, VM_CGROUP_UNKNOWN);
  vm_check_facts_free (&f);
  vm_config_free (c);
  cmd = xasprintf ("rm -rf '%s'", dir);
  (void) !system (cmd);
}
