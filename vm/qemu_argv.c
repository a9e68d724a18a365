#include <stdio.h>
#include <string.h>

#include "common/utils.h"
#include "vm/qemu_argv.h"

void
qemu_opt_add (char **opts, const char *key, const char *value)
{
  size_t len = strlen (value), i, o = 0, extra = 0;
  _cleanup_free_ char *escaped = NULL;
  char *joined;

  for (i = 0; i < len; i++)
    if (value[i] == ',')
      extra++;
  escaped = xmalloc (len + extra + 1);
  for (i = 0; i < len; i++)
    {
      escaped[o++] = value[i];
      if (value[i] == ',')
        escaped[o++] = ',';
    }
  escaped[o] = '\0';

  if (*opts == NULL)
    joined = key ? xasprintf ("%s=%s", key, escaped) : xstrdup (escaped);
  else
    joined = key ? xasprintf ("%s,%s=%s", *opts, key, escaped) : xasprintf ("%s,%s", *opts, escaped);
  free (*opts);
  *opts = joined;
}

void
qemu_opt_add_u64 (char **opts, const char *key, uint64_t value)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%llu", (unsigned long long) value);
  qemu_opt_add (opts, key, buf);
}

/* "-flag value" where value is an option string built above.  */
static void
arg2 (char ***argv, const char *flag, char *value)
{
  strv_append (argv, flag);
  strv_append (argv, value);
  free (value);
}

/* The first element of an option string: a driver or backend name, a
 * constant here, so written without the key.  */
static char *
opt_start (const char *driver)
{
  char *o = NULL;
  qemu_opt_add (&o, NULL, driver);
  return o;
}

static char *
join_words (char *const *words)
{
  char *out = xstrdup ("");
  size_t i;
  for (i = 0; words && words[i]; i++)
    {
      char *n = xasprintf ("%s%s%s", out, i ? " " : "", words[i]);
      free (out);
      out = n;
    }
  return out;
}

char **
qemu_build_argv (const struct qemu_spec *s)
{
  char **argv = NULL;
  char *o;

  strv_append (&argv, s->binary);
  if (s->name)
    {
      o = NULL;
      qemu_opt_add (&o, "guest", s->name);
      qemu_opt_add (&o, "debug-threads", "on");
      arg2 (&argv, "-name", o);
    }
  /* No default devices, no configuration files, no display, no monitor:
   * everything the guest gets is listed below.  -no-reboot turns the
   * guest's reboot (panic=-1 after a panic, or PID 1 exiting) into QEMU
   * exiting.  */
  strv_append (&argv, "-nodefaults");
  strv_append (&argv, "-no-user-config");
  strv_append (&argv, "-no-reboot");
  arg2 (&argv, "-display", xstrdup ("none"));

  /* microvm without the legacy timers and interrupt controller the guest
   * does not need (the local APIC and IO-APIC stay), without option ROMs,
   * with ACPI for the generic event device that powers it off.  The RTC
   * stays: it is the guest's only source of the wall-clock time under
   * TCG.  */
  o = opt_start ("microvm");
  qemu_opt_add (&o, "x-option-roms", "off");
  qemu_opt_add (&o, "pit", "off");
  qemu_opt_add (&o, "pic", "off");
  qemu_opt_add (&o, "rtc", "on");
  qemu_opt_add (&o, "isa-serial", "on");
  qemu_opt_add (&o, "acpi", "on");
  qemu_opt_add (&o, "memory-backend", "mem");
  arg2 (&argv, "-machine", o);

  if (s->accel == VM_ACCEL_KVM)
    {
      arg2 (&argv, "-accel", xstrdup ("kvm"));
      arg2 (&argv, "-cpu", xstrdup ("host"));
    }
  else
    {
      o = opt_start ("tcg");
      qemu_opt_add_u64 (&o, "tb-size", s->tb_size_mb);
      arg2 (&argv, "-accel", o);
      arg2 (&argv, "-cpu", xstrdup ("max"));
    }
  o = NULL;
  qemu_opt_add_u64 (&o, "cpus", s->vcpus);
  arg2 (&argv, "-smp", o);
  arg2 (&argv, "-m", xasprintf ("%uM", s->memory_mb));

  /* Guest RAM in a shared memfd: vhost-user devices (virtiofsd,
   * runvm-vsockd) map it.  */
  o = opt_start ("memory-backend-memfd");
  qemu_opt_add (&o, "id", "mem");
  qemu_opt_add_u64 (&o, "size", (uint64_t) s->memory_mb << 20);
  qemu_opt_add (&o, "share", "on");
  arg2 (&argv, "-object", o);

  strv_append (&argv, "-kernel");
  strv_append (&argv, s->kernel);
  if (s->initrd)
    {
      strv_append (&argv, "-initrd");
      strv_append (&argv, s->initrd);
    }
  arg2 (&argv, "-append", join_words (s->cmdline));

  /* The serial port goes to QEMU's stdout, a pipe to the console log.  */
  o = opt_start ("stdio");
  qemu_opt_add (&o, "id", "con");
  qemu_opt_add (&o, "signal", "off");
  arg2 (&argv, "-chardev", o);
  arg2 (&argv, "-serial", xstrdup ("chardev:con"));

  /* vhost-user back ends refuse legacy virtio-mmio.  */
  arg2 (&argv, "-global", xstrdup ("virtio-mmio.force-legacy=false"));

  switch (s->vsock)
    {
    case QEMU_VSOCK_VHOST:
      o = opt_start ("vhost-vsock-device");
      qemu_opt_add (&o, "id", "vsock0");
      qemu_opt_add_u64 (&o, "guest-cid", s->guest_cid);
      if (s->vhost_fd >= 0)
        qemu_opt_add_u64 (&o, "vhostfd", (uint64_t) s->vhost_fd);
      arg2 (&argv, "-device", o);
      break;
    case QEMU_VSOCK_VHOST_USER:
      o = opt_start ("socket");
      qemu_opt_add (&o, "id", "vsock0");
      if (s->vsock_fd >= 0)
        qemu_opt_add_u64 (&o, "fd", (uint64_t) s->vsock_fd);
      else
        qemu_opt_add (&o, "path", s->vsock_socket);
      arg2 (&argv, "-chardev", o);
      o = opt_start ("vhost-user-vsock-device");
      qemu_opt_add (&o, "chardev", "vsock0");
      arg2 (&argv, "-device", o);
      break;
    case QEMU_VSOCK_NONE:
      break;
    }

  if (s->fs_socket)
    {
      o = opt_start ("socket");
      qemu_opt_add (&o, "id", "fs0");
      qemu_opt_add (&o, "path", s->fs_socket);
      arg2 (&argv, "-chardev", o);
      o = opt_start ("vhost-user-fs-device");
      qemu_opt_add (&o, "chardev", "fs0");
      qemu_opt_add (&o, "tag", s->fs_tag ? s->fs_tag : "runvm");
      qemu_opt_add (&o, "queue-size", "1024");
      arg2 (&argv, "-device", o);
    }

  for (size_t i = 0; i < s->n_nics; i++)
    {
      const struct net_qemu_nic *nic = &s->nics[i];
      o = opt_start ("tap");
      qemu_opt_add (&o, "id", nic->id);
      qemu_opt_add_u64 (&o, "fd", (uint64_t) nic->tap_fd);
      if (nic->vhost_fd >= 0)
        {
          qemu_opt_add (&o, "vhost", "on");
          qemu_opt_add_u64 (&o, "vhostfd", (uint64_t) nic->vhost_fd);
        }
      arg2 (&argv, "-netdev", o);
      o = opt_start ("virtio-net-device");
      qemu_opt_add (&o, "netdev", nic->id);
      if (nic->mac[0])
        qemu_opt_add (&o, "mac", nic->mac);
      if (nic->mtu > 0)
        qemu_opt_add_u64 (&o, "host_mtu", nic->mtu);
      arg2 (&argv, "-device", o);
    }

  if (s->sandbox)
    {
      o = opt_start ("on");
      qemu_opt_add (&o, "obsolete", "deny");
      qemu_opt_add (&o, "elevateprivileges", "deny");
      qemu_opt_add (&o, "spawn", "deny");
      qemu_opt_add (&o, "resourcecontrol", "deny");
      arg2 (&argv, "-sandbox", o);
    }
  return argv;
}

char **
qemu_guest_cmdline (uint32_t agent_port, bool debug, uint32_t tsc_khz, char *const *extra)
{
  char **w = NULL;
  char buf[64];
  size_t i;

  strv_append (&w, "console=ttyS0");
  /* Serial output costs an exit per byte; keep the boot quiet unless
   * debugging.  Panics still print (KERN_EMERG).  */
  if (!debug)
    strv_append (&w, "quiet");
  /* A panic reboots at once, which -no-reboot turns into QEMU exiting.
   * microvm has no keyboard controller and no ACPI reset register for the
   * kernel's usual ways to reboot, so a panic (sysrq c, an oops) would
   * hang the guest with QEMU running: a triple fault resets any x86.  */
  strv_append (&w, "panic=-1");
  strv_append (&w, "reboot=t");
  if (tsc_khz)
    {
      snprintf (buf, sizeof (buf), "tsc_early_khz=%u", tsc_khz);
      strv_append (&w, buf);
      /* The emulated TSC is the host's; no need to watch it.  */
      strv_append (&w, "tsc=reliable");
    }
  strv_append (&w, "no_timer_check");
  /* A generic kernel self-tests its crypto algorithms at boot: about 0.4 s
   * of the cloud kernel's 2 s under TCG.  Expedited RCU grace periods
   * shorten the module loading and mounting that follow boot.  */
  strv_append (&w, "cryptomgr.notests");
  strv_append (&w, "rcupdate.rcu_expedited=1");
  strv_append (&w, "8250.nr_uarts=1");
  snprintf (buf, sizeof (buf), "runvm.port=%u", agent_port);
  strv_append (&w, buf);
  if (debug)
    strv_append (&w, "runvm.debug=1");
  for (i = 0; extra && extra[i]; i++)
    strv_append (&w, extra[i]);
  return w;
}
