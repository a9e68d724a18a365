/* kill and delete.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/libcontainer.h"
#include "runtime/rt_impl.h"
#include "vm/net.h"

/* Sends SIG to the process R records as the container's (the monitor),
 * through a pidfd so that a reused PID is never hit; with WAIT_MS, waits
 * that long for it to exit.  Returns 1 when it is gone.  */
static int
signal_monitor (const struct state_record *r, int sig, int wait_ms)
{
  _cleanup_close_ int pidfd = -1;
  struct pollfd p;

  if (r->pid <= 0)
    return 1;
  pidfd = (int) syscall (SYS_pidfd_open, r->pid, 0);
  if (pidfd < 0 || !proc_pid_alive (r->pid, r->pid_start_time))
    return 1;
  if (syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
    return -errno;
  if (wait_ms == 0)
    return 0;
  p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
  while (poll (&p, 1, wait_ms) < 0 && errno == EINTR)
    ;
  return p.revents ? 1 : 0;
}

int
rt_kill (const struct rt_global *g, const struct rt_kill_opts *o, rv_error_t *err)
{
  _cleanup_close_ int lock_fd = -1;
  _cleanup_error_ rv_error_t dial_err = NULL;
  struct state_record *r = NULL;
  struct agent_conn *c = NULL;
  enum state_status s;
  int ret;

  ret = state_validate_id (o->id, err);
  if (ret == 0)
    ret = state_lock (g->root, o->id, STATE_LOCK_SHARED, -1, &lock_fd, err);
  if (ret == 0)
    ret = state_load (g->root, o->id, &r, err);
  if (ret < 0)
    return ret;
  s = state_status_current (r);
  if (s == STATE_STOPPED || s == STATE_CREATING)
    {
      state_record_free (r);
      return rv_error_set (err, EINVAL, "container not running");
    }
  ret = rt_agent_connect (g->root, r, 5000, &c, &dial_err);
  if (ret == 0)
    ret = agent_signal (c, o->id, NULL, o->signal, o->all, err);
  else if (o->signal == SIGKILL)
    {
      /* The agent does not answer (a hung guest): the VM goes with its
       * monitor, which is what SIGKILL to the container means.  */
      rv_debug ("container %s: %s; killing its monitor", o->id, dial_err->msg);
      ret = signal_monitor (r, SIGKILL, 0);
      if (ret < 0)
        ret = rv_error_make (err, -ret, "kill the monitor of `%s`", o->id);
    }
  else
    {
      *err = TAKE_PTR (dial_err);
      ret = rv_error_ret (*err);
    }
  agent_conn_free (c);
  state_record_free (r);
  return ret < 0 ? ret : 0;
}

/* Removes what a container leaves on the host once its monitor is gone:
 * what is left in its cgroup (the VM's helpers die with the monitor; with
 * the host launcher, the container's own processes are there), what
 * create made of the cgroup, runvm's taps and filters in its network
 * namespace.  Each step is tried; the first failure is reported.  */
static int
clean_host (const struct state_record *r, const struct spec_config *config, rv_error_t *err)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  const struct spec_namespace *ns = config ? spec_namespace_find (config, "network") : NULL;
  int ret = 0;

  ret = rt_host_cgroup_remove (r->cgroup_path, r->cgroup_made, true, err);

  if (ns && ns->path && ns->path[0])
    {
      _cleanup_close_ int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && net_cleanup (fd, NULL, &tmp_err) < 0 && ret == 0)
        ret = rv_error_set (err, tmp_err->status, "network: %s", tmp_err->msg);
    }
  return ret;
}

int
rt_delete (const struct rt_global *g, const struct rt_delete_opts *o, rv_error_t *err)
{
  _cleanup_close_ int lock_fd = -1;
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_free_ char *dir = NULL;
  struct state_record *r = NULL;
  struct spec_config *config = NULL;
  enum state_status s;
  int ret;

  ret = state_validate_id (o->id, err);
  if (ret == 0)
    ret = state_lock (g->root, o->id, STATE_LOCK_EXCLUSIVE, -1, &lock_fd, err);
  if (ret < 0)
    return ret;
  dir = state_dir (g->root, o->id);
  ret = state_load (g->root, o->id, &r, err);
  if (ret < 0)
    {
      /* An entry whose state cannot be read (its creator was killed before
       * writing it, a full disk) is removed whole: there is nothing else
       * to know about it.  */
      if (ret != -ENOENT || access (dir, F_OK) == 0)
        {
          rv_error_release (err);
          return state_remove (g->root, o->id, err);
        }
      return ret;
    }
  s = state_status_current (r);
  if ((s == STATE_RUNNING || s == STATE_PAUSED || s == STATE_CREATING) && !o->force)
    {
      ret = rv_error_set (err, EBUSY, "cannot delete container %s that is not stopped: %s", o->id,
                          state_status_name (s));
      state_record_free (r);
      return ret;
    }
  /* A created container is deleted without --force, as runc does; its
   * monitor (and with it the VM) is killed.  */
  if (s != STATE_STOPPED || proc_pid_alive (r->pid, r->pid_start_time))
    {
      ret = signal_monitor (r, SIGKILL, 10000);
      if (ret <= 0)
        {
          ret = rv_error_set (err, ret < 0 ? -ret : ETIMEDOUT,
                              "container %s: its monitor (pid %d) does not exit", o->id, (int) r->pid);
          state_record_free (r);
          return ret;
        }
    }
  if (rt_config_load (dir, &config, &tmp_err) < 0)
    rv_debug ("container %s: %s", o->id, tmp_err->msg);
  rv_error_release (&tmp_err);
  ret = clean_host (r, config, err);
  if (config)
    rt_hooks_run_warn (config, SPEC_HOOK_POSTSTOP, o->id, "stopped", 0, r->bundle);
  if (state_remove (g->root, o->id, ret < 0 ? &tmp_err : err) < 0 && ret == 0)
    ret = -1;
  spec_config_free (config);
  state_record_free (r);
  return ret < 0 ? ret : 0;
}
