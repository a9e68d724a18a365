#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/lsm.h"
#include "libcontainer/namespaces.h"
#include "libcontainer/path.h"
#include "libcontainer/rootfs.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define PROC_ROOT_INO    1
#define LOCKED_FLAGS                                                                                         \
  (MS_RDONLY | MS_NODEV | MS_NOEXEC | MS_NOSUID | MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME)

/* ---- prepare ------------------------------------------------------------ */

int
lc_rootfs_prepare (struct lc_rootfs_ctx *ctx, rv_error_t *err)
{
  const struct lc_mount_plan *plan = ctx->plan;
  _cleanup_free_ char *p = xstrdup (ctx->rootfs);
  unsigned long parent_flag = (plan->root_propagation & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;

  /* Nothing done below may travel back to the caller's namespace.  */
  if (mount ("", "/", NULL, plan->root_propagation, NULL) < 0)
    return rv_error_make (err, errno, "set the propagation of `/`");
  /* pivot_root refuses a shared parent mount, and a bind under a shared
   * parent would appear in the caller's namespace: make the mount holding
   * the rootfs private (EINVAL: not a mount point, try its parent).  */
  for (;;)
    {
      char *slash;
      if (mount ("", p, NULL, parent_flag, NULL) == 0)
        break;
      if (errno != EINVAL || strcmp (p, "/") == 0)
        return rv_error_make (err, errno, "make the mount of `%s` private", p);
      slash = strrchr (p, '/');
      if (slash == p)
        p[1] = '\0';
      else
        *slash = '\0';
    }
  if (mount (ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return rv_error_make (err, errno, "bind the rootfs `%s` on itself", ctx->rootfs);
  ctx->rootfd = open (ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx->rootfd < 0)
    return rv_error_make (err, errno, "open the rootfs `%s`", ctx->rootfs);
  return 0;
}

/* ---- idmapped mounts ---------------------------------------------------- */

int
lc_rootfs_idmapped_tree (const struct lc_mount *m, int userns_fd, int *ret_fd, rv_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd };
  int fd;

  fd = open_tree (AT_FDCWD, m->source,
                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0));
  if (fd < 0)
    return rv_error_make (err, errno, "mount `%s`: clone `%s`", m->destination, m->source);
  if (mount_setattr (fd, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0), &attr, sizeof (attr))
      < 0)
    {
      int e = errno;
      close (fd);
      return rv_error_make (err, e, "mount `%s`: idmap `%s` (does its filesystem support idmapped mounts?)",
                            m->destination, m->source);
    }
  *ret_fd = fd;
  return 0;
}

/* ---- one mount ---------------------------------------------------------- */

/* The mount target of M, created when missing: a file for a bind of a
 * non-directory, a directory otherwise.  Refuses the root itself and
 * anything under /proc but a few files lxcfs replaces, as runc does.  */
static int
open_target (struct lc_rootfs_ctx *ctx, const struct lc_mount *m, bool *existed, rv_error_t *err)
{
  static const char *const proc_ok[] = { "/proc/cpuinfo",
                                         "/proc/diskstats",
                                         "/proc/meminfo",
                                         "/proc/stat",
                                         "/proc/swaps",
                                         "/proc/uptime",
                                         "/proc/loadavg",
                                         "/proc/slabinfo",
                                         "/proc/sys/kernel/ns_last_pid",
                                         "/proc/sys/crypto/fips_enabled" };
  _cleanup_free_ char *real = NULL;
  _cleanup_free_ char *rel = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  bool as_file = false;
  int fd = -1, r;
  size_t rootlen = strlen (ctx->rootfs), i;

  r = lc_path_open_in_root (ctx->rootfd, m->destination, O_PATH, &fd, &tmp);
  *existed = r == 0;
  if (r < 0)
    {
      if (tmp->status != ENOENT)
        {
          *err = TAKE_PTR (tmp);
          return rv_error_wrap (err, "mount target `%s`", m->destination);
        }
      if (m->kind == LC_MOUNT_BIND)
        {
          struct stat st;
          if (stat (m->source, &st) < 0)
            return rv_error_make (err, errno, "bind source `%s`", m->source);
          as_file = !S_ISDIR (st.st_mode);
        }
      r = lc_path_create_in_root (ctx->rootfd, m->destination, as_file, as_file ? 0644 : 0755, &fd, err);
      if (r < 0)
        return rv_error_wrap (err, "create mount target `%s`", m->destination);
    }
  r = lc_path_fd_path (fd, &real, err);
  if (r < 0)
    {
      close (fd);
      return r;
    }
  if (!lc_path_is_below (ctx->rootfs, real))
    {
      close (fd);
      return rv_error_set (err, EPERM, "mount target `%s` resolves to `%s`, outside the rootfs",
                           m->destination, real);
    }
  rel = xstrdup (real[rootlen] ? real + rootlen : "/");
  if (strcmp (rel, "/") == 0)
    {
      close (fd);
      return rv_error_set (err, EINVAL, "mount target `%s` is the root of the container", m->destination);
    }
  if (lc_path_is_below ("/proc", rel))
    {
      bool ok = false;
      if (strcmp (rel, "/proc") == 0)
        {
          if (m->kind == LC_MOUNT_FS && str_eq (m->type, "proc"))
            ok = true;
          else if (m->kind == LC_MOUNT_BIND)
            {
              struct statfs sf;
              ok = statfs (m->source, &sf) == 0 && (unsigned long) sf.f_type == PROC_SUPER_MAGIC;
            }
        }
      for (i = 0; !ok && i < ARRAY_SIZE (proc_ok); i++)
        ok = strcmp (rel, proc_ok[i]) == 0;
      if (!ok)
        {
          close (fd);
          return rv_error_set (err, EPERM, "`%s` cannot be mounted because it is inside /proc",
                               m->destination);
        }
    }
  return fd;
}

/* The target again after the mount: the old fd names the directory under
 * the new mount; resolving the path again gives the mount's root.  */
static int
reopen_target (struct lc_rootfs_ctx *ctx, int oldfd, const char *dest, rv_error_t *err)
{
  _cleanup_free_ char *before = NULL;
  _cleanup_free_ char *after = NULL;
  int fd, r;

  r = lc_path_fd_path (oldfd, &before, err);
  if (r < 0)
    return r;
  r = lc_path_open_in_root (ctx->rootfd, dest, O_PATH, &fd, err);
  if (r < 0)
    return rv_error_wrap (err, "reopen mount target");
  r = lc_path_fd_path (fd, &after, err);
  if (r < 0 || strcmp (before, after) != 0)
    {
      close (fd);
      if (r < 0)
        return r;
      return rv_error_set (err, EBUSY, "mount target `%s` moved while mounting (`%s` -> `%s`)", dest, before,
                           after);
    }
  return fd;
}

/* MS_BIND | MS_REMOUNT with the requested flags.  A mount inherited in a
 * user namespace has locked flags (nosuid, nodev, ro...) that a remount
 * must repeat: retry with them, unless the config asked to clear one.  */
static int
remount_bind (int fd, const struct lc_mount *m, rv_error_t *err)
{
  unsigned long flags = (m->flags & ~(MS_REC | MS_REMOUNT)) | MS_BIND | MS_REMOUNT;
  struct statvfs sv;
  unsigned long locked;
  char proc[32];

  if (mount ("", lc_path_fd_proc (fd, proc), NULL, flags, NULL) == 0)
    return 0;
  if (errno != EPERM)
    return rv_error_make (err, errno, "remount `%s` with its options", m->destination);
  if (fstatvfs (fd, &sv) < 0)
    return rv_error_make (err, errno, "statvfs `%s`", m->destination);
  locked = lc_mount_flags_from_statvfs (sv.f_flag) & LOCKED_FLAGS;
  if (locked & m->clear)
    return rv_error_make (err, EPERM, "remount `%s`: cannot clear locked flags", m->destination);
  if ((m->flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) != 0)
    locked &= ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
  if (mount ("", lc_path_fd_proc (fd, proc), NULL, flags | locked, NULL) < 0)
    return rv_error_make (err, errno, "remount `%s` with the locked flags kept", m->destination);
  return 0;
}

static int
apply_propagation_and_attrs (int fd, const struct lc_mount *m, rv_error_t *err)
{
  char proc[32];
  size_t i;

  for (i = 0; i < m->propagation_len; i++)
    if (mount ("", lc_path_fd_proc (fd, proc), NULL, m->propagation[i], NULL) < 0)
      return rv_error_make (err, errno, "set the propagation of `%s`", m->destination);
  if (m->rec_attr)
    {
      struct mount_attr attr = { .attr_set = m->attr_set, .attr_clr = m->attr_clr };
      if (mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
        return rv_error_make (err, errno, "set recursive mount attributes of `%s`", m->destination);
    }
  return 0;
}

/* tmpcopyup: a tmpfs that starts with what the image had at its target.  */
static int
copy_tree (int from, int to, rv_error_t *err)
{
  _cleanup_closedir_ DIR *d = NULL;
  struct dirent *de;
  int dupfd = fcntl (from, F_DUPFD_CLOEXEC, 3);

  if (dupfd < 0 || (d = fdopendir (dupfd)) == NULL)
    {
      if (dupfd >= 0)
        close (dupfd);
      return rv_error_make (err, errno, "tmpcopyup: read the directory");
    }
  while ((de = readdir (d)) != NULL)
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (from, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return rv_error_make (err, errno, "tmpcopyup: stat `%s`", de->d_name);
      if (S_ISDIR (st.st_mode))
        {
          _cleanup_close_ int s = -1, t = -1;
          if (mkdirat (to, de->d_name, st.st_mode & 07777) < 0 && errno != EEXIST)
            return rv_error_make (err, errno, "tmpcopyup: mkdir `%s`", de->d_name);
          s = openat (from, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          t = openat (to, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (s < 0 || t < 0)
            return rv_error_make (err, errno, "tmpcopyup: open `%s`", de->d_name);
          if (copy_tree (s, t, err) < 0)
            return -1;
        }
      else if (S_ISLNK (st.st_mode))
        {
          char target[4096];
          ssize_t n = readlinkat (from, de->d_name, target, sizeof (target) - 1);
          if (n < 0)
            return rv_error_make (err, errno, "tmpcopyup: readlink `%s`", de->d_name);
          target[n] = '\0';
          if (symlinkat (target, to, de->d_name) < 0)
            return rv_error_make (err, errno, "tmpcopyup: symlink `%s`", de->d_name);
        }
      else if (S_ISREG (st.st_mode))
        {
          _cleanup_close_ int s = openat (from, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
          _cleanup_close_ int t
              = openat (to, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
          char buf[65536];
          ssize_t n;
          if (s < 0 || t < 0)
            return rv_error_make (err, errno, "tmpcopyup: copy `%s`", de->d_name);
          while ((n = read (s, buf, sizeof (buf))) > 0)
            if (write_all (t, buf, (size_t) n) < 0)
              return rv_error_make (err, errno, "tmpcopyup: write `%s`", de->d_name);
          if (n < 0)
            return rv_error_make (err, errno, "tmpcopyup: read `%s`", de->d_name);
        }
      else if (mknodat (to, de->d_name, st.st_mode, st.st_rdev) < 0)
        return rv_error_make (err, errno, "tmpcopyup: mknod `%s`", de->d_name);
      if (fchownat (to, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return rv_error_make (err, errno, "tmpcopyup: chown `%s`", de->d_name);
    }
  return 0;
}

/* sysfs may only be mounted by the owner of the network namespace's user
 * namespace: a container with a user namespace that joins a network
 * namespace it does not own (the guest's, which the agent configured;
 * the host's with no network namespace) gets EPERM.  A read-only sysfs is
 * then the caller's /sys, bound recursively and made read-only, nosuid,
 * nodev, noexec down to its submounts (crun does the same; runc fails).
 * A writable one is not faked: it would hand out the caller's.  */
static int
sysfs_bind_fallback (const struct lc_mount *m, int target, rv_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  _cleanup_close_ int tree = -1;

  if (m->flags & MS_NOSUID)
    attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (m->flags & MS_NODEV)
    attr.attr_set |= MOUNT_ATTR_NODEV;
  if (m->flags & MS_NOEXEC)
    attr.attr_set |= MOUNT_ATTR_NOEXEC;
  /* Detached first, so that the mount is read-only before it is seen.  */
  tree = open_tree (AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0)
    return rv_error_make (err, errno,
                          "mount sysfs on `%s`: no network namespace of the user namespace's, "
                          "and cloning `/sys` failed",
                          m->destination);
  if (mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
    return rv_error_make (err, errno, "mount sysfs on `%s`: make the bind of `/sys` read-only",
                          m->destination);
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return rv_error_make (err, errno, "mount sysfs on `%s`: attach the bind of `/sys`", m->destination);
  return 0;
}

static int mount_cgroup (struct lc_rootfs_ctx *ctx, const struct lc_mount *m, int target, rv_error_t *err);

static int
mount_one (struct lc_rootfs_ctx *ctx, const struct lc_mount *m, rv_error_t *err)
{
  _cleanup_close_ int target = -1;
  _cleanup_close_ int top = -1;
  _cleanup_close_ int copy_from = -1;
  _cleanup_free_ char *data = NULL;
  _cleanup_free_ char *labelled = NULL;
  bool existed = false;
  char proc[32];
  int r;

  if (m->idmap && (ctx->mount_fds == NULL || ctx->mount_fds[m - ctx->plan->mounts] < 0))
    return rv_error_set (err, EINVAL, "mount `%s`: no idmapped mount was prepared", m->destination);

  if (m->kind == LC_MOUNT_FS && (str_eq (m->type, "proc") || str_eq (m->type, "sysfs")))
    {
      /* proc and sysfs only on a plain directory: never through a
       * symlink or over a file the image put there.  */
      _cleanup_close_ int dirfd = -1;
      _cleanup_free_ char *name = NULL;
      struct stat st;
      r = lc_path_open_parent_in_root (ctx->rootfd, m->destination, &dirfd, &name, err);
      if (r < 0)
        return r;
      if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (st.st_mode))
        return rv_error_set (err, EINVAL, "%s must be mounted on an ordinary directory, `%s` is not one",
                             m->type, m->destination);
    }

  r = open_target (ctx, m, &existed, err);
  if (r < 0)
    return r;
  target = r;

  if (m->kind == LC_MOUNT_CGROUP)
    return mount_cgroup (ctx, m, target, err);

  if (m->idmap)
    {
      /* The parent cloned and idmapped the source; attach it here.  */
      int tree = ctx->mount_fds[m - ctx->plan->mounts];
      if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return rv_error_make (err, errno, "attach the idmapped mount of `%s` on `%s`", m->source,
                              m->destination);
    }
  else if (m->kind == LC_MOUNT_BIND)
    {
      if (mount (m->source, lc_path_fd_proc (target, proc), NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
        return rv_error_make (err, errno, "bind `%s` on `%s`", m->source, m->destination);
    }
  else
    {
      unsigned long flags = m->flags;
      data = xstrdup (m->data);
      if (str_eq (m->type, "tmpfs"))
        {
          /* A tmpfs over an existing directory keeps its mode (data given
           * later wins), and it stays writable until finalize so that
           * /dev nodes and copied files can go in.  */
          if (existed)
            {
              struct stat st;
              if (fstat (target, &st) == 0)
                {
                  char *n = data ? xasprintf ("mode=%04o,%s", st.st_mode & 07777, data)
                                 : xasprintf ("mode=%04o", st.st_mode & 07777);
                  free (data);
                  data = n;
                }
            }
          flags &= ~MS_RDONLY;
          if (m->copyup)
            {
              copy_from = openat (target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
              if (copy_from < 0)
                return rv_error_make (err, errno, "tmpcopyup `%s`", m->destination);
            }
        }
      if (strcmp (m->destination, "/dev") == 0)
        flags &= ~MS_RDONLY;
      if (!str_eq (m->type, "proc") && !str_eq (m->type, "sysfs") && !str_eq (m->type, "mqueue"))
        labelled = lc_lsm_mount_data (data, ctx->plan->mount_label);
      if (mount (m->source, lc_path_fd_proc (target, proc), m->type, flags, labelled ? labelled : data) < 0)
        {
          if (errno == EPERM && str_eq (m->type, "sysfs") && (m->flags & MS_RDONLY) && lc_ns_in_userns ())
            r = sysfs_bind_fallback (m, target, err);
          else
            r = rv_error_make (err, errno, "mount %s `%s` on `%s`", m->type, m->source, m->destination);
          if (r < 0)
            return r;
        }
    }

  r = reopen_target (ctx, target, m->destination, err);
  if (r < 0)
    return r;
  top = r;

  if (copy_from >= 0)
    {
      _cleanup_close_ int to = openat (top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (to < 0)
        return rv_error_make (err, errno, "tmpcopyup `%s`", m->destination);
      if (copy_tree (copy_from, to, err) < 0)
        return rv_error_wrap (err, "tmpcopyup `%s`", m->destination);
    }
  /* A bind takes the source's flags; the requested ones need a remount
   * (skipped when nothing was asked for, keeping the source's).  */
  if (m->kind == LC_MOUNT_BIND && ((m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) != 0 || m->clear != 0))
    {
      r = remount_bind (top, m, err);
      if (r < 0)
        return r;
    }
  return apply_propagation_and_attrs (top, m, err);
}

/* ---- cgroup mounts ------------------------------------------------------ */

static char *
join_controllers (char *const *c)
{
  char *out = NULL;
  for (; c && *c; c++)
    {
      char *n = out ? xasprintf ("%s,%s", out, *c) : xstrdup (*c);
      free (out);
      out = n;
    }
  return out ? out : xstrdup ("");
}

/* Mounts the cgroup hierarchy DIR on TARGETFD: a fresh mount in a cgroup
 * namespace (it shows the container's cgroup as its root), else a bind of
 * the container's directory (runc binds the same way without one).  */
static int
mount_hierarchy (const struct lc_mount *m, const struct lc_cg_dir *d, int targetfd, bool cgroupns,
                 rv_error_t *err)
{
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (m->flags & MS_RDONLY);
  char proc[32];

  if (cgroupns)
    {
      int r;
      if (d->h->version == 2)
        r = mount ("cgroup2", lc_path_fd_proc (targetfd, proc), "cgroup2", flags, NULL);
      else
        {
          _cleanup_free_ char *opts = join_controllers (d->h->controllers);
          if (str_has_prefix (opts, "name="))
            {
              char *n = xasprintf ("none,%s", opts);
              free (opts);
              opts = n;
            }
          r = mount ("cgroup", lc_path_fd_proc (targetfd, proc), "cgroup", flags, opts);
        }
      if (r == 0)
        return 0;
      /* A user namespace may not mount a hierarchy: bind instead.  */
      if (errno != EPERM && errno != EBUSY)
        return rv_error_make (err, errno, "mount cgroup hierarchy `%s` on `%s`", d->h->mountpoint,
                              m->destination);
    }
  /* The flags of a bind are set by the caller's remount, through the
   * path (this fd names the directory under the new mount).  */
  if (mount (d->path, lc_path_fd_proc (targetfd, proc), NULL, MS_BIND | MS_REC, NULL) < 0)
    return rv_error_make (err, errno, "bind cgroup `%s` on `%s`", d->path, m->destination);
  return 0;
}

static int
remount_flags_at (struct lc_rootfs_ctx *ctx, const char *dest, unsigned long flags, rv_error_t *err)
{
  _cleanup_close_ int fd = -1;
  char proc[32];
  int r = lc_path_open_in_root (ctx->rootfd, dest, O_PATH, &fd, err);
  if (r < 0)
    return r;
  if (mount ("", lc_path_fd_proc (fd, proc), NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
    return rv_error_make (err, errno, "remount `%s`", dest);
  return 0;
}

static int
mount_cgroup (struct lc_rootfs_ctx *ctx, const struct lc_mount *m, int target, rv_error_t *err)
{
  struct lc_cgroup *cg = ctx->cgroup;
  unsigned long ro = m->flags & MS_RDONLY;
  char proc[32];
  size_t i;
  int r;

  if (cg == NULL || cg->len == 0)
    return rv_error_set (err, ENOENT, "mount cgroup on `%s`: no cgroup hierarchy", m->destination);

  if (cg->layout->mode == LC_CG_MODE_V2)
    {
      _cleanup_close_ int top = -1;
      r = mount_hierarchy (m, &cg->dirs[0], target, ctx->cgroupns, err);
      if (r == 0)
        r = remount_flags_at (ctx, m->destination, MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, err);
      if (r == 0)
        r = top = reopen_target (ctx, target, m->destination, err);
      if (r < 0)
        return r;
      return apply_propagation_and_attrs (top, m, err);
    }

  /* v1 and hybrid: a tmpfs holding one directory per hierarchy, as on
   * the host (cpu,cpuacct with cpu and cpuacct links to it).  */
  if (mount ("tmpfs", lc_path_fd_proc (target, proc), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")
      < 0)
    return rv_error_make (err, errno, "mount tmpfs on `%s`", m->destination);
  for (i = 0; i < cg->len; i++)
    {
      const struct lc_cg_dir *d = &cg->dirs[i];
      const char *base = strrchr (d->h->mountpoint, '/');
      _cleanup_free_ char *sub = NULL;
      _cleanup_close_ int fd = -1;

      base = base ? base + 1 : d->h->mountpoint;
      sub = xasprintf ("%s/%s", m->destination, base);
      r = lc_path_mkdir_in_root (ctx->rootfd, sub, 0755, &fd, err);
      if (r < 0)
        return rv_error_wrap (err, "cgroup mount");
      r = mount_hierarchy (m, d, fd, ctx->cgroupns, err);
      if (r == 0)
        r = remount_flags_at (ctx, sub, MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, err);
      if (r < 0)
        return r;
      if (strchr (base, ',') != NULL)
        {
          _cleanup_free_ char *list = xstrdup (base);
          char *save = NULL, *tok;
          for (tok = strtok_r (list, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
            {
              _cleanup_close_ int dirfd = -1;
              _cleanup_free_ char *link = xasprintf ("%s/%s", m->destination, tok);
              _cleanup_free_ char *name = NULL;
              r = lc_path_open_parent_in_root (ctx->rootfd, link, &dirfd, &name, err);
              if (r < 0)
                return r;
              if (symlinkat (base, dirfd, name) < 0 && errno != EEXIST)
                return rv_error_make (err, errno, "symlink `%s`", link);
            }
        }
    }
  {
    _cleanup_close_ int top = -1;
    r = reopen_target (ctx, target, m->destination, err);
    if (r < 0)
      return r;
    top = r;
    if (ro
        && mount ("", lc_path_fd_proc (top, proc), NULL,
                  MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL)
               < 0)
      return rv_error_make (err, errno, "remount the cgroup tmpfs `%s` read-only", m->destination);
    return apply_propagation_and_attrs (top, m, err);
  }
}

int
lc_rootfs_mount_all (struct lc_rootfs_ctx *ctx, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < ctx->plan->len; i++)
    {
      const struct lc_mount *m = &ctx->plan->mounts[i];
      int r = mount_one (ctx, m, err);
      if (r < 0)
        return rv_error_wrap (err, "mounts[%zu] (`%s`)", i, m->destination);
    }
  return 0;
}

/* ---- pivot -------------------------------------------------------------- */

/* --no-pivot: the host's full proc and sysfs mounts stay reachable from a
 * chroot; take them away first (the kernel lets a chrooted process mount
 * a new procfs only when no full one is visible... to it, so leaving them
 * would also weaken that check), as runc does.  */
static int
hide_host_proc_sys (const char *rootfs, rv_error_t *err)
{
  _cleanup_free_ char *mi = NULL;
  char *save = NULL, *line;
  int r;

  r = read_file ("/proc/self/mountinfo", 0, &mi, NULL, err);
  if (r < 0)
    return r;
  /* Deepest first is not needed: MNT_DETACH takes submounts along.  */
  for (line = strtok_r (mi, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char root[4096], point[4096], fstype[64];
      char *sep = strstr (line, " - ");
      if (sep == NULL || sscanf (line, "%*d %*d %*s %4095s %4095s", root, point) != 2
          || sscanf (sep + 3, "%63s", fstype) != 1)
        continue;
      if (strcmp (root, "/") != 0 || (strcmp (fstype, "proc") != 0 && strcmp (fstype, "sysfs") != 0)
          || lc_path_is_below (rootfs, point))
        continue;
      if (mount ("", point, NULL, MS_SLAVE | MS_REC, NULL) < 0)
        {
          if (errno == ENOENT)
            continue;
          return rv_error_make (err, errno, "--no-pivot: make `%s` a slave", point);
        }
      if (umount2 (point, MNT_DETACH) < 0)
        {
          if (errno != EINVAL && errno != EPERM)
            return rv_error_make (err, errno, "--no-pivot: unmount `%s`", point);
          if (mount ("tmpfs", point, "tmpfs", 0, NULL) < 0)
            return rv_error_make (err, errno, "--no-pivot: cover `%s`", point);
        }
    }
  return 0;
}

/* Whether "/" is the initial ramfs (an initrd-only guest): pivot_root
 * cannot move it away (EINVAL), the kernel has nothing above it.  */
static bool
root_is_initramfs (void)
{
  struct statfs sf;
  return statfs ("/", &sf) == 0
         && ((unsigned long) sf.f_type == 0x858458f6 /* RAMFS_MAGIC */
             || (unsigned long) sf.f_type == 0x01021994 /* TMPFS_MAGIC */);
}

int
lc_rootfs_pivot (struct lc_rootfs_ctx *ctx, bool no_pivot, rv_error_t *err)
{
  if (!no_pivot)
    {
      _cleanup_close_ int oldroot = open ("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
      if (oldroot < 0)
        return rv_error_make (err, errno, "open the old root");
      if (fchdir (ctx->rootfd) < 0)
        return rv_error_make (err, errno, "chdir to the rootfs");
      /* pivot_root(".", ".") stacks the old root under the new one at
       * ".": no directory is needed in the image for it.  */
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        {
          /* A guest booted from an initrd has its root on the initial
           * ramfs, which pivot_root refuses (nothing is above it): move
           * the rootfs over it and chroot, as --no-pivot and switch_root
           * do.  */
          if (errno == EINVAL && root_is_initramfs ())
            return lc_rootfs_pivot (ctx, true, err);
          return rv_error_make (err, errno, "pivot_root to `%s`", ctx->rootfs);
        }
      if (fchdir (oldroot) < 0)
        return rv_error_make (err, errno, "chdir to the old root");
      /* The unmount must not reach the caller's mounts.  */
      if (mount ("", ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return rv_error_make (err, errno, "make the old root a slave");
      if (umount2 (".", MNT_DETACH) < 0)
        return rv_error_make (err, errno, "detach the old root");
    }
  else
    {
      int r = hide_host_proc_sys (ctx->rootfs, err);
      if (r < 0)
        return r;
      if (fchdir (ctx->rootfd) < 0)
        return rv_error_make (err, errno, "chdir to the rootfs");
      if (mount (ctx->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return rv_error_make (err, errno, "move the rootfs `%s` on /", ctx->rootfs);
      if (chroot (".") < 0)
        return rv_error_make (err, errno, "chroot to `%s`", ctx->rootfs);
    }
  if (chdir ("/") < 0)
    return rv_error_make (err, errno, "chdir to the new root");
  if (ctx->rootfd >= 0)
    {
      close (ctx->rootfd);
      ctx->rootfd = -1;
    }
  return 0;
}

int
lc_rootfs_root_propagation (const struct lc_mount_plan *plan, rv_error_t *err)
{
  if (plan->root_propagation_after && mount ("", "/", NULL, plan->root_propagation_after, NULL) < 0)
    return rv_error_make (err, errno, "set rootfsPropagation on the new root");
  return 0;
}

/* ---- after pivot -------------------------------------------------------- */

int
lc_rootfs_finalize (const struct lc_mount_plan *plan, rv_error_t *err)
{
  size_t i;

  for (i = 0; i < plan->len; i++)
    {
      const struct lc_mount *m = &plan->mounts[i];
      unsigned long flags;
      int tries;
      if (!(m->flags & MS_RDONLY) || m->kind != LC_MOUNT_FS)
        continue;
      if (!str_eq (m->type, "tmpfs") && strcmp (m->destination, "/dev") != 0)
        continue;
      flags = (m->flags & ~(MS_BIND | MS_REC)) | MS_REMOUNT | MS_BIND | MS_RDONLY;
      for (tries = 0;; tries++)
        {
          if (mount ("", m->destination, NULL, flags, NULL) == 0)
            break;
          if (errno != EBUSY || tries >= 5)
            return rv_error_make (err, errno, "remount `%s` read-only", m->destination);
          usleep (100 * 1000);
        }
    }
  if (plan->readonly_root)
    {
      if (mount ("", "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        {
          struct statvfs sv;
          unsigned long locked;
          if (statvfs ("/", &sv) < 0)
            return rv_error_make (err, errno, "statvfs `/`");
          locked = lc_mount_flags_from_statvfs (sv.f_flag) & LOCKED_FLAGS;
          if (mount ("", "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked, NULL) < 0)
            return rv_error_make (err, errno, "make the root read-only");
        }
    }
  return 0;
}

static int
readonly_path (const char *path, rv_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_PATH | O_CLOEXEC);
  _cleanup_close_ int top = -1;
  struct statvfs sv;
  char proc[32];

  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return rv_error_make (err, errno, "readonlyPaths: open `%s`", path);
    }
  if (mount (lc_path_fd_proc (fd, proc), lc_path_fd_proc (fd, proc), NULL, MS_BIND | MS_REC, NULL) < 0)
    return rv_error_make (err, errno, "readonlyPaths: bind `%s`", path);
  top = open (path, O_PATH | O_CLOEXEC);
  if (top < 0)
    return rv_error_make (err, errno, "readonlyPaths: reopen `%s`", path);
  if (fstatvfs (top, &sv) < 0)
    return rv_error_make (err, errno, "readonlyPaths: statvfs `%s`", path);
  if (mount ("", lc_path_fd_proc (top, proc), NULL,
             MS_BIND | MS_REMOUNT | MS_RDONLY
                 | (lc_mount_flags_from_statvfs (sv.f_flag) & (MS_NOSUID | MS_NODEV | MS_NOEXEC)),
             NULL)
      < 0)
    return rv_error_make (err, errno, "readonlyPaths: remount `%s` read-only", path);
  return 0;
}

static bool
is_dev_null (int fd)
{
  struct stat st;
  return fstat (fd, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3);
}

static int
mask_path (const char *path, int devnull, const char *label, rv_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_PATH | O_CLOEXEC);
  struct stat st;
  char proc[32], src[32];

  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return rv_error_make (err, errno, "maskedPaths: open `%s`", path);
    }
  if (fstat (fd, &st) < 0)
    return rv_error_make (err, errno, "maskedPaths: stat `%s`", path);
  if (S_ISDIR (st.st_mode))
    {
      _cleanup_free_ char *data = lc_lsm_mount_data ("nr_blocks=1,nr_inodes=1", label);
      if (mount ("tmpfs", lc_path_fd_proc (fd, proc), "tmpfs", MS_RDONLY,
                 data ? data : "nr_blocks=1,nr_inodes=1")
          < 0)
        {
          /* Some kernels refuse nr_inodes=1.  */
          if (mount ("tmpfs", lc_path_fd_proc (fd, proc), "tmpfs", MS_RDONLY, "nr_blocks=1,nr_inodes=2") < 0)
            return rv_error_make (err, errno, "maskedPaths: mask directory `%s`", path);
        }
      return 0;
    }
  if (mount (lc_path_fd_proc (devnull, src), lc_path_fd_proc (fd, proc), NULL, MS_BIND, NULL) < 0)
    return rv_error_make (err, errno, "maskedPaths: mask `%s`", path);
  return 0;
}

int
lc_rootfs_protect (const struct lc_mount_plan *plan, rv_error_t *err)
{
  _cleanup_close_ int devnull = -1;
  char **p;
  int r;

  for (p = plan->readonly_paths; p && *p; p++)
    {
      r = readonly_path (*p, err);
      if (r < 0)
        return r;
    }
  if (plan->masked_paths == NULL || plan->masked_paths[0] == NULL)
    return 0;
  /* The container's /dev/null, checked: an image could have put a file
   * there, and masking with it would expose that file instead.  */
  devnull = open ("/dev/null", O_PATH | O_CLOEXEC);
  if (devnull < 0 || !is_dev_null (devnull))
    return rv_error_set (err, EINVAL,
                         "maskedPaths: the container's /dev/null is missing or not the null device");
  for (p = plan->masked_paths; *p; p++)
    {
      r = mask_path (*p, devnull, plan->mount_label, err);
      if (r < 0)
        return r;
    }
  return 0;
}

int
lc_rootfs_reopen_devnull (rv_error_t *err)
{
  _cleanup_close_ int fd = -1;
  int i;

  for (i = 0; i < 3; i++)
    {
      if (!is_dev_null (i))
        continue;
      if (fd < 0)
        {
          fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
          if (fd < 0 || !is_dev_null (fd))
            return rv_error_set (err, EINVAL, "the container's /dev/null is missing or not the null device");
        }
      if (dup3 (fd, i, 0) < 0)
        return rv_error_make (err, errno, "reopen /dev/null as fd %d", i);
    }
  return 0;
}
