/* The static agent as a guest's PID 1, for real: Debian's cloud kernel
 * under QEMU's microvm (TCG here, KVM where it works), runvm-vsockd as the
 * vsock device, the agent dialled over hybrid vsock while the guest still
 * boots.  It must set the guest up, listen on the port the kernel command
 * line names, answer, and power the VM off on `shutdown`.
 *
 * Run by `make check-e2e` (mk/agent.mk).  Skips when the kernel
 * (`make guest-kernel-pkg`), runvm-vsockd or QEMU is not there.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-client/agent.h"
#include "common/utils.h"

static char dir[64];
static pid_t vsockd = -1, qemu = -1;

static char *
env_path (const char *name, const char *rel)
{
  const char *base = getenv (name);
  return base ? xasprintf ("%s/%s", base, rel) : NULL;
}

static pid_t
spawn (char *const argv[])
{
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      execvp (argv[0], argv);
      _exit (127);
    }
  return pid;
}

static void
stop (pid_t *pid)
{
  if (*pid > 0)
    {
      kill (*pid, SIGKILL);
      waitpid (*pid, NULL, 0);
      *pid = -1;
    }
}

/* Waits up to MS for PID to exit; its status or -1.  */
static int
wait_exit (pid_t pid, int ms)
{
  int status, i;
  for (i = 0; i < ms / 20; i++)
    {
      if (waitpid (pid, &status, WNOHANG) == pid)
        return status;
      poll (NULL, 0, 20);
    }
  return -1;
}

static void
teardown (void)
{
  _cleanup_free_ char *cmd = NULL;
  stop (&qemu);
  stop (&vsockd);
  if (dir[0])
    {
      cmd = xasprintf ("rm -rf '%s'", dir);
      (void) !system (cmd);
    }
}

TestSuite (agent_vm, .fini = teardown, .timeout = 240);

Test (agent_vm, boots_serves_and_powers_off)
{
  _cleanup_free_ char *agent = env_path ("RUNVM_BUILDDIR", "bin/runvm-agent.static");
  _cleanup_free_ char *vsockd_bin = env_path ("RUNVM_BUILDDIR", "bin/runvm-vsockd");
  _cleanup_free_ char *kernel = env_path ("RUNVM_GUEST_DIR", "vmlinuz-cloud");
  _cleanup_free_ char *kroot = env_path ("RUNVM_GUEST_DIR", "kroot");
  _cleanup_free_ char *kver_file = env_path ("RUNVM_GUEST_DIR", "kernel-version");
  _cleanup_free_ char *mkinitrd = env_path ("RUNVM_SRCDIR", "vm/guest/mkinitrd");
  _cleanup_free_ char *kver = NULL, *cmd = NULL, *initrd = NULL, *vhost = NULL, *console = NULL;
  _cleanup_free_ char *chardev = NULL, *serial = NULL, *log = NULL;
  struct agent_info_result info = { 0 };
  struct agent_events_result ev = { 0 };
  struct agent_transport t = { .kind = AGENT_TRANSPORT_HYBRID_VSOCK, .port = 1500 };
  struct agent_conn *c = NULL;
  rv_error_t err = NULL;
  long long start;
  int status, i;

  if (agent == NULL || kernel == NULL || mkinitrd == NULL)
    cr_skip_test ("RUNVM_BUILDDIR, RUNVM_GUEST_DIR and RUNVM_SRCDIR are needed");
  if (access (vsockd_bin, X_OK) != 0)
    cr_skip_test ("no %s", vsockd_bin);
  if (access (kernel, R_OK) != 0 || read_file (kver_file, 256, &kver, NULL, &err) < 0)
    cr_skip_test ("no guest kernel in $RUNVM_GUEST_DIR (make guest-kernel-pkg)");
  if (system ("command -v qemu-system-x86_64 >/dev/null") != 0)
    cr_skip_test ("no qemu-system-x86_64");
  kver[strcspn (kver, "\n")] = '\0';

  snprintf (dir, sizeof (dir), "/tmp/runvm-agent-vm-XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
  initrd = xasprintf ("%s/initrd", dir);
  cmd = xasprintf ("'%s' -o '%s' -k '%s' -V '%s' -m virtio_mmio -m vsock -m vmw_vsock_virtio_transport '%s'",
                   mkinitrd, initrd, kroot, kver, agent);
  cr_assert_eq (system (cmd), 0, "%s", cmd);

  vhost = xasprintf ("%s/vhost.sock", dir);
  log = xasprintf ("%s/vsockd.log", dir);
  snprintf (t.path, sizeof (t.path), "%s/vsock.sock", dir);
  {
    char *argv[] = { vsockd_bin,   (char *) "--socket",
                     vhost,        (char *) "--uds-path",
                     t.path,       (char *) "--guest-cid",
                     (char *) "3", (char *) "--log",
                     log,          NULL };
    vsockd = spawn (argv);
  }
  for (i = 0; i < 200 && access (vhost, F_OK) != 0; i++)
    poll (NULL, 0, 10);
  cr_assert_eq (access (vhost, F_OK), 0, "runvm-vsockd did not listen");

  console = xasprintf ("%s/console.log", dir);
  chardev = xasprintf ("socket,id=vs,path=%s", vhost);
  serial = xasprintf ("file:%s", console);
  {
    /* TCG: the host's KVM may not boot a stock kernel; tsc_early_khz keeps
     * TSC calibration from hanging (docs/ARCHITECTURE.md).  */
    char *argv[] = { (char *) "qemu-system-x86_64",
                     (char *) "-M",
                     (char *) "microvm,accel=tcg,memory-backend=mem",
                     (char *) "-object",
                     (char *) "memory-backend-memfd,id=mem,size=256M,share=on",
                     (char *) "-global",
                     (char *) "virtio-mmio.force-legacy=false",
                     (char *) "-m",
                     (char *) "256M",
                     (char *) "-smp",
                     (char *) "1",
                     (char *) "-nodefaults",
                     (char *) "-no-user-config",
                     (char *) "-nographic",
                     (char *) "-chardev",
                     chardev,
                     (char *) "-device",
                     (char *) "vhost-user-vsock-device,chardev=vs",
                     (char *) "-serial",
                     serial,
                     (char *) "-kernel",
                     kernel,
                     (char *) "-initrd",
                     initrd,
                     (char *) "-append",
                     (char *) "console=ttyS0 tsc_early_khz=2445430 panic=-1 quiet runvm.port=1500",
                     (char *) "-no-reboot",
                     NULL };
    qemu = spawn (argv);
  }

  /* Dialled at once: refusals while the guest boots are retried.  */
  start = agent_now_ms ();
  cr_assert_eq (agent_connect (&t, 120000, &c, &err), 0, "connect: %s", err ? err->msg : "");
  cr_log_info ("agent answered %lld ms after QEMU started", agent_now_ms () - start);
  cr_assert_eq (agent_info (c, &info, &err), 0, "info: %s", err ? err->msg : "");
  cr_assert (info.pid1);
  cr_assert_str_eq (info.kernel, kver);
  cr_assert_gt (info.mem_total, 100u << 20);
  agent_result_clear (AGENT_CALL_INFO, &info);
  cr_assert_eq (agent_events (c, 0, 0, &ev, &err), 0);
  cr_assert_eq (ev.events_len, 0);
  agent_result_clear (AGENT_CALL_EVENTS, &ev);
  {
    char *addrs[] = { (char *) "10.9.8.7/24", NULL };
    struct agent_interface lo = { .device = (char *) "lo", .addresses = addrs };
    struct agent_network_args net = { &lo, 1, NULL, 0 };
    cr_assert_eq (agent_network (c, &net, &err), 0, "network: %s", err ? err->msg : "");
  }
  /* An error raised in the guest arrives whole.  */
  cr_assert_eq (agent_start (c, "nope", &err), -ENOENT);
  cr_assert_str_eq (err->msg, "no container `nope`");
  rv_error_release (&err);

  cr_assert_eq (agent_shutdown (c, &err), 0, "shutdown: %s", err ? err->msg : "");
  agent_conn_free (c);
  status = wait_exit (qemu, 60000);
  cr_assert (status != -1, "the VM did not power off");
  qemu = -1;
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "qemu status 0x%x", status);
  {
    _cleanup_free_ char *out = NULL;
    cr_assert_eq (read_file (console, 1 << 20, &out, NULL, &err), 0);
    cr_assert (strstr (out, "listening on vsock:1500 as PID 1") != NULL, "%s", out);
    cr_assert (strstr (out, "level=error") == NULL, "%s", out);
    cr_assert (strstr (out, "Kernel panic") == NULL, "%s", out);
    cr_assert (strstr (out, "reboot: Power down") != NULL, "%s", out);
  }
  /* runvm-vsockd ends with QEMU's connection.  */
  cr_assert_neq (wait_exit (vsockd, 10000), -1, "runvm-vsockd outlived QEMU");
  vsockd = -1;
}
