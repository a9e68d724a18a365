/* The child side: the container's init from its clone to the exec of
 * process.args, and an exec'd process after its helper joined the
 * container's namespaces.  Steps are numbered as in container.c; every
 * failure goes back to the parent as "step: cause" on the sync socket
 * and the child exits.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/container.h"
#include "libcontainer/devices.h"
#include "libcontainer/hooks.h"
#include "libcontainer/lsm.h"
#include "libcontainer/path.h"
#include "libcontainer/rootfs.h"
#include "libcontainer/signals.h"
#include "libcontainer/sync.h"
#include "libcontainer/terminal.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_SETPERM              5
#define KEYCTL_DESCRIBE             6

static void __attribute__ ((noreturn)) fail (struct lc_child *c, rv_error_t *err)
{
  lc_sync_send_error (c->sock, *err);
  _exit (1);
}

/* Runs a step; on failure names it and gives up.  */
#define STEP(c, what, call)                                                                                  \
  do                                                                                                         \
    {                                                                                                        \
      if ((call) < 0)                                                                                        \
        {                                                                                                    \
          rv_error_wrap (&err, "%s", what);                                                                  \
          fail (c, &err);                                                                                    \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* Everything the caller had open, but KEEP, is closed: the container must
 * not see the agent's sockets or another container's terminal.  */
static void
close_all_but (int *keep, size_t n)
{
  int prev = 2;
  size_t i;

  qsort (keep, n, sizeof (int), cmp_int);
  for (i = 0; i < n; i++)
    {
      if (keep[i] <= prev)
        continue;
      if (keep[i] > prev + 1)
        (void) syscall (SYS_close_range, (unsigned) prev + 1, (unsigned) keep[i] - 1, 0);
      prev = keep[i];
    }
  (void) syscall (SYS_close_range, (unsigned) prev + 1, ~0U, 0);
}

/* Moves FD at or above MIN (keeping it CLOEXEC); the low numbers are for
 * stdio and the preserved fds.  */
static int
move_up (int fd, int min, rv_error_t *err)
{
  int nfd;
  if (fd < 0 || fd >= min)
    return fd;
  nfd = fcntl (fd, F_DUPFD_CLOEXEC, min);
  if (nfd < 0)
    return rv_error_make (err, errno, "dup fd %d", fd);
  return nfd;
}

/* Step 0 of both: stdio in place, the caller's other fds gone, our own
 * above 3 + the preserved ones.  */
static int
setup_fds (struct lc_child *c, rv_error_t *err)
{
  int min = 3 + (int) c->preserve_len;
  int *preserve = xcalloc (c->preserve_len + 1, sizeof (int));
  int keep[8 + 64];
  size_t nk = 0, i;
  int std[3];

  /* Everything moves up first, so that no dup2 below overwrites an fd
   * still to be moved.  */
  c->sock = move_up (c->sock, min, err);
  if (c->sock < 0)
    return -1;
  if (c->rootfd >= 0 && (c->rootfd = move_up (c->rootfd, min, err)) < 0)
    return -1;
  for (i = 0; i < 3; i++)
    {
      std[i] = c->stdio[i] >= 0 ? fcntl (c->stdio[i], F_DUPFD_CLOEXEC, min) : -1;
      if (c->stdio[i] >= 0 && std[i] < 0)
        return rv_error_make (err, errno, "dup stdio fd %d", c->stdio[i]);
    }
  for (i = 0; i < c->preserve_len; i++)
    {
      preserve[i] = fcntl (c->preserve[i], F_DUPFD_CLOEXEC, min);
      if (preserve[i] < 0)
        return rv_error_make (err, errno, "dup preserved fd %d", c->preserve[i]);
    }
  for (i = 0; i < 3; i++)
    if (std[i] >= 0)
      {
        if (dup2 (std[i], (int) i) < 0)
          return rv_error_make (err, errno, "dup stdio to fd %zu", i);
        (void) close (std[i]);
      }
    else
      {
        int n = open ("/dev/null", O_RDWR | O_CLOEXEC);
        if (n < 0)
          return rv_error_make (err, errno, "open /dev/null");
        if (dup3 (n, (int) i, 0) < 0)
          return rv_error_make (err, errno, "dup /dev/null to fd %zu", i);
        (void) close (n);
      }
  for (i = 0; i < c->preserve_len; i++)
    {
      if (dup2 (preserve[i], 3 + (int) i) < 0)
        return rv_error_make (err, errno, "place preserved fd %zu", i);
      (void) close (preserve[i]);
      keep[nk++] = 3 + (int) i;
    }
  free (preserve);
  keep[nk++] = c->sock;
  if (c->rootfd >= 0)
    keep[nk++] = c->rootfd;
  close_all_but (keep, nk);
  /* The preserved fds stay closed-on-exec until the very end: hooks do
   * not get them.  */
  for (i = 0; i < c->preserve_len; i++)
    (void) fd_set_cloexec (3 + (int) i, true);
  return 0;
}

/* A new session keyring per container, so that keys of the caller do not
 * leak in (runc's "_ses.<id>"); best effort where keyrings are absent.  */
static int
join_keyring (struct lc_child *c, bool userns, rv_error_t *err)
{
  _cleanup_free_ char *name = xasprintf ("_ses.%s", c->id ? c->id : "");
  char desc[256];
  long key, n;
  unsigned int perm;

  key = syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
  if (key < 0)
    {
      if (errno == ENOSYS || errno == EACCES || errno == EDQUOT)
        return 0;
      return rv_error_make (err, errno, "join the session keyring `%s`", name);
    }
  n = syscall (SYS_keyctl, KEYCTL_DESCRIBE, key, desc, sizeof (desc));
  if (n < 0 || (size_t) n > sizeof (desc))
    return 0;
  desc[sizeof (desc) - 1] = '\0';
  /* "type;uid;gid;perm;description": let the container's user search it.  */
  {
    char *p = desc;
    int i;
    for (i = 0; i < 3 && p; i++)
      p = strchr (p, ';') ? strchr (p, ';') + 1 : NULL;
    if (p == NULL || sscanf (p, "%x", &perm) != 1)
      return 0;
  }
  perm |= userns ? 0x8 : 0x80000;
  if (syscall (SYS_keyctl, KEYCTL_SETPERM, key, perm) < 0)
    return rv_error_make (err, errno, "set the permissions of the session keyring");
  return 0;
}

static bool
setgroups_allowed (void)
{
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  if (read_file ("/proc/self/setgroups", 64, &s, NULL, &tmp) < 0)
    return true;
  return strncmp (s, "deny", 4) != 0;
}

static int
mkdir_cwd (const char *cwd, rv_error_t *err)
{
  _cleanup_close_ int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int fd = -1;
  if (root < 0)
    return rv_error_make (err, errno, "open `/`");
  return lc_path_mkdir_in_root (root, cwd, 0755, &fd, err);
}

/* The process part shared by the init and exec, from the terminal to the
 * last syscall before waiting: runc's order, which puts seccomp without
 * noNewPrivileges before the capabilities drop (loading it needs
 * CAP_SYS_ADMIN) and seccomp with it as late as possible.  */
static void
finalize_process (struct lc_child *c, bool setgroups, char **ret_path, char ***ret_env)
{
  const struct spec_process *p = c->process;
  rv_error_t err = NULL;
  int notify = -1, master = -1;
  _cleanup_free_ char *exe = NULL;
  char **env = NULL;

  if (p->terminal)
    STEP (c, "set up the terminal",
          lc_term_setup (p->has_console_size, &p->console_size, !c->is_exec, &master, &err));
  if (!c->is_exec)
    {
      STEP (c, "finalize the rootfs", lc_rootfs_finalize (c->plan, &err));
      if (c->config->hostname && c->config->hostname[0]
          && sethostname (c->config->hostname, strlen (c->config->hostname)) < 0)
        {
          rv_error_make (&err, errno, "set hostname `%s`", c->config->hostname);
          fail (c, &err);
        }
      if (c->config->domainname && c->config->domainname[0]
          && setdomainname (c->config->domainname, strlen (c->config->domainname)) < 0)
        {
          rv_error_make (&err, errno, "set domainname `%s`", c->config->domainname);
          fail (c, &err);
        }
    }
  STEP (c, "apply the LSM labels", lc_lsm_apply (p, &err));
  if (!c->is_exec)
    {
      if (c->config->linux)
        STEP (c, "linux.sysctl",
              lc_proc_set_sysctls (c->config->linux->sysctl, c->config->linux->sysctl_len, &err));
      STEP (c, "readonly and masked paths", lc_rootfs_protect (c->plan, &err));
      STEP (c, "linux.rootfsPropagation", lc_rootfs_root_propagation (c->plan, &err));
    }
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    {
      rv_error_make (&err, errno, "set no_new_privs");
      fail (c, &err);
    }
  STEP (c, "process.scheduler", lc_proc_set_scheduler (c->proc, &err));
  STEP (c, "process.ioPriority", lc_proc_set_ioprio (c->proc, &err));
  STEP (c, "linux.personality", lc_proc_set_personality (c->proc, &err));
  STEP (c, "process.rlimits", lc_proc_set_rlimits (c->proc, &err));

  if (c->seccomp && !p->no_new_privileges)
    STEP (c, "seccomp", lc_seccomp_load (c->seccomp, &notify, &err));

  /* The user changes with the permitted set kept (PR_SET_KEEPCAPS), then
   * the final sets are applied; the bounding set goes first, while
   * CAP_SETPCAP is still there.  */
  if (chdir (p->cwd) < 0)
    {
      rv_error_make (&err, errno, "chdir to process.cwd `%s`", p->cwd);
      fail (c, &err);
    }
  STEP (c, "capabilities (bounding set)", lc_caps_apply_bounding (&c->caps, &err));
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    {
      rv_error_make (&err, errno, "PR_SET_KEEPCAPS");
      fail (c, &err);
    }
  STEP (c, "process.user", lc_proc_set_user (&p->user, setgroups, &err));
  (void) prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0);
  STEP (c, "process.capabilities", lc_caps_apply (&c->caps, &err));
  umask (p->user.umask.set ? p->user.umask.value : 0022);

  env = lc_proc_env_with_home (p->env, p->user.uid);
  /* A missing binary is a create-time error, as with runc.  */
  STEP (c, "process.args", lc_proc_find_executable (p->args[0], env, &exe, &err));

  if (c->seccomp && p->no_new_privileges)
    STEP (c, "seccomp", lc_seccomp_load (c->seccomp, &notify, &err));
  if (notify >= 0)
    {
      STEP (c, "seccomp listener", lc_sync_send (c->sock, LC_SYNC_SECCOMP, 0, NULL, notify, &err));
      (void) close (notify);
    }
  /* sync 4 (init) / sync 2 (exec): ready, with the terminal's master.  */
  STEP (c, "report ready", lc_sync_send (c->sock, LC_SYNC_READY, 0, NULL, master, &err));
  if (master >= 0)
    (void) close (master);
  *ret_path = TAKE_PTR (exe);
  *ret_env = env;
}

static void __attribute__ ((noreturn)) do_exec (struct lc_child *c, const char *path, char **env)
{
  rv_error_t err = NULL;
  int *keep = xcalloc (c->preserve_len + 1, sizeof (int));
  size_t i;

  /* The preserved fds (3, 4, ...) and the socket stay; the socket closes
   * on exec.  */
  for (i = 0; i < c->preserve_len; i++)
    {
      keep[i] = 3 + (int) i;
      (void) fd_set_cloexec (keep[i], false);
    }
  keep[c->preserve_len] = c->sock;
  close_all_but (keep, c->preserve_len + 1);
  free (keep);
  /* EXECING then end of file means the exec happened; EXECING then an
   * error means it failed.  */
  STEP (c, "report exec", lc_sync_send (c->sock, LC_SYNC_EXECING, 0, NULL, -1, &err));
  execve (path, c->process->args, env);
  rv_error_make (&err, errno, "exec `%s`", path);
  fail (c, &err);
}

void
lc_init_main (struct lc_child *c)
{
  const struct lc_ns_plan *ns = c->ns;
  struct lc_rootfs_ctx rctx = { .rootfs = c->rootfs, .rootfd = -1, .plan = c->plan, .cgroup = c->cgroup };
  struct lc_sync_msg msg = { .fd = -1 };
  rv_error_t err = NULL;
  _cleanup_free_ char *state = NULL;
  char *exe = NULL;
  char **env = NULL;
  bool setgroups;

  /* Blocked since the fork (signals.h).  The init of a PID namespace
   * ends on the signals that would end any other process while it waits
   * for start, as runc's init does, until its execve.  */
  if (getpid () == 1)
    lc_signals_reset_waiting_init ();
  else
    lc_signals_reset ();
  STEP (c, "set up the file descriptors", setup_fds (c, &err));

  /* sync 1: the parent wrote our id maps and put us in the cgroup; the
   * idmapped mounts it prepared come first.  */
  c->mount_fds = xcalloc (c->plan->len + 1, sizeof (int));
  for (size_t i = 0; i < c->plan->len; i++)
    c->mount_fds[i] = -1;
  for (;;)
    {
      STEP (c, "wait for the parent", lc_sync_recv (c->sock, &msg, &err));
      if (msg.type == LC_SYNC_MOUNTFD && msg.value >= 0 && (size_t) msg.value < c->plan->len && msg.fd >= 0)
        {
          c->mount_fds[msg.value] = msg.fd;
          msg.fd = -1;
          lc_sync_msg_clear (&msg);
          continue;
        }
      if (msg.type == LC_SYNC_ERROR)
        {
          rv_error_set (&err, msg.status > 0 ? msg.status : EIO, "%s", msg.text);
          fail (c, &err);
        }
      if (msg.type != LC_SYNC_GO)
        {
          rv_error_set (&err, EPROTO, "unexpected message %u from the parent", msg.type);
          fail (c, &err);
        }
      lc_sync_msg_clear (&msg);
      break;
    }
  rctx.mount_fds = c->mount_fds;

  if (ns->new_user)
    {
      /* Root of the new user namespace (container uid 0 must be mapped).  */
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        {
          rv_error_make (&err, errno, "become root in the user namespace (is container uid 0 mapped?)");
          fail (c, &err);
        }
    }
  /* Unshared now, inside the container's cgroup, so that it is the root
   * the namespace shows.  */
  if ((ns->clone_flags & CLONE_NEWCGROUP) && unshare (CLONE_NEWCGROUP) < 0)
    {
      rv_error_make (&err, errno, "create the cgroup namespace");
      fail (c, &err);
    }
  rctx.cgroupns = lc_ns_find (c->config, "cgroup") != NULL;
  if (setsid () < 0)
    {
      rv_error_make (&err, errno, "setsid");
      fail (c, &err);
    }
  if (!c->no_new_keyring)
    STEP (c, "session keyring", join_keyring (c, ns->has_user, &err));
  setgroups = setgroups_allowed ();

  STEP (c, "prepare the rootfs", lc_rootfs_prepare (&rctx, &err));
  STEP (c, "mount", lc_rootfs_mount_all (&rctx, &err));
  if (c->plan->setup_dev)
    {
      STEP (c, "create devices",
            lc_devices_create (rctx.rootfd, c->devices, ns->has_user || lc_ns_in_userns (), &err));
      STEP (c, "create /dev links", lc_devices_links (rctx.rootfd, &err));
    }

  /* sync 2 and 3: the parent applies the cgroup limits and runs the
   * prestart and createRuntime hooks while the old root is still here.  */
  STEP (c, "report mounts done", lc_sync_send (c->sock, LC_SYNC_HOOKS, 0, NULL, -1, &err));
  STEP (c, "wait for the runtime hooks", lc_sync_expect (c->sock, LC_SYNC_GO, &msg, &err));
  lc_sync_msg_clear (&msg);

  /* createContainer: after the mounts, before pivot_root, in the
   * container's namespaces, from the rootfs.  */
  if (c->config->hooks && c->config->hooks->len[SPEC_HOOK_CREATE_CONTAINER] > 0)
    {
      state = lc_hook_state_json (c->id, "creating", getpid (), c->bundle, c->config->annotations,
                                  c->config->annotations_len);
      if (fchdir (rctx.rootfd) < 0)
        {
          rv_error_make (&err, errno, "chdir to the rootfs");
          fail (c, &err);
        }
      STEP (c, "createContainer hooks",
            lc_hooks_run ("createContainer", c->config->hooks->hooks[SPEC_HOOK_CREATE_CONTAINER],
                          c->config->hooks->len[SPEC_HOOK_CREATE_CONTAINER], state, NULL, &err));
    }

  STEP (c, c->no_pivot ? "chroot" : "pivot_root", lc_rootfs_pivot (&rctx, c->no_pivot, &err));
  if (c->plan->setup_dev)
    STEP (c, "reopen /dev/null", lc_rootfs_reopen_devnull (&err));
  STEP (c, "create process.cwd", mkdir_cwd (c->process->cwd, &err));

  finalize_process (c, setgroups, &exe, &env);

  /* sync 5: start.  */
  STEP (c, "wait for start", lc_sync_expect (c->sock, LC_SYNC_START, &msg, &err));
  lc_sync_msg_clear (&msg);
  if (c->config->hooks && c->config->hooks->len[SPEC_HOOK_START_CONTAINER] > 0)
    {
      free (state);
      state = lc_hook_state_json (c->id, "created", getpid (), c->bundle, c->config->annotations,
                                  c->config->annotations_len);
      /* Without env of their own they get the process's, as runc does.  */
      STEP (c, "startContainer hooks",
            lc_hooks_run ("startContainer", c->config->hooks->hooks[SPEC_HOOK_START_CONTAINER],
                          c->config->hooks->len[SPEC_HOOK_START_CONTAINER], state, env, &err));
    }
  /* sync 6: exec.  */
  do_exec (c, exe, env);
}

void
lc_exec_main (struct lc_child *c)
{
  struct lc_sync_msg msg = { .fd = -1 };
  rv_error_t err = NULL;
  char *exe = NULL;
  char **env = NULL;
  bool setgroups;

  /* Blocked since the fork (signals.h).  */
  lc_signals_reset ();
  STEP (c, "set up the file descriptors", setup_fds (c, &err));
  /* sync 1: the parent put us in the container's cgroup.  */
  STEP (c, "wait for the parent", lc_sync_expect (c->sock, LC_SYNC_GO, &msg, &err));
  lc_sync_msg_clear (&msg);
  setgroups = setgroups_allowed ();
  /* setns(mnt) left us at the namespace's root; the container's root is
   * the init's (pivoted or chrooted).  */
  if (fchdir (c->rootfd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    {
      rv_error_make (&err, errno, "enter the container's root");
      fail (c, &err);
    }
  (void) close (c->rootfd);
  c->rootfd = -1;
  if (setsid () < 0)
    {
      rv_error_make (&err, errno, "setsid");
      fail (c, &err);
    }
  STEP (c, "reopen /dev/null", lc_rootfs_reopen_devnull (&err));
  finalize_process (c, setgroups, &exe, &env);
  do_exec (c, exe, env);
}
