#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-client/json.h"
#include "common/utils.h"
#include "tests/agent/oci.h"

static const char *const applets[] = { "sh", "cat",  "echo", "sleep", "head", "tr", "hostname",
                                       "id", "stty", "tty",  "true",  "wc",   "ls", "grep" };

void
oci_make_rootfs (const char *dir)
{
  _cleanup_free_ char *bin = NULL, *bb = NULL;
  _cleanup_free_ char *data = NULL;
  rv_error_t err = NULL;
  size_t len, i;
  const char *dirs[] = { "proc", "dev", "sys", "tmp", "etc" };
  int fd;

  bin = xasprintf ("%s/rootfs/bin", dir);
  cr_assert_eq (mkdir_p (bin, 0755, &err), 0);
  for (i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      _cleanup_free_ char *d = xasprintf ("%s/rootfs/%s", dir, dirs[i]);
      cr_assert_eq (mkdir (d, 0755), 0);
    }
  cr_assert_eq (read_file ("/bin/busybox", 0, &data, &len, &err), 0, "busybox-static is needed");
  bb = xasprintf ("%s/busybox", bin);
  fd = open (bb, O_WRONLY | O_CREAT | O_EXCL, 0755);
  cr_assert_geq (fd, 0);
  cr_assert_eq (write_all (fd, data, len), 0);
  close (fd);
  for (i = 0; i < ARRAY_SIZE (applets); i++)
    {
      _cleanup_free_ char *l = xasprintf ("%s/%s", bin, applets[i]);
      cr_assert_eq (symlink ("busybox", l), 0);
    }
}

static void
gen_s (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_mount (yajl_gen g, const char *dst, const char *type, const char *src, const char *const *opts)
{
  yajl_gen_map_open (g);
  gen_s (g, "destination");
  gen_s (g, dst);
  gen_s (g, "type");
  gen_s (g, type);
  gen_s (g, "source");
  gen_s (g, src);
  gen_s (g, "options");
  yajl_gen_array_open (g);
  for (; opts && *opts; opts++)
    gen_s (g, *opts);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

static void
gen_process (yajl_gen g, const char *script, bool terminal)
{
  yajl_gen_map_open (g);
  gen_s (g, "terminal");
  yajl_gen_bool (g, terminal);
  gen_s (g, "user");
  yajl_gen_map_open (g);
  gen_s (g, "uid");
  yajl_gen_integer (g, 0);
  gen_s (g, "gid");
  yajl_gen_integer (g, 0);
  yajl_gen_map_close (g);
  gen_s (g, "args");
  yajl_gen_array_open (g);
  gen_s (g, "/bin/sh");
  gen_s (g, "-c");
  gen_s (g, script);
  yajl_gen_array_close (g);
  gen_s (g, "env");
  yajl_gen_array_open (g);
  gen_s (g, "PATH=/bin");
  gen_s (g, "TERM=xterm");
  yajl_gen_array_close (g);
  gen_s (g, "cwd");
  gen_s (g, "/");
  gen_s (g, "noNewPrivileges");
  yajl_gen_bool (g, true);
  yajl_gen_map_close (g);
}

static char *
gen_done (yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf (g, &buf, &len);
  return xstrndup ((const char *) buf, len);
}

/* What `runc spec` gives, trimmed: its own pid, mount, ipc, uts, network
 * and cgroup namespaces, the usual mounts, a cgroup of its own.  */
char *
oci_config (const char *id, const char *script, bool terminal, const char *cgroup_prefix)
{
  return oci_config_limited (id, script, terminal, cgroup_prefix, 0);
}

char *
oci_config_limited (const char *id, const char *script, bool terminal, const char *cgroup_prefix,
                    long long memory_limit)
{
  _cleanup_yajl_gen_ yajl_gen g = agent_json_gen_new ();
  _cleanup_free_ char *cg = xasprintf ("%s/%s", cgroup_prefix, id);
  const char *ns[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };
  const char *proc_o[] = { "nosuid", "noexec", "nodev", NULL };
  const char *dev_o[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  const char *pts_o[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
  const char *shm_o[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  const char *sys_o[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  size_t i;

  yajl_gen_map_open (g);
  gen_s (g, "ociVersion");
  gen_s (g, "1.2.0");
  gen_s (g, "process");
  gen_process (g, script, terminal);
  gen_s (g, "root");
  yajl_gen_map_open (g);
  gen_s (g, "path");
  gen_s (g, "rootfs");
  yajl_gen_map_close (g);
  gen_s (g, "hostname");
  gen_s (g, id);
  gen_s (g, "mounts");
  yajl_gen_array_open (g);
  gen_mount (g, "/proc", "proc", "proc", proc_o);
  gen_mount (g, "/dev", "tmpfs", "tmpfs", dev_o);
  gen_mount (g, "/dev/pts", "devpts", "devpts", pts_o);
  gen_mount (g, "/dev/shm", "tmpfs", "shm", shm_o);
  gen_mount (g, "/sys", "sysfs", "sysfs", sys_o);
  yajl_gen_array_close (g);
  gen_s (g, "linux");
  yajl_gen_map_open (g);
  gen_s (g, "cgroupsPath");
  gen_s (g, cg);
  if (memory_limit > 0)
    {
      gen_s (g, "resources");
      yajl_gen_map_open (g);
      gen_s (g, "memory");
      yajl_gen_map_open (g);
      gen_s (g, "limit");
      yajl_gen_integer (g, memory_limit);
      gen_s (g, "swap");
      yajl_gen_integer (g, memory_limit);
      yajl_gen_map_close (g);
      yajl_gen_map_close (g);
    }
  gen_s (g, "namespaces");
  yajl_gen_array_open (g);
  for (i = 0; i < ARRAY_SIZE (ns); i++)
    {
      yajl_gen_map_open (g);
      gen_s (g, "type");
      gen_s (g, ns[i]);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  return gen_done (g);
}

char *
oci_process (const char *script, bool terminal)
{
  _cleanup_yajl_gen_ yajl_gen g = agent_json_gen_new ();
  gen_process (g, script, terminal);
  return gen_done (g);
}
