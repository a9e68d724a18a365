/* The lifecycle through the command line, with the `host` launcher (the
 * agent as a host process: the same monitor, protocol and state as with a
 * VM, in milliseconds): create, start, run, state, kill, delete, stdio and
 * exit codes, pid files, and the errors a user can cause.  The same
 * verbs with the qemu launcher run in tests/oci-validation.  */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "tests/unit/support/bundle.h"

static struct tb t;

static void
setup (void)
{
  tb_init (&t);
}

static void
teardown (void)
{
  tb_fini (&t);
}

TestSuite (runtime_lifecycle, .init = setup, .fini = teardown, .timeout = 60);

static char *
path_in (const char *dir, const char *name)
{
  return xasprintf ("%s/%s", dir, name);
}

Test (runtime_lifecycle, run_relays_stdio_and_exits_with_the_status)
{
  struct tb_result r = { 0 };

  tb_config (&t, "echo out; echo err >&2; cat; echo after-eof; exit 3", TB_NS_DEFAULT, "");
  tb_runvm (&t, &r, "from stdin\n", "run", "-b", t.bundle, "c1", NULL);
  cr_assert_eq (r.status, 3, "%s", r.err);
  cr_assert_str_eq (r.out, "out\nfrom stdin\nafter-eof\n");
  cr_assert_str_eq (r.err, "err\n");
  tb_result_free (&r);
  /* run deletes the container once it has exited.  */
  tb_runvm (&t, &r, NULL, "list", "-q", NULL);
  cr_assert_str_eq (r.out, "");
  tb_result_free (&r);
}

Test (runtime_lifecycle, run_a_killed_workload_gives_128_plus_the_signal)
{
  struct tb_result r = { 0 };

  /* No pid namespace: the shell is not an init that ignores signals.  */
  tb_config (&t, "kill -KILL $$", "{\"type\":\"mount\"},{\"type\":\"uts\"}", "");
  tb_runvm (&t, &r, NULL, "run", "-b", t.bundle, "c2", NULL);
  cr_assert_eq (r.status, 137, "%s", r.err);
  tb_result_free (&r);
}

Test (runtime_lifecycle, states_through_create_start_exit_delete)
{
  _cleanup_free_ char *pidfile = path_in (t.dir, "pid"), *pidtext = NULL, *out = NULL;
  char *status;
  struct tb_result r = { 0 };
  pid_t pid = 0, monitor;
  int code;

  tb_config (&t, "read line; echo got $line; exit 5", TB_NS_DEFAULT, "");
  tb_runvm (&t, &r, "hello\n", "create", "-b", t.bundle, "--pid-file", pidfile, "c3", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  out = xstrdup (r.out_path);
  tb_result_free (&r);

  /* The pid file names the container's process: the monitor.  */
  pidtext = tb_read (pidfile);
  cr_assert_not_null (pidtext);
  monitor = atoi (pidtext);
  free (pidtext);
  status = tb_status (&t, "c3", &pid);
  cr_assert_str_eq (status, "created");
  cr_assert_eq (pid, monitor);
  cr_assert_eq (kill (monitor, 0), 0);
  free (status);

  tb_runvm (&t, &r, NULL, "start", "c3", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  code = tb_wait_pid (monitor, 20000);
  cr_assert_eq (code, 5, "the monitor exited with %d", code);
  /* The workload's stdio was create's.  */
  pidtext = tb_read (out);
  cr_assert_str_eq (pidtext, "got hello\n");

  status = tb_status (&t, "c3", &pid);
  cr_assert_str_eq (status, "stopped");
  cr_assert_eq (pid, 0);
  free (status);
  /* start once more: refused.  */
  tb_runvm (&t, &r, NULL, "start", "c3", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "cannot start a container that has stopped") != NULL, "%s", r.err);
  tb_result_free (&r);

  tb_runvm (&t, &r, NULL, "delete", "c3", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  status = tb_status (&t, "c3", &pid);
  cr_assert_str_eq (status, "");
  free (status);
}

Test (runtime_lifecycle, kill_by_name_and_number_reaches_the_workload)
{
  _cleanup_free_ char *pidfile = path_in (t.dir, "pid");
  char *status;
  struct tb_result r = { 0 };
  pid_t pid = 0, monitor;
  int code;

  tb_config (&t, "trap 'exit 7' USR1; trap 'exit 8' TERM; echo ready; while :; do sleep 0.05; done",
             TB_NS_DEFAULT, "");
  tb_runvm (&t, &r, NULL, "run", "-d", "-b", t.bundle, "--pid-file", pidfile, "c4", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  /* The traps are set once it says so.  */
  cr_assert (tb_wait_text (r.out_path, "ready", 20000));
  tb_result_free (&r);
  monitor = atoi (tb_read (pidfile));
  status = tb_status (&t, "c4", &pid);
  cr_assert_str_eq (status, "running");
  free (status);
  tb_runvm (&t, &r, NULL, "kill", "c4", "usr1", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  code = tb_wait_pid (monitor, 20000);
  cr_assert_eq (code, 7);

  tb_runvm (&t, &r, NULL, "delete", "c4", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  tb_runvm (&t, &r, NULL, "run", "-d", "-b", t.bundle, "--pid-file", pidfile, "c4", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  /* The traps are set once it says so.  */
  cr_assert (tb_wait_text (r.out_path, "ready", 20000));
  tb_result_free (&r);
  monitor = atoi (tb_read (pidfile));
  tb_runvm (&t, &r, NULL, "kill", "c4", "15", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  cr_assert_eq (tb_wait_pid (monitor, 20000), 8);
  /* A signal to the monitor itself is forwarded too (engines signal the
   * container's PID).  */
  tb_runvm (&t, &r, NULL, "delete", "c4", NULL);
  tb_result_free (&r);
  tb_runvm (&t, &r, NULL, "run", "-d", "-b", t.bundle, "--pid-file", pidfile, "c4", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  /* The traps are set once it says so.  */
  cr_assert (tb_wait_text (r.out_path, "ready", 20000));
  tb_result_free (&r);
  monitor = atoi (tb_read (pidfile));
  cr_assert_eq (kill (monitor, SIGUSR1), 0);
  cr_assert_eq (tb_wait_pid (monitor, 20000), 7);
  /* Killing a stopped container is an error.  */
  tb_runvm (&t, &r, NULL, "kill", "c4", "KILL", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "container not running") != NULL, "%s", r.err);
  tb_result_free (&r);
}

Test (runtime_lifecycle, delete_refuses_a_running_container_unless_forced)
{
  _cleanup_free_ char *pidfile = path_in (t.dir, "pid");
  char *status;
  struct tb_result r = { 0 };
  pid_t pid, monitor;

  tb_config (&t, "sleep 1000", TB_NS_DEFAULT, "");
  tb_runvm (&t, &r, NULL, "run", "-d", "-b", t.bundle, "--pid-file", pidfile, "c5", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  monitor = atoi (tb_read (pidfile));
  tb_runvm (&t, &r, NULL, "delete", "c5", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "cannot delete container c5 that is not stopped: running") != NULL, "%s", r.err);
  tb_result_free (&r);
  status = tb_status (&t, "c5", &pid);
  cr_assert_str_eq (status, "running");
  free (status);

  tb_runvm (&t, &r, NULL, "delete", "--force", "c5", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  cr_assert_eq (tb_wait_pid (monitor, 5000), 137);
  status = tb_status (&t, "c5", &pid);
  cr_assert_str_eq (status, "");
  free (status);
}

Test (runtime_lifecycle, a_created_container_is_deleted_without_force)
{
  _cleanup_free_ char *pidfile = path_in (t.dir, "pid");
  char *status;
  struct tb_result r = { 0 };
  pid_t pid, monitor;

  tb_config (&t, "echo never", TB_NS_DEFAULT, "");
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "--pid-file", pidfile, "c6", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  monitor = atoi (tb_read (pidfile));
  tb_runvm (&t, &r, NULL, "delete", "c6", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  cr_assert_neq (tb_wait_pid (monitor, 5000), -1);
  status = tb_status (&t, "c6", &pid);
  cr_assert_str_eq (status, "");
  free (status);
}

Test (runtime_lifecycle, errors_a_user_can_cause)
{
  _cleanup_free_ char *config = path_in (t.bundle, "config.json"), *entry = path_in (t.root, "c7");
  _cleanup_free_ char *missing = path_in (t.dir, "nobundle"), *pidfile = path_in (t.dir, "pid");
  struct tb_result r = { 0 };
  rv_error_t err = NULL;

  /* An unknown container, for every verb that takes one.  */
  static const char *const verbs[]
      = { "state", "start", "kill", "delete", "ps", "pause", "resume", "events" };
  for (size_t i = 0; i < ARRAY_SIZE (verbs); i++)
    {
      tb_runvm (&t, &r, NULL, verbs[i], "nosuch", NULL);
      cr_assert_eq (r.status, 1, "%s: %s", verbs[i], r.err);
      cr_assert (strstr (r.err, "container does not exist") != NULL, "%s: %s", verbs[i], r.err);
      tb_result_free (&r);
    }

  /* A config.json that does not parse: named, and nothing left.  */
  cr_assert_eq (write_file_atomic (config, "{\"ociVersion\": 1}", 17, 0644, &err), 0);
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "--pid-file", pidfile, "c7", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "config.json") != NULL, "%s", r.err);
  cr_assert_eq (access (entry, F_OK), -1);
  cr_assert_eq (access (pidfile, F_OK), -1);
  tb_result_free (&r);

  /* No bundle.  */
  tb_runvm (&t, &r, NULL, "create", "-b", missing, "c7", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "nobundle/config.json`: No such file or directory") != NULL, "%s", r.err);
  tb_result_free (&r);

  /* An invalid id.  */
  tb_config (&t, "true", TB_NS_DEFAULT, "");
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "a/b", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "invalid container ID format") != NULL, "%s", r.err);
  tb_result_free (&r);

  /* A failing hook fails create, and leaves nothing.  */
  tb_config (
      &t, "true", TB_NS_DEFAULT,
      "\"hooks\": {\"createRuntime\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo no >&2; "
      "exit 3\"]}]},");
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "c7", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "createRuntime hook `/bin/sh` exited with status 3: no") != NULL, "%s", r.err);
  cr_assert_eq (access (entry, F_OK), -1);
  tb_result_free (&r);

  /* An id in use: the second create fails, the first container stays.  */
  tb_config (&t, "sleep 1000", TB_NS_DEFAULT, "");
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "c7", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "c7", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "container with id `c7` already exists") != NULL, "%s", r.err);
  tb_result_free (&r);
  {
    pid_t pid;
    _cleanup_free_ char *status = tb_status (&t, "c7", &pid);
    cr_assert_str_eq (status, "created");
  }

  /* A terminal without a console socket, detached.  */
  tb_runvm (&t, &r, NULL, "delete", "c7", NULL);
  tb_result_free (&r);
  tb_config (&t, "true", TB_NS_DEFAULT, "");
  {
    _cleanup_free_ char *text = tb_read (config);
    char *p = strstr (text, "\"terminal\": false");
    memcpy (p, "\"terminal\": true ", 17);
    cr_assert_eq (write_file_atomic (config, text, strlen (text), 0644, &err), 0);
  }
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "c7", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "cannot allocate tty if runvm will detach without setting console socket")
                 != NULL,
             "%s", r.err);
  cr_assert_eq (access (entry, F_OK), -1);
  tb_result_free (&r);
}

/* An error of the container's creation in the guest reaches the user with
 * the call and the container named once, whichever layers it crossed
 * (libcontainer, the agent, agent-client, the monitor, create).  */
Test (runtime_lifecycle, a_failing_create_names_the_container_once)
{
  _cleanup_free_ char *config = path_in (t.bundle, "config.json"), *entry = path_in (t.root, "c20");
  _cleanup_free_ char *text = NULL, *fixed = NULL;
  struct tb_result r = { 0 };
  rv_error_t err = NULL;
  char *p;

  tb_config (&t, "true", TB_NS_DEFAULT, "");
  text = tb_read (config);
  p = strstr (text, "[\"sh\", \"-c\", \"true\"]");
  cr_assert_not_null (p);
  *p = '\0';
  fixed = xasprintf ("%s[\"/nonexistent\"]%s", text, p + strlen ("[\"sh\", \"-c\", \"true\"]"));
  cr_assert_eq (write_file_atomic (config, fixed, strlen (fixed), 0644, &err), 0);
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "c20", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err,
                     "level=error msg=\"create container `c20`: process.args: exec `/nonexistent`: No such "
                     "file or directory\"\n")
                 != NULL,
             "%s", r.err);
  cr_assert_eq (access (entry, F_OK), -1);
  tb_result_free (&r);
}

/* `runvm create` SIGKILLed while the monitor builds the container (here:
 * by a createRuntime hook, its grandchild): the monitor goes with it, the
 * leftover says `stopped`, and delete removes everything, the host cgroup
 * included.  */
Test (runtime_lifecycle, a_create_killed_half_way_is_stopped_and_deleted_whole)
{
  _cleanup_free_ char *entry = path_in (t.root, "c21"), *statefile = path_in (entry, "state.json");
  _cleanup_free_ char *text = NULL, *status = NULL;
  struct tb_result r = { 0 };
  pid_t pid = -1, monitor = 0;
  const char *p;
  int i;

  tb_config (&t, "true", TB_NS_DEFAULT,
             "\"hooks\": {\"createRuntime\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", "
             "\"set -- $(cat /proc/$PPID/stat); kill -9 $4; sleep 1\"]}]},");
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "c21", NULL);
  cr_assert_eq (r.status, 137, "%d: %s", r.status, r.err);
  tb_result_free (&r);

  status = tb_status (&t, "c21", &pid);
  cr_assert_str_eq (status, "stopped");
  cr_assert_eq (pid, 0);
  /* The record names the monitor, which died with its creator.  */
  text = tb_read (statefile);
  cr_assert_not_null (text);
  p = strstr (text, "\"pid\": ");
  cr_assert_not_null (p, "%s", text);
  monitor = atoi (p + strlen ("\"pid\": "));
  cr_assert_gt (monitor, 0, "%s", text);
  /* Killed (not a monitor that went on alone, made the cgroup and gave
   * up when it found nobody to report to).  */
  i = tb_wait_pid (monitor, 10000);
  cr_assert_eq (i, 137, "the monitor %d: %d", (int) monitor, i);
  cr_assert (strstr (text, "\"cgroupMade\"") != NULL, "%s", text);

  tb_runvm (&t, &r, NULL, "delete", "c21", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  cr_assert_eq (access (entry, F_OK), -1);
  cr_assert_eq (access ("/sys/fs/cgroup/memory/c21", F_OK), -1);
  cr_assert_eq (access ("/sys/fs/cgroup/unified/c21", F_OK), -1);
  cr_assert_eq (access ("/sys/fs/cgroup/c21", F_OK), -1);
}

/* What the workload writes to its rootfs and to a bind-mounted directory
 * is on the host; a file bound read-only (docker's /etc/hosts) is read.  */
Test (runtime_lifecycle, writes_reach_the_host_through_the_mounts)
{
  _cleanup_free_ char *vol = xasprintf ("%s/vol", t.dir), *hosts = xasprintf ("%s/hosts", t.dir);
  _cleanup_free_ char *extra = NULL, *in_vol = NULL, *in_rootfs = NULL, *rootfs_file = NULL;
  _cleanup_free_ char *vol_file = NULL, *hosts_now = NULL;
  struct tb_result r = { 0 };
  rv_error_t err = NULL;

  cr_assert_eq (mkdir (vol, 0755), 0);
  cr_assert_eq (write_file_atomic (hosts, "10.1.2.3 web\n", 13, 0644, &err), 0);
  extra = xasprintf ("\"x-mounts\": [{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"%s\", "
                     "\"options\": [\"rbind\"]}, {\"destination\": \"/etc/hosts\", \"type\": \"bind\", "
                     "\"source\": \"%s\", \"options\": [\"bind\", \"ro\"]}],",
                     vol, hosts);
  tb_config (&t,
             "echo in-vol > /vol/f; echo in-rootfs > /tmp/g; cat /etc/hosts; echo no > /etc/hosts || echo ro",
             TB_NS_DEFAULT, extra);
  /* tb_config knows no extra mounts: splice ours into its list.  */
  {
    _cleanup_free_ char *path = xasprintf ("%s/config.json", t.bundle), *text = tb_read (path), *fixed = NULL;
    char *m = strstr (text, "\"mounts\": [");
    char *x = strstr (text, "\"x-mounts\": [");
    char *xend = strstr (x, "}],") + 1;
    size_t head = (size_t) (m - text) + strlen ("\"mounts\": [");
    fixed = xasprintf ("%.*s%.*s, %s", (int) head, text, (int) (xend - x - strlen ("\"x-mounts\": [")),
                       x + strlen ("\"x-mounts\": ["), text + head);
    cr_assert_eq (write_file_atomic (path, fixed, strlen (fixed), 0644, &err), 0);
  }
  tb_runvm (&t, &r, NULL, "run", "-b", t.bundle, "m1", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "10.1.2.3 web\n") != NULL, "%s", r.out);
  cr_assert (str_has_suffix (r.out, "ro\n"), "the read-only bind was written: %s", r.out);
  tb_result_free (&r);
  vol_file = xasprintf ("%s/f", vol);
  in_vol = tb_read (vol_file);
  cr_assert_str_eq (in_vol, "in-vol\n");
  rootfs_file = xasprintf ("%s/rootfs/tmp/g", t.bundle);
  in_rootfs = tb_read (rootfs_file);
  cr_assert_str_eq (in_rootfs, "in-rootfs\n");
  hosts_now = tb_read (hosts);
  cr_assert_str_eq (hosts_now, "10.1.2.3 web\n");
}

/* Failures of the host's side, before any VM exists: one line naming the
 * thing and the cause, and nothing left.  */
Test (runtime_lifecycle, a_missing_kernel_or_kvm_fails_create_cleanly)
{
  _cleanup_free_ char *config = xasprintf ("%s/runvm.json", t.dir), *entry = xasprintf ("%s/c9", t.root);
  _cleanup_free_ char *cpuinfo = tb_read ("/proc/cpuinfo");
  const char *nokernel = "{\"launcher\": \"qemu\", \"kernel\": \"/nonexistent/vmlinuz\", \"initrd\": "
                         "\"/nonexistent/initrd\"}";
  _cleanup_free_ char *kvm = NULL;
  struct tb_result r = { 0 };
  rv_error_t err = NULL;

  tb_config (&t, "true", TB_NS_DEFAULT, "");
  unsetenv ("RUNVM_LAUNCHER");
  setenv ("RUNVM_CONFIG", config, 1);
  cr_assert_eq (write_file_atomic (config, nokernel, strlen (nokernel), 0644, &err), 0);
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "c9", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "guest kernel `/nonexistent/vmlinuz`") != NULL, "%s", r.err);
  cr_assert (strstr (r.err, "No such file or directory") != NULL, "%s", r.err);
  cr_assert_eq (access (entry, F_OK), -1);
  tb_result_free (&r);

  if (cpuinfo && (strstr (cpuinfo, " vmx") || strstr (cpuinfo, " svm"))
      && access ("/dev/kvm", R_OK | W_OK) == 0)
    {
      unsetenv ("RUNVM_CONFIG");
      cr_skip_test ("KVM is usable here: no error to see");
    }
  /* Readable files as kernel and initrd: the accelerator is checked
   * before anything boots.  */
  kvm = xasprintf ("{\"launcher\": \"qemu\", \"accel\": \"kvm\", \"kernel\": \"%s\", \"initrd\": \"%s\"}",
                   config, config);
  cr_assert_eq (write_file_atomic (config, kvm, strlen (kvm), 0644, &err), 0);
  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "c9", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "accel kvm requested but KVM is not usable") != NULL, "%s", r.err);
  cr_assert_eq (access (entry, F_OK), -1);
  tb_result_free (&r);
  unsetenv ("RUNVM_CONFIG");
}

/* `runvm state ID` until it says WANT, for up to MS.  */
static bool
status_becomes (const char *id, const char *want, int ms)
{
  int waited;
  for (waited = 0; waited < ms; waited += 50)
    {
      pid_t pid;
      _cleanup_free_ char *status = tb_status (&t, id, &pid);
      if (strcmp (status, want) == 0)
        return true;
      poll (NULL, 0, 50);
    }
  return false;
}

/* A created container's init waits for start as the init of its PID
 * namespace, which the kernel keeps from signals it does not handle:
 * engines stop a container that never started with TERM (podman stop,
 * docker's cleanup), as runc's waiting init ends on it.  The init ends as
 * a process killed by the signal would be reported; a signal ignored by
 * default leaves it waiting.  */
Test (runtime_lifecycle, a_created_container_ends_on_term_as_with_runc)
{
  static const struct
  {
    const char *name;
    int code; /* the monitor's status; 0: still created */
  } cases[] = { { "TERM", 143 }, { "QUIT", 131 }, { "WINCH", 0 } };
  _cleanup_free_ char *pidfile = path_in (t.dir, "pid");
  struct tb_result r = { 0 };
  size_t i;

  tb_config (&t, "echo started", TB_NS_DEFAULT, "");
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      _cleanup_free_ char *id = xasprintf ("csig-%d-%zu", (int) getpid (), i);
      pid_t monitor;
      int code;

      tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "--pid-file", pidfile, id, NULL);
      cr_assert_eq (r.status, 0, "%s", r.err);
      tb_result_free (&r);
      monitor = atoi (tb_read (pidfile));
      tb_runvm (&t, &r, NULL, "kill", id, cases[i].name, NULL);
      cr_assert_eq (r.status, 0, "kill %s: %s", cases[i].name, r.err);
      tb_result_free (&r);
      if (cases[i].code == 0)
        {
          /* Not lost either: the workload has not run.  */
          cr_assert_not (status_becomes (id, "stopped", 1000), "%s stopped the container", cases[i].name);
          cr_assert (status_becomes (id, "created", 1), "%s", cases[i].name);
        }
      else
        {
          cr_assert (status_becomes (id, "stopped", 10000), "%s left the container created", cases[i].name);
          code = tb_wait_pid (monitor, 10000);
          cr_assert_eq (code, cases[i].code, "%s: the monitor exited with %d", cases[i].name, code);
          /* start after that: refused, as for any stopped container.  */
          tb_runvm (&t, &r, NULL, "start", id, NULL);
          cr_assert_eq (r.status, 1, "%s", r.err);
          tb_result_free (&r);
        }
      tb_runvm (&t, &r, NULL, "delete", "--force", id, NULL);
      cr_assert_eq (r.status, 0, "%s", r.err);
      tb_result_free (&r);
    }
}

/* runc on the same bundle, for comparison: its `runc init` ends on TERM
 * and QUIT too (and waits on WINCH).  */
Test (runtime_lifecycle, runc_ends_a_created_container_on_term)
{
  _cleanup_free_ char *root = path_in (t.dir, "runc"), *id = xasprintf ("csig-runc-%d", (int) getpid ());
  _cleanup_free_ char *cmd = NULL;
  int i, rc;

  if (getenv ("RUNVM_TEST_LAUNCHER") || system ("runc --version >/dev/null 2>&1") != 0)
    cr_skip_test ("runc is not installed (or the launcher is a VM: the comparison runs once)");
  tb_config (&t, "echo started", TB_NS_DEFAULT, "");
  cmd = xasprintf (
      "runc --root %s create -b %s %s </dev/null >/dev/null 2>%s/runc.err && runc --root %s kill %s TERM",
      root, t.bundle, id, t.dir, root, id);
  rc = system (cmd);
  cr_assert_eq (rc, 0, "%s", cmd);
  free (cmd);
  cmd = xasprintf ("runc --root %s state %s | grep -q '\"status\": \"stopped\"'", root, id);
  for (i = 0; i < 100 && (rc = system (cmd)) != 0; i++)
    poll (NULL, 0, 50);
  free (cmd);
  cmd = xasprintf ("runc --root %s delete -f %s", root, id);
  cr_assert_eq (system (cmd), 0, "%s", cmd);
  cr_assert_eq (rc, 0, "runc's created container did not stop on TERM");
}
