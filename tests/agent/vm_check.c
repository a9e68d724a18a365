/* The static agent as a guest's PID 1, for real: Debian's cloud kernel
 * under QEMU's microvm (TCG), runvm-vsockd as the vsock device, the agent
 * dialled over hybrid vsock while the guest still boots.  It must set the
 * guest up, listen on the port the kernel command line names, answer,
 * build a container from a rootfs on the virtio-fs share (cgroup v2 and an
 * initramfs root in the guest), and power the VM off on `shutdown`.
 *
 * Run by `make check-agent-vm` (part of check-e2e, mk/agent.mk).  Skips
 * when the kernel (`make guest-kernel-pkg`), runvm-vsockd, virtiofsd or
 * QEMU is not there.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-client/agent.h"
#include "common/utils.h"
#include "tests/agent/oci.h"

#define VIRTIOFSD "/usr/lib/qemu/virtiofsd"

struct vm
{
  char dir[64];
  char *console;
  pid_t vsockd, qemu, virtiofsd;
  struct agent_transport t;
};

static struct vm vm = { .vsockd = -1, .qemu = -1, .virtiofsd = -1 };

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
wait_for_file (const char *path, const char *who)
{
  int i;
  for (i = 0; i < 500 && access (path, F_OK) != 0; i++)
    poll (NULL, 0, 10);
  cr_assert_eq (access (path, F_OK), 0, "%s did not create `%s`", who, path);
}

static void
teardown (void)
{
  _cleanup_free_ char *cmd = NULL;
  stop (&vm.qemu);
  stop (&vm.vsockd);
  stop (&vm.virtiofsd);
  free (vm.console);
  if (vm.dir[0])
    {
      cmd = xasprintf ("rm -rf '%s'", vm.dir);
      (void) !system (cmd);
    }
}

TestSuite (agent_vm, .fini = teardown, .timeout = 300);

/* Boots the VM with the agent listening on PORT; with SHARE, DIR/shared
 * is the virtio-fs share `runvm`.  */
static void
boot (uint32_t port, bool share)
{
  _cleanup_free_ char *agent = env_path ("RUNVM_BUILDDIR", "bin/runvm-agent.static");
  _cleanup_free_ char *vsockd = env_path ("RUNVM_BUILDDIR", "bin/runvm-vsockd");
  _cleanup_free_ char *kernel = env_path ("RUNVM_GUEST_DIR", "vmlinuz-cloud");
  _cleanup_free_ char *kroot = env_path ("RUNVM_GUEST_DIR", "kroot");
  _cleanup_free_ char *kver_file = env_path ("RUNVM_GUEST_DIR", "kernel-version");
  _cleanup_free_ char *mkinitrd = env_path ("RUNVM_SRCDIR", "vm/guest/mkinitrd");
  _cleanup_free_ char *kver = NULL, *cmd = NULL, *initrd = NULL, *vhost = NULL, *fs_sock = NULL;
  _cleanup_free_ char *chardev = NULL, *fs_chardev = NULL, *serial = NULL, *log = NULL, *append = NULL;
  _cleanup_free_ char *shared = NULL, *source = NULL;
  rv_error_t err = NULL;
  char *argv[64];
  size_t n = 0;

  if (agent == NULL || kernel == NULL || mkinitrd == NULL)
    cr_skip_test ("RUNVM_BUILDDIR, RUNVM_GUEST_DIR and RUNVM_SRCDIR are needed");
  if (access (vsockd, X_OK) != 0)
    cr_skip_test ("no %s", vsockd);
  if (access (kernel, R_OK) != 0 || read_file (kver_file, 256, &kver, NULL, &err) < 0)
    cr_skip_test ("no guest kernel in $RUNVM_GUEST_DIR (make guest-kernel-pkg)");
  if (system ("command -v qemu-system-x86_64 >/dev/null") != 0)
    cr_skip_test ("no qemu-system-x86_64");
  if (share && access (VIRTIOFSD, X_OK) != 0)
    cr_skip_test ("no %s", VIRTIOFSD);
  kver[strcspn (kver, "\n")] = '\0';

  snprintf (vm.dir, sizeof (vm.dir), "/tmp/runvm-agent-vm-XXXXXX");
  cr_assert_not_null (mkdtemp (vm.dir));
  initrd = xasprintf ("%s/initrd", vm.dir);
  cmd = xasprintf (
      "'%s' -o '%s' -k '%s' -V '%s' -m virtio_mmio -m vsock -m vmw_vsock_virtio_transport %s '%s'", mkinitrd,
      initrd, kroot, kver, share ? "-m virtiofs" : "", agent);
  cr_assert_eq (system (cmd), 0, "%s", cmd);

  vhost = xasprintf ("%s/vhost.sock", vm.dir);
  log = xasprintf ("%s/vsockd.log", vm.dir);
  vm.t.kind = AGENT_TRANSPORT_HYBRID_VSOCK;
  vm.t.port = port;
  snprintf (vm.t.path, sizeof (vm.t.path), "%s/vsock.sock", vm.dir);
  {
    char *a[] = { vsockd,       (char *) "--socket",
                  vhost,        (char *) "--uds-path",
                  vm.t.path,    (char *) "--guest-cid",
                  (char *) "3", (char *) "--log",
                  log,          NULL };
    vm.vsockd = spawn (a);
  }
  wait_for_file (vhost, "runvm-vsockd");

  if (share)
    {
      shared = xasprintf ("%s/shared", vm.dir);
      cr_assert_eq (mkdir (shared, 0755), 0);
      oci_make_rootfs (shared);
      fs_sock = xasprintf ("%s/fs.sock", vm.dir);
      source = xasprintf ("source=%s", shared);
      {
        char *a[] = { (char *) VIRTIOFSD,
                      xasprintf ("--socket-path=%s", fs_sock),
                      (char *) "-o",
                      source,
                      (char *) "-o",
                      (char *) "cache=none",
                      (char *) "-o",
                      (char *) "sandbox=chroot",
                      (char *) "-o",
                      (char *) "log_level=err",
                      NULL };
        vm.virtiofsd = spawn (a);
        free (a[1]);
      }
      wait_for_file (fs_sock, "virtiofsd");
    }

  vm.console = xasprintf ("%s/console.log", vm.dir);
  chardev = xasprintf ("socket,id=vs,path=%s", vhost);
  serial = xasprintf ("file:%s", vm.console);
  append = xasprintf ("console=ttyS0 tsc_early_khz=2445430 panic=-1 quiet runvm.port=%u", port);
  /* TCG: the host's KVM may not boot a stock kernel; tsc_early_khz keeps
   * TSC calibration from hanging (docs/ARCHITECTURE.md).  */
#define ARG(x) argv[n++] = (char *) (x)
  ARG ("qemu-system-x86_64");
  ARG ("-M");
  ARG ("microvm,accel=tcg,memory-backend=mem");
  ARG ("-object");
  ARG ("memory-backend-memfd,id=mem,size=512M,share=on");
  ARG ("-global");
  ARG ("virtio-mmio.force-legacy=false");
  ARG ("-m");
  ARG ("512M");
  ARG ("-smp");
  ARG ("1");
  ARG ("-nodefaults");
  ARG ("-no-user-config");
  ARG ("-nographic");
  ARG ("-chardev");
  ARG (chardev);
  ARG ("-device");
  ARG ("vhost-user-vsock-device,chardev=vs");
  if (share)
    {
      fs_chardev = xasprintf ("socket,id=fs,path=%s", fs_sock);
      ARG ("-chardev");
      ARG (fs_chardev);
      ARG ("-device");
      ARG ("vhost-user-fs-device,chardev=fs,tag=runvm");
    }
  ARG ("-serial");
  ARG (serial);
  ARG ("-kernel");
  ARG (kernel);
  ARG ("-initrd");
  ARG (initrd);
  ARG ("-append");
  ARG (append);
  ARG ("-no-reboot");
  argv[n] = NULL;
#undef ARG
  vm.qemu = spawn (argv);
}

static struct agent_conn *
connect_agent (void)
{
  struct agent_conn *c = NULL;
  rv_error_t err = NULL;
  long long start = agent_now_ms ();

  /* Dialled at once: refusals while the guest boots are retried.  */
  cr_assert_eq (agent_connect (&vm.t, 120000, &c, &err), 0, "connect: %s", err ? err->msg : "");
  cr_log_info ("agent answered %lld ms after QEMU started", agent_now_ms () - start);
  agent_conn_set_timeout (c, 60000);
  return c;
}

static char *
console_text (void)
{
  char *out = NULL;
  rv_error_t err = NULL;
  cr_assert_eq (read_file (vm.console, 1 << 20, &out, NULL, &err), 0);
  return out;
}

/* `shutdown`, then the VM must power off by itself and runvm-vsockd end
 * with QEMU's connection.  */
static void
shutdown_vm (struct agent_conn *c)
{
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  int status;

  cr_assert_eq (agent_shutdown (c, &err), 0, "shutdown: %s", err ? err->msg : "");
  agent_conn_free (c);
  status = wait_exit (vm.qemu, 60000);
  cr_assert (status != -1, "the VM did not power off");
  vm.qemu = -1;
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "qemu status 0x%x", status);
  out = console_text ();
  cr_assert (strstr (out, "Kernel panic") == NULL, "%s", out);
  cr_assert (strstr (out, "reboot: Power down") != NULL, "%s", out);
  cr_assert_neq (wait_exit (vm.vsockd, 10000), -1, "runvm-vsockd outlived QEMU");
  vm.vsockd = -1;
}

Test (agent_vm, boots_serves_and_powers_off)
{
  _cleanup_free_ char *kver_file = env_path ("RUNVM_GUEST_DIR", "kernel-version"), *kver = NULL, *out = NULL;
  struct agent_info_result info = { 0 };
  struct agent_events_result ev = { 0 };
  struct agent_conn *c;
  rv_error_t err = NULL;

  boot (1500, false);
  c = connect_agent ();
  cr_assert_eq (read_file (kver_file, 256, &kver, NULL, &err), 0);
  kver[strcspn (kver, "\n")] = '\0';
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
  out = console_text ();
  cr_assert (strstr (out, "listening on vsock:1500 as PID 1") != NULL, "%s", out);
  cr_assert (strstr (out, "level=error") == NULL, "%s", out);
  shutdown_vm (c);
}

Test (agent_vm, runs_a_container_from_the_share)
{
  _cleanup_free_ char *config = NULL, *out = NULL, *stats = NULL, *console = NULL;
  struct agent_create_args args = { .container = (char *) "web",
                                    .rootfs = (char *) "/run/runvm/shared/rootfs",
                                    .bundle = (char *) "/run/runvm/shared",
                                    .stdio = { true, true, false },
                                    .no_runtime_hooks = true };
  struct agent_exit_result ex = { 0 };
  struct agent_conn *c;
  rv_error_t err = NULL;
  int in, o;

  boot (1024, true);
  c = connect_agent ();
  config = oci_config ("web", "echo pid=$$ host=$(hostname); cat; echo bye", false, "/runvm");
  args.config = config;
  cr_assert_eq (agent_create (c, &args, NULL, &err), 0, "create: %s", err ? err->msg : "");
  cr_assert_eq (agent_attach (&vm.t, 30000, "web", NULL, AGENT_STREAM_STDIN, &in, &err), 0, "%s",
                err ? err->msg : "");
  cr_assert_eq (agent_attach (&vm.t, 30000, "web", NULL, AGENT_STREAM_STDOUT, &o, &err), 0, "%s",
                err ? err->msg : "");
  cr_assert_eq (agent_start (c, "web", &err), 0, "start: %s", err ? err->msg : "");
  /* cgroup v2 in the guest: stats and the freezer.  */
  cr_assert_eq (agent_stats (c, "web", &stats, &err), 0, "stats: %s", err ? err->msg : "");
  cr_assert (strstr (stats, "\"memory\"") != NULL, "%s", stats);
  cr_assert_eq (agent_pause (c, "web", &err), 0, "pause: %s", err ? err->msg : "");
  cr_assert_eq (agent_resume (c, "web", &err), 0, "resume: %s", err ? err->msg : "");
  cr_assert_eq (write_all (in, "through vsock\n", 14), 0);
  shutdown (in, SHUT_WR);
  cr_assert_eq (read_fd (o, 1 << 20, &out, NULL, &err), 0);
  cr_assert_str_eq (out, "pid=1 host=web\nthrough vsock\nbye\n");
  cr_assert_eq (agent_wait (c, "web", NULL, 60000, &ex, &err), 0, "wait: %s", err ? err->msg : "");
  cr_assert_eq (ex.exit_code, 0);
  cr_assert_eq (agent_destroy (c, "web", &err), 0, "destroy: %s", err ? err->msg : "");
  close (in);
  close (o);

  /* A container over its memory limit: the OOM killer's work is an event.  */
  {
    _cleanup_free_ char *hog = oci_config_limited ("hog", "exec dd if=/dev/zero of=/dev/null bs=64M count=1",
                                                   false, "/runvm", 16 << 20);
    struct agent_create_args hargs = { .container = (char *) "hog",
                                       .config = hog,
                                       .rootfs = (char *) "/run/runvm/shared/rootfs",
                                       .no_runtime_hooks = true };
    struct agent_events_result ev = { 0 };
    bool oom = false;
    size_t i;

    cr_assert_eq (agent_create (c, &hargs, NULL, &err), 0, "create: %s", err ? err->msg : "");
    cr_assert_eq (agent_start (c, "hog", &err), 0, "start: %s", err ? err->msg : "");
    cr_assert_eq (agent_wait (c, "hog", NULL, 60000, &ex, &err), 0, "wait: %s", err ? err->msg : "");
    cr_assert_eq (ex.signal, SIGKILL, "exit %d", ex.exit_code);
    cr_assert_eq (agent_events (c, 0, 5000, &ev, &err), 0, "events: %s", err ? err->msg : "");
    for (i = 0; i < ev.events_len; i++)
      if (strcmp (ev.events[i].type, "oom") == 0 && strcmp (ev.events[i].container, "hog") == 0)
        oom = true;
    cr_assert (oom, "no oom event among %zu", ev.events_len);
    agent_result_clear (AGENT_CALL_EVENTS, &ev);
    cr_assert_eq (agent_destroy (c, "hog", &err), 0, "destroy: %s", err ? err->msg : "");
  }
  console = console_text ();
  cr_assert (strstr (console, "level=error") == NULL, "%s", console);
  shutdown_vm (c);
}
