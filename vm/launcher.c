#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utils.h"
#include "vm/vm_impl.h"

/* Bounds of the console quoted in errors.  */
#define TAIL_LINES 8
#define TAIL_BYTES 900

const struct vm_launcher_ops *
vm_launcher_find (const char *name)
{
  static const struct vm_launcher_ops *const all[] = { &vm_launcher_qemu, &vm_launcher_host };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (all); i++)
    if (strcmp (all[i]->name, name) == 0)
      return all[i];
  return NULL;
}

int
vm_prepare (const struct vm_params *p, struct vm **ret, rv_error_t *err)
{
  const struct vm_launcher_ops *ops = vm_launcher_find (p->config->launcher);
  struct vm *vm;
  int r;

  if (ops == NULL)
    return rv_error_set (err, EINVAL, "unknown VM launcher `%s` (known: qemu, host)", p->config->launcher);
  if (p->bare && p->ready_marker == NULL)
    return rv_error_set (err, EINVAL, "a bare VM needs a ready marker: there is no agent to dial");
  vm = xmalloc0 (sizeof (*vm));
  vm->ops = ops;
  vm->id = xstrdup (p->id);
  vm->state_dir = xstrdup (p->state_dir);
  vm->config = vm_config_dup (p->config);
  vm->ready_marker = xstrdup (p->ready_marker);
  vm->bare = p->bare;
  vm->on_line = p->on_console_line;
  vm->on_line_data = p->on_console_line_data;
  vm->state_fd = -1;
  vm->main_child = -1;
  r = ops->prepare (vm, err);
  if (r < 0)
    {
      vm_free (vm);
      return rv_error_wrap (err, "prepare the VM (%s launcher)", ops->name);
    }
  *ret = vm;
  return 0;
}

int
vm_add_nics (struct vm *vm, const struct net_qemu_nic *nics, size_t n, rv_error_t *err)
{
  size_t i;

  if (vm->main_child >= 0)
    return rv_error_set (err, EINVAL, "NICs must be added before the VM starts");
  vm->nics = xreallocarray (vm->nics, vm->n_nics + n, sizeof (*vm->nics));
  for (i = 0; i < n; i++)
    {
      struct net_qemu_nic *d = &vm->nics[vm->n_nics];
      *d = nics[i];
      d->tap_fd = fcntl (nics[i].tap_fd, F_DUPFD_CLOEXEC, 3);
      d->vhost_fd = nics[i].vhost_fd >= 0 ? fcntl (nics[i].vhost_fd, F_DUPFD_CLOEXEC, 3) : -1;
      if (d->tap_fd < 0 || (nics[i].vhost_fd >= 0 && d->vhost_fd < 0))
        {
          int e = errno;
          if (d->tap_fd >= 0)
            (void) close (d->tap_fd);
          if (d->vhost_fd >= 0)
            (void) close (d->vhost_fd);
          return rv_error_make (err, e, "duplicate the fds of NIC %s", nics[i].id);
        }
      vm->n_nics++;
    }
  return 0;
}

int
vm_start (struct vm *vm, rv_error_t *err)
{
  int r = vm->ops->start (vm, err);
  if (r < 0)
    {
      /* Whatever did start goes: a half-started VM is of no use.  */
      vm->ops->kill (vm);
      return rv_error_wrap (err, "start the VM (%s launcher)", vm->ops->name);
    }
  return 0;
}

int
vm_wait_ready (struct vm *vm, int timeout_ms, rv_error_t *err)
{
  return vm->ops->wait_ready (vm, timeout_ms, err);
}

int
vm_stop (struct vm *vm, int timeout_ms, rv_error_t *err)
{
  return vm->ops->stop (vm, timeout_ms, err);
}

void
vm_kill (struct vm *vm)
{
  vm->ops->kill (vm);
}

int
vm_transport (struct vm *vm, struct agent_transport *ret, rv_error_t *err)
{
  return vm->ops->transport (vm, ret, err);
}

size_t
vm_pids (struct vm *vm, pid_t *ret, size_t max)
{
  return vm->ops->pids (vm, ret, max);
}

size_t
vm_watches (struct vm *vm, struct vm_watch *ret, size_t max)
{
  return vm->ops->watches (vm, ret, max);
}

int
vm_handle (struct vm *vm, int fd, enum vm_event *ret, rv_error_t *err)
{
  return vm->ops->handle (vm, fd, ret, err);
}

void
vm_free (struct vm *vm)
{
  size_t i;
  if (vm == NULL)
    return;
  if (vm->ops)
    vm->ops->kill (vm);
  for (i = 0; i < vm->nchildren; i++)
    vm_child_release (&vm->children[i]);
  if (vm->ops && vm->ops->destroy)
    vm->ops->destroy (vm);
  vm_console_close (&vm->console);
  agent_conn_free (vm->agent);
  if (vm->state_fd >= 0)
    (void) close (vm->state_fd);
  for (i = 0; i < vm->n_nics; i++)
    {
      (void) close (vm->nics[i].tap_fd);
      if (vm->nics[i].vhost_fd >= 0)
        (void) close (vm->nics[i].vhost_fd);
    }
  free (vm->nics);
  vm_config_free (vm->config);
  free (vm->id);
  free (vm->state_dir);
  free (vm->ready_marker);
  free (vm->description);
  free (vm);
}

struct agent_conn *
vm_take_agent (struct vm *vm)
{
  return TAKE_PTR (vm->agent);
}

const char *
vm_launcher_name (const struct vm *vm)
{
  return vm->ops->name;
}

const char *
vm_describe (const struct vm *vm)
{
  return vm->description ? vm->description : vm->ops->name;
}

char *
vm_console_tail_text (struct vm *vm)
{
  if (!vm->console_open)
    return xstrdup ("");
  return vm_console_tail (&vm->console, TAIL_LINES, TAIL_BYTES);
}

/* ---- shared implementation -------------------------------------------- */

char *
vm_impl_state_path (const struct vm *vm, const char *name)
{
  return xasprintf ("%s/%s", vm->state_dir, name);
}

int
vm_impl_console_open (struct vm *vm, rv_error_t *err)
{
  _cleanup_free_ char *path = vm_impl_state_path (vm, "console.log");
  int r = vm_console_open (&vm->console, path, vm->config->console_log_max_bytes, err);
  if (r < 0)
    return r;
  vm->console_open = true;
  vm->console.marker = xstrdup (vm->ready_marker);
  vm->console.on_line = vm->on_line;
  vm->console.on_line_data = vm->on_line_data;
  return 0;
}

int
vm_impl_spawn_argv (struct vm *vm, const char *name, char *const *argv, int out_fd, int err_fd,
                    const int *keep, size_t nkeep, bool main, rv_error_t *err)
{
  struct vm_spawn_opts o = { 0 };

  o.argv = argv;
  o.stdin_fd = -1;
  o.stdout_fd = out_fd;
  o.stderr_fd = err_fd;
  o.keep_fds = keep;
  o.keep_fds_len = nkeep;
  return vm_impl_spawn (vm, name, &o, main, err);
}

int
vm_impl_socket_path (struct vm *vm, const char *name, char **ret, int *ret_keep_fd, rv_error_t *err)
{
  _cleanup_free_ char *plain = vm_impl_state_path (vm, name);
  struct sockaddr_un addr;

  *ret_keep_fd = -1;
  if (strlen (plain) < sizeof (addr.sun_path))
    {
      *ret = TAKE_PTR (plain);
      return 0;
    }
  if (vm->state_fd < 0)
    {
      int fd = open (vm->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        return rv_error_make (err, errno, "open `%s`", vm->state_dir);
      fd = vm_fd_above_stdio (fd);
      if (fd < 0)
        return rv_error_make (err, -fd, "open `%s`", vm->state_dir);
      vm->state_fd = fd;
    }
  *ret = xasprintf ("/proc/self/fd/%d/%s", vm->state_fd, name);
  *ret_keep_fd = vm->state_fd;
  return 0;
}

int
vm_impl_spawn (struct vm *vm, const char *name, const struct vm_spawn_opts *opts, bool main, rv_error_t *err)
{
  int r;
  if (vm->nchildren >= VM_MAX_CHILDREN)
    return rv_error_set (err, ENOSPC, "too many children");
  r = vm_spawn (name, opts, &vm->children[vm->nchildren], err);
  if (r < 0)
    return r;
  if (main)
    vm->main_child = (int) vm->nchildren;
  vm->nchildren++;
  return 0;
}

int
vm_impl_listen_unix (const char *path, int *ret_fd, rv_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_close_ int fd = -1;

  if (strlen (path) >= sizeof (addr.sun_path))
    return rv_error_set (err, ENAMETOOLONG, "socket path `%s` is longer than %zu bytes", path,
                         sizeof (addr.sun_path) - 1);
  memcpy (addr.sun_path, path, strlen (path) + 1);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return rv_error_make (err, errno, "socket");
  if (unlink (path) < 0 && errno != ENOENT)
    return rv_error_make (err, errno, "remove `%s`", path);
  if (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return rv_error_make (err, errno, "bind `%s`", path);
  if (listen (fd, 16) < 0)
    return rv_error_make (err, errno, "listen `%s`", path);
  *ret_fd = TAKE_FD (fd);
  return 0;
}

static struct vm_child *
main_child (struct vm *vm)
{
  return vm->main_child >= 0 ? &vm->children[vm->main_child] : NULL;
}

/* Reaps whatever has exited.  Returns a child found dead that was not
 * known dead before, or NULL: the VMM when it is among them (helpers end
 * because the VMM did, so it is the one to name), else the first.  */
static struct vm_child *
reap_children (struct vm *vm)
{
  struct vm_child *first = NULL;
  size_t i;
  for (i = 0; i < vm->nchildren; i++)
    {
      struct vm_child *c = &vm->children[i];
      rv_error_t tmp = NULL;
      bool was = c->exited;
      if (c->name == NULL)
        continue;
      if (vm_child_poll (c, &tmp) < 0)
        rv_error_release (&tmp);
      if (c->exited && !was)
        {
          if (c->pidfd >= 0)
            (void) close (c->pidfd);
          c->pidfd = -1;
          if (first == NULL || (int) i == vm->main_child)
            first = c;
        }
    }
  return first;
}

/* Polls the console pipes and child pidfds for at most TIMEOUT_MS, then
 * pumps and reaps.  */
static void
poll_once (struct vm *vm, int timeout_ms)
{
  struct vm_watch w[VM_CONSOLE_MAX_SOURCES + VM_MAX_CHILDREN];
  struct pollfd pfd[VM_CONSOLE_MAX_SOURCES + VM_MAX_CHILDREN];
  size_t n = vm_impl_watches (vm, w, ARRAY_SIZE (w)), i;
  rv_error_t tmp = NULL;

  if (n > ARRAY_SIZE (w))
    n = ARRAY_SIZE (w);
  for (i = 0; i < n; i++)
    pfd[i] = (struct pollfd){ .fd = w[i].fd, .events = POLLIN };
  if (timeout_ms < 0)
    timeout_ms = 0;
  /* Children without a pidfd (kernels before 5.3) are polled on a tick.  */
  for (i = 0; i < vm->nchildren; i++)
    if (vm->children[i].name && !vm->children[i].exited && vm->children[i].pidfd < 0 && timeout_ms > 20)
      timeout_ms = 20;
  (void) poll (pfd, (nfds_t) n, timeout_ms);
  if (vm->console_open && vm_console_pump (&vm->console, &tmp) < 0)
    rv_error_release (&tmp);
}

/* Kills everything and keeps the helpers' and the guest's last words.  */
static void
kill_and_drain (struct vm *vm)
{
  vm_impl_kill (vm);
  if (vm->console_open)
    vm_console_drain (&vm->console, 200);
}

static int
fail_with_console (struct vm *vm, int status, const char *what, rv_error_t *err)
{
  _cleanup_free_ char *tail = NULL, *log = NULL;
  kill_and_drain (vm);
  tail = vm_console_tail_text (vm);
  log = vm_impl_state_path (vm, "console.log");
  if (vm->console_open && vm->console.panic)
    return rv_error_set (err, status, "%s: the guest kernel panicked: %s; the console (`%s`) ends with: %s",
                         what, vm->console.panic, log, tail);
  if (*tail)
    return rv_error_set (err, status, "%s; the console (`%s`) ends with: %s", what, log, tail);
  return rv_error_set (err, status, "%s; the console (`%s`) is empty", what, log);
}

static bool wait_child (struct vm *vm, struct vm_child *child, int timeout_ms);

int
vm_impl_wait_ready (struct vm *vm, int timeout_ms, rv_error_t *err)
{
  long long start = vm_now_ms (), deadline = start + timeout_ms, next_probe = start;
  int delay = 5;

  if (main_child (vm) == NULL)
    return rv_error_set (err, EINVAL, "the VM was not started");
  for (;;)
    {
      struct vm_child *dead;
      long long now, wake;

      poll_once (vm, 0);
      dead = reap_children (vm);
      if (dead && dead != main_child (vm) && wait_child (vm, main_child (vm), 500))
        /* A helper ends when the VMM closes its socket, which it does on
         * its way out: then the VMM is the one to name.  */
        dead = main_child (vm);
      if (dead)
        {
          _cleanup_free_ char *how = vm_child_describe (dead);
          _cleanup_free_ char *what = NULL;
          /* The VMM's pipes close with it: read its last output first.  */
          if (vm->console_open)
            vm_console_drain (&vm->console, 200);
          what = xasprintf ("%s %s before the guest was ready", dead->name, how);
          return fail_with_console (vm, ECHILD, what, err);
        }

      now = vm_now_ms ();
      if (vm->ready_marker)
        {
          if (vm->console.marker_seen)
            return 0;
        }
      else if (now >= next_probe)
        {
          int fd = -1, r;
          r = agent_dial_once (&vm->transport, (int) (deadline - now > 1000 ? 1000 : deadline - now), &fd,
                               err);
          if (r < 0)
            {
              kill_and_drain (vm);
              return rv_error_wrap (err, "reach the guest agent");
            }
          if (r > 0)
            {
              /* Something accepted on the agent's port: the agent, unless
               * the version handshake says otherwise.  */
              now = vm_now_ms ();
              r = agent_connect_fd (fd, (int) (deadline - now > 1000 ? deadline - now : 1000), &vm->agent,
                                    err);
              if (r < 0)
                {
                  kill_and_drain (vm);
                  return rv_error_wrap (err, "handshake with the guest agent");
                }
              return 0;
            }
          /* A refused probe costs the guest a reset packet; a late one
           * costs the user the wait.  Every 25 ms at most keeps the cost
           * small (about 40 probes in a one-second boot) and the delay
           * under half a probe period on average.  */
          now = vm_now_ms ();
          next_probe = now + delay;
          delay = delay * 2 > 25 ? 25 : delay * 2;
        }

      if (now >= deadline)
        {
          _cleanup_free_ char *transport = agent_transport_to_string (&vm->transport);
          _cleanup_free_ char *what = NULL;
          if (vm->ready_marker)
            what = xasprintf ("the guest did not print `%s` within %d ms", vm->ready_marker, timeout_ms);
          else
            what = xasprintf ("the guest agent did not answer on %s within %d ms", transport, timeout_ms);
          return fail_with_console (vm, ETIMEDOUT, what, err);
        }
      wake = vm->ready_marker ? deadline : (next_probe < deadline ? next_probe : deadline);
      poll_once (vm, (int) (wake - now));
    }
}

/* Waits up to TIMEOUT_MS for CHILD to exit, pumping the console.  */
static bool
wait_child (struct vm *vm, struct vm_child *child, int timeout_ms)
{
  long long deadline = vm_now_ms () + timeout_ms;
  for (;;)
    {
      long long left;
      (void) reap_children (vm);
      if (child->exited)
        return true;
      left = deadline - vm_now_ms ();
      if (left <= 0)
        return false;
      poll_once (vm, (int) (left > 100 ? 100 : left));
    }
}

int
vm_impl_stop (struct vm *vm, int timeout_ms, rv_error_t *err)
{
  struct vm_child *m = main_child (vm);
  long long deadline = vm_now_ms () + timeout_ms;
  bool clean = true;
  size_t i;

  if (m == NULL)
    return 0;
  /* The guest was asked to power off; the VMM exits when it has.  If it
   * has not in time, SIGTERM lets QEMU exit by itself, SIGKILL follows.  */
  if (!wait_child (vm, m, timeout_ms))
    {
      clean = false;
      vm_child_signal (m, SIGTERM);
      if (!wait_child (vm, m, 1000))
        vm_child_kill (m);
    }
  /* Helpers end when the VMM closes their sockets; give them what is left
   * of the time (at least a moment), then the same treatment.  */
  for (i = 0; i < vm->nchildren; i++)
    {
      struct vm_child *c = &vm->children[i];
      long long left = deadline - vm_now_ms ();
      if (c->name == NULL || c->exited)
        continue;
      if (!wait_child (vm, c, left < 500 ? 500 : (int) left))
        {
          vm_child_signal (c, SIGTERM);
          if (!wait_child (vm, c, 1000))
            vm_child_kill (c);
        }
    }
  (void) reap_children (vm);
  if (vm->console_open)
    vm_console_drain (&vm->console, 200);
  if (!clean)
    return rv_error_set (err, ETIMEDOUT, "the guest did not power off within %d ms; %s was stopped",
                         timeout_ms, m->name);
  return 0;
}

void
vm_impl_kill (struct vm *vm)
{
  size_t i;
  /* Signal all first, then reap: they die in parallel.  */
  for (i = 0; i < vm->nchildren; i++)
    if (vm->children[i].name)
      vm_child_signal (&vm->children[i], SIGKILL);
  for (i = 0; i < vm->nchildren; i++)
    if (vm->children[i].name)
      {
        vm_child_kill (&vm->children[i]);
        if (vm->children[i].pidfd >= 0)
          (void) close (vm->children[i].pidfd);
        vm->children[i].pidfd = -1;
      }
}

int
vm_impl_transport (struct vm *vm, struct agent_transport *ret, rv_error_t *err)
{
  if (!vm->transport_set)
    return rv_error_set (err, EINVAL, "the VM has no transport yet");
  *ret = vm->transport;
  return 0;
}

size_t
vm_impl_pids (struct vm *vm, pid_t *ret, size_t max)
{
  size_t i, n = 0;
  for (i = 0; i < vm->nchildren; i++)
    if (vm->children[i].name && !vm->children[i].exited && vm->children[i].pid > 0)
      {
        if (n < max)
          ret[n] = vm->children[i].pid;
        n++;
      }
  return n;
}

size_t
vm_impl_watches (struct vm *vm, struct vm_watch *ret, size_t max)
{
  size_t i, n = 0;
  if (vm->console_open)
    for (i = 0; i < vm->console.nsrc; i++)
      if (vm->console.src[i].fd >= 0)
        {
          if (n < max)
            ret[n] = (struct vm_watch){ .fd = vm->console.src[i].fd, .kind = VM_WATCH_CONSOLE };
          n++;
        }
  for (i = 0; i < vm->nchildren; i++)
    if (vm->children[i].name && !vm->children[i].exited && vm->children[i].pidfd >= 0)
      {
        if (n < max)
          ret[n] = (struct vm_watch){ .fd = vm->children[i].pidfd, .kind = VM_WATCH_CHILD };
        n++;
      }
  return n;
}

int
vm_impl_handle (struct vm *vm, int fd, enum vm_event *ret, rv_error_t *err)
{
  struct vm_child *m = main_child (vm);
  bool main_was_alive = m && !m->exited;
  struct vm_child *dead;
  int r;

  (void) fd;
  /* Whatever FD was, pumping every pipe and reaping every child is cheap
   * and cannot miss an event; closed fds leave the caller's epoll set by
   * themselves.  */
  if (vm->console_open)
    {
      r = vm_console_pump (&vm->console, err);
      if (r < 0)
        return r;
    }
  dead = reap_children (vm);
  *ret = VM_EVENT_NONE;
  if (main_was_alive && m->exited)
    {
      if (vm->console_open)
        vm_console_drain (&vm->console, 200);
      *ret = VM_EVENT_VMM_EXITED;
    }
  else if (dead)
    *ret = VM_EVENT_HELPER_EXITED;
  return 0;
}
