/* lc_container_exec, parent side: a helper joins the init's namespaces
 * (those that differ from ours, user first, in one setns call per
 * namespace), then clones the new process with CLONE_PARENT so that it is
 * the caller's child, in the container's pid namespace.
 *
 *   sync 0  helper -> us   PID
 *           us: the process into the container's cgroup, oom_score_adj
 *   sync 1  us -> child    GO
 *           child: chroot to the init's root, setsid, terminal, rlimits,
 *                  LSM, seccomp, capabilities and user, lookup
 *           (child -> us   SECCOMP)
 *   sync 2  child -> us    READY (+ pty master)
 *   sync 3  child -> us    EXECING, end of file on exec  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/container.h"
#include "libcontainer/lsm.h"
#include "libcontainer/signals.h"
#include "libcontainer/sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct exec_ns
{
  int fd[8];
  int flag[8];
  size_t len;
};

static void
exec_ns_clear (struct exec_ns *n)
{
  size_t i;
  for (i = 0; i < n->len; i++)
    close (n->fd[i]);
  n->len = 0;
}

/* The init's namespaces that are not ours, user first.  Time and pid
 * apply to children: the helper's clone gets them.  */
static int
open_namespaces (pid_t pid, struct exec_ns *n, rv_error_t *err)
{
  static const int order[] = { CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,    CLONE_NEWNET,
                               CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME };
  size_t i;

  n->len = 0;
  for (i = 0; i < ARRAY_SIZE (order); i++)
    {
      const char *name = lc_ns_proc_name (order[i]);
      _cleanup_free_ char *theirs = xasprintf ("/proc/%d/ns/%s", (int) pid, name);
      _cleanup_free_ char *mine = xasprintf ("/proc/self/ns/%s", name);
      struct stat a, b;
      int fd;

      /* The child's view for pid and time: what its children get.  */
      if (order[i] == CLONE_NEWPID || order[i] == CLONE_NEWTIME)
        {
          free (mine);
          mine = xasprintf ("/proc/self/ns/%s_for_children", name);
        }
      if (stat (theirs, &a) < 0)
        {
          if (errno == ENOENT && order[i] == CLONE_NEWTIME)
            continue;
          exec_ns_clear (n);
          return rv_error_make (err, errno, "`%s`", theirs);
        }
      if (stat (mine, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        continue;
      fd = open (theirs, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          exec_ns_clear (n);
          return rv_error_make (err, errno, "open `%s`", theirs);
        }
      n->fd[n->len] = fd;
      n->flag[n->len] = order[i];
      n->len++;
    }
  return 0;
}

struct affinity
{
  bool initial_set, final_set;
  cpu_set_t initial, final;
};

static void __attribute__ ((noreturn))
exec_helper (struct lc_child *child, struct exec_ns *ns, const struct affinity *aff)
{
  rv_error_t err = NULL;
  size_t i;
  pid_t pid;

  /* execCPUAffinity.initial: where the process runs before it is in the
   * container's cgroup; the clone inherits it.  */
  if (aff->initial_set && sched_setaffinity (0, sizeof (aff->initial), &aff->initial) < 0)
    {
      rv_error_make (&err, errno, "process.execCPUAffinity.initial");
      lc_sync_send_error (child->sock, err);
      _exit (1);
    }

  for (i = 0; i < ns->len; i++)
    if (setns (ns->fd[i], ns->flag[i]) < 0)
      {
        rv_error_make (&err, errno, "join the container's %s namespace", lc_ns_proc_name (ns->flag[i]));
        lc_sync_send_error (child->sock, err);
        _exit (1);
      }
  pid = lc_ns_clone (CLONE_PARENT);
  if (pid < 0)
    {
      rv_error_make (&err, errno, "clone the process");
      lc_sync_send_error (child->sock, err);
      _exit (1);
    }
  if (pid == 0)
    {
      for (i = 0; i < ns->len; i++)
        close (ns->fd[i]);
      lc_exec_main (child);
    }
  /* sync 0.  */
  if (lc_sync_send (child->sock, LC_SYNC_PID, pid, NULL, -1, &err) < 0)
    {
      kill (pid, SIGKILL);
      _exit (1);
    }
  _exit (0);
}

int
lc_container_exec (struct lc_container *c, const struct spec_process *process, struct lc_stdio stdio,
                   pid_t *ret_pid, int *ret_console, rv_error_t *err)
{
  struct exec_ns ns = { .len = 0 };
  struct lc_proc *proc = NULL;
  struct lc_child child;
  struct lc_sync_msg msg = { .fd = -1 };
  _cleanup_close_ int rootfd = -1;
  int sv[2] = { -1, -1 };
  int console = -1;
  pid_t helper = -1, pid = -1;
  struct affinity aff = { 0 };
  int r;

  r = lc_proc_prepare (process, NULL, &proc, err);
  if (r < 0)
    goto fail;
  if (process->exec_cpu_affinity)
    {
      const struct spec_exec_cpu_affinity *a = process->exec_cpu_affinity;
      if (a->initial && a->initial[0])
        {
          if (lc_proc_parse_cpus (a->initial, &aff.initial) < 0)
            {
              r = rv_error_set (err, EINVAL, "process.execCPUAffinity.initial: bad CPU list `%s`",
                                a->initial);
              goto fail;
            }
          aff.initial_set = true;
        }
      if (a->final && a->final[0])
        {
          if (lc_proc_parse_cpus (a->final, &aff.final) < 0)
            {
              r = rv_error_set (err, EINVAL, "process.execCPUAffinity.final: bad CPU list `%s`", a->final);
              goto fail;
            }
          aff.final_set = true;
        }
    }
  memset (&child, 0, sizeof (child));
  r = lc_caps_parse (process->capabilities, &child.caps, err);
  if (r == 0)
    r = lc_lsm_check (process, err);
  if (r < 0)
    goto fail;

  /* Opened before the pidfd check below: if the init is still the same
   * process after these opens, they are its.  */
  {
    _cleanup_free_ char *root = xasprintf ("/proc/%d/root", (int) c->pid);
    rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
      {
        r = rv_error_make (err, errno, "open `%s`", root);
        goto fail;
      }
  }
  r = open_namespaces (c->pid, &ns, err);
  if (r < 0)
    goto fail;
  if (c->pidfd < 0 || lc_pidfd_signal (c->pidfd, 0) < 0)
    {
      r = rv_error_set (err, ESRCH, "the container's init is not running");
      goto fail;
    }

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      r = rv_error_make (err, errno, "socketpair");
      goto fail;
    }
  child.sock = sv[1];
  child.is_exec = true;
  child.id = c->id;
  child.bundle = c->bundle;
  child.process = process;
  child.proc = proc;
  child.seccomp = c->seccomp;
  child.rootfd = rootfd;
  child.stdio[0] = stdio.in;
  child.stdio[1] = stdio.out;
  child.stdio[2] = stdio.err;

  helper = lc_fork_blocked ();
  if (helper < 0)
    {
      r = rv_error_make (err, errno, "fork");
      goto fail;
    }
  if (helper == 0)
    {
      close (sv[0]);
      exec_helper (&child, &ns, &aff);
    }
  close (sv[1]);
  sv[1] = -1;
  exec_ns_clear (&ns);

  /* sync 0.  */
  r = lc_sync_expect (sv[0], LC_SYNC_PID, &msg, err);
  while (waitpid (helper, NULL, 0) < 0 && errno == EINTR)
    ;
  helper = -1;
  if (r < 0)
    goto fail;
  pid = (pid_t) msg.value;
  lc_sync_msg_clear (&msg);
  r = lc_cgroup_add_pid (c->cgroup, pid, err);
  if (r == 0 && process->oom_score_adj.set)
    r = lc_proc_set_oom_score_adj (pid, process->oom_score_adj.value, err);
  if (r < 0)
    goto fail;
  /* execCPUAffinity.final, once in the cgroup.  Without any affinity
   * asked, every CPU (the cgroup's cpuset still applies): the process
   * must not inherit the caller's pinning (runc does the same).  */
  if (aff.final_set)
    {
      if (sched_setaffinity (pid, sizeof (aff.final), &aff.final) < 0)
        {
          r = rv_error_make (err, errno, "process.execCPUAffinity.final");
          goto fail;
        }
    }
  else if (!aff.initial_set)
    {
      cpu_set_t all;
      memset (&all, 0xff, sizeof (all));
      (void) sched_setaffinity (pid, sizeof (all), &all);
    }
  /* sync 1.  */
  r = lc_sync_send (sv[0], LC_SYNC_GO, pid, NULL, -1, err);
  if (r < 0)
    goto fail;
  /* sync 2: READY, with a seccomp listener handed on first when asked.  */
  for (;;)
    {
      r = lc_sync_recv (sv[0], &msg, err);
      if (r < 0)
        goto fail;
      if (msg.type == LC_SYNC_SECCOMP)
        {
          r = lc_container_seccomp_handoff (c, pid, msg.fd, err);
          lc_sync_msg_clear (&msg);
          if (r < 0)
            goto fail;
          continue;
        }
      if (msg.type == LC_SYNC_ERROR)
        {
          r = rv_error_set (err, msg.status > 0 ? msg.status : EIO, "%s", msg.text);
          lc_sync_msg_clear (&msg);
          goto fail;
        }
      if (msg.type != LC_SYNC_READY)
        {
          lc_sync_msg_clear (&msg);
          r = rv_error_set (err, EPROTO, "unexpected message from the exec'd process");
          goto fail;
        }
      console = msg.fd;
      msg.fd = -1;
      lc_sync_msg_clear (&msg);
      break;
    }
  /* sync 3.  */
  r = lc_sync_expect (sv[0], LC_SYNC_EXECING, NULL, err);
  if (r < 0)
    goto fail;
  r = lc_sync_recv (sv[0], &msg, err);
  if (r == 0)
    {
      r = rv_error_set (err, msg.status > 0 ? msg.status : EIO, "%s",
                        msg.type == LC_SYNC_ERROR ? msg.text : "unexpected message after exec");
      lc_sync_msg_clear (&msg);
      goto fail;
    }
  if ((*err)->status != EPIPE)
    goto fail;
  rv_error_release (err);
  close (sv[0]);
  lc_proc_free (proc);
  *ret_pid = pid;
  if (ret_console)
    *ret_console = console;
  else if (console >= 0)
    close (console);
  return 0;

fail:
  exec_ns_clear (&ns);
  if (helper > 0)
    {
      kill (helper, SIGKILL);
      while (waitpid (helper, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (pid > 0)
    {
      kill (pid, SIGKILL);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (console >= 0)
    close (console);
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  lc_proc_free (proc);
  return rv_error_wrap (err, "exec in container `%s`", c->id);
}
