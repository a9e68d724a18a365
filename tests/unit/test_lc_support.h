/* Test bundles for libcontainer: a busybox rootfs in a temporary
 * directory and a config.json built by hand in the shape `runc spec`
 * writes (the parser is not needed to test the container code).  Only
 * the tests of libcontainer include this.  */
#pragma once

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"
#include "libcontainer/libcontainer.h"
#include "tests/unit/support/shell.h"

#define TB_MAX 24

struct tb
{
  char *dir;
  char *rootfs;
  char *id;
  struct spec_config c;
  struct spec_process p;
  struct spec_root root;
  struct spec_linux lx;
  struct spec_capabilities caps;
  struct spec_mount mounts[TB_MAX];
  struct spec_namespace ns[8];
  struct spec_rlimit rlimits[4];
  struct spec_hooks hooks;
  char *args[TB_MAX];
  char *env[8];
  char *capset[8];
  char *masked[TB_MAX];
  char *ro[TB_MAX];
};

static inline char **
tb_strv (const char *first, ...)
{
  char **v = NULL;
  const char *s;
  va_list ap;
  va_start (ap, first);
  for (s = first; s; s = va_arg (ap, const char *))
    strv_append (&v, s);
  va_end (ap);
  if (v == NULL)
    v = xcalloc (1, sizeof (char *));
  return v;
}

static inline void
tb_mount (struct tb *b, const char *dest, const char *type, const char *src, char **opts)
{
  size_t i = b->c.mounts_len++;
  cr_assert_lt (i, TB_MAX);
  b->mounts[i].destination = xstrdup (dest);
  b->mounts[i].type = xstrdup (type);
  b->mounts[i].source = xstrdup (src);
  b->mounts[i].options = opts;
}

static inline void
tb_ns (struct tb *b, const char *type, const char *path)
{
  size_t i = b->lx.namespaces_len++;
  b->ns[i].type = xstrdup (type);
  b->ns[i].path = xstrdup (path);
}

static inline void
tb_args (struct tb *b, const char *first, ...)
{
  const char *s;
  size_t n = 0;
  va_list ap;
  va_start (ap, first);
  for (s = first; s && n < TB_MAX - 1; s = va_arg (ap, const char *))
    b->args[n++] = xstrdup (s);
  va_end (ap);
  b->args[n] = NULL;
}

/* The bundle of the running test, for tb_cleanup.  */
static struct tb *tb_current;

/* A busybox rootfs and runc spec's defaults.  */
static inline void
tb_init (struct tb *b)
{
  static int seq;
  memset (b, 0, sizeof (*b));
  tb_current = b;
  b->dir = xstrdup ("/tmp/lc-tb-XXXXXX");
  cr_assert_not_null (mkdtemp (b->dir));
  b->rootfs = xasprintf ("%s/rootfs", b->dir);
  b->id = xasprintf ("lc-test-%d-%d", (int) getpid (), seq++);
  tb_sh ("set -e; mkdir -p %s/bin %s/proc %s/sys %s/dev %s/etc %s/tmp; cp /bin/busybox %s/bin/; "
         "for c in sh cat echo ls id sleep true false stat grep mount hostname readlink touch test ps; do "
         "ln -s busybox %s/bin/$c; done; echo 'root:x:0:0:root:/root:/bin/sh' > %s/etc/passwd",
         b->rootfs, b->rootfs, b->rootfs, b->rootfs, b->rootfs, b->rootfs, b->rootfs, b->rootfs, b->rootfs);

  b->c.oci_version = xstrdup ("1.2.0");
  b->c.process = &b->p;
  b->c.root = &b->root;
  b->c.linux = &b->lx;
  b->c.mounts = b->mounts;
  b->c.hooks = &b->hooks;
  b->c.hostname = xstrdup ("tb");
  b->root.path = xstrdup ("rootfs");

  b->p.args = b->args;
  tb_args (b, "/bin/true", NULL);
  b->env[0] = xstrdup ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  b->env[1] = xstrdup ("TERM=xterm");
  b->p.env = b->env;
  b->p.cwd = xstrdup ("/");
  b->p.no_new_privileges = true;
  b->capset[0] = xstrdup ("CAP_AUDIT_WRITE");
  b->capset[1] = xstrdup ("CAP_KILL");
  b->capset[2] = xstrdup ("CAP_NET_BIND_SERVICE");
  b->caps.bounding = b->caps.effective = b->caps.permitted = b->capset;
  b->p.capabilities = &b->caps;
  b->rlimits[0].type = xstrdup ("RLIMIT_NOFILE");
  b->rlimits[0].soft = b->rlimits[0].hard = 1024;
  b->p.rlimits = b->rlimits;
  b->p.rlimits_len = 1;

  tb_mount (b, "/proc", "proc", "proc", tb_strv (NULL, NULL));
  tb_mount (b, "/dev", "tmpfs", "tmpfs", tb_strv ("nosuid", "strictatime", "mode=755", "size=65536k", NULL));
  tb_mount (b, "/dev/pts", "devpts", "devpts",
            tb_strv ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL));
  tb_mount (b, "/dev/shm", "tmpfs", "shm",
            tb_strv ("nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL));
  tb_mount (b, "/dev/mqueue", "mqueue", "mqueue", tb_strv ("nosuid", "noexec", "nodev", NULL));
  tb_mount (b, "/sys", "sysfs", "sysfs", tb_strv ("nosuid", "noexec", "nodev", "ro", NULL));
  tb_mount (b, "/sys/fs/cgroup", "cgroup", "cgroup",
            tb_strv ("nosuid", "noexec", "nodev", "relatime", "ro", NULL));

  b->lx.namespaces = b->ns;
  tb_ns (b, "pid", NULL);
  tb_ns (b, "network", NULL);
  tb_ns (b, "ipc", NULL);
  tb_ns (b, "uts", NULL);
  tb_ns (b, "mount", NULL);
  tb_ns (b, "cgroup", NULL);
  /* A cgroup of its own, no shared parent: tests run in parallel and a
   * parent one of them made could not go while the others use it.  */
  b->lx.cgroups_path = xasprintf ("/%s", b->id);
  b->masked[0] = xstrdup ("/proc/kcore");
  b->masked[1] = xstrdup ("/proc/timer_list");
  b->masked[2] = xstrdup ("/sys/firmware");
  b->lx.masked_paths = b->masked;
  b->ro[0] = xstrdup ("/proc/sys");
  b->ro[1] = xstrdup ("/proc/sysrq-trigger");
  b->lx.readonly_paths = b->ro;
}

static inline void
tb_fini (struct tb *b)
{
  tb_sh ("rm -rf %s", b->dir);
  tb_current = NULL;
}

/* Criterion .fini of every container test: a test that failed half-way
 * must not leave its container running or its cgroup behind.  */
static inline void
tb_cleanup (void)
{
  struct tb *b = tb_current;
  struct lc_cgroup *cg = NULL;
  rv_error_t err = NULL;
  _cleanup_free_ char *cmd = NULL;

  if (b == NULL)
    return;
  if (lc_cgroup_open (b->lx.cgroups_path, &cg, &err) == 0)
    {
      (void) lc_cgroup_kill (cg, SIGKILL, &err);
      rv_error_release (&err);
      (void) lc_cgroup_freeze (cg, false, &err);
      rv_error_release (&err);
      (void) lc_cgroup_destroy (cg, &err);
      lc_cgroup_free (cg);
    }
  rv_error_release (&err);
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
  cmd = xasprintf ("rm -rf %s", b->dir);
  (void) !system (cmd);
  tb_current = NULL;
}

/* Nothing of the container left: no mount of its rootfs in our namespace,
 * no cgroup directory.  */
static inline void
tb_assert_clean (struct tb *b)
{
  _cleanup_free_ char *mi = NULL;
  _cleanup_free_ char *cg = xasprintf ("/sys/fs/cgroup/memory%s", b->lx.cgroups_path);
  _cleanup_free_ char *cg2 = xasprintf ("/sys/fs/cgroup/unified%s", b->lx.cgroups_path);
  rv_error_t err = NULL;

  cr_assert_eq (read_file ("/proc/self/mountinfo", 0, &mi, NULL, &err), 0);
  cr_assert_null (strstr (mi, b->dir), "a mount of %s is left", b->dir);
  cr_assert_neq (access (cg, F_OK), 0, "cgroup %s is left", cg);
  cr_assert_neq (access (cg2, F_OK), 0, "cgroup %s is left", cg2);
}

/* Reads everything from FD until end of file.  */
static inline char *
tb_read_all (int fd)
{
  char *out = NULL;
  rv_error_t err = NULL;
  cr_assert_eq (read_fd (fd, 1 << 20, &out, NULL, &err), 0);
  return out;
}

/* create + start + wait: the workload's stdout+stderr and exit status.  */
static inline int
tb_run (struct tb *b, char **ret_out, int *ret_status, rv_error_t *err)
{
  struct lc_create_opts o = { 0 };
  struct lc_container *c = NULL;
  int fds[2];
  int status = 0, r;

  cr_assert_eq (pipe2 (fds, O_CLOEXEC), 0);
  o.id = b->id;
  o.config = &b->c;
  o.bundle = b->dir;
  o.stdio.in = -1;
  o.stdio.out = fds[1];
  o.stdio.err = fds[1];
  r = lc_container_create (&o, &c, err);
  if (r < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return r;
    }
  close (fds[1]);
  r = lc_container_start (c, err);
  if (r == 0)
    *ret_out = tb_read_all (fds[0]);
  close (fds[0]);
  if (r == 0)
    cr_assert_eq (waitpid (lc_container_pid (c), &status, 0), lc_container_pid (c));
  {
    rv_error_t e2 = NULL;
    cr_assert_eq (lc_container_destroy (c, &e2), 0, "%s", e2 ? e2->msg : "");
  }
  /* The init is ours to reap (the caller's child) even when start failed.  */
  if (r < 0)
    (void) waitpid (lc_container_pid (c), NULL, 0);
  lc_container_free (c);
  *ret_status = status;
  return r;
}
