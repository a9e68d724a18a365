#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "common/utils.h"
#include "vm/check.h"
#include "vm/spawn.h"

#define PROBE_TIMEOUT_MS 5000

/* The first line of `PROGRAM ARG`, or NULL when it does not run.  */
static char *
first_line_of (const char *program, const char *arg)
{
  char *argv[] = { (char *) program, (char *) arg, NULL };
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  int status;

  if (vm_run_capture (argv, PROBE_TIMEOUT_MS, 4096, &out, &status, &err) < 0)
    {
      rv_error_release (&err);
      return NULL;
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return NULL;
  out[strcspn (out, "\n")] = '\0';
  return xstrdup (out);
}

static bool
qemu_has_microvm (const char *qemu)
{
  char *argv[] = { (char *) qemu, "-machine", "help", NULL };
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  int status;

  if (vm_run_capture (argv, PROBE_TIMEOUT_MS, 1 << 16, &out, &status, &err) < 0)
    {
      rv_error_release (&err);
      return false;
    }
  return strstr (out, "\nmicrovm ") != NULL;
}

static char *
error_text (rv_error_t *err)
{
  char *s = xstrdup ((*err)->msg);
  rv_error_release (err);
  return s;
}

void
vm_check_collect (const struct vm_config *c, const char *config_error, struct vm_check_facts *ret)
{
  struct vm_check_facts f = { 0 };
  rv_error_t err = NULL;
  _cleanup_free_ char *controllers = NULL;
  const char *root;

  f.config = c;
  f.config_error = xstrdup (config_error);

  vm_kvm_probe (NULL, NULL, &f.kvm);
  if (vm_accel_resolve (c->accel, &f.kvm, &f.accel, &err) < 0)
    {
      f.accel = VM_ACCEL_AUTO;
      f.accel_error = error_text (&err);
    }
  if (vm_tsc_khz (&f.tsc_khz, &f.tsc_source, &err) < 0)
    rv_error_release (&err);
  f.vhost_vsock = vm_vhost_vsock_usable (NULL, f.vhost_vsock_reason, sizeof (f.vhost_vsock_reason));

  if (vm_config_find_qemu (c, &f.qemu, &err) < 0)
    f.qemu_error = error_text (&err);
  else
    {
      f.qemu_version = first_line_of (f.qemu, "--version");
      f.qemu_microvm = qemu_has_microvm (f.qemu);
    }
  if (vm_config_find_virtiofsd (c, &f.virtiofsd, &err) < 0)
    f.virtiofsd_error = error_text (&err);
  else
    f.virtiofsd_version = first_line_of (f.virtiofsd, "--version");
  if (vm_config_find_vsockd (c, &f.vsockd, &err) < 0)
    f.vsockd_error = error_text (&err);
  if (vm_config_find_agent (c, &f.agent, &err) < 0)
    f.agent_error = error_text (&err);
  if (vm_config_guest_paths (c, &f.kernel, &f.initrd, &err) < 0)
    f.guest_error = error_text (&err);

  f.cgroups = vm_cgroup_layout (NULL);
  root = f.cgroups == VM_CGROUP_HYBRID ? "/sys/fs/cgroup/unified/cgroup.controllers"
                                       : "/sys/fs/cgroup/cgroup.controllers";
  if (f.cgroups != VM_CGROUP_V1 && read_file (root, 4096, &controllers, NULL, &err) == 0)
    {
      controllers[strcspn (controllers, "\n")] = '\0';
      f.cgroup2_controllers = xstrdup (controllers);
    }
  else
    {
      rv_error_release (&err);
      f.cgroup2_controllers = xstrdup ("");
    }
  *ret = f;
}

void
vm_check_facts_free (struct vm_check_facts *f)
{
  free (f->config_error);
  free (f->accel_error);
  free (f->qemu);
  free (f->qemu_version);
  free (f->qemu_error);
  free (f->virtiofsd);
  free (f->virtiofsd_version);
  free (f->virtiofsd_error);
  free (f->vsockd);
  free (f->vsockd_error);
  free (f->agent);
  free (f->agent_error);
  free (f->kernel);
  free (f->initrd);
  free (f->guest_error);
  free (f->cgroup2_controllers);
  memset (f, 0, sizeof (*f));
}

struct report
{
  char *text;
  char *missing;
  int problems;
};

static void __attribute__ ((format (printf, 3, 4)))
line (struct report *r, const char *label, const char *fmt, ...)
{
  _cleanup_free_ char *value = NULL;
  char *n;
  va_list ap;

  va_start (ap, fmt);
  value = xvasprintf (fmt, ap);
  va_end (ap);
  n = xasprintf ("%s%-14s %s\n", r->text, label, value);
  free (r->text);
  r->text = n;
}

/* A missing piece; PROBLEM when it keeps containers from starting, else a
 * note on what would be better.  */
static void __attribute__ ((format (printf, 3, 4)))
missing (struct report *r, bool problem, const char *fmt, ...)
{
  _cleanup_free_ char *value = NULL;
  char *n;
  va_list ap;

  va_start (ap, fmt);
  value = xvasprintf (fmt, ap);
  va_end (ap);
  n = xasprintf ("%s  %s %s\n", r->missing, problem ? "-" : "*", value);
  free (r->missing);
  r->missing = n;
  if (problem)
    r->problems++;
}

char *
vm_check_report (const struct vm_check_facts *f, int *ret_problems)
{
  const struct vm_config *c = f->config;
  struct report r = { xstrdup (""), xstrdup (""), 0 };
  bool qemu_launcher = strcmp (c->launcher, "qemu") == 0;
  bool hybrid;
  char *out;

  if (f->config_error)
    {
      line (&r, "configuration:", "%s", f->config_error);
      missing (&r, true, "a valid configuration: %s", f->config_error);
    }
  else
    line (&r, "configuration:", "%s", c->source ? c->source : "none found, defaults apply");
  line (&r, "launcher:", "%s%s", c->launcher,
        qemu_launcher ? " (a QEMU microvm per container)"
        : strcmp (c->launcher, "host") == 0
            ? " (the agent on the host: no VM, no isolation beyond a container's)"
            : "");

  /* The accelerator and why.  */
  if (f->accel_error)
    {
      line (&r, "accelerator:", "none: %s", f->accel_error);
      missing (&r, qemu_launcher, "KVM, which the configuration requires (\"accel\": \"kvm\"): %s",
               f->kvm.reason);
    }
  else if (f->accel == VM_ACCEL_KVM)
    line (&r, "accelerator:", "KVM (CPU flag %s, /dev/kvm usable)", f->kvm.cpu_flag);
  else
    {
      if (c->accel == VM_ACCEL_TCG)
        line (&r, "accelerator:", "TCG, as configured (KVM %s)",
              f->kvm.usable ? "is usable" : "is not usable");
      else
        line (&r, "accelerator:", "TCG (emulation, slower), because KVM is not usable: %s", f->kvm.reason);
      if (f->tsc_khz)
        line (&r, "  TSC:", "%u kHz (%s), given to the guest as tsc_early_khz=", f->tsc_khz,
              vm_tsc_source_name (f->tsc_source));
      if (!f->kvm.usable && f->kvm.cpu_flag)
        missing (&r, false,
                 "KVM: the CPU offers %s; load kvm_intel or kvm_amd (`modprobe kvm_%s`) and give access to "
                 "/dev/kvm",
                 f->kvm.cpu_flag, strcmp (f->kvm.cpu_flag, "vmx") == 0 ? "intel" : "amd");
      else if (!f->kvm.usable)
        missing (&r, false,
                 "KVM: enable virtualization (VT-x/AMD-V) in the firmware, or nested virtualization on "
                 "the hypervisor; until then VMs run under TCG");
    }

  /* The transport.  */
  hybrid = c->transport == VM_TRANSPORT_HYBRID || (c->transport == VM_TRANSPORT_AUTO && !f->vhost_vsock);
  if (!qemu_launcher)
    line (&r, "vsock:", "not used (Unix socket to the host agent)");
  else if (c->transport == VM_TRANSPORT_VSOCK && !f->vhost_vsock)
    {
      line (&r, "vsock:", "kernel vsock required by the configuration, unusable: %s", f->vhost_vsock_reason);
      missing (&r, true, "/dev/vhost-vsock: `modprobe vhost_vsock` (the host kernel's module)");
    }
  else if (!hybrid)
    line (&r, "vsock:", "kernel vsock through /dev/vhost-vsock, a unique guest CID per VM");
  else if (f->vsockd)
    line (&r, "vsock:", "hybrid through runvm-vsockd `%s` (%s)", f->vsockd,
          c->transport == VM_TRANSPORT_HYBRID ? "as configured" : f->vhost_vsock_reason);
  else
    {
      line (&r, "vsock:", "hybrid through runvm-vsockd, not found (%s)", f->vhost_vsock_reason);
      missing (&r, true, "%s", f->vsockd_error);
    }
  if (qemu_launcher && hybrid && !f->vhost_vsock && c->transport == VM_TRANSPORT_AUTO)
    missing (&r, false, "kernel vsock (faster, no helper process): `modprobe vhost_vsock`");

  /* Programs.  */
  if (f->qemu)
    line (&r, "QEMU:", "%s (%s)%s", f->qemu, f->qemu_version ? f->qemu_version : "version unknown",
          f->qemu_microvm ? "" : ", without the microvm machine");
  else
    line (&r, "QEMU:", "not found");
  if (qemu_launcher && f->qemu_error)
    missing (&r, true, "%s", f->qemu_error);
  else if (qemu_launcher && !f->qemu_microvm)
    missing (&r, true, "a QEMU with the microvm machine (QEMU 5.2 or later, package qemu-system-x86)");
  if (f->virtiofsd)
    line (&r, "virtiofsd:", "%s (%s)", f->virtiofsd,
          f->virtiofsd_version ? f->virtiofsd_version : "version unknown");
  else
    line (&r, "virtiofsd:", "not found");
  if (qemu_launcher && f->virtiofsd_error)
    missing (&r, true, "%s", f->virtiofsd_error);
  if (!qemu_launcher)
    {
      line (&r, "agent:", "%s", f->agent ? f->agent : "not found");
      if (f->agent_error)
        missing (&r, true, "%s", f->agent_error);
    }

  /* The guest image.  */
  if (qemu_launcher)
    {
      if (f->guest_error)
        {
          line (&r, "guest:", "%s", f->guest_error);
          missing (&r, true,
                   "the guest kernel and initrd: `make guest install` (Debian's linux-image-cloud-amd64, "
                   "fetched with apt), or set \"kernel\" and \"initrd\" in the configuration");
        }
      else
        {
          line (&r, "guest kernel:", "%s", f->kernel);
          line (&r, "guest initrd:", "%s", f->initrd);
        }
      line (&r, "VM size:", "%u vCPU, %u MiB (annotations may ask up to %u vCPU, %u MiB)", c->vcpus,
            c->memory_mb, c->max_vcpus, c->max_memory_mb);
    }

  line (&r, "cgroups:", "%s%s%s", vm_cgroup_layout_name (f->cgroups),
        f->cgroups == VM_CGROUP_V1 ? "" : "; cgroup2 controllers: ",
        f->cgroups == VM_CGROUP_V1 ? "" : (*f->cgroup2_controllers ? f->cgroup2_controllers : "none"));
  if (f->cgroups == VM_CGROUP_UNKNOWN)
    missing (&r, true, "a cgroup file system at /sys/fs/cgroup");

  if (*r.missing)
    out = xasprintf ("%s\n%s:\n%s\n%s\n", r.text, r.problems ? "missing (-) and advice (*)" : "advice",
                     r.missing,
                     r.problems ? "runvm cannot start containers until the items marked - are fixed"
                                : "runvm can start containers");
  else
    out = xasprintf ("%s\nrunvm can start containers\n", r.text);
  free (r.text);
  free (r.missing);
  *ret_problems = r.problems;
  return out;
}
