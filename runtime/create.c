/* create, start, run: the creator's side of the monitor (runtime/monitor.h).
 *
 * `create` checks what can be checked before anything exists (the id,
 * config.json, the rootfs, the flags), makes the state entry (status
 * `creating`, under its lock), forks the monitor as its own child (no
 * double fork: engines are child subreapers and wait for the monitor as
 * for runc's init), waits for the monitor's report, then records the
 * container as `created` and writes the pid file last.  On failure the
 * monitor has undone its part; create removes the cgroup the monitor was
 * in, runs the poststop hooks (the spec's step 12 and 13) and removes the
 * state entry: nothing is left.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/libcontainer.h"
#include "runtime/monitor.h"
#include "runtime/rt_impl.h"

#define SYNC_MSG_MAX 8192

static char *
user_name (void)
{
  struct passwd pw, *res = NULL;
  char buf[4096];
  if (getpwuid_r (geteuid (), &pw, buf, sizeof (buf), &res) == 0 && res)
    return xstrdup (res->pw_name);
  return xasprintf ("#%u", (unsigned) geteuid ());
}

static int
write_pid_file (const char *path, pid_t pid, rv_error_t *err)
{
  _cleanup_free_ char *text = xasprintf ("%d", (int) pid);
  int r = write_file_atomic (path, text, strlen (text), 0644, err);
  return r < 0 ? rv_error_wrap (err, "pid file") : 0;
}

static int
send_pidfd (const char *path, pid_t pid, rv_error_t *err)
{
  _cleanup_close_ int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (fd < 0)
    return rv_error_make (err, errno, "pidfd_open %d", (int) pid);
  return rt_send_fd (path, fd, "pidfd", err);
}

/* The monitor failed or died: reap it, undo what it could not.  A monitor
 * that reported its failure has stopped its VM; one that died may leave
 * children dying in the cgroup (QEMU gets SIGKILL when the monitor dies):
 * with KILL_LEFT, what is left there is killed first.  */
static void
undo_create (const struct rt_global *g, const char *id, const char *bundle, const struct spec_config *config,
             const char *host_cgroup, char *const *cgroup_made, bool kill_left, pid_t monitor)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;

  while (monitor > 0 && waitpid (monitor, NULL, 0) < 0 && errno == EINTR)
    ;
  rt_hooks_run_warn (config, SPEC_HOOK_POSTSTOP, id, "stopped", 0, bundle);
  if (rt_host_cgroup_remove (host_cgroup, cgroup_made, kill_left, &tmp_err) < 0)
    rv_debug ("remove cgroup: %s", tmp_err->msg);
  rv_error_release (&tmp_err);
  if (state_remove (g->root, id, &tmp_err) < 0)
    rv_debug ("remove state: %s", tmp_err->msg);
}

/* The monitor's PID in the record as soon as it exists, so that a delete
 * after this create dies finds it (and waits for it) whatever it was
 * doing.  */
static void
record_monitor (const struct rt_global *g, const char *id, pid_t pid)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  struct state_record *r = NULL;

  if (state_load (g->root, id, &r, &tmp_err) == 0)
    {
      r->pid = pid;
      (void) proc_pid_stat (pid, &r->pid_start_time, NULL);
      (void) state_save (g->root, r, &tmp_err);
    }
  if (tmp_err)
    rv_debug ("container %s: record the monitor: %s", id, tmp_err->msg);
  state_record_free (r);
}

static int
check_request (const struct rt_create_opts *o, const struct spec_config *config, bool own_terminal,
               rv_error_t *err)
{
  const struct spec_process *p = config->process;
  bool console = o->console_socket && *o->console_socket;

  if (p == NULL)
    return rv_error_set (err, EINVAL, "config.json: `process` is required to create a container");
  if (p->terminal && !console && !own_terminal)
    return rv_error_set (err, EINVAL,
                         "cannot allocate tty if runvm will detach without setting console socket");
  if (!p->terminal && console)
    return rv_error_set (err, EINVAL, "cannot use console socket if runvm will not detach or allocate tty");
  /* An fd of the host cannot be handed to a process in a VM.  */
  if (o->preserve_fds > 0)
    return rv_error_set (
        err, ENOTSUP,
        "--preserve-fds: file descriptors of the host cannot be passed into the container's VM");
  return 0;
}

/* Everything of `create` up to the pid file; *RET_MONITOR is the
 * monitor's PID (our child).  */
static int
create_container (const struct rt_global *g, const struct rt_create_opts *o, bool own_terminal,
                  pid_t *ret_monitor, rv_error_t *err)
{
  _cleanup_free_ char *config_path = NULL, *config_text = NULL, *rootfs = NULL, *dir = NULL,
                      *host_cgroup = NULL;
  _cleanup_strv_ char **cgroup_made = NULL;
  struct spec_config *config = NULL;
  struct state_record rec = { 0 }, *r = NULL;
  _cleanup_close_ int lock_fd = -1;
  char msg[SYNC_MSG_MAX + 1];
  sigset_t term, saved;
  struct stat st;
  size_t len = 0;
  ssize_t n;
  int sv[2], ret;
  pid_t pid;

  ret = state_validate_id (o->id, err);
  if (ret < 0)
    return ret;
  config_path = xasprintf ("%s/config.json", o->bundle);
  ret = read_file (config_path, 64 << 20, &config_text, &len, err);
  if (ret < 0)
    return ret;
  ret = spec_config_parse ("config.json", config_text, len, &config, err);
  if (ret < 0)
    return ret;
  ret = check_request (o, config, own_terminal, err);
  if (ret == 0)
    {
      struct rt_pod pod;
      ret = rt_pod_parse (config, &pod, err);
      /* Until the containers of a pod share one VM, each gets its own.  */
      if (ret == 0 && pod.role != RT_POD_NONE)
        rv_debug ("container %s: %s of pod sandbox %s (%s): a VM of its own", o->id,
                  pod.role == RT_POD_SANDBOX ? "the sandbox" : "a container",
                  pod.sandbox_id ? pod.sandbox_id : "?", pod.engine);
    }
  rootfs = rt_rootfs_path (config, o->bundle);
  if (ret == 0 && stat (rootfs, &st) < 0)
    ret = rv_error_make (err, errno, "rootfs `%s`", rootfs);
  else if (ret == 0 && !S_ISDIR (st.st_mode))
    ret = rv_error_make (err, ENOTDIR, "rootfs `%s`", rootfs);
  if (ret < 0)
    goto out;

  rec.oci_version = config->oci_version;
  rec.id = (char *) o->id;
  rec.status = STATE_CREATING;
  rec.creator_pid = getpid ();
  (void) proc_pid_stat (getpid (), &rec.creator_start_time, NULL);
  rec.bundle = (char *) o->bundle;
  rec.rootfs = rootfs;
  rec.created = state_time_now ();
  rec.owner = user_name ();
  rec.annotations = config->annotations;
  rec.annotations_len = config->annotations_len;
  /* The host cgroup and what of it is ours, known before anything of it
   * exists (hostcg.c).  */
  host_cgroup = rt_host_cgroup_path (config, o->id, g->cgroup_manager);
  if (host_cgroup)
    cgroup_made = rt_host_cgroup_plan (host_cgroup);
  rec.cgroup_path = host_cgroup;
  rec.cgroup_made = cgroup_made;
  ret = state_create (g->root, &rec, &lock_fd, err);
  free (rec.created);
  free (rec.owner);
  if (ret < 0)
    goto out;
  dir = state_dir (g->root, o->id);
  ret = rt_config_save (dir, config_text, len, err);
  if (ret < 0)
    {
      rv_error_t tmp_err = NULL;
      if (state_remove (g->root, o->id, &tmp_err) < 0)
        rv_error_release (&tmp_err);
      goto out;
    }

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      ret = rv_error_make (err, errno, "socketpair");
      undo_create (g, o->id, o->bundle, config, NULL, NULL, false, -1);
      goto out;
    }
  /* A signal that would end us while the monitor builds the container
   * waits until the container exists: dying half-way would leave it
   * behind with nobody to report to.  */
  sigemptyset (&term);
  sigaddset (&term, SIGINT);
  sigaddset (&term, SIGTERM);
  sigaddset (&term, SIGHUP);
  sigaddset (&term, SIGQUIT);
  sigprocmask (SIG_BLOCK, &term, &saved);
  pid = fork ();
  if (pid < 0)
    {
      ret = rv_error_make (err, errno, "fork the monitor");
      close (sv[0]);
      close (sv[1]);
      undo_create (g, o->id, o->bundle, config, NULL, NULL, false, -1);
      sigprocmask (SIG_SETMASK, &saved, NULL);
      goto out;
    }
  if (pid == 0)
    {
      struct rt_monitor_args a = { 0 };
      close (sv[0]);
      a.g = g;
      a.id = o->id;
      a.bundle = o->bundle;
      a.state_dir = dir;
      a.config = config;
      a.config_text = config_text;
      a.host_cgroup = host_cgroup;
      a.console_socket = o->console_socket && *o->console_socket ? o->console_socket : NULL;
      a.no_pivot = o->no_pivot;
      a.no_new_keyring = o->no_new_keyring;
      a.own_terminal = own_terminal;
      a.sync_fd = sv[1];
      a.lock_fd = lock_fd;
      a.creator = getppid ();
      rt_monitor_main (&a);
    }
  close (sv[1]);
  record_monitor (g, o->id, pid);
  (void) send (sv[0], "R", 1, MSG_NOSIGNAL);

  do
    n = recv (sv[0], msg, SYNC_MSG_MAX, 0);
  while (n < 0 && errno == EINTR);
  msg[n > 0 ? n : 0] = '\0';
  if (n <= 0 || msg[0] != 'C')
    {
      int status = 0;
      if (n > 0 && msg[0] == 'E')
        {
          char *sp = strchr (msg, ' ');
          int code = atoi (msg + 1);
          ret = rv_error_set (err, code > 0 ? code : EIO, "%s", sp ? sp + 1 : "the monitor failed");
        }
      else
        {
          (void) waitpid (pid, &status, 0);
          ret = rv_error_set (err, EIO,
                              "the monitor of container `%s` %s %d before the container was created", o->id,
                              WIFSIGNALED (status) ? "was killed by signal" : "exited with status",
                              WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status));
          pid = -1;
        }
      close (sv[0]);
      undo_create (g, o->id, o->bundle, config, host_cgroup, cgroup_made, pid < 0, pid);
      sigprocmask (SIG_SETMASK, &saved, NULL);
      goto out;
    }

  ret = state_load (g->root, o->id, &r, err);
  if (ret == 0)
    {
      char *sp = strchr (msg + 1, ' ');
      r->status = STATE_CREATED;
      r->pid = pid;
      (void) proc_pid_stat (pid, &r->pid_start_time, NULL);
      if (sp)
        {
          *sp = '\0';
          r->launcher = xstrdup (msg + 1);
          r->transport = xstrdup (sp + 1);
        }
      ret = state_save (g->root, r, err);
    }
  if (ret == 0 && o->pidfd_socket && *o->pidfd_socket)
    ret = send_pidfd (o->pidfd_socket, pid, err);
  if (ret == 0 && o->pid_file)
    ret = write_pid_file (o->pid_file, pid, err);
  /* The container is known: the monitor may outlive us from now on.  */
  if (ret == 0 && send (sv[0], "A", 1, MSG_NOSIGNAL) < 0)
    ret = rv_error_make (err, errno, "the monitor of container `%s`", o->id);
  close (sv[0]);
  if (ret < 0)
    {
      (void) kill (pid, SIGKILL);
      undo_create (g, o->id, o->bundle, config, host_cgroup, cgroup_made, true, pid);
      sigprocmask (SIG_SETMASK, &saved, NULL);
      goto out;
    }
  sigprocmask (SIG_SETMASK, &saved, NULL);
  *ret_monitor = pid;

out:
  state_record_free (r);
  spec_config_free (config);
  return ret;
}

int
rt_create (const struct rt_global *g, const struct rt_create_opts *o, rv_error_t *err)
{
  pid_t pid;
  return create_container (g, o, false, &pid, err);
}

static const char *
start_refusal (enum state_status s)
{
  switch (s)
    {
    case STATE_STOPPED:
      return "cannot start a container that has stopped";
    case STATE_RUNNING:
      return "cannot start an already running container";
    case STATE_CREATING:
      return "cannot start a container that is still being created";
    case STATE_PAUSED:
      return "cannot start a container in the paused state";
    case STATE_CREATED:
    default:
      return NULL;
    }
}

int
rt_start (const struct rt_global *g, const struct rt_start_opts *o, rv_error_t *err)
{
  _cleanup_close_ int lock_fd = -1;
  struct state_record *r = NULL;
  struct spec_config *config = NULL;
  struct agent_conn *c = NULL;
  _cleanup_free_ char *dir = NULL;
  _cleanup_error_ rv_error_t tmp_err = NULL;
  const char *refusal;
  pid_t pid;
  int ret;

  ret = state_validate_id (o->id, err);
  if (ret == 0)
    ret = state_lock (g->root, o->id, STATE_LOCK_EXCLUSIVE, -1, &lock_fd, err);
  if (ret == 0)
    ret = state_load (g->root, o->id, &r, err);
  if (ret < 0)
    return ret;
  refusal = start_refusal (state_status_current (r));
  if (refusal)
    {
      state_record_free (r);
      return rv_error_set (err, EINVAL, "%s", refusal);
    }
  ret = rt_agent_connect (g->root, r, 10000, &c, err);
  if (ret == 0)
    ret = agent_start (c, o->id, err);
  agent_conn_free (c);
  if (ret == 0)
    {
      r->status = STATE_RUNNING;
      ret = state_save (g->root, r, err);
    }
  pid = r->pid;
  if (ret < 0)
    {
      state_record_free (r);
      return ret;
    }
  close (TAKE_FD (lock_fd));

  /* The spec's step 9: after the program runs, before start returns; a
   * failure is a warning.  */
  dir = state_dir (g->root, o->id);
  if (rt_config_load (dir, &config, &tmp_err) == 0)
    {
      rt_hooks_run_warn (config, SPEC_HOOK_POSTSTART, o->id, "running", pid, r->bundle);
      spec_config_free (config);
    }
  state_record_free (r);
  return 0;
}

/* `run` in the foreground: wait for the monitor, our child, handing it
 * every signal we get (it forwards them to the init).  */
static int
wait_monitor (pid_t monitor, int *ret_status, rv_error_t *err)
{
  _cleanup_close_ int sfd = -1, pidfd = -1;
  sigset_t all;
  int status;

  sigfillset (&all);
  sigdelset (&all, SIGCHLD);
  sigprocmask (SIG_BLOCK, &all, NULL);
  sfd = signalfd (-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
  pidfd = (int) syscall (SYS_pidfd_open, monitor, 0);
  if (sfd < 0 || pidfd < 0)
    return rv_error_make (err, errno, "wait for the container");
  for (;;)
    {
      struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
      struct signalfd_siginfo si;
      if (poll (p, 2, -1) < 0 && errno != EINTR)
        return rv_error_make (err, errno, "poll");
      while (read (sfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
        (void) kill (monitor, (int) si.ssi_signo);
      if (p[0].revents)
        break;
    }
  while (waitpid (monitor, &status, 0) < 0)
    if (errno != EINTR)
      return rv_error_make (err, errno, "waitpid");
  *ret_status = WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
  return 0;
}

int
rt_run (const struct rt_global *g, const struct rt_run_opts *o, int *ret_status, rv_error_t *err)
{
  struct rt_start_opts so = { .id = o->create.id };
  struct rt_delete_opts dopts = { .id = o->create.id, .force = true };
  _cleanup_error_ rv_error_t tmp_err = NULL;
  bool own_terminal = !o->detach && !(o->create.console_socket && *o->create.console_socket);
  pid_t monitor;
  int ret, status = 0;

  /* In the foreground every signal is the container's from the start: one
   * that arrives while the VM boots waits, then goes to the monitor.  */
  if (!o->detach)
    {
      sigset_t all;
      sigfillset (&all);
      sigdelset (&all, SIGCHLD);
      sigprocmask (SIG_BLOCK, &all, NULL);
    }
  ret = create_container (g, &o->create, own_terminal, &monitor, err);
  if (ret < 0)
    return ret;
  ret = rt_start (g, &so, err);
  if (ret < 0)
    {
      if (rt_delete (g, &dopts, &tmp_err) < 0)
        rv_debug ("delete: %s", tmp_err->msg);
      return ret;
    }
  if (o->detach)
    {
      *ret_status = 0;
      return 0;
    }
  ret = wait_monitor (monitor, &status, err);
  if (ret < 0)
    return ret;
  if (!o->keep && rt_delete (g, &dopts, &tmp_err) < 0)
    rv_warning ("%s", tmp_err->msg);
  *ret_status = status;
  return 0;
}
