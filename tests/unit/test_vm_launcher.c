/* The launcher machinery without a VM: the host launcher with the real
 * agent (build/bin/runvm-agent) and with fake ones (Python scripts) that
 * fail in the ways a guest can, and the qemu launcher's failure paths with
 * a fake QEMU.  Real VMs are booted by tests/vm/run.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/launcher.h"
#include "vm/spawn.h"

static char dir[64];

static const char fake_agent[] = "#!/usr/bin/python3\n"
                                 "import os, socket, sys, time\n"
                                 "mode = os.environ.get('FAKE_AGENT_MODE', 'serve')\n"
                                 "args = sys.argv[1:]\n"
                                 "assert '--exit-with-parent' in args\n"
                                 "path = args[args.index('--listen') + 1][len('unix:'):]\n"
                                 "print('fake agent starting', flush=True)\n"
                                 "if mode == 'exit':\n"
                                 "    print('fatal: cannot mount /proc', file=sys.stderr, flush=True)\n"
                                 "    sys.exit(3)\n"
                                 "if mode == 'silent':\n"
                                 "    time.sleep(1000)\n"
                                 "time.sleep(0.2)\n"
                                 "s = socket.socket(socket.AF_UNIX)\n"
                                 "s.bind(path)\n"
                                 "s.listen(4)\n"
                                 "conns = []\n"
                                 "while True:\n"
                                 "    c, _ = s.accept()\n"
                                 "    conns.append(c)\n"
                                 "    c.send(b'not the agent protocol\\n')\n";

static char *
write_script (const char *name, const char *text)
{
  char *path = xasprintf ("%s/%s", dir, name);
  rv_error_t err = NULL;
  cr_assert_eq (write_file_atomic (path, text, strlen (text), 0755, &err), 0);
  return path;
}

static void
setup (void)
{
  snprintf (dir, sizeof (dir), "/tmp/test_vm_launcher.XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
}

static void
teardown (void)
{
  _cleanup_free_ char *cmd = xasprintf ("rm -rf '%s'", dir);
  (void) !system (cmd);
}

TestSuite (launcher, .init = setup, .fini = teardown, .timeout = 30);

/* MODE "real" runs runvm-agent; the others the fake.  */
static struct vm *
prepare_host (const char *mode)
{
  _cleanup_free_ char *agent = NULL;
  struct vm_config *c = vm_config_new ();
  struct vm_params p = { .id = "c1", .state_dir = dir };
  struct vm *vm = NULL;
  rv_error_t err = NULL;

  if (strcmp (mode, "real") == 0)
    {
      const char *b = getenv ("RUNVM_BUILDDIR");
      cr_assert_not_null (b, "RUNVM_BUILDDIR is not set");
      agent = xasprintf ("%s/bin/runvm-agent", b);
    }
  else
    agent = write_script ("agent", fake_agent);
  setenv ("FAKE_AGENT_MODE", mode, 1);
  free (c->launcher);
  c->launcher = xstrdup ("host");
  c->agent = xstrdup (agent);
  p.config = c;
  cr_assert_eq (vm_prepare (&p, &vm, &err), 0, "%s", err ? err->msg : "");
  vm_config_free (c);
  cr_assert_str_eq (vm_launcher_name (vm), "host");
  return vm;
}

static bool
alive (pid_t pid)
{
  return kill (pid, 0) == 0;
}

Test (launcher, host_ready_then_clean_stop)
{
  struct vm *vm = prepare_host ("real");
  struct agent_transport t;
  struct agent_info_result info = { 0 };
  struct agent_conn *conn;
  rv_error_t err = NULL;
  _cleanup_free_ char *sock = xasprintf ("%s/agent.sock", dir);
  pid_t pids[4];

  cr_assert_eq (vm_start (vm, &err), 0);
  cr_assert_eq (vm_pids (vm, pids, 4), 1);
  cr_assert_eq (vm_transport (vm, &t, &err), 0);
  cr_assert_eq (t.kind, AGENT_TRANSPORT_UNIX);
  cr_assert_str_eq (t.path, sock);

  cr_assert_eq (vm_wait_ready (vm, 10000, &err), 0, "%s", err ? err->msg : "");
  conn = vm_take_agent (vm);
  cr_assert_not_null (conn);
  cr_assert_null (vm_take_agent (vm), "taken once");
  cr_assert_eq (agent_info (conn, &info, &err), 0, "%s", err ? err->msg : "");
  cr_assert_not (info.pid1, "a host agent is not PID 1");
  agent_result_clear (AGENT_CALL_INFO, &info);
  cr_assert_eq (agent_shutdown (conn, &err), 0, "%s", err ? err->msg : "");
  agent_conn_free (conn);
  cr_assert_eq (vm_stop (vm, 5000, &err), 0, "%s", err ? err->msg : "");
  cr_assert_not (alive (pids[0]));
  cr_assert_eq (vm_pids (vm, pids, 4), 0);
  vm_free (vm);
}

Test (launcher, agent_exiting_early_is_reported_with_its_output)
{
  struct vm *vm = prepare_host ("exit");
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *expect = NULL;
  pid_t pid;

  cr_assert_eq (vm_start (vm, &err), 0);
  cr_assert_eq (vm_pids (vm, &pid, 1), 1);
  cr_assert_lt (vm_wait_ready (vm, 10000, &err), 0);
  expect = xasprintf (
      "runvm-agent exited with status 3 before the guest was ready; the console (`%s/console.log`) "
      "ends with: fake agent starting | fatal: cannot mount /proc",
      dir);
  cr_assert_str_eq (err->msg, expect);
  cr_assert_not (alive (pid));
  vm_free (vm);
}

Test (launcher, agent_never_answering_times_out_and_is_killed)
{
  struct vm *vm = prepare_host ("silent");
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *expect = NULL;
  long long t0;
  pid_t pid;

  cr_assert_eq (vm_start (vm, &err), 0);
  cr_assert_eq (vm_pids (vm, &pid, 1), 1);
  t0 = vm_now_ms ();
  cr_assert_lt (vm_wait_ready (vm, 600, &err), 0);
  cr_assert_geq (vm_now_ms () - t0, 600);
  cr_assert_lt (vm_now_ms () - t0, 3000);
  cr_assert_eq (err->status, ETIMEDOUT);
  expect = xasprintf ("the guest agent did not answer on unix:%s/agent.sock within 600 ms; the console "
                      "(`%s/console.log`) ends with: fake agent starting",
                      dir, dir);
  cr_assert_str_eq (err->msg, expect);
  cr_assert_not (alive (pid), "killed on failure");
  vm_free (vm);
}

Test (launcher, stop_of_a_guest_that_does_not_power_off)
{
  struct vm *vm = prepare_host ("real");
  _cleanup_error_ rv_error_t err = NULL;
  pid_t pid;

  /* Nobody asks the agent to shut down: stop waits, then ends it.  */
  cr_assert_eq (vm_start (vm, &err), 0);
  cr_assert_eq (vm_pids (vm, &pid, 1), 1);
  cr_assert_eq (vm_wait_ready (vm, 10000, &err), 0);
  cr_assert_lt (vm_stop (vm, 300, &err), 0);
  cr_assert_eq (err->status, ETIMEDOUT);
  cr_assert_str_eq (err->msg, "the guest did not power off within 300 ms; runvm-agent was stopped");
  cr_assert_not (alive (pid));
  vm_free (vm);
}

Test (launcher, something_else_on_the_port_fails_the_handshake)
{
  struct vm *vm = prepare_host ("serve");
  _cleanup_error_ rv_error_t err = NULL;
  pid_t pid;

  /* The fake accepts connections but speaks no protocol.  */
  cr_assert_eq (vm_start (vm, &err), 0);
  cr_assert_eq (vm_pids (vm, &pid, 1), 1);
  cr_assert_lt (vm_wait_ready (vm, 3000, &err), 0);
  cr_assert (str_has_prefix (err->msg, "handshake with the guest agent: "), "%s", err->msg);
  cr_assert_not (alive (pid), "killed on failure");
  vm_free (vm);
}

Test (launcher, watches_report_the_vmm_exit)
{
  struct vm *vm = prepare_host ("real");
  rv_error_t err = NULL;
  struct vm_watch w[8];
  enum vm_event ev = VM_EVENT_NONE;
  long long deadline;
  size_t n, i;
  pid_t pid;

  cr_assert_eq (vm_start (vm, &err), 0);
  cr_assert_eq (vm_wait_ready (vm, 10000, &err), 0);
  cr_assert_eq (vm_pids (vm, &pid, 1), 1);
  n = vm_watches (vm, w, 8);
  cr_assert_eq (n, 2, "the agent's output pipe and its pidfd");
  cr_assert_eq (w[0].kind, VM_WATCH_CONSOLE);
  cr_assert_eq (w[1].kind, VM_WATCH_CHILD);

  /* As a monitor would: the VM dies under it, its pidfd turns readable.  */
  kill (pid, SIGKILL);
  deadline = vm_now_ms () + 5000;
  while (ev != VM_EVENT_VMM_EXITED && vm_now_ms () < deadline)
    {
      struct pollfd pfd[8];
      n = vm_watches (vm, w, 8);
      for (i = 0; i < n; i++)
        pfd[i] = (struct pollfd){ .fd = w[i].fd, .events = POLLIN };
      cr_assert_geq (poll (pfd, n, 1000), 0);
      /* Each event is looked at as it comes: one call may reap what
       * another fd announced.  */
      for (i = 0; i < n && ev != VM_EVENT_VMM_EXITED; i++)
        if (pfd[i].revents)
          cr_assert_eq (vm_handle (vm, pfd[i].fd, &ev, &err), 0);
    }
  cr_assert_eq (ev, VM_EVENT_VMM_EXITED);
  cr_assert_eq (vm_watches (vm, w, 8), 0, "nothing left to watch");
  vm_free (vm);
}

Test (launcher, kill_leaves_no_process)
{
  struct vm *vm = prepare_host ("silent");
  rv_error_t err = NULL;
  pid_t pid;

  cr_assert_eq (vm_start (vm, &err), 0);
  cr_assert_eq (vm_pids (vm, &pid, 1), 1);
  vm_kill (vm);
  cr_assert_not (alive (pid));
  vm_free (vm);
}

Test (launcher, unknown_launcher_and_missing_agent)
{
  struct vm_config *c = vm_config_new ();
  struct vm_params p = { .id = "c1", .state_dir = dir, .config = c };
  _cleanup_error_ rv_error_t err = NULL;
  struct vm *vm = NULL;

  free (c->launcher);
  c->launcher = xstrdup ("firecracker");
  cr_assert_lt (vm_prepare (&p, &vm, &err), 0);
  cr_assert_str_eq (err->msg, "unknown VM launcher `firecracker` (known: qemu, host)");
  cr_assert_null (vm);

  free (c->launcher);
  c->launcher = xstrdup ("host");
  c->agent = xstrdup ("/nonexistent/runvm-agent");
  cr_assert_lt (vm_prepare (&p, &vm, &err), 0);
  cr_assert_str_eq (err->msg,
                    "prepare the VM (host launcher): runvm-agent `/nonexistent/runvm-agent` (from the "
                    "runvm configuration) not found or not executable");
  vm_config_free (c);
}

static struct vm_config *
qemu_config (const char *qemu)
{
  struct vm_config *c = vm_config_new ();
  c->qemu = xstrdup (qemu);
  c->accel = VM_ACCEL_TCG;
  return c;
}

Test (launcher, qemu_missing_kernel)
{
  struct vm_config *c = qemu_config ("/bin/true");
  struct vm_params p = { .id = "c1", .state_dir = dir, .config = c };
  _cleanup_error_ rv_error_t err = NULL;
  struct vm *vm = NULL;

  free (c->image_dir);
  c->image_dir = xstrdup ("/nonexistent/share");
  cr_assert_lt (vm_prepare (&p, &vm, &err), 0);
  cr_assert_eq (err->status, ENOENT);
  cr_assert_str_eq (err->msg,
                    "prepare the VM (qemu launcher): guest kernel `/nonexistent/share/vmlinuz-cloud` (build "
                    "and install the guest image: `make guest install`): No such file or directory");
  vm_config_free (c);
}

Test (launcher, qemu_missing_vsockd_for_hybrid)
{
  _cleanup_free_ char *k = write_script ("vmlinuz", "k"), *i = write_script ("initrd", "i");
  struct vm_config *c = qemu_config ("/bin/true");
  struct vm_params p = { .id = "c1", .state_dir = dir, .config = c };
  _cleanup_error_ rv_error_t err = NULL;
  struct vm *vm = NULL;

  c->kernel = xstrdup (k);
  c->initrd = xstrdup (i);
  c->transport = VM_TRANSPORT_HYBRID;
  c->vsockd = xstrdup ("/nonexistent/runvm-vsockd");
  cr_assert_lt (vm_prepare (&p, &vm, &err), 0);
  cr_assert_str_eq (err->msg,
                    "prepare the VM (qemu launcher): runvm-vsockd `/nonexistent/runvm-vsockd` (from the "
                    "runvm configuration) not found or not executable");
  vm_config_free (c);
}

Test (launcher, qemu_dying_at_start_is_quoted)
{
  _cleanup_free_ char *k = write_script ("vmlinuz", "k"), *i = write_script ("initrd", "i");
  _cleanup_free_ char *qemu
      = write_script ("qemu", "#!/bin/sh\n"
                              "echo \"qemu-system-x86_64: -kernel $KERNEL: bad kernel\" >&2\n"
                              "exit 1\n");
  struct vm_config *c = qemu_config (qemu);
  struct vm_params p = { .id = "c1", .state_dir = dir, .config = c };
  _cleanup_error_ rv_error_t err = NULL;
  struct vm *vm = NULL;

  c->kernel = xstrdup (k);
  c->initrd = xstrdup (i);
  p.ready_marker = "READY";
  p.bare = true;
  cr_assert_eq (vm_prepare (&p, &vm, &err), 0, "%s", err ? err->msg : "");
  vm_config_free (c);
  cr_assert_eq (vm_start (vm, &err), 0);
  cr_assert_lt (vm_wait_ready (vm, 10000, &err), 0);
  cr_assert_eq (err->status, ECHILD);
  cr_assert (str_has_prefix (err->msg, "qemu exited with status 1 before the guest was ready; the console"),
             "%s", err->msg);
  cr_assert (str_has_suffix (err->msg, "ends with: [qemu] qemu-system-x86_64: -kernel : bad kernel"), "%s",
             err->msg);
  vm_free (vm);
}

Test (launcher, bare_needs_a_marker)
{
  struct vm_config *c = qemu_config ("/bin/true");
  struct vm_params p = { .id = "c1", .state_dir = dir, .config = c, .bare = true };
  _cleanup_error_ rv_error_t err = NULL;
  struct vm *vm = NULL;
  cr_assert_lt (vm_prepare (&p, &vm, &err), 0);
  cr_assert_eq (err->status, EINVAL);
  vm_config_free (c);
}
