/* `spec`: the starter config.json, with runc's defaults (runc's
 * libcontainer/specconv/example.go, Example and ToRootless) and
 * ociVersion 1.2.0.  Fields are written in the order of the runtime-spec's
 * Go types, so the file reads like runc's.  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/json_gen.h"
#include "runtime/runtime.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define SPEC_FILE "config.json"

struct mount_template
{
  const char *destination;
  const char *type;
  const char *source;
  const char *const options[8];
};

static const struct mount_template default_mounts[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts",
    "devpts",
    "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
  { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

/* A rootless container cannot mount sysfs: it gets the host's, bound
 * read-only.  */
static const struct mount_template rootless_sys
    = { "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro", NULL } };

static char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

static char *const masked_paths[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
  NULL,
};

static char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* runc adds a cgroup namespace when the host runs cgroup v2 alone.  */
static bool
host_cgroup2_unified (void)
{
  struct statfs sfs;

  return statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static void
emit_mount (struct rt_json *j, const struct mount_template *m, bool rootless)
{
  size_t i, kept = 0;

  rt_json_map_open (j);
  rt_json_kstr (j, "destination", m->destination);
  rt_json_kstr (j, "type", m->type);
  rt_json_kstr (j, "source", m->source);
  /* Without a user namespace of its own, uid= and gid= would name IDs
   * the container cannot map: ToRootless drops them.  */
  for (i = 0; m->options[i]; i++)
    {
      if (rootless && (str_has_prefix (m->options[i], "uid=") || str_has_prefix (m->options[i], "gid=")))
        continue;
      if (kept++ == 0)
        {
          rt_json_key (j, "options");
          rt_json_array_open (j);
        }
      rt_json_str (j, m->options[i]);
    }
  if (kept > 0)
    rt_json_array_close (j);
  rt_json_map_close (j);
}

static void
emit_id_mapping (struct rt_json *j, const char *key, unsigned host_id)
{
  rt_json_key (j, key);
  rt_json_array_open (j);
  rt_json_map_open (j);
  rt_json_kint (j, "containerID", 0);
  rt_json_kint (j, "hostID", host_id);
  rt_json_kint (j, "size", 1);
  rt_json_map_close (j);
  rt_json_array_close (j);
}

static void
emit_namespace (struct rt_json *j, const char *type)
{
  rt_json_map_open (j);
  rt_json_kstr (j, "type", type);
  rt_json_map_close (j);
}

char *
rt_spec_template (bool rootless)
{
  struct rt_json *j = rt_json_new ("\t");
  size_t i;

  rt_json_map_open (j);
  rt_json_kstr (j, "ociVersion", SPEC_VERSION);

  rt_json_key (j, "process");
  rt_json_map_open (j);
  rt_json_kbool (j, "terminal", true);
  rt_json_key (j, "user");
  rt_json_map_open (j);
  rt_json_kint (j, "uid", 0);
  rt_json_kint (j, "gid", 0);
  rt_json_map_close (j);
  rt_json_key (j, "args");
  rt_json_array_open (j);
  rt_json_str (j, "sh");
  rt_json_array_close (j);
  rt_json_key (j, "env");
  rt_json_array_open (j);
  rt_json_str (j, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  rt_json_str (j, "TERM=xterm");
  rt_json_array_close (j);
  rt_json_kstr (j, "cwd", "/");
  rt_json_key (j, "capabilities");
  rt_json_map_open (j);
  rt_json_kstrv (j, "bounding", default_caps);
  rt_json_kstrv (j, "effective", default_caps);
  rt_json_kstrv (j, "permitted", default_caps);
  rt_json_kstrv (j, "ambient", default_caps);
  rt_json_map_close (j);
  rt_json_key (j, "rlimits");
  rt_json_array_open (j);
  rt_json_map_open (j);
  rt_json_kstr (j, "type", "RLIMIT_NOFILE");
  rt_json_kint (j, "hard", 1024);
  rt_json_kint (j, "soft", 1024);
  rt_json_map_close (j);
  rt_json_array_close (j);
  rt_json_kbool (j, "noNewPrivileges", true);
  rt_json_map_close (j);

  rt_json_key (j, "root");
  rt_json_map_open (j);
  rt_json_kstr (j, "path", "rootfs");
  rt_json_kbool (j, "readonly", true);
  rt_json_map_close (j);

  rt_json_kstr (j, "hostname", "runvm");

  rt_json_key (j, "mounts");
  rt_json_array_open (j);
  for (i = 0; i < ARRAY_SIZE (default_mounts); i++)
    {
      const struct mount_template *m = &default_mounts[i];
      if (rootless && strcmp (m->destination, "/sys") == 0)
        m = &rootless_sys;
      emit_mount (j, m, rootless);
    }
  rt_json_array_close (j);

  rt_json_key (j, "linux");
  rt_json_map_open (j);
  if (rootless)
    {
      emit_id_mapping (j, "uidMappings", (unsigned) geteuid ());
      emit_id_mapping (j, "gidMappings", (unsigned) getegid ());
    }
  else
    {
      /* Rootless containers get no cgroup settings.  */
      rt_json_key (j, "resources");
      rt_json_map_open (j);
      rt_json_key (j, "devices");
      rt_json_array_open (j);
      rt_json_map_open (j);
      rt_json_kbool (j, "allow", false);
      rt_json_kstr (j, "access", "rwm");
      rt_json_map_close (j);
      rt_json_array_close (j);
      rt_json_map_close (j);
    }
  rt_json_key (j, "namespaces");
  rt_json_array_open (j);
  emit_namespace (j, "pid");
  /* A rootless container cannot configure a network namespace of its
   * own; it keeps the caller's and gets a user namespace (last).  */
  if (!rootless)
    emit_namespace (j, "network");
  emit_namespace (j, "ipc");
  emit_namespace (j, "uts");
  emit_namespace (j, "mount");
  if (host_cgroup2_unified ())
    emit_namespace (j, "cgroup");
  if (rootless)
    emit_namespace (j, "user");
  rt_json_array_close (j);
  rt_json_kstrv (j, "maskedPaths", masked_paths);
  rt_json_kstrv (j, "readonlyPaths", readonly_paths);
  rt_json_map_close (j);

  rt_json_map_close (j);
  return rt_json_finish (j, NULL);
}

int
rt_spec (const struct rt_global *g, const struct rt_spec_opts *o, rv_error_t *err)
{
  _cleanup_free_ char *path = NULL, *text = NULL;
  _cleanup_close_ int fd = -1;
  struct stat st;
  int r;

  (void) g;
  if (o->bundle && *o->bundle)
    {
      if (stat (o->bundle, &st) < 0)
        return rv_error_make (err, errno, "chdir `%s`", o->bundle);
      if (!S_ISDIR (st.st_mode))
        return rv_error_make (err, ENOTDIR, "chdir `%s`", o->bundle);
      path = xasprintf ("%s/%s", o->bundle, SPEC_FILE);
    }
  else
    path = xstrdup (SPEC_FILE);

  text = rt_spec_template (o->rootless);
  /* O_EXCL: an existing config.json is never replaced, not even one that
   * appears while we write.  */
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return rv_error_set (err, EEXIST, "File %s exists. Remove it first", SPEC_FILE);
      return rv_error_make (err, errno, "create `%s`", path);
    }
  r = write_all (fd, text, strlen (text));
  if (r == 0 && close (TAKE_FD (fd)) < 0)
    r = -errno;
  if (r < 0)
    {
      (void) unlink (path);
      return rv_error_make (err, -r, "write `%s`", path);
    }
  return 0;
}
