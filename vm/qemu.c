/* The qemu launcher: QEMU's microvm machine, virtiofsd sharing
 * <state>/shared, and vsock to the agent either through the kernel
 * (/dev/vhost-vsock, a claimed guest CID) or through runvm-vsockd.
 *
 * Start order: the console pipes; virtiofsd and runvm-vsockd on listening
 * sockets this process created, so QEMU can connect at once (the kernel
 * queues the connection until the helper accepts) and nobody waits for a
 * socket file to appear; then QEMU.  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/cid.h"
#include "vm/hostinfo.h"
#include "vm/qemu_argv.h"
#include "vm/vm_impl.h"

struct qemu_priv
{
  char *qemu;
  char *virtiofsd;
  char *vsockd;
  char *kernel;
  char *initrd;
  enum vm_accel accel;
  uint32_t tsc_khz;
  enum vm_transport_pref transport; /* VSOCK or HYBRID */
  char *shared_dir;
};

static struct qemu_priv *
priv (struct vm *vm)
{
  return vm->priv;
}

static void
qemu_destroy (struct vm *vm)
{
  struct qemu_priv *p = priv (vm);
  if (p == NULL)
    return;
  free (p->qemu);
  free (p->virtiofsd);
  free (p->vsockd);
  free (p->kernel);
  free (p->initrd);
  free (p->shared_dir);
  free (p);
  vm->priv = NULL;
}

static int
qemu_prepare (struct vm *vm, rv_error_t *err)
{
  struct qemu_priv *p = xmalloc0 (sizeof (*p));
  const struct vm_config *c = vm->config;
  struct vm_kvm_info kvm;
  char reason[160];
  int r;

  vm->priv = p;

  r = vm_config_find_qemu (c, &p->qemu, err);
  if (r < 0)
    return r;
  if (!vm->bare)
    {
      r = vm_config_find_virtiofsd (c, &p->virtiofsd, err);
      if (r < 0)
        return r;
    }
  r = vm_config_guest_paths (c, &p->kernel, &p->initrd, err);
  if (r < 0)
    return r;

  vm_kvm_probe (NULL, NULL, &kvm);
  r = vm_accel_resolve (c->accel, &kvm, &p->accel, err);
  if (r < 0)
    return r;
  if (p->accel == VM_ACCEL_TCG)
    {
      r = vm_tsc_khz (&p->tsc_khz, NULL, err);
      if (r < 0)
        return r;
    }

  switch (c->transport)
    {
    case VM_TRANSPORT_AUTO:
      p->transport
          = vm_vhost_vsock_usable (NULL, reason, sizeof (reason)) ? VM_TRANSPORT_VSOCK : VM_TRANSPORT_HYBRID;
      break;
    case VM_TRANSPORT_VSOCK:
      if (!vm_vhost_vsock_usable (NULL, reason, sizeof (reason)))
        return rv_error_set (err, ENODEV, "transport vsock requested but kernel vsock is not usable: %s",
                             reason);
      p->transport = VM_TRANSPORT_VSOCK;
      break;
    case VM_TRANSPORT_HYBRID:
      p->transport = VM_TRANSPORT_HYBRID;
      break;
    }
  if (p->transport == VM_TRANSPORT_HYBRID && !vm->bare)
    {
      r = vm_config_find_vsockd (c, &p->vsockd, err);
      if (r < 0)
        return r;
    }

  p->shared_dir = vm_impl_state_path (vm, "shared");
  if (mkdir (p->shared_dir, 0755) < 0 && errno != EEXIST)
    return rv_error_make (err, errno, "create `%s`", p->shared_dir);

  vm->description = xasprintf ("qemu %s, %u vCPU, %u MiB, kernel `%s`, %s", vm_accel_name (p->accel),
                               c->vcpus, c->memory_mb, p->kernel,
                               vm->bare                             ? "bare"
                               : p->transport == VM_TRANSPORT_VSOCK ? "kernel vsock"
                                                                    : "hybrid vsock");
  return 0;
}

/* virtiofsd parses -o values with fuse_opt: ',' separates options and '\'
 * escapes the next character.  */
static char *
fuse_opt_escape (const char *key, const char *value)
{
  size_t len = strlen (value), i, o = 0;
  char *out = xmalloc (strlen (key) + 2 * len + 2);
  memcpy (out, key, strlen (key));
  o = strlen (key);
  out[o++] = '=';
  for (i = 0; i < len; i++)
    {
      if (value[i] == ',' || value[i] == '\\')
        out[o++] = '\\';
      out[o++] = value[i];
    }
  out[o] = '\0';
  return out;
}

static int
start_virtiofsd (struct vm *vm, char **ret_socket, int *ret_keep_fd, rv_error_t *err)
{
  struct qemu_priv *p = priv (vm);
  _cleanup_close_ int listen_fd = -1, log_wr = -1;
  _cleanup_free_ char *path = NULL;
  _cleanup_strv_ char **argv = NULL;
  struct rlimit nofile;
  int keep[2], nkeep = 0, dir_fd, r;

  r = vm_impl_socket_path (vm, "fs.sock", &path, &dir_fd, err);
  if (r < 0)
    return r;
  r = vm_impl_listen_unix (path, &listen_fd, err);
  if (r < 0)
    return r;
  listen_fd = vm_fd_above_stdio (listen_fd);
  if (listen_fd < 0)
    return rv_error_make (err, -listen_fd, "virtiofsd socket");
  r = vm_console_add_source (&vm->console, "virtiofsd", true, &log_wr, err);
  if (r < 0)
    return r;

  /* A chroot sandbox: the namespace one forks a second process that would
   * outlive a SIGKILL of the first for a moment, out of our reach.  The
   * file limit is left where it is: raising it needs CAP_SYS_RESOURCE.  */
  strv_append (&argv, p->virtiofsd);
  {
    _cleanup_free_ char *fdarg = xasprintf ("--fd=%d", listen_fd);
    _cleanup_free_ char *src = fuse_opt_escape ("source", p->shared_dir);
    strv_append (&argv, fdarg);
    strv_append (&argv, "-o");
    strv_append (&argv, src);
  }
  strv_append (&argv, "-o");
  strv_append (&argv, "sandbox=chroot");
  strv_append (&argv, "-o");
  strv_append (&argv, "cache=auto");
  /* File capabilities and ACLs live in xattrs; submounts (the bind-mounted
   * volumes) get their own st_dev in the guest.  trusted.* needs
   * CAP_SYS_ADMIN, which virtiofsd does not keep, and the guest's
   * overlayfs refuses an upper layer on virtio-fs without it: the guest's
   * trusted.* are the host's user.virtiofs.trusted.*, the host's own
   * trusted.* are hidden, and user.virtiofs.* cannot be named directly
   * (the map rule's four rules, virtiofsd(1)).  The rest, security.*
   * included, passes unchanged.  */
  strv_append (&argv, "-o");
  strv_append (&argv, "xattr");
  strv_append (&argv, "-o");
  strv_append (&argv, "xattrmap=:map:trusted.:user.virtiofs.:");
  strv_append (&argv, "-o");
  strv_append (&argv, "announce_submounts");
  strv_append (&argv, "-o");
  strv_append (&argv, vm->config->debug ? "log_level=info" : "log_level=warn");
  if (getrlimit (RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_max != RLIM_INFINITY)
    {
      _cleanup_free_ char *lim = xasprintf ("--rlimit-nofile=%llu", (unsigned long long) nofile.rlim_max);
      strv_append (&argv, lim);
    }
  else
    strv_append (&argv, "--rlimit-nofile=0");

  keep[nkeep++] = listen_fd;
  r = vm_impl_spawn_argv (vm, "virtiofsd", argv, log_wr, log_wr, keep, (size_t) nkeep, false, err);
  if (r < 0)
    return r;
  *ret_socket = TAKE_PTR (path);
  *ret_keep_fd = dir_fd;
  return 0;
}

/* runvm-vsockd (docs/vsock.md) serves QEMU's vhost-user-vsock-device on
 * one end of a socketpair, QEMU holds the other (`-chardev socket,fd=`):
 * no path to race on or to outgrow sun_path, and QEMU's end goes with
 * QEMU.  The guest's ports appear on <state>/vsock.sock.  *RET_QEMU_FD is
 * QEMU's end, for the caller to pass on and close.  */
static int
start_vsockd (struct vm *vm, int *ret_qemu_fd, rv_error_t *err)
{
  struct qemu_priv *p = priv (vm);
  _cleanup_close_ int daemon_fd = -1, qemu_fd = -1, log_wr = -1;
  _cleanup_free_ char *uds = NULL, *plain = vm_impl_state_path (vm, "vsock.sock"), *fdarg = NULL;
  _cleanup_strv_ char **argv = NULL;
  int keep[2], nkeep = 0, sv[2], dir_fd = -1, r;

  /* Other runvm processes (exec, kill) find the socket by its name in the
   * state directory; a directory too deep for sun_path is reached through
   * /proc/self/fd (socket_path), by the daemon and by them alike.  */
  r = vm_impl_socket_path (vm, "vsock.sock", &uds, &dir_fd, err);
  if (r < 0)
    return r;
  /* A stale socket of an earlier VM of this state directory would make the
   * daemon refuse to start.  */
  (void) unlink (plain);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return rv_error_make (err, errno, "socketpair for runvm-vsockd");
  daemon_fd = vm_fd_above_stdio (sv[0]);
  qemu_fd = vm_fd_above_stdio (sv[1]);
  if (daemon_fd < 0 || qemu_fd < 0)
    return rv_error_make (err, EMFILE, "socketpair for runvm-vsockd");
  r = vm_console_add_source (&vm->console, "runvm-vsockd", true, &log_wr, err);
  if (r < 0)
    return r;

  fdarg = xasprintf ("%d", daemon_fd);
  strv_append (&argv, p->vsockd);
  strv_append (&argv, "--fd");
  strv_append (&argv, fdarg);
  strv_append (&argv, "--uds-path");
  strv_append (&argv, uds);
  /* The CID is private to this VM's device: any valid one will do.  */
  strv_append (&argv, "--guest-cid");
  strv_append (&argv, "3");
  if (vm->config->debug)
    strv_append (&argv, "--debug");

  keep[nkeep++] = daemon_fd;
  if (dir_fd >= 0)
    keep[nkeep++] = dir_fd;
  r = vm_impl_spawn_argv (vm, "runvm-vsockd", argv, log_wr, log_wr, keep, (size_t) nkeep, false, err);
  if (r < 0)
    return r;

  vm->transport.kind = AGENT_TRANSPORT_HYBRID_VSOCK;
  vm->transport.port = vm->config->agent_port;
  memcpy (vm->transport.path, uds, strlen (uds) + 1);
  vm->transport_set = true;
  *ret_qemu_fd = TAKE_FD (qemu_fd);
  return 0;
}

static int
qemu_start (struct vm *vm, rv_error_t *err)
{
  struct qemu_priv *p = priv (vm);
  const struct vm_config *c = vm->config;
  _cleanup_close_ int serial_wr = -1, stderr_wr = -1, vhost_fd = -1, vsock_fd = -1;
  _cleanup_free_ char *fs_socket = NULL, *name = NULL;
  _cleanup_strv_ char **cmdline = NULL, **argv = NULL;
  /* The vsock fd, the share's directory, each NIC's tap and vhost fds.  */
  _cleanup_free_ int *keep = xcalloc (2 + 2 * vm->n_nics, sizeof (int));
  struct qemu_spec spec = { 0 };
  int fs_dir_fd = -1, r;
  size_t nkeep = 0, i;

  r = vm_impl_console_open (vm, err);
  if (r < 0)
    return r;
  /* The guest's serial port unprefixed, QEMU's own messages marked.  */
  r = vm_console_add_source (&vm->console, "guest", false, &serial_wr, err);
  if (r < 0)
    return r;
  r = vm_console_add_source (&vm->console, "qemu", true, &stderr_wr, err);
  if (r < 0)
    return r;

  if (!vm->bare)
    {
      r = start_virtiofsd (vm, &fs_socket, &fs_dir_fd, err);
      if (r < 0)
        return r;
    }

  if (vm->bare)
    spec.vsock = QEMU_VSOCK_NONE;
  else if (p->transport == VM_TRANSPORT_VSOCK)
    {
      uint32_t cid;
      r = vm_vhost_vsock_claim (NULL, &vhost_fd, &cid, err);
      if (r < 0)
        return r;
      vhost_fd = vm_fd_above_stdio (vhost_fd);
      if (vhost_fd < 0)
        return rv_error_make (err, -vhost_fd, "vhost-vsock fd");
      spec.vsock = QEMU_VSOCK_VHOST;
      spec.guest_cid = cid;
      spec.vhost_fd = vhost_fd;
      keep[nkeep++] = vhost_fd;
      vm->transport.kind = AGENT_TRANSPORT_VSOCK;
      vm->transport.cid = cid;
      vm->transport.port = c->agent_port;
      vm->transport_set = true;
    }
  else
    {
      r = start_vsockd (vm, &vsock_fd, err);
      if (r < 0)
        return r;
      spec.vsock = QEMU_VSOCK_VHOST_USER;
      spec.vsock_fd = vsock_fd;
      keep[nkeep++] = vsock_fd;
    }
  if (fs_dir_fd >= 0)
    keep[nkeep++] = fs_dir_fd;
  for (i = 0; i < vm->n_nics; i++)
    {
      keep[nkeep++] = vm->nics[i].tap_fd;
      if (vm->nics[i].vhost_fd >= 0)
        keep[nkeep++] = vm->nics[i].vhost_fd;
    }

  cmdline = qemu_guest_cmdline (c->agent_port, c->debug, p->accel == VM_ACCEL_TCG ? p->tsc_khz : 0,
                                c->kernel_params);
  name = xasprintf ("runvm-%s", vm->id);
  spec.binary = p->qemu;
  spec.name = name;
  spec.accel = p->accel;
  spec.tb_size_mb = c->tb_size_mb;
  spec.vcpus = c->vcpus;
  spec.memory_mb = c->memory_mb;
  spec.kernel = p->kernel;
  spec.initrd = p->initrd;
  spec.cmdline = cmdline;
  spec.fs_socket = fs_socket;
  spec.fs_tag = "runvm";
  spec.nics = vm->nics;
  spec.n_nics = vm->n_nics;
  spec.sandbox = true;
  if (spec.vsock != QEMU_VSOCK_VHOST)
    spec.vhost_fd = -1;
  if (spec.vsock != QEMU_VSOCK_VHOST_USER)
    spec.vsock_fd = -1;
  argv = qemu_build_argv (&spec);

  r = vm_impl_spawn_argv (vm, "qemu", argv, serial_wr, stderr_wr, keep, nkeep, true, err);
  if (r < 0)
    return r;
  /* QEMU holds the vhost-vsock fd, and with it the CID, from here on.  */
  return 0;
}

const struct vm_launcher_ops vm_launcher_qemu = {
  .name = "qemu",
  .prepare = qemu_prepare,
  .start = qemu_start,
  .wait_ready = vm_impl_wait_ready,
  .stop = vm_impl_stop,
  .kill = vm_impl_kill,
  .transport = vm_impl_transport,
  .pids = vm_impl_pids,
  .watches = vm_impl_watches,
  .handle = vm_impl_handle,
  .destroy = qemu_destroy,
};
