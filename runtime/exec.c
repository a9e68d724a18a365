/* exec: a process in a running container.
 *
 * The process is built as runc builds it (the container's process, or
 * --process, with the flags on top) and started by the agent; its streams
 * are relayed by `runvm exec` itself in the foreground, which exits with
 * the process's status.  With --detach an exec monitor is forked (conmon
 * waits for it as a subreaper, as for runc's exec'd process): it relays
 * the same way and exits with the process's status; its PID goes to
 * --pid-file, written last.  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utils.h"
#include "runtime/monitor.h"
#include "runtime/relay.h"
#include "runtime/rt_impl.h"

#define EXEC_TIMEOUT_MS 30000

static void
strv_add_unique (char ***v, const char *s)
{
  if (!strv_contains (*v, s))
    strv_append (v, s);
}

/* The process to run (runc's newProcess): the container's own process or
 * --process, then the flags.  */
static int
build_process (const char *state_dir, const struct rt_exec_opts *o, char **ret_json, bool *ret_terminal,
               struct spec_box *ret_size, rv_error_t *err)
{
  struct spec_process *p = NULL;
  char **a;
  int r;

  if (o->process)
    {
      r = spec_process_load (o->process, &p, err);
      if (r < 0)
        return r;
      if (o->tty_set)
        p->terminal = o->tty;
    }
  else
    {
      struct spec_config *config = NULL;
      _cleanup_free_ char *json = NULL;
      r = rt_config_load (state_dir, &config, err);
      if (r < 0)
        return r;
      if (config->process == NULL)
        {
          spec_config_free (config);
          return rv_error_set (err, EINVAL, "the container has no process to start from");
        }
      json = spec_process_to_json (config->process, false);
      spec_config_free (config);
      r = spec_process_parse ("process", json, strlen (json), &p, err);
      if (r < 0)
        return r;
      p->terminal = o->tty;
      p->has_console_size = false;
    }
  if (o->args)
    {
      strv_free (p->args);
      p->args = strv_dup (o->args);
    }
  for (a = o->env; a && *a; a++)
    strv_append (&p->env, *a);
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  if (o->has_user)
    {
      p->user.uid = o->uid;
      if (o->has_gid)
        p->user.gid = o->gid;
    }
  if (o->additional_gids_len)
    {
      free (p->user.additional_gids);
      p->user.additional_gids = xcalloc (o->additional_gids_len, sizeof (uint32_t));
      memcpy (p->user.additional_gids, o->additional_gids, o->additional_gids_len * sizeof (uint32_t));
      p->user.additional_gids_len = o->additional_gids_len;
    }
  if (o->caps && o->caps[0])
    {
      if (p->capabilities == NULL)
        p->capabilities = xmalloc0 (sizeof (*p->capabilities));
      for (a = o->caps; *a; a++)
        {
          strv_add_unique (&p->capabilities->bounding, *a);
          strv_add_unique (&p->capabilities->effective, *a);
          strv_add_unique (&p->capabilities->permitted, *a);
          strv_add_unique (&p->capabilities->ambient, *a);
        }
    }
  if (o->no_new_privs_set)
    p->no_new_privileges = o->no_new_privs;
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (o->apparmor);
    }
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (o->process_label);
    }
  if (p->terminal && !o->detach && !o->console_socket && isatty (STDIN_FILENO))
    {
      unsigned rows, cols;
      rt_tty_size (STDIN_FILENO, &rows, &cols);
      if (rows || cols)
        {
          p->has_console_size = true;
          p->console_size.height = rows;
          p->console_size.width = cols;
        }
    }
  if (p->args == NULL || p->args[0] == NULL)
    {
      spec_process_free (p);
      return rv_error_set (err, EINVAL, "process args cannot be empty");
    }
  *ret_terminal = p->terminal;
  if (p->has_console_size)
    *ret_size = p->console_size;
  *ret_json = spec_process_to_json (p, false);
  spec_process_free (p);
  return 0;
}

/* What relays an exec'd process: `runvm exec` itself, or its exec
 * monitor.  */
struct session
{
  const char *id;
  const char *exec_id;
  struct agent_transport t;
  int dir_fd;
  struct agent_conn *ctl;
  struct agent_conn *waitc;
  uint64_t wait_id;
  bool terminal;
  int pty_slave;
  int tty_fd;
  int raw_fd;
  struct termios raw_saved;
  struct rt_io io;
  int epfd, sigfd;
  struct rt_watch sig_w, wait_w;
};

static void
session_clear (struct session *s)
{
  if (s->raw_fd >= 0)
    rt_tty_restore (s->raw_fd, &s->raw_saved);
  rt_io_clear (&s->io);
  agent_conn_free (s->waitc);
  agent_conn_free (s->ctl);
  if (s->pty_slave >= 0)
    close (s->pty_slave);
  if (s->epfd >= 0)
    close (s->epfd);
  if (s->sigfd >= 0)
    close (s->sigfd);
  if (s->dir_fd >= 0)
    close (s->dir_fd);
}

static int
session_attach (struct session *s, rv_error_t *err)
{
  struct rt_io_plan plan = { .terminal = s->terminal, .reopen = true };
  struct agent_process_args wargs = { .container = (char *) s->id, .exec_id = (char *) s->exec_id };
  struct epoll_event ev = { .events = EPOLLIN };
  sigset_t all;
  int r;

  if (s->terminal && s->pty_slave >= 0)
    {
      plan.in = plan.out = s->pty_slave;
      plan.err = -1;
      plan.reopen = false;
    }
  else if (s->terminal)
    {
      plan.in = STDIN_FILENO;
      plan.out = STDOUT_FILENO;
      plan.err = -1;
    }
  else
    {
      plan.in = rt_fd_is_null (STDIN_FILENO) ? -1 : STDIN_FILENO;
      plan.out = rt_fd_is_null (STDOUT_FILENO) ? -1 : STDOUT_FILENO;
      plan.err = rt_fd_is_null (STDERR_FILENO) ? -1 : STDERR_FILENO;
    }

  (void) signal (SIGPIPE, SIG_IGN);
  sigfillset (&all);
  sigdelset (&all, SIGPIPE);
  sigprocmask (SIG_BLOCK, &all, NULL);
  s->sigfd = signalfd (-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
  s->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (s->sigfd < 0 || s->epfd < 0)
    return rv_error_make (err, errno, "signalfd");
  s->sig_w.kind = RT_WATCH_SIGNAL;
  ev.data.ptr = &s->sig_w;
  if (epoll_ctl (s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev) < 0)
    return rv_error_make (err, errno, "epoll_ctl");

  r = rt_io_attach (&s->t, s->id, s->exec_id, &plan, s->epfd, &s->io, err);
  if (r < 0)
    return r;
  if (s->terminal && s->pty_slave < 0 && isatty (STDIN_FILENO))
    {
      if (rt_tty_raw (STDIN_FILENO, &s->raw_saved, err) < 0)
        return rv_error_wrap (err, "terminal");
      s->raw_fd = STDIN_FILENO;
      s->tty_fd = STDIN_FILENO;
    }
  r = agent_connect (&s->t, EXEC_TIMEOUT_MS, &s->waitc, err);
  if (r == 0)
    r = agent_call_send (s->waitc, AGENT_CALL_WAIT, &wargs, &s->wait_id, EXEC_TIMEOUT_MS, err);
  if (r < 0)
    return r;
  s->wait_w.kind = RT_WATCH_AGENT;
  ev.data.ptr = &s->wait_w;
  if (epoll_ctl (s->epfd, EPOLL_CTL_ADD, agent_conn_fd (s->waitc), &ev) < 0)
    return rv_error_make (err, errno, "epoll_ctl");
  /* A size set before we listened for SIGWINCH.  */
  if (s->terminal && s->tty_fd >= 0)
    (void) raise (SIGWINCH);
  return 0;
}

/* Relays until the process has exited and its output is delivered;
 * signals go to the process, SIGWINCH becomes a resize.  Returns the
 * process's status.  */
static int
session_loop (struct session *s)
{
  bool got_exit = false, gone = false;
  int status = RT_EXIT_VM_GONE;

  for (;;)
    {
      struct epoll_event ev[8];
      int n, i;

      rt_relay_pump (s->io.relay);
      if ((got_exit && rt_relay_output_done (s->io.relay)) || gone)
        break;
      n = epoll_wait (s->epfd, ev, 8, rt_relay_timeout (s->io.relay));
      for (i = 0; i < n; i++)
        {
          struct rt_watch *w = ev[i].data.ptr;
          if (w->kind == RT_WATCH_SIGNAL)
            {
              struct signalfd_siginfo si;
              while (read (s->sigfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
                {
                  _cleanup_error_ rv_error_t tmp_err = NULL;
                  int sig = (int) si.ssi_signo;
                  if (sig == SIGCHLD || got_exit)
                    continue;
                  if (sig == SIGWINCH)
                    {
                      unsigned rows, cols;
                      if (s->terminal && s->tty_fd >= 0)
                        {
                          rt_tty_size (s->tty_fd, &rows, &cols);
                          if ((rows || cols)
                              && agent_resize (s->ctl, s->id, s->exec_id, rows, cols, &tmp_err) < 0)
                            rv_debug ("resize: %s", tmp_err->msg);
                        }
                      continue;
                    }
                  if (agent_signal (s->ctl, s->id, s->exec_id, sig, false, &tmp_err) < 0)
                    rv_debug ("forward signal %d: %s", sig, tmp_err->msg);
                }
            }
          else if (w->kind == RT_WATCH_AGENT)
            {
              _cleanup_error_ rv_error_t tmp_err = NULL;
              struct agent_exit_result ex = { 0 };
              (void) epoll_ctl (s->epfd, EPOLL_CTL_DEL, agent_conn_fd (s->waitc), NULL);
              if (agent_call_recv (s->waitc, AGENT_CALL_WAIT, s->wait_id, &ex, EXEC_TIMEOUT_MS, &tmp_err) < 0)
                {
                  /* The agent went away: the container's VM is gone.  */
                  rv_debug ("wait: %s", tmp_err->msg);
                  gone = true;
                  continue;
                }
              got_exit = true;
              status = ex.exit_code & 0xff;
              if (s->io.host_in)
                rt_relay_eof (s->io.relay, s->io.host_in);
            }
        }
    }
  if (gone)
    rt_relay_drain (s->io.relay, 1000);
  return status;
}

static char *
new_exec_id (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return xasprintf ("exec-%d-%lx%lx", (int) getpid (), (unsigned long) ts.tv_sec, (unsigned long) ts.tv_nsec);
}

int
rt_exec (const struct rt_global *g, const struct rt_exec_opts *o, int *ret_status, rv_error_t *err)
{
  struct session s
      = { .id = o->id, .dir_fd = -1, .pty_slave = -1, .tty_fd = -1, .raw_fd = -1, .epfd = -1, .sigfd = -1 };
  _cleanup_free_ char *dir = NULL, *process = NULL, *exec_id = NULL;
  struct agent_exec_args args = { 0 };
  struct state_record *r = NULL;
  bool console = o->console_socket && *o->console_socket;
  struct rt_io_plan plan = { 0 };
  struct spec_box size = { 0 };
  enum state_status st;
  int ret, status;
  pid_t child;

  /* In the foreground every signal is the process's from the start: one
   * that arrives before the process exists waits, then is forwarded.  */
  if (!o->detach)
    {
      sigset_t all;
      sigfillset (&all);
      sigdelset (&all, SIGCHLD);
      sigprocmask (SIG_BLOCK, &all, NULL);
    }
  ret = state_validate_id (o->id, err);
  if (ret == 0)
    ret = state_load (g->root, o->id, &r, err);
  if (ret < 0)
    return ret;
  st = state_status_current (r);
  if (st == STATE_STOPPED || st == STATE_CREATING)
    ret = rv_error_set (err, EINVAL, "cannot exec in a stopped container");
  else if (st == STATE_PAUSED && !o->ignore_paused)
    ret = rv_error_set (err, EINVAL, "cannot exec in a paused container (use --ignore-paused to override)");
  else if (o->preserve_fds > 0)
    ret = rv_error_set (
        err, ENOTSUP,
        "--preserve-fds: file descriptors of the host cannot be passed into the container's VM");
  else if (o->cgroups && o->cgroups[0])
    ret = rv_error_set (err, ENOTSUP, "--cgroup: the container's cgroups live in its VM");
  if (ret == 0)
    {
      dir = state_dir (g->root, o->id);
      ret = build_process (dir, o, &process, &s.terminal, &size, err);
    }
  if (ret == 0 && s.terminal && o->detach && !console)
    ret = rv_error_set (err, EINVAL,
                        "cannot allocate tty if runvm will detach without setting console socket");
  if (ret == 0 && !s.terminal && console)
    ret = rv_error_set (err, EINVAL, "cannot use console socket if runvm will not detach or allocate tty");
  if (ret == 0)
    ret = rt_transport_resolve (g->root, r, &s.t, &s.dir_fd, err);
  state_record_free (r);
  if (ret == 0)
    ret = agent_connect (&s.t, EXEC_TIMEOUT_MS, &s.ctl, err);
  if (ret == 0 && s.terminal && console)
    {
      _cleanup_close_ int master = -1;
      _cleanup_free_ char *name = NULL;
      ret = rt_pty_open (size.height, size.width, &master, &s.pty_slave, &name, err);
      if (ret == 0)
        ret = rt_send_fd (o->console_socket, master, name, err);
      s.tty_fd = s.pty_slave;
    }
  if (ret < 0)
    {
      session_clear (&s);
      return ret;
    }

  /* The process starts now; its streams are attached right after (the
   * agent keeps its output until then).  */
  plan.terminal = s.terminal;
  plan.in = s.terminal || !rt_fd_is_null (STDIN_FILENO) ? 0 : -1;
  plan.out = s.terminal || !rt_fd_is_null (STDOUT_FILENO) ? 1 : -1;
  plan.err = !s.terminal && !rt_fd_is_null (STDERR_FILENO) ? 2 : -1;
  exec_id = new_exec_id ();
  s.exec_id = exec_id;
  args.container = (char *) o->id;
  args.exec_id = exec_id;
  args.process = process;
  rt_io_stdio (&plan, &args.stdio.in, &args.stdio.out, &args.stdio.err);
  ret = agent_exec (s.ctl, &args, NULL, err);
  if (ret < 0)
    {
      session_clear (&s);
      return ret;
    }

  if (!o->detach)
    {
      ret = session_attach (&s, err);
      if (ret < 0)
        {
          _cleanup_error_ rv_error_t tmp_err = NULL;
          (void) agent_signal (s.ctl, o->id, exec_id, SIGKILL, false, &tmp_err);
          session_clear (&s);
          return ret;
        }
      *ret_status = session_loop (&s);
      session_clear (&s);
      return 0;
    }

  child = fork ();
  if (child < 0)
    {
      _cleanup_error_ rv_error_t tmp_err = NULL;
      ret = rv_error_make (err, errno, "fork");
      (void) agent_signal (s.ctl, o->id, exec_id, SIGKILL, false, &tmp_err);
      session_clear (&s);
      return ret;
    }
  if (child == 0)
    {
      rv_error_t child_err = NULL;
      /* Our stderr is the process's: lines of our own go to --log only.  */
      if (g->log == NULL)
        rv_log_setup (-1, g->log_format, RV_LOG_PANIC);
      /* The pty is our controlling terminal, so that the engine resizing
       * its master raises SIGWINCH here.  */
      if (s.pty_slave >= 0 && setsid () >= 0)
        (void) ioctl (s.pty_slave, TIOCSCTTY, 0);
      if (session_attach (&s, &child_err) < 0)
        {
          rv_log (RV_LOG_ERROR, "exec %s: %s", exec_id, child_err->msg);
          _exit (255);
        }
      status = session_loop (&s);
      session_clear (&s);
      _exit (status);
    }
  session_clear (&s);
  if (o->pid_file)
    {
      _cleanup_free_ char *text = xasprintf ("%d", (int) child);
      ret = write_file_atomic (o->pid_file, text, strlen (text), 0644, err);
      if (ret < 0)
        return rv_error_wrap (err, "pid file");
    }
  *ret_status = 0;
  return 0;
}
