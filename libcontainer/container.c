/* The container lifecycle, parent side.
 *
 * Processes: the caller forks a helper, which joins the namespaces given
 * by path (user first), unshares the time namespace, and clones the
 * container's init with CLONE_PARENT and the new namespaces, so the init
 * is the caller's child (the caller reaps it; we never do, except an init
 * that failed before being handed over).  The helper reports the init's
 * pid and exits; we wait for it by pid.
 *
 * Sync points on the socket between us and the init (init.c has the same
 * numbers):
 *   sync 0  helper -> us    PID: the init's pid
 *           us: uid/gid maps, oom_score_adj, the init into the cgroup
 *   sync 1  us -> init      GO
 *           init: root in the user ns, cgroup ns, setsid, keyring,
 *                 rootfs prepared, mounts in config order, devices
 *   sync 2  init -> us      HOOKS
 *           us: cgroup limits (device rules too, now that the nodes
 *               exist), prestart and createRuntime hooks
 *   sync 3  us -> init      GO
 *           init: createContainer hooks, pivot_root, terminal, ro
 *                 remounts, hostname, LSM, sysctls, readonly and masked
 *                 paths, scheduler, ioprio, personality, rlimits,
 *                 seccomp, capabilities and user, executable lookup
 *           (init -> us     SECCOMP: the listener fd, when one is asked)
 *   sync 4  init -> us      READY (+ the pty master)    = created
 *   sync 5  us -> init      START                       lc_container_start
 *           init: startContainer hooks
 *   sync 6  init -> us      EXECING, then end of file on exec
 *           us: poststart hooks
 * Any step that fails sends ERROR "step: cause" instead; we then kill and
 * reap the init, remove the cgroup, and report.  */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/container.h"
#include "libcontainer/hooks.h"
#include "libcontainer/lsm.h"
#include "libcontainer/path.h"
#include "libcontainer/rootfs.h"
#include "libcontainer/signals.h"
#include "libcontainer/sync.h"

int
lc_pidfd_open (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

int
lc_pidfd_signal (int pidfd, int sig)
{
  return (int) syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static void
reap (pid_t pid)
{
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* ---- copies of what outlives the config --------------------------------- */

static struct spec_hook *
hooks_dup (const struct spec_hooks *h, enum spec_hook_kind k, size_t *ret_len)
{
  struct spec_hook *out;
  size_t i, n = h ? h->len[k] : 0;

  *ret_len = n;
  if (n == 0)
    return NULL;
  out = xcalloc (n, sizeof (*out));
  for (i = 0; i < n; i++)
    {
      out[i].path = xstrdup (h->hooks[k][i].path);
      out[i].args = strv_dup (h->hooks[k][i].args);
      out[i].env = strv_dup (h->hooks[k][i].env);
      out[i].timeout = h->hooks[k][i].timeout;
    }
  return out;
}

static void
hooks_free (struct spec_hook *h, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (h[i].path);
      strv_free (h[i].args);
      strv_free (h[i].env);
    }
  free (h);
}

void
lc_container_free (struct lc_container *c)
{
  size_t i;
  if (c == NULL)
    return;
  if (c->sync >= 0)
    close (c->sync);
  if (c->console >= 0)
    close (c->console);
  if (c->pidfd >= 0)
    close (c->pidfd);
  hooks_free (c->poststart, c->poststart_len);
  hooks_free (c->poststop, c->poststop_len);
  for (i = 0; i < c->annotations_len; i++)
    {
      free (c->annotations[i].key);
      free (c->annotations[i].value);
    }
  free (c->annotations);
  lc_cgroup_free (c->cgroup);
  lc_seccomp_free (c->seccomp);
  free (c->seccomp_listener);
  free (c->seccomp_metadata);
  strv_free (c->device_paths);
  free (c->id);
  free (c->bundle);
  free (c);
}

pid_t
lc_container_pid (const struct lc_container *c)
{
  return c->pid;
}

int
lc_container_take_console (struct lc_container *c)
{
  return TAKE_FD (c->console);
}

/* ---- seccomp listener --------------------------------------------------- */

/* runc's handoff to a seccomp agent: the container process state as JSON
 * with the listener fd attached, on a connection to listenerPath.  */
int
lc_container_seccomp_handoff (struct lc_container *c, pid_t pid, int notify_fd, rv_error_t *err)
{
  _cleanup_close_ int s = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  const unsigned char *buf;
  size_t len;
  struct iovec iov;
  struct msghdr msg;
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct cmsghdr *cm;
  yajl_gen g;
  ssize_t n;

  if (c->seccomp_listener == NULL || strlen (c->seccomp_listener) >= sizeof (addr.sun_path))
    return rv_error_set (err, EINVAL, "seccomp listenerPath is missing or too long");
  memcpy (addr.sun_path, c->seccomp_listener, strlen (c->seccomp_listener) + 1);
  s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect (s, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return rv_error_make (err, errno, "connect to the seccomp agent `%s`", c->seccomp_listener);

  g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  yajl_gen_string (g, (const unsigned char *) "ociVersion", 10);
  yajl_gen_string (g, (const unsigned char *) SPEC_VERSION, strlen (SPEC_VERSION));
  yajl_gen_string (g, (const unsigned char *) "fds", 3);
  yajl_gen_array_open (g);
  yajl_gen_string (g, (const unsigned char *) "seccompFd", 9);
  yajl_gen_array_close (g);
  yajl_gen_string (g, (const unsigned char *) "pid", 3);
  yajl_gen_integer (g, pid);
  yajl_gen_string (g, (const unsigned char *) "metadata", 8);
  yajl_gen_string (g, (const unsigned char *) (c->seccomp_metadata ? c->seccomp_metadata : ""),
                   c->seccomp_metadata ? strlen (c->seccomp_metadata) : 0);
  yajl_gen_string (g, (const unsigned char *) "state", 5);
  lc_hook_state_gen (g, c->id, "creating", c->pid, c->bundle, c->annotations, c->annotations_len);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);

  memset (&msg, 0, sizeof (msg));
  memset (&u, 0, sizeof (u));
  iov.iov_base = (void *) buf;
  iov.iov_len = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.b;
  msg.msg_controllen = sizeof (u.b);
  cm = CMSG_FIRSTHDR (&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &notify_fd, sizeof (int));
  n = sendmsg (s, &msg, MSG_NOSIGNAL);
  yajl_gen_free (g);
  if (n < 0)
    return rv_error_make (err, errno, "send the seccomp listener to `%s`", c->seccomp_listener);
  return 0;
}

/* ---- create ------------------------------------------------------------- */

/* The device rules a container gets: the config's, then runc's defaults
 * (so a config without rules still has only the usual devices).  */
static struct spec_resources
resources_with_default_devices (const struct spec_resources *r, char *const *configured,
                                struct spec_device_cgroup **ret_devs)
{
  struct spec_resources out;
  struct spec_device_cgroup *d;
  size_t n = r ? r->devices_len : 0, i;

  memset (&out, 0, sizeof (out));
  if (r)
    out = *r;
  d = xcalloc (n + lc_dev_default_rules_len + 1, sizeof (*d));
  for (i = 0; i < n; i++)
    d[i] = r->devices[i];
  for (i = 0; i < lc_dev_default_rules_len; i++)
    {
      const struct lc_dev_rule *x = &lc_dev_default_rules[i];
      static char types[][2] = { "c", "b", "a" };
      static char access[8][4] = { "", "m", "r", "rm", "w", "wm", "rw", "rwm" };
      struct spec_device_cgroup *o;
      if (x->path && strv_contains (configured, x->path))
        continue;
      o = &d[n++];
      o->allow = x->allow;
      o->type = x->type == 'b' ? types[1] : x->type == 'a' ? types[2] : types[0];
      o->major.set = x->major >= 0;
      o->major.value = x->major;
      o->minor.set = x->minor >= 0;
      o->minor.value = x->minor;
      o->access = access[x->access & 7];
    }
  out.devices = d;
  out.devices_len = n;
  *ret_devs = d;
  return out;
}

static char *
rootfs_path (const struct lc_create_opts *o, rv_error_t *err)
{
  _cleanup_free_ char *p = NULL;
  char real[PATH_MAX];
  struct stat st;

  if (o->rootfs)
    p = xstrdup (o->rootfs);
  else if (o->config->root == NULL || o->config->root->path == NULL)
    {
      rv_error_set (err, EINVAL, "root.path: missing");
      return NULL;
    }
  else if (o->config->root->path[0] == '/' || o->bundle == NULL)
    p = xstrdup (o->config->root->path);
  else
    p = xasprintf ("%s/%s", o->bundle, o->config->root->path);
  if (realpath (p, real) == NULL)
    {
      rv_error_make (err, errno, "rootfs `%s`", p);
      return NULL;
    }
  if (stat (real, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      rv_error_set (err, ENOTDIR, "rootfs `%s` is not a directory", real);
      return NULL;
    }
  return xstrdup (real);
}

struct prepared
{
  char *rootfs;
  struct lc_ns_plan ns;
  struct lc_mount_plan *plan;
  struct lc_dev_list devices;
  struct lc_proc *proc;
  struct lc_caps caps;
  struct lc_seccomp *seccomp;
};

static void
prepared_clear (struct prepared *p)
{
  free (p->rootfs);
  lc_ns_plan_clear (&p->ns);
  lc_mount_plan_free (p->plan);
  lc_devices_free (&p->devices);
  lc_proc_free (p->proc);
  lc_seccomp_free (p->seccomp);
}

/* Everything that can be checked before a process exists.  */
static int
prepare (const struct lc_create_opts *o, struct prepared *p, rv_error_t *err)
{
  const struct spec_config *c = o->config;
  int r;

  if (o->id == NULL || o->id[0] == '\0')
    return rv_error_set (err, EINVAL, "empty container id");
  if (c->process == NULL)
    return rv_error_set (err, EINVAL, "process: missing");
  p->rootfs = rootfs_path (o, err);
  if (p->rootfs == NULL)
    return -1;
  r = lc_ns_prepare (c, &p->ns, err);
  if (r < 0)
    return r;
  if (!p->ns.has_mount)
    return rv_error_set (err, EINVAL, "linux.namespaces: a mount namespace is needed to build the rootfs");
  r = lc_mount_plan_build (c, o->bundle, o->no_pivot, &p->plan, err);
  if (r < 0)
    return r;
  r = lc_devices_build (c, &p->devices, err);
  if (r < 0)
    return r;
  r = lc_proc_prepare (c->process, c->linux ? c->linux->personality : NULL, &p->proc, err);
  if (r < 0)
    return r;
  r = lc_caps_parse (c->process->capabilities, &p->caps, err);
  if (r < 0)
    return r;
  if (c->linux && c->linux->seccomp)
    {
      r = lc_seccomp_compile (c->linux->seccomp, &p->seccomp, err);
      if (r < 0)
        return r;
    }
  r = lc_lsm_check (c->process, err);
  if (r < 0)
    return r;
  if (c->linux && c->linux->intel_rdt)
    return rv_error_set (err, ENOTSUP, "linux.intelRdt: Intel RDT is not supported");
  /* Without a UTS namespace of its own the container would rename the
   * host (runc's check and words).  */
  if (((c->hostname && c->hostname[0]) || (c->domainname && c->domainname[0]))
      && lc_ns_find (c, "uts") == NULL)
    return rv_error_set (err, EINVAL, "unable to set %s without a private UTS namespace",
                         c->hostname && c->hostname[0] ? "hostname" : "domainname");
  return lc_proc_check_sysctls (c, err);
}

static const char *
cgroup_path_of (const struct lc_create_opts *o)
{
  if (o->cgroup_path && o->cgroup_path[0])
    return o->cgroup_path;
  if (o->config->linux && o->config->linux->cgroups_path && o->config->linux->cgroups_path[0])
    return o->config->linux->cgroups_path;
  /* runc's default: the container's id, below the caller's own cgroup.  */
  return o->id;
}

/* poststart and poststop: each failure is a warning (logged at debug level,
 * library code does not print), the remaining hooks still run.  */
static void
run_warning_hooks (struct lc_container *c, const char *kind, const struct spec_hook *h, size_t n,
                   const char *state)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      _cleanup_error_ rv_error_t tmp = NULL;
      if (lc_hooks_run (kind, &h[i], 1, state, NULL, &tmp) < 0)
        rv_debug ("container %s: %s", c->id, tmp->msg);
    }
}

static void
run_poststop (struct lc_container *c)
{
  _cleanup_free_ char *state = NULL;
  if (!c->runtime_hooks || c->poststop_len == 0)
    return;
  state = lc_hook_state_json (c->id, "stopped", 0, c->bundle, c->annotations, c->annotations_len);
  run_warning_hooks (c, "poststop", c->poststop, c->poststop_len, state);
}

/* A user namespace with the mappings of an idmapped mount: a child
 * unshares one, we write its maps and keep an fd to it, the child goes.  */
static int
userns_with_maps (const struct lc_mount *m, int *ret_fd, rv_error_t *err)
{
  struct spec_linux lx = { .uid_mappings = (struct spec_id_mapping *) m->uid_mappings,
                           .uid_mappings_len = m->uid_mappings_len,
                           .gid_mappings = (struct spec_id_mapping *) m->gid_mappings,
                           .gid_mappings_len = m->gid_mappings_len };
  _cleanup_free_ char *path = NULL;
  int p[2], fd, r;
  pid_t pid;
  char c;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return rv_error_make (err, errno, "pipe");
  pid = lc_fork_blocked ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return rv_error_make (err, errno, "fork");
    }
  if (pid == 0)
    {
      close (p[1]);
      if (unshare (CLONE_NEWUSER) < 0)
        _exit (1);
      /* Wait until the parent is done with us.  */
      (void) !read (p[0], &c, 1);
      _exit (0);
    }
  close (p[0]);
  /* The namespace exists once our uid_map differs from the child's.  */
  path = xasprintf ("/proc/%d/ns/user", (int) pid);
  for (int i = 0; i < 1000; i++)
    {
      struct stat a, b;
      if (stat (path, &a) == 0 && stat ("/proc/self/ns/user", &b) == 0 && a.st_ino != b.st_ino)
        break;
      usleep (1000);
    }
  r = lc_ns_write_id_maps (pid, &lx, err);
  fd = r == 0 ? open (path, O_RDONLY | O_CLOEXEC) : -1;
  if (r == 0 && fd < 0)
    r = rv_error_make (err, errno, "open `%s`", path);
  close (p[1]);
  kill (pid, SIGKILL);
  reap (pid);
  if (r < 0)
    return r;
  *ret_fd = fd;
  return 0;
}

/* Idmapped mounts are made here, where the sources and the privileges
 * are, and handed to the init to attach (before sync 1).  Without
 * mappings of their own they use the container's user namespace.  */
static int
send_idmapped_mounts (const struct lc_mount_plan *plan, pid_t init, int sock, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < plan->len; i++)
    {
      const struct lc_mount *m = &plan->mounts[i];
      _cleanup_close_ int userns = -1;
      _cleanup_close_ int tree = -1;
      int r;

      if (!m->idmap)
        continue;
      if (m->uid_mappings_len > 0 || m->gid_mappings_len > 0)
        r = userns_with_maps (m, &userns, err);
      else
        {
          _cleanup_free_ char *p = xasprintf ("/proc/%d/ns/user", (int) init);
          struct stat a, b;
          userns = open (p, O_RDONLY | O_CLOEXEC);
          r = userns < 0 ? rv_error_make (err, errno, "open `%s`", p) : 0;
          if (r == 0 && fstat (userns, &a) == 0 && stat ("/proc/self/ns/user", &b) == 0
              && a.st_ino == b.st_ino)
            r = rv_error_set (err, EINVAL, "mount `%s`: idmap without mappings needs a user namespace",
                              m->destination);
        }
      if (r == 0)
        r = lc_rootfs_idmapped_tree (m, userns, &tree, err);
      if (r == 0)
        r = lc_sync_send (sock, LC_SYNC_MOUNTFD, (int64_t) i, NULL, tree, err);
      if (r < 0)
        return rv_error_wrap (err, "mounts[%zu] (`%s`)", i, m->destination);
    }
  return 0;
}

/* The helper: joins, unshares time, clones the init, reports its pid.  */
static void __attribute__ ((noreturn))
helper_main (struct lc_child *child, const struct lc_ns_plan *ns, const struct spec_linux *lx)
{
  rv_error_t err = NULL;
  pid_t pid;

  if (lc_ns_join_all (ns, lx, &err) < 0)
    {
      rv_error_wrap (&err, "namespaces");
      lc_sync_send_error (child->sock, err);
      _exit (1);
    }
  pid = lc_ns_clone (CLONE_PARENT | ns->clone_flags);
  if (pid < 0)
    {
      rv_error_make (&err, errno, "clone the container's init");
      lc_sync_send_error (child->sock, err);
      _exit (1);
    }
  if (pid == 0)
    lc_init_main (child);
  /* sync 0.  */
  if (lc_sync_send (child->sock, LC_SYNC_PID, pid, NULL, -1, &err) < 0)
    {
      kill (pid, SIGKILL);
      _exit (1);
    }
  _exit (0);
}

static const char *
hook_kind_name (enum spec_hook_kind k)
{
  static const char *const names[]
      = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };
  return (size_t) k < ARRAY_SIZE (names) ? names[k] : "?";
}

static int
run_runtime_hooks (struct lc_container *c, const struct spec_config *config, enum spec_hook_kind k,
                   const char *status, rv_error_t *err)
{
  _cleanup_free_ char *state = NULL;
  if (!c->runtime_hooks || config->hooks == NULL || config->hooks->len[k] == 0)
    return 0;
  state = lc_hook_state_json (c->id, status, c->pid, c->bundle, config->annotations, config->annotations_len);
  return lc_hooks_run (hook_kind_name (k), config->hooks->hooks[k], config->hooks->len[k], state, NULL, err);
}

/* Waits for READY, passing a seccomp listener on when one comes first.  */
static int
wait_ready (struct lc_container *c, int sock, pid_t pid, int *ret_console, rv_error_t *err)
{
  for (;;)
    {
      struct lc_sync_msg m = { .fd = -1 };
      int r = lc_sync_recv (sock, &m, err);
      if (r < 0)
        return r;
      if (m.type == LC_SYNC_ERROR)
        {
          r = rv_error_set (err, m.status > 0 ? m.status : EIO, "%s", m.text);
          lc_sync_msg_clear (&m);
          return r;
        }
      if (m.type == LC_SYNC_SECCOMP)
        {
          r = lc_container_seccomp_handoff (c, pid, m.fd, err);
          lc_sync_msg_clear (&m);
          if (r < 0)
            return r;
          continue;
        }
      if (m.type != LC_SYNC_READY)
        {
          lc_sync_msg_clear (&m);
          return rv_error_set (err, EPROTO, "unexpected message %u from the container process", m.type);
        }
      *ret_console = m.fd;
      m.fd = -1;
      lc_sync_msg_clear (&m);
      return 0;
    }
}

int
lc_container_create (const struct lc_create_opts *o, struct lc_container **ret, rv_error_t *err)
{
  const struct spec_config *config = o->config;
  struct prepared p;
  struct lc_container *c = NULL;
  struct lc_child child;
  struct lc_sync_msg msg = { .fd = -1 };
  _cleanup_free_ struct spec_device_cgroup *devs = NULL;
  struct spec_resources res;
  int sv[2] = { -1, -1 };
  pid_t helper = -1, init = -1;
  bool hooks_stage = false;
  int r;

  memset (&p, 0, sizeof (p));
  r = prepare (o, &p, err);
  if (r < 0)
    goto fail;

  c = xmalloc0 (sizeof (*c));
  c->id = xstrdup (o->id);
  c->bundle = xstrdup (o->bundle);
  c->pidfd = c->sync = c->console = -1;
  c->runtime_hooks = !o->no_runtime_hooks;
  c->poststart = hooks_dup (config->hooks, SPEC_HOOK_POSTSTART, &c->poststart_len);
  c->poststop = hooks_dup (config->hooks, SPEC_HOOK_POSTSTOP, &c->poststop_len);
  if (config->annotations_len)
    {
      size_t i;
      c->annotations = xcalloc (config->annotations_len, sizeof (struct spec_kv));
      for (i = 0; i < config->annotations_len; i++)
        {
          c->annotations[i].key = xstrdup (config->annotations[i].key);
          c->annotations[i].value = xstrdup (config->annotations[i].value);
        }
      c->annotations_len = config->annotations_len;
    }
  if (config->linux)
    {
      size_t i;
      c->device_paths = xcalloc (config->linux->devices_len + 1, sizeof (char *));
      for (i = 0; i < config->linux->devices_len; i++)
        c->device_paths[i]
            = lc_path_clean (config->linux->devices[i].path ? config->linux->devices[i].path : "/");
    }
  if (config->linux && config->linux->seccomp)
    {
      c->seccomp_listener = xstrdup (config->linux->seccomp->listener_path);
      c->seccomp_metadata = xstrdup (config->linux->seccomp->listener_metadata);
    }

  /* The cgroup exists (empty of limits) before the init: it joins it at
   * sync 0, before it can fork anything.  */
  r = lc_cgroup_create (cgroup_path_of (o), NULL, 0, &c->cgroup, err);
  if (r < 0)
    goto fail;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      r = rv_error_make (err, errno, "socketpair");
      goto fail;
    }

  memset (&child, 0, sizeof (child));
  child.sock = sv[1];
  child.id = o->id;
  child.bundle = o->bundle;
  child.config = config;
  child.process = config->process;
  child.proc = p.proc;
  child.caps = p.caps;
  child.seccomp = p.seccomp;
  child.ns = &p.ns;
  child.plan = p.plan;
  child.devices = &p.devices;
  child.cgroup = c->cgroup;
  child.rootfs = p.rootfs;
  child.no_pivot = o->no_pivot;
  child.no_new_keyring = o->no_new_keyring;
  child.rootfd = -1;
  child.stdio[0] = o->stdio.in;
  child.stdio[1] = o->stdio.out;
  child.stdio[2] = o->stdio.err;
  child.preserve = o->preserve_fds;
  child.preserve_len = o->preserve_fds_len;

  helper = lc_fork_blocked ();
  if (helper < 0)
    {
      r = rv_error_make (err, errno, "fork");
      goto fail;
    }
  if (helper == 0)
    {
      close (sv[0]);
      helper_main (&child, &p.ns, config->linux);
    }
  close (sv[1]);
  sv[1] = -1;

  /* sync 0.  */
  r = lc_sync_expect (sv[0], LC_SYNC_PID, &msg, err);
  reap (helper);
  helper = -1;
  if (r < 0)
    goto fail;
  init = (pid_t) msg.value;
  lc_sync_msg_clear (&msg);
  c->pid = init;
  c->pidfd = lc_pidfd_open (init);
  if (c->pidfd < 0)
    {
      r = rv_error_make (err, errno, "pidfd_open of the init");
      goto fail;
    }
  if (p.ns.new_user)
    {
      r = lc_ns_write_id_maps (init, config->linux, err);
      if (r < 0)
        goto fail;
    }
  if (config->process->oom_score_adj.set)
    {
      r = lc_proc_set_oom_score_adj (init, config->process->oom_score_adj.value, err);
      if (r < 0)
        goto fail;
    }
  r = lc_cgroup_add_pid (c->cgroup, init, err);
  if (r < 0)
    goto fail;
  r = send_idmapped_mounts (p.plan, init, sv[0], err);
  if (r < 0)
    goto fail;

  /* sync 1.  */
  r = lc_sync_send (sv[0], LC_SYNC_GO, init, NULL, -1, err);
  if (r < 0)
    goto fail;

  /* sync 2.  */
  r = lc_sync_expect (sv[0], LC_SYNC_HOOKS, NULL, err);
  if (r < 0)
    goto fail;
  res = resources_with_default_devices (config->linux ? config->linux->resources : NULL, c->device_paths,
                                        &devs);
  r = lc_cgroup_apply (c->cgroup, &res, err);
  if (r < 0)
    {
      rv_error_wrap (err, "linux.resources");
      goto fail;
    }
  /* From here a failure still runs poststop (the spec's step 12).  */
  hooks_stage = true;
  r = run_runtime_hooks (c, config, SPEC_HOOK_PRESTART, "creating", err);
  if (r == 0)
    r = run_runtime_hooks (c, config, SPEC_HOOK_CREATE_RUNTIME, "creating", err);
  if (r < 0)
    goto fail;

  /* sync 3.  */
  r = lc_sync_send (sv[0], LC_SYNC_GO, init, NULL, -1, err);
  if (r < 0)
    goto fail;

  /* sync 4.  */
  if (p.seccomp)
    c->seccomp = TAKE_PTR (p.seccomp);
  r = wait_ready (c, sv[0], init, &c->console, err);
  if (r < 0)
    goto fail;
  c->sync = sv[0];
  prepared_clear (&p);
  *ret = c;
  return 0;

fail:
  if (helper > 0)
    {
      kill (helper, SIGKILL);
      reap (helper);
    }
  if (init > 0)
    {
      /* Never handed over: ours to kill and reap.  */
      if (c && c->pidfd >= 0)
        (void) lc_pidfd_signal (c->pidfd, SIGKILL);
      else
        (void) kill (init, SIGKILL);
      reap (init);
    }
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  if (c && hooks_stage)
    run_poststop (c);
  if (c && c->cgroup)
    {
      /* Without a pid namespace, what a createContainer hook left running
       * is still in the cgroup.  */
      _cleanup_error_ rv_error_t tmp = NULL;
      (void) lc_cgroup_kill (c->cgroup, SIGKILL, &tmp);
      rv_error_release (&tmp);
      (void) lc_cgroup_destroy (c->cgroup, &tmp);
    }
  lc_container_free (c);
  prepared_clear (&p);
  return rv_error_wrap (err, "create container `%s`", o->id ? o->id : "");
}

/* ---- the rest of the lifecycle ------------------------------------------ */

static bool
alive (struct lc_container *c)
{
  return c->pidfd >= 0 && lc_pidfd_signal (c->pidfd, 0) == 0;
}

int
lc_container_start (struct lc_container *c, rv_error_t *err)
{
  struct lc_sync_msg m = { .fd = -1 };
  _cleanup_free_ char *state = NULL;
  int r;

  if (c->started || c->sync < 0)
    return rv_error_set (err, EALREADY, "start container `%s`: already started", c->id);
  if (!alive (c))
    return rv_error_set (err, ESRCH, "start container `%s`: its init is not running", c->id);
  /* sync 5.  */
  r = lc_sync_send (c->sync, LC_SYNC_START, 0, NULL, -1, err);
  if (r < 0)
    return rv_error_wrap (err, "start container `%s`", c->id);
  /* sync 6: EXECING, then the socket closes on exec.  */
  r = lc_sync_expect (c->sync, LC_SYNC_EXECING, NULL, err);
  if (r == 0)
    {
      r = lc_sync_recv (c->sync, &m, err);
      if (r == 0)
        {
          if (m.type == LC_SYNC_ERROR)
            r = rv_error_set (err, m.status > 0 ? m.status : EIO, "%s", m.text);
          else
            r = rv_error_set (err, EPROTO, "unexpected message %u after exec", m.type);
          lc_sync_msg_clear (&m);
        }
      else if ((*err)->status == EPIPE)
        {
          rv_error_release (err);
          r = 0;
        }
    }
  close (c->sync);
  c->sync = -1;
  c->started = true;
  if (r < 0)
    return rv_error_wrap (err, "start container `%s`", c->id);

  /* poststart: a failure is only a warning for the spec.  */
  if (c->runtime_hooks && c->poststart_len > 0)
    {
      state = lc_hook_state_json (c->id, "running", c->pid, c->bundle, c->annotations, c->annotations_len);
      run_warning_hooks (c, "poststart", c->poststart, c->poststart_len, state);
    }
  return 0;
}

int
lc_container_kill (struct lc_container *c, int sig, bool all, rv_error_t *err)
{
  if (all)
    {
      int r = lc_cgroup_kill (c->cgroup, sig, err);
      if (r < 0)
        return rv_error_wrap (err, "kill container `%s`", c->id);
      return 0;
    }
  if (c->pidfd < 0 || lc_pidfd_signal (c->pidfd, sig) < 0)
    return rv_error_make (err, c->pidfd < 0 ? ESRCH : errno, "kill container `%s`: signal %d to its init",
                          c->id, sig);
  return 0;
}

int
lc_container_pids (struct lc_container *c, pid_t **ret, size_t *ret_len, rv_error_t *err)
{
  return lc_cgroup_pids (c->cgroup, ret, ret_len, err);
}

int
lc_container_pause (struct lc_container *c, rv_error_t *err)
{
  int r = lc_cgroup_freeze (c->cgroup, true, err);
  return r < 0 ? rv_error_wrap (err, "pause container `%s`", c->id) : 0;
}

int
lc_container_resume (struct lc_container *c, rv_error_t *err)
{
  int r = lc_cgroup_freeze (c->cgroup, false, err);
  return r < 0 ? rv_error_wrap (err, "resume container `%s`", c->id) : 0;
}

int
lc_container_update (struct lc_container *c, const struct spec_resources *resources, rv_error_t *err)
{
  _cleanup_free_ struct spec_device_cgroup *devs = NULL;
  struct spec_resources res;
  int r;

  if (resources == NULL)
    return 0;
  res = *resources;
  if (resources->devices_len > 0)
    res = resources_with_default_devices (resources, c->device_paths, &devs);
  r = lc_cgroup_update (c->cgroup, &res, err);
  return r < 0 ? rv_error_wrap (err, "update container `%s`", c->id) : 0;
}

int
lc_container_destroy (struct lc_container *c, rv_error_t *err)
{
  _cleanup_error_ rv_error_t tmp = NULL;
  int r;

  if (c->destroyed)
    return 0;
  if (c->sync >= 0)
    {
      close (c->sync);
      c->sync = -1;
    }
  /* A frozen cgroup keeps its processes from dying: thaw after the kill
   * (v1's freezer only lets SIGKILL through once thawed).  */
  (void) lc_cgroup_kill (c->cgroup, SIGKILL, &tmp);
  rv_error_release (&tmp);
  if (c->pidfd >= 0)
    (void) lc_pidfd_signal (c->pidfd, SIGKILL);
  (void) lc_cgroup_freeze (c->cgroup, false, &tmp);
  rv_error_release (&tmp);

  run_poststop (c);
  r = lc_cgroup_destroy (c->cgroup, err);
  if (r < 0)
    return rv_error_wrap (err, "destroy container `%s`", c->id);
  c->destroyed = true;
  return 0;
}
