/* The monitor: the container's process on the host (docs/lifecycle.md).
 *
 * Setup, in this order (the numbers are the steps docs/lifecycle.md
 * describes; the creator hears of the end only, "C" or "E"):
 *
 *   1  signals blocked (every catchable one ends up in one signalfd, to be
 *      forwarded once the init exists), own session, own log
 *   2  the launcher prepared: configuration, kernel, helpers checked
 *   3  the config's network namespace: joined by path, or a new one when
 *      the config asks for one without a path, or the host's
 *   4  the host cgroup (linux.cgroupsPath) with the resources, joined:
 *      every child is born in it
 *   5  a mount namespace of our own, so that what is bound into
 *      <state>/shared goes away with us
 *   6  the rootfs and bind-mount sources bound into <state>/shared
 *   7  the console socket gets a host pty's master
 *   8  prestart, createRuntime hooks (and the createContainer hooks the
 *      guest cannot reach), state on stdin, in the container's netns
 *   9  the network namespace scanned, taps joined to its interfaces
 *  10  the VM started (its children die with us: PR_SET_PDEATHSIG) and
 *      waited for until its agent answers
 *  11  the guest's network configured like the namespace's
 *  12  the container created in the guest, its streams attached, a
 *      `wait` for its init sent on a connection of its own
 *  13  "C" to the creator.
 *
 * Then one epoll loop: signals go to the init through the agent (SIGWINCH
 * becomes a resize), stdio is relayed, the VM's console pumped and its
 * children watched; when the init's exit arrives (after its output) and
 * the output is delivered, or the VM goes away, the exit status is
 * recorded under the state lock, the VM is shut down, and the monitor
 * exits with the status.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "agent-client/agent.h"
#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/libcontainer.h"
#include "runtime/monitor.h"
#include "runtime/relay.h"
#include "runtime/rt_impl.h"
#include "vm/hostinfo.h"
#include "vm/launcher.h"
#include "vm/net.h"

#define CALL_TIMEOUT_MS 30000
#define MAX_VM_WATCHES  16
#define MAX_STEPS       16

struct monitor
{
  const struct rt_monitor_args *a;
  const char *root;
  struct vm_config *vmc;
  struct vm *vm;
  struct agent_transport t;
  struct lc_cgroup *cg;
  int netns_fd;
  struct net_config *netc;
  struct net_attachment *neta;
  struct rt_guest_config gc;
  struct agent_conn *ctl;
  struct agent_conn *waitc;
  uint64_t wait_id;
  bool created; /* the container exists in the guest */
  int epfd;
  int sigfd;
  struct rt_watch sig_w, wait_w;
  struct rt_watch vm_w[MAX_VM_WATCHES];
  size_t n_vm_w;
  struct rt_io io;
  bool terminal;
  int pty_slave; /* the host pty (console socket), -1 */
  int tty_fd;    /* what SIGWINCH reads the size of, -1 */
  int raw_fd;    /* a user's terminal put in raw mode, -1 */
  struct termios raw_saved;
  bool got_exit;
  int exit_status;
  bool vm_gone;
  long long last_mark;
  struct
  {
    const char *name;
    long long ms;
  } steps[MAX_STEPS];
  size_t n_steps;
};

/* ---- talking to the creator ------------------------------------------- */

static void
report_error (struct monitor *m, rv_error_t err)
{
  _cleanup_free_ char *msg = xasprintf ("E%d %s", err && err->status ? err->status : EIO,
                                        err && err->msg ? err->msg : "unknown error");
  if (m->a->sync_fd >= 0)
    (void) send (m->a->sync_fd, msg, strlen (msg), MSG_NOSIGNAL);
}

/* The creator's one-byte word WANT ("R", "A"; monitor.h).  */
static bool
creator_says (int sync_fd, char want)
{
  char c = 0;
  ssize_t n;

  do
    n = recv (sync_fd, &c, 1, 0);
  while (n < 0 && errno == EINTR);
  return n == 1 && c == want;
}

/* The transport as other runvm processes will find it: a socket in the
 * state directory by its name there (the directory may be too deep for
 * sun_path; see rt_transport_resolve).  */
static char *
transport_for_state (struct monitor *m)
{
  struct agent_transport t = m->t;
  size_t n = strlen (m->a->state_dir);
  const char *name = NULL;

  if (t.kind != AGENT_TRANSPORT_VSOCK)
    {
      if (strncmp (t.path, m->a->state_dir, n) == 0 && t.path[n] == '/')
        name = t.path + n + 1;
      else if (str_has_prefix (t.path, "/proc/self/fd/"))
        {
          const char *slash = strchr (t.path + strlen ("/proc/self/fd/"), '/');
          name = slash ? slash + 1 : NULL;
        }
      if (name && strchr (name, '/') == NULL)
        memmove (t.path, name, strlen (name) + 1);
    }
  return agent_transport_to_string (&t);
}

/* ---- setup steps -------------------------------------------------------- */

static bool
is_vm (struct monitor *m)
{
  return strcmp (vm_launcher_name (m->vm), "host") != 0;
}

static int
setup_signals (struct monitor *m, rv_error_t *err)
{
  sigset_t all;

  /* Our own writes to a closed pipe must fail with EPIPE, not become a
   * signal to forward.  */
  (void) signal (SIGPIPE, SIG_IGN);
  sigfillset (&all);
  sigdelset (&all, SIGPIPE);
  if (sigprocmask (SIG_BLOCK, &all, NULL) < 0)
    return rv_error_make (err, errno, "sigprocmask");
  m->sigfd = signalfd (-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
  if (m->sigfd < 0)
    return rv_error_make (err, errno, "signalfd");
  return 0;
}

static int
setup_log (struct monitor *m, rv_error_t *err)
{
  _cleanup_free_ char *path = NULL;
  int fd;

  /* Our stderr is the container's: our own lines go to --log, or to a
   * file in the state directory.  */
  if (m->a->g->log)
    return 0;
  path = xasprintf ("%s/monitor.log", m->a->state_dir);
  fd = open (path, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return rv_error_make (err, errno, "open `%s`", path);
  rv_log_setup (fd, m->a->g->log_format, m->a->g->log_level);
  return 0;
}

static int
setup_vm_config (struct monitor *m, rv_error_t *err)
{
  const struct spec_config *c = m->a->config;
  struct vm_config *base = NULL;
  const char *launcher = getenv ("RUNVM_LAUNCHER");
  struct rt_guest_size size;
  struct vm_kvm_info kvm;
  enum vm_accel accel = VM_ACCEL_TCG;
  long host_cpus = sysconf (_SC_NPROCESSORS_ONLN);
  rv_error_t tmp_err = NULL;
  int r;

  r = vm_config_load (NULL, &base, err);
  if (r < 0)
    return r;
  r = vm_config_apply_annotations (base, c->annotations, c->annotations_len, &m->vmc, err);
  vm_config_free (base);
  if (r < 0)
    return r;
  /* Tests and machines without virtualization choose the launcher for
   * every container; a container's annotation cannot.  */
  if (launcher && *launcher)
    {
      free (m->vmc->launcher);
      m->vmc->launcher = xstrdup (launcher);
    }
  vm_kvm_probe (NULL, NULL, &kvm);
  if (vm_accel_resolve (m->vmc->accel, &kvm, &accel, &tmp_err) < 0)
    rv_error_release (&tmp_err);
  rt_guest_size (c->linux ? c->linux->resources : NULL, m->vmc, accel != VM_ACCEL_KVM,
                 host_cpus > 0 ? (uint32_t) host_cpus : 1, spec_annotation (c, "io.runvm.vcpus") != NULL,
                 spec_annotation (c, "io.runvm.memory_mb") != NULL, &size);
  m->vmc->vcpus = size.vcpus;
  m->vmc->memory_mb = size.memory_mb;
  return 0;
}

static int
setup_netns (struct monitor *m, rv_error_t *err)
{
  const struct spec_namespace *ns = spec_namespace_find (m->a->config, "network");

  m->netns_fd = -1;
  if (ns == NULL)
    return 0;
  /* Without a VM, a container with a user namespace makes its network
   * namespace inside it (sysfs and joined namespaces need that owner):
   * libcontainer does it all, as runc would.  */
  if (!is_vm (m) && spec_namespace_find (m->a->config, "user"))
    return 0;
  if (ns->path && ns->path[0])
    {
      m->netns_fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (m->netns_fd < 0)
        return rv_error_make (err, errno, "open network namespace `%s`", ns->path);
      if (setns (m->netns_fd, CLONE_NEWNET) < 0)
        return rv_error_make (err, errno, "join network namespace `%s`", ns->path);
      return 0;
    }
  /* A namespace of the container's own: ours, so that hooks find it as
   * /proc/<pid>/ns/net and it lives exactly as long as we do.  */
  if (unshare (CLONE_NEWNET) < 0)
    return rv_error_make (err, errno, "create a network namespace");
  m->netns_fd = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (m->netns_fd < 0)
    return rv_error_make (err, errno, "open /proc/self/ns/net");
  return 0;
}

static int
setup_cgroup (struct monitor *m, rv_error_t *err)
{
  _cleanup_free_ struct spec_resources *res = NULL;
  const struct spec_config *c = m->a->config;

  /* Without a VM the workload's own processes are the container's, in
   * the configured cgroup, made by libcontainer as with runc; the monitor
   * stays out of it (v2 allows no process beside child cgroups that have
   * controllers).  */
  if (m->a->host_cgroup == NULL || !is_vm (m))
    return 0;
  res = rt_host_resources (c->linux ? c->linux->resources : NULL);
  return lc_cgroup_create (m->a->host_cgroup, res, getpid (), &m->cg, err);
}

static int
setup_mount_namespace (rv_error_t *err)
{
  if (unshare (CLONE_NEWNS) < 0)
    return rv_error_make (err, errno, "create a mount namespace");
  /* Mounts made on the host later still reach us (a volume mounted under
   * a bind source); ours never reach the host.  */
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return rv_error_make (err, errno, "make / a slave mount");
  return 0;
}

static int
setup_console (struct monitor *m, rv_error_t *err)
{
  const struct spec_process *p = m->a->config->process;
  _cleanup_close_ int master = -1, slave = -1;
  _cleanup_free_ char *name = NULL;
  int r;

  m->terminal = p && p->terminal;
  if (!m->terminal || m->a->own_terminal)
    return 0;
  r = rt_pty_open (p->has_console_size ? p->console_size.height : 0,
                   p->has_console_size ? p->console_size.width : 0, &master, &slave, &name, err);
  if (r < 0)
    return r;
  /* The slave is our controlling terminal, so that the engine resizing the
   * master raises SIGWINCH here.  */
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return rv_error_make (err, errno, "make `%s` the controlling terminal", name);
  r = rt_send_fd (m->a->console_socket, master, name, err);
  if (r < 0)
    return rv_error_wrap (err, "console socket");
  m->pty_slave = TAKE_FD (slave);
  m->tty_fd = m->pty_slave;
  return 0;
}

static int
run_create_hooks (struct monitor *m, rv_error_t *err)
{
  const struct rt_monitor_args *a = m->a;
  int r;

  r = rt_hooks_run (a->config, SPEC_HOOK_PRESTART, a->id, "creating", getpid (), a->bundle, err);
  if (r == 0)
    r = rt_hooks_run (a->config, SPEC_HOOK_CREATE_RUNTIME, a->id, "creating", getpid (), a->bundle, err);
  if (r == 0)
    r = rt_hooks_run_list ("createContainer", m->gc.host_create_container, m->gc.host_create_container_len,
                           a->id, "creating", getpid (), a->bundle, a->config, err);
  return r;
}

static int
setup_network (struct monitor *m, rv_error_t *err)
{
  _cleanup_free_ struct net_qemu_nic *nics = NULL;
  size_t n = 0;
  int r;

  r = net_scan (m->netns_fd, &m->netc, err);
  if (r < 0)
    return rv_error_wrap (err, "network");
  if (m->netc->n_interfaces == 0)
    return 0;
  r = net_attach (m->netns_fd, m->netc, &m->neta, err);
  if (r < 0)
    return rv_error_wrap (err, "network");
  net_qemu_nics (m->neta, &nics, &n);
  return vm_add_nics (m->vm, nics, n, err);
}

static int
configure_guest_network (struct monitor *m, rv_error_t *err)
{
  _cleanup_free_ char *json = NULL;
  size_t len;
  int r;

  if (m->netc == NULL || m->netc->n_interfaces == 0)
    return 0;
  r = net_agent_json (m->netc, &json, &len, err);
  if (r == 0)
    r = agent_call_json (m->ctl, AGENT_CALL_NETWORK, json, NULL, CALL_TIMEOUT_MS, err);
  return r < 0 ? rv_error_wrap (err, "configure the guest's network") : 0;
}

static void
io_plan (struct monitor *m, struct rt_io_plan *p)
{
  memset (p, 0, sizeof (*p));
  p->terminal = m->terminal;
  p->reopen = true;
  if (m->terminal && m->pty_slave >= 0)
    {
      p->in = p->out = m->pty_slave;
      p->err = -1;
      p->reopen = false;
    }
  else if (m->terminal)
    {
      p->in = STDIN_FILENO;
      p->out = STDOUT_FILENO;
      p->err = -1;
    }
  else
    {
      p->in = rt_fd_is_null (STDIN_FILENO) ? -1 : STDIN_FILENO;
      p->out = rt_fd_is_null (STDOUT_FILENO) ? -1 : STDOUT_FILENO;
      p->err = rt_fd_is_null (STDERR_FILENO) ? -1 : STDERR_FILENO;
    }
}

static int
take_agent (struct monitor *m, rv_error_t *err)
{
  m->ctl = vm_take_agent (m->vm);
  if (m->ctl == NULL)
    return rv_error_set (err, ENOTCONN, "the VM has no agent connection");
  agent_conn_set_timeout (m->ctl, CALL_TIMEOUT_MS);
  return 0;
}

static int
create_container (struct monitor *m, rv_error_t *err)
{
  const struct rt_monitor_args *a = m->a;
  struct agent_create_args args = { 0 };
  struct rt_io_plan plan;
  int r;

  io_plan (m, &plan);
  args.container = (char *) a->id;
  args.config = m->gc.config_json;
  args.rootfs = m->gc.rootfs;
  args.bundle = (char *) a->bundle;
  rt_io_stdio (&plan, &args.stdio.in, &args.stdio.out, &args.stdio.err);
  args.no_pivot = a->no_pivot;
  args.no_new_keyring = a->no_new_keyring;
  args.no_runtime_hooks = true;
  args.cgroup_path = m->gc.cgroup_path;
  r = agent_create (m->ctl, &args, NULL, err);
  if (r < 0)
    return r;
  m->created = true;
  return 0;
}

/* The init's streams, and a `wait` for it on a connection of its own.  */
static int
attach_container (struct monitor *m, rv_error_t *err)
{
  const struct rt_monitor_args *a = m->a;
  struct agent_process_args wargs = { 0 };
  struct rt_io_plan plan;
  int r;

  io_plan (m, &plan);
  r = rt_io_attach (&m->t, a->id, NULL, &plan, m->epfd, &m->io, err);
  if (r < 0)
    return r;
  if (m->terminal && m->pty_slave < 0 && isatty (STDIN_FILENO))
    {
      /* The user's own terminal: raw, the guest's pty does the rest.  */
      if (rt_tty_raw (STDIN_FILENO, &m->raw_saved, err) < 0)
        return rv_error_wrap (err, "terminal");
      m->raw_fd = STDIN_FILENO;
      m->tty_fd = STDIN_FILENO;
    }

  r = agent_connect (&m->t, CALL_TIMEOUT_MS, &m->waitc, err);
  if (r < 0)
    return rv_error_wrap (err, "second connection to the agent");
  wargs.container = (char *) a->id;
  r = agent_call_send (m->waitc, AGENT_CALL_WAIT, &wargs, &m->wait_id, CALL_TIMEOUT_MS, err);
  if (r < 0)
    return r;
  return 0;
}

static int
epoll_add (struct monitor *m, int fd, struct rt_watch *w, rv_error_t *err)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };
  w->fd = fd;
  if (epoll_ctl (m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return rv_error_make (err, errno, "epoll_ctl");
  return 0;
}

static int
watch_vm (struct monitor *m, rv_error_t *err)
{
  struct vm_watch w[MAX_VM_WATCHES];
  size_t n = vm_watches (m->vm, w, MAX_VM_WATCHES), i;
  int r;

  if (n > MAX_VM_WATCHES)
    n = MAX_VM_WATCHES;
  for (i = 0; i < n; i++)
    {
      m->vm_w[i].kind = RT_WATCH_VM;
      r = epoll_add (m, w[i].fd, &m->vm_w[i], err);
      if (r < 0)
        return r;
    }
  m->n_vm_w = n;
  return 0;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Where the time of `create` goes, for the debug log and bench/run.  */
static void
mark (struct monitor *m, const char *step)
{
  long long now = now_ms ();
  if (m->n_steps < MAX_STEPS)
    {
      m->steps[m->n_steps].name = step;
      m->steps[m->n_steps].ms = now - m->last_mark;
      m->n_steps++;
    }
  m->last_mark = now;
}

static char *
timings (struct monitor *m)
{
  char *out = xstrdup ("");
  size_t i;
  for (i = 0; i < m->n_steps; i++)
    {
      char *next = xasprintf ("%s%s%s %lld", out, i ? ", " : "", m->steps[i].name, m->steps[i].ms);
      free (out);
      out = next;
    }
  return out;
}

static int
prepare_vm (struct monitor *m, rv_error_t *err)
{
  struct vm_params params = { 0 };
  int r = setup_vm_config (m, err);
  if (r < 0)
    return r;
  params.id = m->a->id;
  params.state_dir = m->a->state_dir;
  params.config = m->vmc;
  return vm_prepare (&params, &m->vm, err);
}

static int
boot_vm (struct monitor *m, rv_error_t *err)
{
  int r = vm_wait_ready (m->vm, (int) m->vmc->boot_timeout_ms, err);
  if (r == 0)
    r = vm_transport (m->vm, &m->t, err);
  /* Children born: they join the cgroup with us by birth.  */
  if (r == 0)
    r = watch_vm (m, err);
  if (r == 0)
    r = take_agent (m, err);
  return r;
}

#define STEP(name, call)                                                                                     \
  do                                                                                                         \
    {                                                                                                        \
      int r_ = (call);                                                                                       \
      mark (m, name);                                                                                        \
      if (r_ < 0)                                                                                            \
        return r_;                                                                                           \
    }                                                                                                        \
  while (0)

/* Steps 2 to 12.  */
static int
setup (struct monitor *m, rv_error_t *err)
{
  const struct rt_monitor_args *a = m->a;

  STEP ("prepare", prepare_vm (m, err));
  STEP ("netns", setup_netns (m, err));
  STEP ("cgroup", setup_cgroup (m, err));
  STEP ("mounts", setup_mount_namespace (err));
  STEP ("share", rt_guest_config_build (a->config, a->bundle, a->state_dir, is_vm (m),
                                        m->netns_fd >= 0 ? getpid () : 0, a->host_cgroup, &m->gc, err));
  STEP ("console", setup_console (m, err));
  STEP ("hooks", run_create_hooks (m, err));
  if (is_vm (m))
    STEP ("network", setup_network (m, err));
  STEP ("spawn", vm_start (m->vm, err));
  STEP ("boot", boot_vm (m, err));
  STEP ("guest-network", configure_guest_network (m, err));
  STEP ("create", create_container (m, err));
  STEP ("attach", attach_container (m, err));
  m->wait_w.kind = RT_WATCH_AGENT;
  return epoll_add (m, agent_conn_fd (m->waitc), &m->wait_w, err);
}

/* ---- the loop ------------------------------------------------------------ */

static void
forward_signal (struct monitor *m, int sig)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;

  if (sig == SIGCHLD || m->got_exit || m->vm_gone)
    return;
  if (sig == SIGWINCH)
    {
      unsigned rows, cols;
      if (!m->terminal || m->tty_fd < 0)
        return;
      rt_tty_size (m->tty_fd, &rows, &cols);
      if ((rows || cols) && agent_resize (m->ctl, m->a->id, NULL, rows, cols, &tmp_err) < 0)
        rv_debug ("resize: %s", tmp_err->msg);
      return;
    }
  if (agent_signal (m->ctl, m->a->id, NULL, sig, false, &tmp_err) < 0)
    rv_debug ("forward signal %d: %s", sig, tmp_err->msg);
}

static void
handle_signals (struct monitor *m)
{
  struct signalfd_siginfo si;
  while (read (m->sigfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    forward_signal (m, (int) si.ssi_signo);
}

static void
handle_wait (struct monitor *m)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  struct agent_exit_result ex = { 0 };

  if (agent_call_recv (m->waitc, AGENT_CALL_WAIT, m->wait_id, &ex, CALL_TIMEOUT_MS, &tmp_err) < 0)
    {
      /* The agent went away without an answer: the VM is going.  */
      rv_debug ("wait: %s", tmp_err->msg);
      (void) epoll_ctl (m->epfd, EPOLL_CTL_DEL, agent_conn_fd (m->waitc), NULL);
      return;
    }
  m->got_exit = true;
  m->exit_status = ex.exit_code & 0xff;
  (void) epoll_ctl (m->epfd, EPOLL_CTL_DEL, agent_conn_fd (m->waitc), NULL);
  /* No more input matters.  */
  if (m->io.host_in)
    rt_relay_eof (m->io.relay, m->io.host_in);
}

static void
handle_vm (struct monitor *m, int fd)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  enum vm_event ev = VM_EVENT_NONE;

  if (vm_handle (m->vm, fd, &ev, &tmp_err) < 0)
    {
      rv_debug ("VM: %s", tmp_err->msg);
      return;
    }
  if (ev == VM_EVENT_NONE)
    return;
  if (ev == VM_EVENT_HELPER_EXITED)
    {
      /* The guest lost its file system or its vsock: it cannot go on.  */
      rv_warning ("container %s: a helper of the VM exited; stopping the VM", m->a->id);
      vm_kill (m->vm);
    }
  else
    {
      _cleanup_free_ char *tail = vm_console_tail_text (m->vm);
      if (!m->got_exit)
        rv_warning ("container %s: the VM exited before the workload did; the console ends with: %s",
                    m->a->id, tail);
    }
  m->vm_gone = true;
}

static void
loop (struct monitor *m)
{
  for (;;)
    {
      struct epoll_event ev[16];
      int n, i, timeout;

      if (m->io.relay)
        rt_relay_pump (m->io.relay);
      if ((m->got_exit && (m->io.relay == NULL || rt_relay_output_done (m->io.relay))) || m->vm_gone)
        break;
      timeout = m->io.relay ? rt_relay_timeout (m->io.relay) : -1;
      n = epoll_wait (m->epfd, ev, 16, timeout);
      if (n < 0 && errno != EINTR)
        {
          rv_warning ("epoll_wait: %s", strerror (errno));
          break;
        }
      for (i = 0; i < n; i++)
        {
          struct rt_watch *w = ev[i].data.ptr;
          switch (w->kind)
            {
            case RT_WATCH_SIGNAL:
              handle_signals (m);
              break;
            case RT_WATCH_AGENT:
              handle_wait (m);
              break;
            case RT_WATCH_VM:
              handle_vm (m, w->fd);
              break;
            case RT_WATCH_RELAY:
            case RT_WATCH_SYNC:
              break;
            }
        }
    }
  if (m->vm_gone && !m->got_exit)
    {
      /* Whatever the guest sent before it went is delivered.  */
      if (m->io.relay)
        rt_relay_drain (m->io.relay, 1000);
      m->exit_status = RT_EXIT_VM_GONE;
    }
}

/* ---- the end ------------------------------------------------------------ */

static void
record_exit (struct monitor *m)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_close_ int lock = -1;
  struct state_record *r = NULL;

  if (state_lock (m->root, m->a->id, STATE_LOCK_EXCLUSIVE, 10000, &lock, &tmp_err) < 0
      || state_load (m->root, m->a->id, &r, &tmp_err) < 0)
    {
      rv_debug ("record the exit status: %s", tmp_err->msg);
      return;
    }
  r->has_exit_status = true;
  r->exit_status = m->exit_status;
  if (state_save (m->root, r, &tmp_err) < 0)
    rv_warning ("container %s: record the exit status: %s", m->a->id, tmp_err->msg);
  state_record_free (r);
}

/* Undoes the setup in reverse; safe at any point of it.  */
static void
teardown (struct monitor *m, bool clean_stop)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;

  if (m->raw_fd >= 0)
    rt_tty_restore (m->raw_fd, &m->raw_saved);
  rt_io_clear (&m->io);
  if (m->vm && clean_stop && !m->vm_gone && m->ctl)
    {
      /* The guest syncs its file systems and powers off.  */
      if (agent_shutdown (m->ctl, &tmp_err) < 0)
        {
          rv_debug ("shutdown: %s", tmp_err->msg);
          rv_error_release (&tmp_err);
          vm_kill (m->vm);
        }
      else if (vm_stop (m->vm, (int) m->vmc->stop_timeout_ms, &tmp_err) < 0)
        {
          rv_warning ("container %s: %s", m->a->id, tmp_err->msg);
          rv_error_release (&tmp_err);
        }
    }
  agent_conn_free (m->waitc);
  agent_conn_free (m->ctl);
  vm_free (m->vm);
  if (m->neta && net_detach (m->netns_fd, TAKE_PTR (m->neta), &tmp_err) < 0)
    {
      rv_debug ("network: %s", tmp_err->msg);
      rv_error_release (&tmp_err);
    }
  net_config_free (m->netc);
  lc_cgroup_free (m->cg);
  rt_guest_config_clear (&m->gc);
  vm_config_free (m->vmc);
}

void
rt_monitor_main (const struct rt_monitor_args *a)
{
  struct monitor m
      = { .a = a, .netns_fd = -1, .epfd = -1, .sigfd = -1, .pty_slave = -1, .tty_fd = -1, .raw_fd = -1 };
  rv_error_t err = NULL;
  _cleanup_free_ char *transport = NULL, *msg = NULL;

  m.root = a->g->root;
  m.last_mark = now_ms ();
  if (a->lock_fd >= 0)
    (void) close (a->lock_fd);
  (void) prctl (PR_SET_NAME, "runvm-monitor");
  /* A create killed half way takes us with it (monitor.h); a creator
   * gone before this line is seen as a new parent.  */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != a->creator)
    _exit (1);
  /* Nothing is made before the record names us: a delete after the
   * creator's death then finds us, whatever we were doing.  */
  if (!creator_says (a->sync_fd, 'R'))
    _exit (1);

  /* 1.  */
  if (setup_signals (&m, &err) < 0 || setsid () < 0 || setup_log (&m, &err) < 0)
    {
      if (err == NULL)
        rv_error_make (&err, errno, "setsid");
      report_error (&m, err);
      _exit (1);
    }
  m.epfd = epoll_create1 (EPOLL_CLOEXEC);
  m.sig_w.kind = RT_WATCH_SIGNAL;
  if (m.epfd < 0 || epoll_add (&m, m.sigfd, &m.sig_w, &err) < 0 || setup (&m, &err) < 0)
    {
      if (err == NULL)
        rv_error_make (&err, errno, "epoll_create1");
      rv_debug ("container %s: %s", a->id, err->msg);
      /* The spec's step 12: whatever was made goes (the guest's side goes
       * with the VM); the creator removes our cgroup and runs poststop.  */
      teardown (&m, false);
      report_error (&m, err);
      rv_error_release (&err);
      _exit (1);
    }

  /* 13.  */
  transport = transport_for_state (&m);
  msg = xasprintf ("C%s %s", vm_launcher_name (m.vm), transport);
  /* From here the creator's death is seen on the socket (end of file
   * instead of "A"), and we undo our part ourselves; the creator exiting
   * right after its "A" must not take us with it.  */
  (void) prctl (PR_SET_PDEATHSIG, 0);
  if (send (a->sync_fd, msg, strlen (msg), MSG_NOSIGNAL) < 0 || !creator_says (a->sync_fd, 'A'))
    {
      /* The creator is gone or failed: nobody knows of this container.  */
      teardown (&m, false);
      _exit (1);
    }
  (void) close (a->sync_fd);
  {
    _cleanup_free_ char *t = timings (&m);
    rv_debug ("container %s: created (%s), ms: %s", a->id, vm_describe (m.vm), t);
  }
  /* A size the engine set on the pty before we listened for SIGWINCH.  */
  if (m.terminal && m.tty_fd >= 0)
    (void) raise (SIGWINCH);

  loop (&m);
  m.n_steps = 0;
  m.last_mark = now_ms ();
  record_exit (&m);
  mark (&m, "record");
  teardown (&m, true);
  mark (&m, "shutdown");
  {
    _cleanup_free_ char *t = timings (&m);
    rv_debug ("container %s: exited with %d, ms: %s", a->id, m.exit_status, t);
  }
  _exit (m.exit_status);
}
