/* The host launcher: no VM.  The agent runs as a host process listening on
 * <state>/agent.sock, and builds the container with the host's kernel
 * (runk's model).  For machines without virtualization and for fast tests;
 * it gives no isolation beyond a container's, which is why a container
 * cannot select it by annotation.
 *
 * <state>/shared is created as for a VM, so the monitor prepares the
 * rootfs the same way; the agent sees it at its host path.  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/vm_impl.h"

struct host_priv
{
  char *agent;
};

static void
host_destroy (struct vm *vm)
{
  struct host_priv *p = vm->priv;
  if (p == NULL)
    return;
  free (p->agent);
  free (p);
  vm->priv = NULL;
}

static int
host_prepare (struct vm *vm, rv_error_t *err)
{
  struct host_priv *p = xmalloc0 (sizeof (*p));
  _cleanup_free_ char *shared = NULL, *sock = NULL;
  int keep_fd, r;

  vm->priv = p;
  r = vm_config_find_agent (vm->config, &p->agent, err);
  if (r < 0)
    return r;
  shared = vm_impl_state_path (vm, "shared");
  if (mkdir (shared, 0755) < 0 && errno != EEXIST)
    return rv_error_make (err, errno, "create `%s`", shared);

  /* A deep state directory (docker's): the agent binds, and every runvm
   * process dials, the socket through an fd of the directory.  */
  r = vm_impl_socket_path (vm, "agent.sock", &sock, &keep_fd, err);
  if (r < 0)
    return r;
  vm->transport.kind = AGENT_TRANSPORT_UNIX;
  memcpy (vm->transport.path, sock, strlen (sock) + 1);
  vm->transport_set = true;
  vm->description = xasprintf ("host agent `%s`", p->agent);
  return 0;
}

static int
host_start (struct vm *vm, rv_error_t *err)
{
  struct host_priv *p = vm->priv;
  _cleanup_close_ int log_wr = -1;
  _cleanup_free_ char *listen = NULL;
  _cleanup_strv_ char **argv = NULL;
  int r;

  r = vm_impl_console_open (vm, err);
  if (r < 0)
    return r;
  r = vm_console_add_source (&vm->console, "agent", false, &log_wr, err);
  if (r < 0)
    return r;
  {
    _cleanup_free_ char *plain = vm_impl_state_path (vm, "agent.sock");
    (void) unlink (plain);
  }

  listen = xasprintf ("unix:%s", vm->transport.path);
  strv_append (&argv, p->agent);
  strv_append (&argv, "--listen");
  strv_append (&argv, listen);
  strv_append (&argv, "--exit-with-parent");
  if (vm->config->debug)
    strv_append (&argv, "--debug");
  return vm_impl_spawn_argv (vm, "runvm-agent", argv, log_wr, log_wr, &vm->state_fd,
                             vm->state_fd >= 0 ? 1 : 0, true, err);
}

const struct vm_launcher_ops vm_launcher_host = {
  .name = "host",
  .prepare = host_prepare,
  .start = host_start,
  .wait_ready = vm_impl_wait_ready,
  .stop = vm_impl_stop,
  .kill = vm_impl_kill,
  .transport = vm_impl_transport,
  .pids = vm_impl_pids,
  .watches = vm_impl_watches,
  .handle = vm_impl_handle,
  .destroy = host_destroy,
};
