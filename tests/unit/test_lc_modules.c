/* The smaller modules on their own: capabilities, seccomp, process
 * attributes, hooks, the sync socket, namespace plans, device lists, LSM
 * checks.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"
#include "libcontainer/caps.h"
#include "libcontainer/devices.h"
#include "libcontainer/hooks.h"
#include "libcontainer/lsm.h"
#include "libcontainer/namespaces.h"
#include "libcontainer/process.h"
#include "libcontainer/seccomp.h"
#include "libcontainer/sync.h"

/* Runs FN in a child and returns its wait status: for things that change
 * the process irreversibly (capabilities, filters, rlimits).  */
static int
in_child (int (*fn) (void *), void *arg)
{
  int status;
  pid_t p = fork ();
  cr_assert_geq (p, 0);
  if (p == 0)
    _exit (fn (arg));
  cr_assert_eq (waitpid (p, &status, 0), p);
  return status;
}

/* ---- caps --------------------------------------------------------------- */

Test (lc_caps, names_and_unknowns)
{
  char *names[] = { "CAP_CHOWN", "CAP_SYS_ADMIN", "cap_kill", "CAP_NOT_REAL", "NOPE", NULL };
  struct spec_capabilities c = { .bounding = names, .effective = names };
  struct lc_caps caps;
  rv_error_t err = NULL;

  cr_assert_eq (lc_cap_from_name ("CAP_NET_ADMIN"), 12);
  cr_assert_eq (lc_cap_from_name ("NET_ADMIN"), -1);
  cr_assert_eq (lc_caps_parse (&c, &caps, &err), 0);
  cr_assert_eq (caps.set[LC_CAP_BOUNDING], (1ULL << 0) | (1ULL << 21) | (1ULL << 5));
  cr_assert_eq (caps.set[LC_CAP_EFFECTIVE], caps.set[LC_CAP_BOUNDING]);
  cr_assert_eq (caps.set[LC_CAP_AMBIENT], 0);
  cr_assert_eq (lc_caps_parse (NULL, &caps, &err), 0);
  cr_assert_eq (caps.set[LC_CAP_BOUNDING], 0);
}

static uint64_t
status_caps (const char *key)
{
  _cleanup_free_ char *s = NULL;
  rv_error_t err = NULL;
  char *p;
  cr_assert_eq (read_file ("/proc/self/status", 0, &s, NULL, &err), 0);
  p = strstr (s, key);
  cr_assert_not_null (p);
  return strtoull (p + strlen (key) + 2, NULL, 16);
}

static int
apply_caps (void *arg)
{
  struct lc_caps *c = arg;
  rv_error_t err = NULL;
  if (lc_caps_apply_bounding (c, &err) < 0 || lc_caps_apply (c, &err) < 0)
    return 10;
  if (status_caps ("CapBnd") != c->set[LC_CAP_BOUNDING])
    return 11;
  if (status_caps ("CapEff") != c->set[LC_CAP_EFFECTIVE]
      || status_caps ("CapPrm") != c->set[LC_CAP_PERMITTED])
    return 12;
  if (status_caps ("CapInh") != c->set[LC_CAP_INHERITABLE]
      || status_caps ("CapAmb") != c->set[LC_CAP_AMBIENT])
    return 13;
  return 0;
}

Test (lc_caps, applies_all_five_sets)
{
  struct lc_caps c = { { 0 } };
  int status;
  c.set[LC_CAP_BOUNDING] = (1ULL << 0) | (1ULL << 5) | (1ULL << 8) | (1ULL << 12);
  c.set[LC_CAP_PERMITTED] = (1ULL << 0) | (1ULL << 5) | (1ULL << 12);
  c.set[LC_CAP_EFFECTIVE] = (1ULL << 0) | (1ULL << 5);
  c.set[LC_CAP_INHERITABLE] = (1ULL << 5) | (1ULL << 12);
  c.set[LC_CAP_AMBIENT] = (1ULL << 5);
  status = in_child (apply_caps, &c);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %x", status);
}

/* ---- seccomp ------------------------------------------------------------ */

static int
load_and_probe (void *arg)
{
  struct lc_seccomp *s = arg;
  rv_error_t err = NULL;
  int notify;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || lc_seccomp_load (s, &notify, &err) < 0)
    return 10;
  /* umask: ERRNO(ENOTSUP) for 0777 only; personality(query): EPERM.  */
  errno = 0;
  if (syscall (SYS_umask, 0777) != -1 || errno != ENOTSUP)
    return 11;
  if (syscall (SYS_umask, 022) == -1)
    return 12;
  if (syscall (SYS_personality, 0xffffffff) != -1 || errno != EPERM)
    return 13;
  /* getppid is killed.  */
  (void) syscall (SYS_getppid);
  return 14;
}

Test (lc_seccomp, compiles_and_behaves)
{
  char *umask_names[] = { "umask", NULL }, *pers[] = { "personality", NULL }, *kill[] = { "getppid", NULL };
  char *unknown[] = { "not_a_syscall", NULL };
  char *arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", NULL };
  struct spec_seccomp_arg a = { 0, 0777, 0, "SCMP_CMP_EQ" };
  struct spec_syscall sc[] = {
    { umask_names, "SCMP_ACT_ERRNO", { true, ENOTSUP }, &a, 1 },
    { pers, "SCMP_ACT_ERRNO", { false, 0 }, NULL, 0 },
    { kill, "SCMP_ACT_KILL_PROCESS", { false, 0 }, NULL, 0 },
    { unknown, "SCMP_ACT_ERRNO", { false, 0 }, NULL, 0 },
  };
  struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                            .architectures = arches,
                            .syscalls = sc,
                            .syscalls_len = ARRAY_SIZE (sc) };
  struct lc_seccomp *f = NULL;
  rv_error_t err = NULL;
  int status;

  cr_assert_eq (lc_seccomp_compile (&s, &f, &err), 0, "%s", err ? err->msg : "");
  cr_assert_gt (f->len, 0);
  cr_assert_not (f->notify);
  status = in_child (load_and_probe, f);
  cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS, "status %x (exit %d)", status,
             WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  lc_seccomp_free (f);
}

Test (lc_seccomp, refuses_bad_profiles)
{
  char *names[] = { "getpid", NULL }, *flags[] = { "SECCOMP_FILTER_FLAG_NOPE", NULL },
       *arch[] = { "SCMP_ARCH_Z80", NULL };
  struct spec_seccomp_arg bad_op = { 0, 1, 0, "SCMP_CMP_ALMOST" };
  struct spec_syscall sc = { names, "SCMP_ACT_ERRNO", { false, 0 }, &bad_op, 1 };
  struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .syscalls_len = 1 };
  struct lc_seccomp *f = NULL;
  rv_error_t err = NULL;
  unsigned act;

  cr_assert_lt (lc_seccomp_compile (&s, &f, &err), 0);
  cr_assert (strstr (err->msg, "unknown operator `SCMP_CMP_ALMOST`") != NULL, "%s", err->msg);
  s.syscalls_len = 0;
  s.flags = flags;
  cr_assert_lt (lc_seccomp_compile (&s, &f, &err), 0);
  cr_assert (strstr (err->msg, "SECCOMP_FILTER_FLAG_NOPE") != NULL, "%s", err->msg);
  s.flags = NULL;
  s.architectures = arch;
  cr_assert_lt (lc_seccomp_compile (&s, &f, &err), 0);
  cr_assert (strstr (err->msg, "SCMP_ARCH_Z80") != NULL, "%s", err->msg);
  s.architectures = NULL;
  s.default_action = "SCMP_ACT_NOTIFY";
  cr_assert_lt (lc_seccomp_compile (&s, &f, &err), 0);
  rv_error_release (&err);
  cr_assert_eq (lc_seccomp_action ("SCMP_ACT_TRACE", NULL, &act), 0);
  cr_assert_eq (act, 0x7ff00000U | EPERM);
}

/* ---- process ------------------------------------------------------------ */

Test (lc_process, prepare_validates)
{
  char *args[] = { "/bin/true", NULL }, *flags[] = { "SCHED_FLAG_RESET_ON_FORK", NULL };
  struct spec_rlimit rl[] = { { "RLIMIT_NOFILE", 100, 200 }, { "RLIMIT_BOGUS", 1, 1 } };
  struct spec_io_priority io = { "IOPRIO_CLASS_BE", 3 };
  struct spec_scheduler sch = { .policy = "SCHED_BATCH", .nice = 3, .flags = flags };
  struct spec_personality pers = { .domain = "LINUX32" };
  struct spec_process p
      = { .args = args, .cwd = "/", .rlimits = rl, .rlimits_len = 1, .io_priority = &io, .scheduler = &sch };
  struct lc_proc *lp = NULL;
  rv_error_t err = NULL;

  cr_assert_eq (lc_proc_prepare (&p, &pers, &lp, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (lp->rlimits_len, 1);
  cr_assert_eq (lp->rlimits[0].resource, RLIMIT_NOFILE);
  cr_assert_eq (lp->ioprio, (2 << 13) | 3);
  cr_assert_eq (lp->sched_policy, 3);
  cr_assert_eq (lp->sched_flags, 1);
  cr_assert_eq (lp->personality, 0x0008);
  lc_proc_free (lp);

  p.rlimits_len = 2;
  cr_assert_lt (lc_proc_prepare (&p, NULL, &lp, &err), 0);
  cr_assert (strstr (err->msg, "unknown type `RLIMIT_BOGUS`") != NULL, "%s", err->msg);
  p.rlimits_len = 0;
  p.cwd = "relative";
  cr_assert_lt (lc_proc_prepare (&p, NULL, &lp, &err), 0);
  cr_assert (strstr (err->msg, "process.cwd") != NULL);
  p.cwd = "/";
  io.priority = 9;
  cr_assert_lt (lc_proc_prepare (&p, NULL, &lp, &err), 0);
  io.priority = 3;
  sch.policy = "SCHED_FAST";
  cr_assert_lt (lc_proc_prepare (&p, NULL, &lp, &err), 0);
  cr_assert (strstr (err->msg, "SCHED_FAST") != NULL);
  sch.policy = "SCHED_BATCH";
  pers.domain = "LINUX64";
  cr_assert_lt (lc_proc_prepare (&p, &pers, &lp, &err), 0);
  rv_error_release (&err);
}

static int
set_knobs (void *arg)
{
  struct lc_proc *p = arg;
  rv_error_t err = NULL;
  struct rlimit rl;
  if (lc_proc_set_rlimits (p, &err) < 0 || lc_proc_set_ioprio (p, &err) < 0
      || lc_proc_set_scheduler (p, &err) < 0 || lc_proc_set_personality (p, &err) < 0)
    return 10;
  if (getrlimit (RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 100 || rl.rlim_max != 200)
    return 11;
  if (syscall (SYS_ioprio_get, 1, 0) != ((2 << 13) | 3))
    return 12;
  if (sched_getscheduler (0) != 3 || getpriority (PRIO_PROCESS, 0) != 3)
    return 13;
  if ((personality (0xffffffff) & 0xff) != 0x0008)
    return 14;
  return 0;
}

Test (lc_process, knobs_apply)
{
  char *args[] = { "/bin/true", NULL };
  struct spec_rlimit rl = { "RLIMIT_NOFILE", 100, 200 };
  struct spec_io_priority io = { "IOPRIO_CLASS_BE", 3 };
  struct spec_scheduler sch = { .policy = "SCHED_BATCH", .nice = 3 };
  struct spec_personality pers = { .domain = "LINUX32" };
  struct spec_process p
      = { .args = args, .cwd = "/", .rlimits = &rl, .rlimits_len = 1, .io_priority = &io, .scheduler = &sch };
  struct lc_proc *lp = NULL;
  rv_error_t err = NULL;
  int status;

  cr_assert_eq (lc_proc_prepare (&p, &pers, &lp, &err), 0);
  status = in_child (set_knobs, lp);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %x", status);
  lc_proc_free (lp);
}

Test (lc_process, executable_lookup_and_home)
{
  char *env[] = { "PATH=/nonexistent:/bin", "A=b", NULL };
  char *env_home[] = { "HOME=/h", NULL };
  _cleanup_free_ char *exe = NULL;
  rv_error_t err = NULL;
  char **e;

  cr_assert_eq (lc_proc_find_executable ("sh", env, &exe, &err), 0);
  cr_assert_str_eq (exe, "/bin/sh");
  cr_assert_lt (lc_proc_find_executable ("no-such-tool-xyz", env, &exe, &err), 0);
  cr_assert (strstr (err->msg, "executable file not found in $PATH") != NULL);
  rv_error_release (&err);
  cr_assert_lt (lc_proc_find_executable ("/bin", env, &exe, &err), 0);
  rv_error_release (&err);
  e = lc_proc_env_with_home (env, 0);
  cr_assert_str_eq (e[2], "HOME=/root");
  strv_free (e);
  e = lc_proc_env_with_home (env, 4242424);
  cr_assert_str_eq (e[2], "HOME=/");
  strv_free (e);
  e = lc_proc_env_with_home (env_home, 0);
  cr_assert_eq (strv_len (e), 1);
  strv_free (e);
}

Test (lc_process, sysctls_need_their_namespace)
{
  struct spec_kv kv[]
      = { { "net.ipv4.ip_forward", "1" }, { "kernel.shmmax", "1" }, { "vm.swappiness", "1" } };
  struct spec_namespace ns[] = { { "network", NULL }, { "ipc", NULL } };
  struct spec_linux lx = { .sysctl = kv, .sysctl_len = 2, .namespaces = ns, .namespaces_len = 2 };
  struct spec_config c = { .linux = &lx };
  rv_error_t err = NULL;

  cr_assert_eq (lc_proc_check_sysctls (&c, &err), 0);
  lx.namespaces_len = 1;
  cr_assert_lt (lc_proc_check_sysctls (&c, &err), 0);
  cr_assert (strstr (err->msg, "kernel.shmmax") != NULL, "%s", err->msg);
  lx.namespaces_len = 2;
  lx.sysctl_len = 3;
  cr_assert_lt (lc_proc_check_sysctls (&c, &err), 0);
  cr_assert (strstr (err->msg, "not in a separate kernel namespace") != NULL, "%s", err->msg);
  rv_error_release (&err);
}

/* ---- hooks -------------------------------------------------------------- */

Test (lc_hooks, state_env_output_timeout)
{
  struct spec_kv ann = { "a", "b" };
  _cleanup_free_ char *state = lc_hook_state_json ("id1", "creating", 42, "/b", &ann, 1);
  char *args_ok[] = { "sh", "-c", "read s; test \"$s\" = '" /* the state arrives on stdin */, NULL };
  char *args_env[] = { "sh", "-c", "test \"$X\" = 1", NULL };
  char *env_default[] = { "X=1", NULL };
  char *env_own[] = { "X=2", NULL };
  char *args_out[] = { "sh", "-c", "echo out; echo err >&2; exit 4", NULL };
  char *args_slow[] = { "sh", "-c", "exec sleep 5", NULL };
  char *args_noread[] = { "sh", "-c", "exit 0", NULL };
  struct spec_hook h = { .path = "/bin/sh" };
  rv_error_t err = NULL;
  _cleanup_free_ char *script = NULL;

  cr_assert_str_eq (
      state, "{\"ociVersion\":\"1.2.0\",\"id\":\"id1\",\"status\":\"creating\",\"pid\":42,\"bundle\":\"/b\","
             "\"annotations\":{\"a\":\"b\"}}");
  script = xasprintf ("read s; test \"$s\" = '%s'", state);
  args_ok[2] = script;
  h.args = args_ok;
  cr_assert_eq (lc_hooks_run ("test", &h, 1, state, NULL, &err), 0, "%s", err ? err->msg : "");

  h.args = args_env;
  cr_assert_eq (lc_hooks_run ("test", &h, 1, state, env_default, &err), 0);
  h.env = env_own;
  cr_assert_lt (lc_hooks_run ("test", &h, 1, state, env_default, &err), 0);
  rv_error_release (&err);
  h.env = NULL;

  h.args = args_out;
  cr_assert_lt (lc_hooks_run ("test", &h, 1, state, NULL, &err), 0);
  cr_assert_str_eq (err->msg, "test hook `/bin/sh` exited with status 4: out\nerr");
  rv_error_release (&err);

  h.args = args_slow;
  h.timeout.set = true;
  h.timeout.value = 1;
  cr_assert_lt (lc_hooks_run ("test", &h, 1, state, NULL, &err), 0);
  cr_assert_eq (err->status, ETIMEDOUT);
  rv_error_release (&err);

  /* A hook that never reads its stdin must not hurt us (SIGPIPE).  */
  h.args = args_noread;
  h.timeout.set = false;
  {
    _cleanup_free_ char *big = xmalloc (1 << 20);
    memset (big, 'x', (1 << 20) - 1);
    big[(1 << 20) - 1] = '\0';
    cr_assert_eq (lc_hooks_run ("test", &h, 1, big, NULL, &err), 0, "%s", err ? err->msg : "");
  }
  h.path = "relative";
  cr_assert_lt (lc_hooks_run ("test", &h, 1, state, NULL, &err), 0);
  rv_error_release (&err);
}

/* ---- sync --------------------------------------------------------------- */

Test (lc_sync, messages_fds_errors_eof)
{
  struct lc_sync_msg m = { .fd = -1 };
  rv_error_t err = NULL, sent = NULL;
  int sv[2], p[2];
  char c;

  cr_assert_eq (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  cr_assert_eq (pipe (p), 0);
  cr_assert_eq (lc_sync_send (sv[0], LC_SYNC_READY, 7, "hello", p[1], &err), 0);
  cr_assert_eq (lc_sync_expect (sv[1], LC_SYNC_READY, &m, &err), 0);
  cr_assert_eq (m.value, 7);
  cr_assert_str_eq (m.text, "hello");
  cr_assert_geq (m.fd, 0);
  cr_assert_eq (write (m.fd, "z", 1), 1);
  cr_assert_eq (read (p[0], &c, 1), 1);
  lc_sync_msg_clear (&m);

  rv_error_set (&sent, ENOENT, "mount: missing");
  lc_sync_send_error (sv[0], sent);
  rv_error_release (&sent);
  cr_assert_lt (lc_sync_expect (sv[1], LC_SYNC_READY, &m, &err), 0);
  cr_assert_eq (err->status, ENOENT);
  cr_assert_str_eq (err->msg, "mount: missing");
  rv_error_release (&err);

  cr_assert_eq (lc_sync_send (sv[0], LC_SYNC_GO, 0, NULL, -1, &err), 0);
  cr_assert_lt (lc_sync_expect (sv[1], LC_SYNC_START, &m, &err), 0);
  cr_assert_eq (err->status, EPROTO);
  rv_error_release (&err);

  close (sv[0]);
  cr_assert_lt (lc_sync_recv (sv[1], &m, &err), 0);
  cr_assert_eq (err->status, EPIPE);
  rv_error_release (&err);
  close (sv[1]);
  close (p[0]);
  close (p[1]);
}

/* ---- namespaces, devices, lsm ------------------------------------------- */

Test (lc_namespaces, plan_validation)
{
  struct spec_namespace ns[]
      = { { "pid", NULL }, { "network", "/proc/self/ns/net" }, { "user", NULL }, { "time", NULL } };
  struct spec_id_mapping m = { 0, 1000, 1 };
  struct spec_time_offset t = { "monotonic", 10, 0 };
  struct spec_linux lx = { .namespaces = ns,
                           .namespaces_len = 4,
                           .uid_mappings = &m,
                           .uid_mappings_len = 1,
                           .gid_mappings = &m,
                           .gid_mappings_len = 1,
                           .time_offsets = &t,
                           .time_offsets_len = 1 };
  struct spec_config c = { .linux = &lx };
  struct lc_ns_plan p;
  rv_error_t err = NULL;

  cr_assert_eq (lc_ns_prepare (&c, &p, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (p.clone_flags, CLONE_NEWPID | CLONE_NEWUSER);
  cr_assert (p.new_time);
  cr_assert (p.new_user);
  cr_assert_not (p.has_mount);
  cr_assert_eq (p.join_len, 1);
  cr_assert_eq (p.join[0].flag, CLONE_NEWNET);
  lc_ns_plan_clear (&p);

  lx.uid_mappings_len = 0;
  cr_assert_lt (lc_ns_prepare (&c, &p, &err), 0);
  cr_assert (strstr (err->msg, "needs uidMappings") != NULL, "%s", err->msg);
  lx.uid_mappings_len = 1;
  ns[3].type = "pid";
  cr_assert_lt (lc_ns_prepare (&c, &p, &err), 0);
  cr_assert (strstr (err->msg, "listed twice") != NULL, "%s", err->msg);
  ns[3].type = "bogus";
  cr_assert_lt (lc_ns_prepare (&c, &p, &err), 0);
  ns[3].type = "time";
  ns[1].path = "/nonexistent/ns";
  cr_assert_lt (lc_ns_prepare (&c, &p, &err), 0);
  cr_assert (strstr (err->msg, "/nonexistent/ns") != NULL, "%s", err->msg);
  ns[1].path = NULL;
  lx.namespaces_len = 3;
  cr_assert_lt (lc_ns_prepare (&c, &p, &err), 0);
  cr_assert (strstr (err->msg, "timeOffsets") != NULL, "%s", err->msg);
  rv_error_release (&err);
}

Test (lc_devices, defaults_and_overrides)
{
  struct spec_device d[] = {
    { "/dev/null", "c", 1, 3, { true, 0600 }, { true, 7 }, { false, 0 } },
    { "/dev/fuse", "c", 10, 229, { false, 0 }, { false, 0 }, { false, 0 } },
    { "/dev/x//y", "u", 1, 5, { false, 0 }, { false, 0 }, { false, 0 } },
  };
  struct spec_linux lx = { .devices = d, .devices_len = 3 };
  struct spec_config c = { .linux = &lx };
  struct lc_dev_list l;
  rv_error_t err = NULL;
  size_t i;

  cr_assert_eq (lc_devices_build (&c, &l, &err), 0);
  cr_assert_eq (l.len, 8);
  for (i = 0; i < l.len; i++)
    if (strcmp (l.v[i].path, "/dev/null") == 0)
      {
        cr_assert_eq (l.v[i].mode, 0600);
        cr_assert_eq (l.v[i].uid, 7);
      }
  cr_assert_str_eq (l.v[7].path, "/dev/x/y");
  cr_assert_eq (l.v[7].type, 'c');
  lc_devices_free (&l);
  d[1].type = "q";
  cr_assert_lt (lc_devices_build (&c, &l, &err), 0);
  cr_assert (strstr (err->msg, "invalid type `q`") != NULL);
  d[1].type = "c";
  d[1].path = "dev/rel";
  cr_assert_lt (lc_devices_build (&c, &l, &err), 0);
  rv_error_release (&err);
}

Test (lc_lsm, labels_on_a_host_without_lsm)
{
  struct spec_process p = { .selinux_label = "system_u:system_r:container_t:s0" };
  rv_error_t err = NULL;
  _cleanup_free_ char *d = lc_lsm_mount_data ("size=1k", "system_u:object_r:x:s0");

  cr_assert_str_eq (d, "size=1k,context=\"system_u:object_r:x:s0\"");
  cr_assert_null (lc_lsm_mount_data ("size=1k", NULL));
  if (lc_lsm_selinux_enabled ())
    cr_skip_test ("SELinux is enabled here");
  cr_assert_lt (lc_lsm_check (&p, &err), 0);
  cr_assert_str_eq (err->msg,
                    "selinux label is specified in config, but selinux is disabled or not supported");
  rv_error_release (&err);
  p.selinux_label = NULL;
  cr_assert_eq (lc_lsm_check (&p, &err), 0);
}
