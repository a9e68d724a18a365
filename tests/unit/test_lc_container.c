/* Containers end to end on this host: create, start, exec, terminal,
 * hooks, user namespaces, failures that leave nothing behind.  */
#include <sys/socket.h>
#include <sys/un.h>

#include "tests/unit/test_lc_support.h"

Test (lc_container, runs_and_reports_exit_status, .fini = tb_cleanup)
{
  struct tb b;
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  int status;

  tb_init (&b);
  tb_args (&b, "/bin/sh", "-c", "echo hello from $(hostname) pid $$; exit 3", NULL);
  cr_assert_eq (tb_run (&b, &out, &status, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (out, "hello from tb pid 1\n");
  cr_assert (WIFEXITED (status));
  cr_assert_eq (WEXITSTATUS (status), 3);
  tb_assert_clean (&b);
  tb_fini (&b);
}

static void
run_ok (struct tb *b, char **out)
{
  rv_error_t err = NULL;
  int status;
  cr_assert_eq (tb_run (b, out, &status, &err), 0, "%s", err ? err->msg : "");
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %x, output: %s", status, *out);
}

Test (lc_container, missing_binary_fails_at_create_and_leaves_nothing, .fini = tb_cleanup)
{
  struct tb b;
  char *out = NULL;
  rv_error_t err = NULL;
  int status;

  tb_init (&b);
  tb_args (&b, "/bin/does-not-exist", NULL);
  cr_assert_lt (tb_run (&b, &out, &status, &err), 0);
  cr_assert (strstr (err->msg, "process.args") != NULL, "%s", err->msg);
  cr_assert (strstr (err->msg, "/bin/does-not-exist") != NULL, "%s", err->msg);
  cr_assert (strstr (err->msg, "create container") != NULL, "%s", err->msg);
  rv_error_release (&err);
  tb_args (&b, "nothere", NULL);
  cr_assert_lt (tb_run (&b, &out, &status, &err), 0);
  cr_assert (strstr (err->msg, "executable file not found in $PATH") != NULL, "%s", err->msg);
  rv_error_release (&err);
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, bad_mount_names_the_step, .fini = tb_cleanup)
{
  struct tb b;
  char *out = NULL;
  rv_error_t err = NULL;
  int status;

  tb_init (&b);
  tb_mount (&b, "/data", "bind", "/nonexistent/source", tb_strv ("rbind", NULL));
  cr_assert_lt (tb_run (&b, &out, &status, &err), 0);
  cr_assert (strstr (err->msg, "mounts[7] (`/data`)") != NULL, "%s", err->msg);
  cr_assert (strstr (err->msg, "/nonexistent/source") != NULL, "%s", err->msg);
  cr_assert_eq (err->status, ENOENT);
  rv_error_release (&err);
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, mount_through_symlink_stays_in_rootfs, .fini = tb_cleanup)
{
  struct tb b;
  _cleanup_free_ char *out = NULL;
  _cleanup_free_ char *host = NULL;
  struct stat st;

  tb_init (&b);
  host = xasprintf ("%s/host", b.dir);
  /* An image whose /evil points at a host directory, and a mount target
   * through it: the tmpfs must land in the rootfs's own /<host>.  */
  tb_sh ("mkdir -p %s && ln -s %s %s/evil && ln -s ../../../../../../%s %s/evil2", host, host, b.rootfs, host,
         b.rootfs);
  tb_mount (&b, "/evil/x", "tmpfs", "tmpfs", tb_strv (NULL, NULL));
  tb_mount (&b, "/evil2/y", "tmpfs", "tmpfs", tb_strv (NULL, NULL));
  tb_args (&b, "/bin/sh", "-c", "grep -c ' /tmp/lc-tb-.*/host/[xy] ' /proc/self/mountinfo", NULL);
  run_ok (&b, &out);
  cr_assert_str_eq (out, "2\n");
  {
    _cleanup_free_ char *x = xasprintf ("%s/x", host);
    cr_assert_neq (stat (x, &st), 0, "a directory appeared on the host through the symlink");
  }
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, exec_kill_pids_pause_resume, .fini = tb_cleanup)
{
  struct tb b;
  struct lc_create_opts o = { 0 };
  struct lc_container *c = NULL;
  struct lc_stdio io = { -1, -1, -1 };
  _cleanup_free_ pid_t *pids = NULL;
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  size_t n = 0;
  int fds[2], status;
  pid_t epid;

  tb_init (&b);
  tb_args (&b, "/bin/sleep", "1000", NULL);
  o.id = b.id;
  o.config = &b.c;
  o.bundle = b.dir;
  o.stdio = io;
  cr_assert_eq (lc_container_create (&o, &c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_container_start (c, &err), 0, "%s", err ? err->msg : "");

  cr_assert_eq (pipe2 (fds, O_CLOEXEC), 0);
  io.out = fds[1];
  io.err = fds[1];
  {
    struct spec_process p = b.p;
    char *args[] = { "/bin/sh", "-c", "echo exec $$ $(hostname); ls /proc | grep -c '^[0-9]'", NULL };
    p.args = args;
    cr_assert_eq (lc_container_exec (c, &p, io, &epid, NULL, &err), 0, "%s", err ? err->msg : "");
  }
  close (fds[1]);
  out = tb_read_all (fds[0]);
  close (fds[0]);
  cr_assert_eq (waitpid (epid, &status, 0), epid);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "%s", out);
  /* pid 2 or more in the container's pid namespace, and it sees the init
   * and itself (sh, its subshell for ls / grep may add more).  */
  cr_assert (str_has_prefix (out, "exec "), "%s", out);
  cr_assert (strstr (out, " tb\n") != NULL, "%s", out);

  cr_assert_eq (lc_container_pids (c, &pids, &n, &err), 0);
  cr_assert_eq (n, 1);
  cr_assert_eq (pids[0], lc_container_pid (c));
  cr_assert_eq (lc_container_pause (c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_container_resume (c, &err), 0, "%s", err ? err->msg : "");
  /* pid 1 of a pid namespace ignores signals it has no handler for:
   * SIGTERM leaves the sleep running, SIGKILL does not.  */
  cr_assert_eq (lc_container_kill (c, SIGTERM, false, &err), 0);
  cr_assert_eq (waitpid (lc_container_pid (c), &status, WNOHANG), 0);
  cr_assert_eq (lc_container_kill (c, SIGKILL, true, &err), 0);
  cr_assert_eq (waitpid (lc_container_pid (c), &status, 0), lc_container_pid (c));
  cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  cr_assert_lt (lc_container_kill (c, SIGKILL, false, &err), 0);
  cr_assert_eq (err->status, ESRCH, "%s", err->msg);
  rv_error_release (&err);
  cr_assert_eq (lc_container_destroy (c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_container_destroy (c, &err), 0, "destroy twice");
  lc_container_free (c);
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, terminal_is_controlling_and_sized, .fini = tb_cleanup)
{
  struct tb b;
  struct lc_create_opts o = { 0 };
  struct lc_container *c = NULL;
  rv_error_t err = NULL;
  char buf[4096];
  size_t len = 0;
  int master, status;
  ssize_t n;

  tb_init (&b);
  b.p.terminal = true;
  b.p.has_console_size = true;
  b.p.console_size.height = 33;
  b.p.console_size.width = 111;
  tb_args (&b, "/bin/sh", "-c",
           "stat -c %t:%T /dev/console; readlink /proc/self/fd/0; stty size; test -t 1 && echo tty", NULL);
  tb_sh ("ln -s busybox %s/bin/stty", b.rootfs);
  o.id = b.id;
  o.config = &b.c;
  o.bundle = b.dir;
  o.stdio.in = o.stdio.out = o.stdio.err = -1;
  cr_assert_eq (lc_container_create (&o, &c, &err), 0, "%s", err ? err->msg : "");
  master = lc_container_take_console (c);
  cr_assert_geq (master, 0);
  cr_assert_eq (lc_container_take_console (c), -1);
  cr_assert_eq (lc_container_start (c, &err), 0, "%s", err ? err->msg : "");
  /* The slave closes when the shell exits: EIO ends the reading.  */
  while ((n = read (master, buf + len, sizeof (buf) - 1 - len)) > 0)
    len += (size_t) n;
  buf[len] = '\0';
  cr_assert_eq (waitpid (lc_container_pid (c), &status, 0), lc_container_pid (c));
  cr_assert (strstr (buf, "88:") != NULL || strstr (buf, "88:0") != NULL
                 || strstr (buf, "/dev/pts/0") != NULL,
             "%s", buf);
  cr_assert (strstr (buf, "/dev/pts/0\r\n") != NULL, "%s", buf);
  cr_assert (strstr (buf, "33 111\r\n") != NULL, "%s", buf);
  cr_assert (strstr (buf, "tty\r\n") != NULL, "%s", buf);
  close (master);
  cr_assert_eq (lc_container_destroy (c, &err), 0);
  lc_container_free (c);
  tb_assert_clean (&b);
  tb_fini (&b);
}

static struct spec_hook *
hook (const char *script, int timeout)
{
  struct spec_hook *h = xcalloc (1, sizeof (*h));
  h->path = xstrdup ("/bin/sh");
  h->args = tb_strv ("sh", "-c", script, NULL);
  if (timeout > 0)
    {
      h->timeout.set = true;
      h->timeout.value = timeout;
    }
  return h;
}

Test (lc_container, hooks_run_where_and_when_they_should, .fini = tb_cleanup)
{
  struct tb b;
  _cleanup_free_ char *out = NULL;
  _cleanup_free_ char *log = NULL;
  _cleanup_free_ char *mine = NULL;
  char *text = NULL;
  rv_error_t err = NULL;
  char line[256];
  int k;

  tb_init (&b);
  log = xasprintf ("%s/hooks.log", b.dir);
  /* Each hook appends its kind, the status it read on stdin, and its UTS
   * namespace: the container's for createContainer and startContainer,
   * ours for the others.  */
  for (k = 0; k < SPEC_HOOK_KINDS; k++)
    {
      static const char *const names[]
          = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };
      _cleanup_free_ char *s = NULL;
      /* startContainer runs after pivot_root: its log is in the
       * container, the workload prints it.  */
      const char *logpath = k == SPEC_HOOK_START_CONTAINER ? "/tmp/hook.log" : log;
      s = xasprintf ("read -r state; st=$(echo \"$state\" | grep -o '\"status\":\"[a-z]*\"'); "
                     "echo %s $st $(readlink /proc/self/ns/uts) >> %s",
                     names[k], logpath);
      b.hooks.hooks[k] = hook (s, 5);
      b.hooks.len[k] = 1;
    }
  tb_args (&b, "/bin/sh", "-c", "cat /tmp/hook.log; readlink /proc/self/ns/uts", NULL);
  run_ok (&b, &out);
  cr_assert_eq (sscanf (out, "startContainer \"status\":\"created\" %255s", line), 1, "%s", out);
  /* The workload's namespace is the last line; startContainer's the same.  */
  {
    char *last = strrchr (out, '\n');
    *last = '\0';
    last = strrchr (out, '\n') + 1;
    cr_assert_str_eq (line, last, "%s", out);
    mine = xstrdup (last);
  }
  cr_assert_eq (read_file (log, 0, &text, NULL, &err), 0);
  {
    _cleanup_free_ char *cc = xasprintf ("\ncreateContainer \"status\":\"creating\" %s\n", mine);
    cr_assert (str_has_prefix (text, "prestart \"status\":\"creating\" uts:"), "%s", text);
    cr_assert (strstr (text, "\ncreateRuntime \"status\":\"creating\" uts:") != NULL, "%s", text);
    cr_assert (strstr (text, cc) != NULL, "%s", text);
    cr_assert (strstr (text, "\npoststart \"status\":\"running\" uts:") != NULL, "%s", text);
    cr_assert (strstr (text, "\npoststop \"status\":\"stopped\" uts:") != NULL, "%s", text);
    /* The runtime's hooks are not in the container's namespace.  */
    cr_assert (strstr (text, mine)
                   == strstr (text, cc) + strlen ("\ncreateContainer \"status\":\"creating\" "),
               "%s", text);
  }
  free (text);
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, failing_and_slow_hooks_stop_create, .fini = tb_cleanup)
{
  struct tb b;
  char *out = NULL;
  rv_error_t err = NULL;
  int status;

  tb_init (&b);
  b.hooks.hooks[SPEC_HOOK_CREATE_CONTAINER] = hook ("echo oops >&2; exit 7", 0);
  b.hooks.len[SPEC_HOOK_CREATE_CONTAINER] = 1;
  cr_assert_lt (tb_run (&b, &out, &status, &err), 0);
  cr_assert (strstr (err->msg, "createContainer hook `/bin/sh` exited with status 7: oops") != NULL, "%s",
             err->msg);
  rv_error_release (&err);
  tb_assert_clean (&b);

  b.hooks.len[SPEC_HOOK_CREATE_CONTAINER] = 0;
  b.hooks.hooks[SPEC_HOOK_CREATE_RUNTIME] = hook ("sleep 10", 1);
  b.hooks.len[SPEC_HOOK_CREATE_RUNTIME] = 1;
  cr_assert_lt (tb_run (&b, &out, &status, &err), 0);
  cr_assert (strstr (err->msg, "createRuntime hook `/bin/sh` timed out after 1 s") != NULL, "%s", err->msg);
  cr_assert_eq (err->status, ETIMEDOUT);
  rv_error_release (&err);
  tb_assert_clean (&b);
  tb_fini (&b);
}

static void
on_term (int sig)
{
  (void) sig;
}

/* The caller's signal state does not reach the container's processes:
 * neither its mask nor what it ignores, on the init and on an exec'd
 * process; and the caller's own mask is back after each call.  */
Test (lc_container, processes_start_with_default_signal_state, .fini = tb_cleanup)
{
  static const char zero[] = "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n";
  struct tb b;
  struct lc_create_opts o = { 0 };
  struct lc_container *c = NULL;
  struct lc_stdio io = { -1, -1, -1 };
  struct sigaction term = { .sa_handler = on_term };
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  sigset_t block, now;
  int fds[2], status;
  pid_t epid;

  sigemptyset (&term.sa_mask);
  cr_assert_eq (sigaction (SIGTERM, &term, NULL), 0);
  cr_assert_neq (signal (SIGUSR2, SIG_IGN), SIG_ERR);
  sigemptyset (&block);
  sigaddset (&block, SIGUSR1);
  sigaddset (&block, SIGINT);
  cr_assert_eq (sigprocmask (SIG_SETMASK, &block, NULL), 0);

  tb_init (&b);
  tb_args (&b, "/bin/sleep", "1000", NULL);
  o.id = b.id;
  o.config = &b.c;
  o.bundle = b.dir;
  o.stdio = io;
  cr_assert_eq (lc_container_create (&o, &c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_container_start (c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (sigprocmask (SIG_SETMASK, NULL, &now), 0);
  cr_assert (sigismember (&now, SIGUSR1) && sigismember (&now, SIGINT) && !sigismember (&now, SIGTERM),
             "the caller's mask changed");

  cr_assert_eq (pipe2 (fds, O_CLOEXEC), 0);
  io.out = fds[1];
  io.err = fds[1];
  {
    struct spec_process p = b.p;
    /* grep itself, no shell in between: a shell sets dispositions.  */
    char *args[] = { "/bin/grep", "-E", "^Sig(Blk|Ign|Cgt)", "/proc/1/status", "/proc/self/status", NULL };
    p.args = args;
    cr_assert_eq (lc_container_exec (c, &p, io, &epid, NULL, &err), 0, "%s", err ? err->msg : "");
  }
  close (fds[1]);
  out = tb_read_all (fds[0]);
  close (fds[0]);
  cr_assert_eq (waitpid (epid, &status, 0), epid);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "%s", out);
  {
    _cleanup_free_ char *want = NULL;
    want = xasprintf (
        "/proc/1/status:SigBlk:\t0000000000000000\n/proc/1/status:SigIgn:\t0000000000000000\n"
        "/proc/1/status:SigCgt:\t0000000000000000\n"
        "/proc/self/status:SigBlk:\t0000000000000000\n/proc/self/status:SigIgn:\t0000000000000000\n"
        "/proc/self/status:SigCgt:\t0000000000000000\n");
    cr_assert_str_eq (out, want, "init and exec'd process: %s (want each %s)", out, zero);
  }
  cr_assert_eq (sigprocmask (SIG_SETMASK, NULL, &now), 0);
  cr_assert (sigismember (&now, SIGUSR1) && sigismember (&now, SIGINT), "the caller's mask changed");

  cr_assert_eq (lc_container_kill (c, SIGKILL, false, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (waitpid (lc_container_pid (c), &status, 0), lc_container_pid (c));
  cr_assert_eq (lc_container_destroy (c, &err), 0, "%s", err ? err->msg : "");
  lc_container_free (c);
  tb_assert_clean (&b);
  tb_fini (&b);
}

/* The init waits for start as PID 1 of its namespace, whose signals the
 * kernel drops unless handled: those that end a process by default end
 * it there too, with the status of a process they killed; those ignored
 * by default leave it waiting.  */
Test (lc_container, waiting_init_ends_on_term, .fini = tb_cleanup)
{
  struct tb b;
  struct lc_create_opts o = { 0 };
  struct lc_container *c = NULL;
  struct lc_stdio io = { -1, -1, -1 };
  rv_error_t err = NULL;
  int status, i;
  pid_t pid, r = 0;

  tb_init (&b);
  tb_args (&b, "/bin/sleep", "1000", NULL);
  o.id = b.id;
  o.config = &b.c;
  o.bundle = b.dir;
  o.stdio = io;
  cr_assert_eq (lc_container_create (&o, &c, &err), 0, "%s", err ? err->msg : "");
  pid = lc_container_pid (c);
  cr_assert_eq (lc_container_kill (c, SIGWINCH, false, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_container_kill (c, SIGCHLD, false, &err), 0, "%s", err ? err->msg : "");
  usleep (200 * 1000);
  cr_assert_eq (waitpid (pid, &status, WNOHANG), 0, "the init ended on a signal ignored by default");
  cr_assert_eq (lc_container_kill (c, SIGTERM, false, &err), 0, "%s", err ? err->msg : "");
  for (i = 0; i < 100 && (r = waitpid (pid, &status, WNOHANG)) == 0; i++)
    usleep (50 * 1000);
  if (r == 0)
    {
      (void) lc_container_kill (c, SIGKILL, false, NULL);
      (void) waitpid (pid, &status, 0);
    }
  cr_assert_eq (r, pid, "the init did not end on SIGTERM");
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 128 + SIGTERM, "status %x", status);
  /* Nothing to start.  */
  cr_assert_lt (lc_container_start (c, &err), 0);
  rv_error_release (&err);
  cr_assert_eq (lc_container_destroy (c, &err), 0, "%s", err ? err->msg : "");
  lc_container_free (c);
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, user_namespace_with_mappings, .fini = tb_cleanup)
{
  struct tb b;
  _cleanup_free_ char *out = NULL;
  struct spec_id_mapping uid = { 0, 100000, 65536 }, gid = { 0, 200000, 65536 };

  tb_init (&b);
  /* The mapped root must be able to reach the rootfs (runc has the same
   * need): the bundle directory is 0700 from mkdtemp.  */
  tb_sh ("chmod 755 %s && chown -R 100000:200000 %s", b.dir, b.rootfs);
  tb_ns (&b, "user", NULL);
  b.lx.uid_mappings = &uid;
  b.lx.uid_mappings_len = 1;
  b.lx.gid_mappings = &gid;
  b.lx.gid_mappings_len = 1;
  b.p.user.uid = 1000;
  b.p.user.gid = 1000;
  tb_args (&b, "/bin/sh", "-c",
           "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; stat -c %u /dev/null", NULL);
  run_ok (&b, &out);
  cr_assert_str_eq (
      out, "1000\n1000\n         0     100000      65536\n         0     200000      65536\n65534\n");
  tb_assert_clean (&b);
  tb_fini (&b);
}

/* A user namespace in a network namespace it does not own (here the
 * host's; in a VM the guest's, which the agent configured) may not mount
 * sysfs: a read-only one becomes a read-only bind of the caller's /sys,
 * submounts included; a writable one fails.  */
Test (lc_container, user_namespace_without_network_namespace_sysfs, .fini = tb_cleanup)
{
  struct tb b;
  _cleanup_free_ char *out = NULL;
  struct spec_id_mapping uid = { 0, 100000, 65536 }, gid = { 0, 100000, 65536 };
  rv_error_t err = NULL;
  size_t i, sys = 0;
  int status;

  tb_init (&b);
  tb_sh ("chmod 755 %s && chown -R 100000:100000 %s", b.dir, b.rootfs);
  for (i = 0; i < b.lx.namespaces_len; i++)
    if (str_eq (b.ns[i].type, "network"))
      {
        free (b.ns[i].type);
        b.ns[i].type = xstrdup ("user");
      }
  b.lx.uid_mappings = &uid;
  b.lx.uid_mappings_len = 1;
  b.lx.gid_mappings = &gid;
  b.lx.gid_mappings_len = 1;
  /* Every mount at or under /sys read-only, sysfs's content there, and
   * the config's cgroup mount on top of the bound /sys/fs/cgroup.  */
  tb_args (&b, "/bin/sh", "-c",
           "busybox awk '$5 == \"/sys\" || $5 ~ \"^/sys/\" { n++; if ($6 !~ /^ro/) print \"rw\", $5 } "
           "END { print (n > 0) }' /proc/self/mountinfo; "
           "test -d /sys/kernel && echo kernel; "
           "t=$(busybox awk '$5 == \"/sys/fs/cgroup\" { t = $9 } END { print t }' /proc/self/mountinfo); "
           "case $t in tmpfs|cgroup2) echo cgroup ;; *) echo \"$t\" ;; esac; "
           "busybox awk '$5 == \"/sys\" { print $6 }' /proc/self/mountinfo | grep -c 'nosuid,nodev,noexec'",
           NULL);
  run_ok (&b, &out);
  cr_assert_str_eq (out, "1\nkernel\ncgroup\n1\n");

  /* A writable sysfs is not made up from the caller's.  */
  for (i = 0; i < b.c.mounts_len; i++)
    if (str_eq (b.mounts[i].type, "sysfs"))
      {
        sys = i;
        strv_free (b.mounts[i].options);
        b.mounts[i].options = tb_strv ("nosuid", "noexec", "nodev", NULL);
      }
  cr_assert_lt (tb_run (&b, &out, &status, &err), 0);
  cr_assert_eq (err->status, EPERM, "%s", err->msg);
  {
    _cleanup_free_ char *want = xasprintf ("mounts[%zu] (`/sys`)", sys);
    cr_assert (strstr (err->msg, want) != NULL, "%s", err->msg);
  }
  rv_error_release (&err);
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, no_pivot_readonly_root_masked_paths, .fini = tb_cleanup)
{
  struct tb b;
  struct lc_create_opts o = { 0 };
  struct lc_container *c = NULL;
  _cleanup_free_ char *out = NULL;
  rv_error_t err = NULL;
  int fds[2], status;

  tb_init (&b);
  b.root.readonly = true;
  tb_args (&b, "/bin/sh", "-c",
           "touch /x 2>/dev/null && echo rootrw; touch /tmp/y 2>/dev/null && echo tmprw; cat "
           "/proc/timer_list | wc -c; "
           "ls /sys/firmware | wc -l; echo 1 2>/dev/null > /proc/sys/kernel/domainname || echo sysro",
           NULL);
  tb_sh ("ln -s busybox %s/bin/wc", b.rootfs);
  cr_assert_eq (pipe2 (fds, O_CLOEXEC), 0);
  o.id = b.id;
  o.config = &b.c;
  o.bundle = b.dir;
  o.no_pivot = true;
  o.stdio.in = -1;
  o.stdio.out = o.stdio.err = fds[1];
  cr_assert_eq (lc_container_create (&o, &c, &err), 0, "%s", err ? err->msg : "");
  close (fds[1]);
  cr_assert_eq (lc_container_start (c, &err), 0, "%s", err ? err->msg : "");
  out = tb_read_all (fds[0]);
  close (fds[0]);
  cr_assert_eq (waitpid (lc_container_pid (c), &status, 0), lc_container_pid (c));
  /* /tmp is part of the read-only root here (no tmpfs on it).  */
  cr_assert_str_eq (out, "0\n0\nsysro\n");
  cr_assert_eq (lc_container_destroy (c, &err), 0);
  lc_container_free (c);
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, update_preserve_fds_exec_terminal, .fini = tb_cleanup)
{
  struct tb b;
  struct lc_create_opts o = { 0 };
  struct lc_container *c = NULL;
  struct lc_stdio io = { -1, -1, -1 };
  struct spec_memory mem = { .limit = { true, 64 << 20 } };
  struct spec_resources res = { .memory = &mem, .has_pids = true, .pids_limit = 50 };
  _cleanup_free_ char *lim = NULL;
  rv_error_t err = NULL;
  int pfd[2], status, console = -1;
  char buf[256];
  ssize_t n;
  pid_t epid;

  tb_init (&b);
  /* fd 3 in the container is the write end of our pipe.  */
  tb_args (&b, "/bin/sh", "-c", "echo preserved >&3; exec sleep 1000", NULL);
  cr_assert_eq (pipe2 (pfd, O_CLOEXEC), 0);
  o.id = b.id;
  o.config = &b.c;
  o.bundle = b.dir;
  o.stdio = io;
  o.preserve_fds = &pfd[1];
  o.preserve_fds_len = 1;
  cr_assert_eq (lc_container_create (&o, &c, &err), 0, "%s", err ? err->msg : "");
  close (pfd[1]);
  cr_assert_eq (lc_container_start (c, &err), 0, "%s", err ? err->msg : "");
  n = read (pfd[0], buf, sizeof (buf) - 1);
  cr_assert_gt (n, 0);
  buf[n] = '\0';
  cr_assert_str_eq (buf, "preserved\n");
  close (pfd[0]);

  if (access ("/sys/fs/cgroup/memory/cgroup.procs", F_OK) == 0)
    {
      _cleanup_free_ char *path
          = xasprintf ("/sys/fs/cgroup/memory%s/memory.limit_in_bytes", b.lx.cgroups_path);
      cr_assert_eq (lc_container_update (c, &res, &err), 0, "%s", err ? err->msg : "");
      cr_assert_eq (read_file (path, 0, &lim, NULL, &err), 0);
      cr_assert_str_eq (lim, "67108864\n");
    }

  /* exec with a terminal: the pty is the process's.  */
  {
    struct spec_process p = b.p;
    char *args[] = { "/bin/sh", "-c", "test -t 0 && echo tty-ok; readlink /proc/self/fd/1", NULL };
    size_t len = 0;
    p.args = args;
    p.terminal = true;
    cr_assert_eq (lc_container_exec (c, &p, io, &epid, &console, &err), 0, "%s", err ? err->msg : "");
    cr_assert_geq (console, 0);
    while ((n = read (console, buf + len, sizeof (buf) - 1 - len)) > 0)
      len += (size_t) n;
    buf[len] = '\0';
    cr_assert_eq (waitpid (epid, &status, 0), epid);
    cr_assert (strstr (buf, "tty-ok\r\n/dev/pts/") != NULL, "%s", buf);
    close (console);
  }
  cr_assert_eq (lc_container_destroy (c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (waitpid (lc_container_pid (c), &status, 0), lc_container_pid (c));
  lc_container_free (c);
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, seccomp_listener_gets_the_fd, .fini = tb_cleanup)
{
  struct tb b;
  _cleanup_free_ char *out = NULL;
  _cleanup_free_ char *sock = NULL;
  char *names[] = { "getppid", NULL };
  struct spec_syscall sc = { names, "SCMP_ACT_NOTIFY", { false, 0 }, NULL, 0 };
  struct spec_seccomp s = {
    .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .syscalls_len = 1, .listener_metadata = "meta"
  };
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char data[8192];
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { data, sizeof (data) - 1 };
  struct msghdr msg = { 0 };
  int l, conn, fd = -1;
  ssize_t n;
  pid_t agent;

  tb_init (&b);
  sock = xasprintf ("%s/agent.sock", b.dir);
  s.listener_path = sock;
  b.lx.seccomp = &s;
  memcpy (addr.sun_path, sock, strlen (sock) + 1);
  l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_eq (bind (l, (struct sockaddr *) &addr, sizeof (addr)), 0);
  cr_assert_eq (listen (l, 1), 0);
  /* The agent is a child: create blocks on nothing, the handoff is one
   * connect and one sendmsg.  */
  agent = fork ();
  if (agent == 0)
    {
      struct cmsghdr *cm;
      conn = accept (l, NULL, NULL);
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = u.b;
      msg.msg_controllen = sizeof (u.b);
      n = recvmsg (conn, &msg, 0);
      if (n <= 0)
        _exit (2);
      data[n] = '\0';
      cm = CMSG_FIRSTHDR (&msg);
      if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
        _exit (3);
      memcpy (&fd, CMSG_DATA (cm), sizeof (int));
      if (strstr (data, "\"fds\":[\"seccompFd\"]") == NULL || strstr (data, "\"metadata\":\"meta\"") == NULL
          || strstr (data, "\"status\":\"creating\"") == NULL)
        _exit (4);
      _exit (fd >= 0 ? 0 : 5);
    }
  close (l);
  tb_args (&b, "/bin/true", NULL);
  run_ok (&b, &out);
  {
    int status;
    cr_assert_eq (waitpid (agent, &status, 0), agent);
    cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "agent status %x", status);
  }
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, idmapped_mounts, .fini = tb_cleanup)
{
  struct tb b;
  _cleanup_free_ char *out = NULL;
  _cleanup_free_ char *src = NULL;
  struct spec_id_mapping uid = { 0, 100000, 65536 }, gid = { 0, 100000, 65536 };
  struct spec_id_mapping muid = { 0, 1000, 1 }, mgid = { 0, 2000, 1 };

  tb_init (&b);
  src = xasprintf ("%s/src", b.dir);
  tb_sh ("chmod 755 %s && mkdir %s && touch %s/file && chown -R 100000:100000 %s", b.dir, src, src, b.rootfs);
  tb_ns (&b, "user", NULL);
  b.lx.uid_mappings = &uid;
  b.lx.uid_mappings_len = 1;
  b.lx.gid_mappings = &gid;
  b.lx.gid_mappings_len = 1;
  /* /plain: root's file seen from the user namespace (overflow ids);
   * /mapped: idmapped through the container's namespace (root's);
   * /own: idmapped through mappings of the mount's own.  */
  tb_mount (&b, "/plain", "bind", src, tb_strv ("bind", NULL));
  tb_mount (&b, "/mapped", "bind", src, tb_strv ("bind", "idmap", NULL));
  tb_mount (&b, "/own", "bind", src, tb_strv ("rbind", "ridmap", NULL));
  b.mounts[b.c.mounts_len - 1].uid_mappings = &muid;
  b.mounts[b.c.mounts_len - 1].uid_mappings_len = 1;
  b.mounts[b.c.mounts_len - 1].gid_mappings = &mgid;
  b.mounts[b.c.mounts_len - 1].gid_mappings_len = 1;
  tb_args (&b, "/bin/sh", "-c", "stat -c %u:%g /plain/file /mapped/file /own/file", NULL);
  run_ok (&b, &out);
  /* /own maps host 0 to 1000:2000, outside the container's range: seen
   * as overflow ids from inside too.  */
  cr_assert_str_eq (out, "65534:65534\n0:0\n65534:65534\n");
  tb_assert_clean (&b);

  /* Without a user namespace /own shows its own mapping plainly.  */
  b.lx.namespaces_len--;
  b.lx.uid_mappings_len = b.lx.gid_mappings_len = 0;
  b.mounts[b.c.mounts_len - 2] = b.mounts[b.c.mounts_len - 1];
  b.c.mounts_len--;
  tb_sh ("chown -R 0:0 %s", b.rootfs);
  tb_args (&b, "/bin/sh", "-c", "stat -c %u:%g /plain/file /own/file", NULL);
  free (out);
  out = NULL;
  run_ok (&b, &out);
  cr_assert_str_eq (out, "0:0\n1000:2000\n");
  tb_assert_clean (&b);
  tb_fini (&b);
}

Test (lc_container, exec_cpu_affinity, .fini = tb_cleanup)
{
  struct tb b;
  struct lc_create_opts o = { 0 };
  struct lc_container *c = NULL;
  struct lc_stdio io = { -1, -1, -1 };
  rv_error_t err = NULL;
  int status, i;

  if (sysconf (_SC_NPROCESSORS_ONLN) < 2)
    cr_skip_test ("one CPU");
  tb_init (&b);
  tb_args (&b, "/bin/sleep", "1000", NULL);
  o.id = b.id;
  o.config = &b.c;
  o.bundle = b.dir;
  o.stdio = io;
  cr_assert_eq (lc_container_create (&o, &c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lc_container_start (c, &err), 0, "%s", err ? err->msg : "");
  for (i = 0; i < 2; i++)
    {
      struct spec_exec_cpu_affinity aff = { .initial = "1", .final = "0" };
      struct spec_process p = b.p;
      char *args[] = { "/bin/grep", "Cpus_allowed_list", "/proc/self/status", NULL };
      _cleanup_free_ char *out = NULL;
      int fds[2];
      pid_t epid;
      p.args = args;
      p.exec_cpu_affinity = i == 0 ? &aff : NULL;
      cr_assert_eq (pipe2 (fds, O_CLOEXEC), 0);
      io.out = fds[1];
      cr_assert_eq (lc_container_exec (c, &p, io, &epid, NULL, &err), 0, "%s", err ? err->msg : "");
      close (fds[1]);
      out = tb_read_all (fds[0]);
      close (fds[0]);
      cr_assert_eq (waitpid (epid, &status, 0), epid);
      cr_assert_str_eq (out, i == 0 ? "Cpus_allowed_list:\t0\n" : "Cpus_allowed_list:\t0-1\n", "%s", out);
    }
  {
    struct spec_exec_cpu_affinity bad = { .final = "3-1" };
    struct spec_process p = b.p;
    pid_t epid;
    p.exec_cpu_affinity = &bad;
    cr_assert_lt (lc_container_exec (c, &p, io, &epid, NULL, &err), 0);
    cr_assert (strstr (err->msg, "bad CPU list `3-1`") != NULL, "%s", err->msg);
    rv_error_release (&err);
  }
  cr_assert_eq (lc_container_destroy (c, &err), 0);
  cr_assert_eq (waitpid (lc_container_pid (c), &status, 0), lc_container_pid (c));
  lc_container_free (c);
  tb_assert_clean (&b);
  tb_fini (&b);
}
