/* Duties of the guest's PID 1, in order (agreed with the VM launcher):
 *   1. /proc, /dev (devtmpfs, then the console becomes fds 0-2 and the
 *      log), /dev/pts, /dev/shm, /sys, /run, cgroup2 at /sys/fs/cgroup with
 *      every controller enabled for children;
 *   2. the kernel command line: runvm.port=, runvm.debug=;
 *   3. the modules listed in /lib/modules/load (vsock, virtio-fs, ...);
 *   4. the virtio-fs share `runvm` at /run/runvm/shared;
 *   5. loopback up.
 * Then main() listens on vsock.  PID 1 must never exit (the kernel would
 * panic): a fatal error is logged and the VM powered off.  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-client/transport.h"
#include "cmd/runvm-agent/agent.h"
#include "common/kmod.h"
#include "common/log.h"
#include "common/utils.h"

#define SHARED_DIR  "/run/runvm/shared"
#define SHARED_TAG  "runvm"
#define MODULE_LIST "/lib/modules/load"

static void
mount_fs (const char *source, const char *target, const char *type, unsigned long flags, const char *data)
{
  if (mkdir (target, 0755) < 0 && errno != EEXIST)
    rv_log (RV_LOG_ERROR, "mkdir `%s`: %s", target, strerror (errno));
  if (mount (source, target, type, flags, data) < 0 && errno != EBUSY)
    rv_log (RV_LOG_ERROR, "mount %s on `%s`: %s", type, target, strerror (errno));
}

/* The console the launcher captures becomes stdin, stdout, stderr and
 * the log.  */
static void
setup_console (void)
{
  int fd = open ("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
  int i;

  if (fd < 0)
    return;
  for (i = 0; i < 3; i++)
    if (fd != i)
      (void) dup2 (fd, i);
  if (fd > 2)
    (void) close (fd);
}

static void
enable_controllers (void)
{
  _cleanup_free_ char *avail = NULL, *line = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  char *save = NULL, *tok;
  int fd;

  if (read_file ("/sys/fs/cgroup/cgroup.controllers", 4096, &avail, NULL, &err) < 0)
    {
      rv_log (RV_LOG_ERROR, "cgroups: %s", err->msg);
      return;
    }
  line = xstrdup ("");
  for (tok = strtok_r (avail, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
    {
      char *joined = xasprintf ("%s%s+%s", line, *line ? " " : "", tok);
      free (line);
      line = joined;
    }
  if (*line == '\0')
    return;
  fd = open ("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write_all (fd, line, strlen (line)) < 0)
    rv_log (RV_LOG_ERROR, "cgroups: enable `%s`: %s", line, strerror (errno));
  if (fd >= 0)
    (void) close (fd);
}

void
pid1_parse_cmdline (const char *cmdline, struct pid1_config *ret)
{
  _cleanup_free_ char *copy = xstrdup (cmdline ? cmdline : "");
  char *save = NULL, *tok;
  uint64_t v;

  ret->port = AGENT_DEFAULT_PORT;
  ret->debug = false;
  for (tok = strtok_r (copy, " \t\n", &save); tok; tok = strtok_r (NULL, " \t\n", &save))
    {
      if (str_has_prefix (tok, "runvm.port="))
        {
          if (parse_u64 (tok + 11, &v) == 0 && v > 0 && v <= UINT32_MAX)
            ret->port = (uint32_t) v;
          else
            rv_log (RV_LOG_ERROR, "ignoring `%s`: not a port", tok);
        }
      else if (str_has_prefix (tok, "runvm.debug="))
        ret->debug = strcmp (tok + 12, "0") != 0 && strcmp (tok + 12, "") != 0;
      else if (strcmp (tok, "runvm.debug") == 0)
        ret->debug = true;
    }
}

void
pid1_setup (struct pid1_config *ret)
{
  _cleanup_free_ char *cmdline = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  struct pid1_config cfg;

  umask (022);
  mount_fs ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_fs ("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  setup_console ();
  rv_log_setup (STDERR_FILENO, RV_LOG_FORMAT_TEXT, RV_LOG_INFO);
  mount_fs ("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666");
  mount_fs ("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  mount_fs ("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_fs ("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
  mount_fs ("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate");
  enable_controllers ();

  if (read_file ("/proc/cmdline", 65536, &cmdline, NULL, &err) < 0)
    {
      rv_log (RV_LOG_ERROR, "%s", err->msg);
      rv_error_release (&err);
    }
  pid1_parse_cmdline (cmdline, &cfg);
  if (cfg.debug)
    rv_log_setup (STDERR_FILENO, RV_LOG_FORMAT_TEXT, RV_LOG_DEBUG);

  if (access (MODULE_LIST, F_OK) == 0 && kmod_load_list (MODULE_LIST, cmdline, &err) < 0)
    {
      rv_log (RV_LOG_ERROR, "modules: %s", err->msg);
      rv_error_release (&err);
    }

  /* The launcher always shares a directory; an agent booted on its own
   * (to test the VM) still serves everything but containers.  */
  if (mkdir_p (SHARED_DIR, 0755, &err) < 0)
    {
      rv_log (RV_LOG_ERROR, "%s", err->msg);
      rv_error_release (&err);
    }
  else if (mount (SHARED_TAG, SHARED_DIR, "virtiofs", 0, NULL) < 0)
    rv_log (RV_LOG_WARNING, "mount virtio-fs `%s` on `%s`: %s", SHARED_TAG, SHARED_DIR, strerror (errno));

  if (netcfg_loopback_up (&err) < 0)
    {
      rv_log (RV_LOG_ERROR, "%s", err->msg);
      rv_error_release (&err);
    }
  rv_debug ("guest set up: port %u", cfg.port);
  *ret = cfg;
}

void
pid1_poweroff (void)
{
  int i;

  /* Everything is ours to end: TERM first for a clean exit of what
   * listens, then KILL, reaping all along.  */
  sync ();
  (void) kill (-1, SIGTERM);
  for (i = 0; i < 20; i++)
    {
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
      if (kill (-1, 0) < 0 && errno == ESRCH)
        break;
      usleep (10000);
    }
  (void) kill (-1, SIGKILL);
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
  sync ();
  (void) umount2 (SHARED_DIR, MNT_DETACH);
  rv_info ("powering off");
  (void) reboot (RB_POWER_OFF);
  for (;;)
    pause ();
}
