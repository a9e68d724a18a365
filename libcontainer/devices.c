#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/devices.h"
#include "libcontainer/path.h"

static const struct
{
  const char *path;
  int64_t major, minor;
} default_nodes[] = {
  { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

void
lc_devices_free (struct lc_dev_list *l)
{
  size_t i;
  for (i = 0; i < l->len; i++)
    free (l->v[i].path);
  free (l->v);
  l->v = NULL;
  l->len = 0;
}

static struct lc_dev_node *
list_find (struct lc_dev_list *l, const char *path)
{
  size_t i;
  for (i = 0; i < l->len; i++)
    if (strcmp (l->v[i].path, path) == 0)
      return &l->v[i];
  return NULL;
}

static struct lc_dev_node *
list_add (struct lc_dev_list *l, char *path)
{
  struct lc_dev_node *n = list_find (l, path);
  if (n)
    {
      free (path);
      return n;
    }
  l->v = xreallocarray (l->v, l->len + 1, sizeof (*l->v));
  n = &l->v[l->len++];
  memset (n, 0, sizeof (*n));
  n->path = path;
  return n;
}

int
lc_devices_build (const struct spec_config *config, struct lc_dev_list *ret, rv_error_t *err)
{
  struct lc_dev_list l = { 0 };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (default_nodes); i++)
    {
      struct lc_dev_node *n = list_add (&l, xstrdup (default_nodes[i].path));
      n->type = 'c';
      n->major = default_nodes[i].major;
      n->minor = default_nodes[i].minor;
      n->mode = 0666;
    }
  for (i = 0; config->linux && i < config->linux->devices_len; i++)
    {
      const struct spec_device *d = &config->linux->devices[i];
      struct lc_dev_node *n;
      char type;

      if (d->path == NULL || d->path[0] != '/')
        {
          lc_devices_free (&l);
          return rv_error_set (err, EINVAL, "linux.devices[%zu]: path `%s` is not absolute", i,
                               d->path ? d->path : "");
        }
      if (str_eq (d->type, "c") || str_eq (d->type, "u"))
        type = 'c';
      else if (str_eq (d->type, "b"))
        type = 'b';
      else if (str_eq (d->type, "p"))
        type = 'p';
      else
        {
          lc_devices_free (&l);
          return rv_error_set (err, EINVAL, "linux.devices[%zu]: `%s`: invalid type `%s`", i, d->path,
                               d->type ? d->type : "");
        }
      n = list_add (&l, lc_path_clean (d->path));
      if (strcmp (n->path, "/dev") == 0 || strcmp (n->path, "/") == 0)
        {
          lc_devices_free (&l);
          return rv_error_set (err, EINVAL, "linux.devices[%zu]: invalid path `%s`", i, d->path);
        }
      n->type = type;
      n->major = d->major;
      n->minor = d->minor;
      n->mode = d->file_mode.set ? (d->file_mode.value & 07777) : 0666;
      n->uid = d->uid.set ? d->uid.value : 0;
      n->gid = d->gid.set ? d->gid.value : 0;
    }
  *ret = l;
  return 0;
}

static int
bind_node (int dirfd, const char *name, const struct lc_dev_node *n, rv_error_t *err)
{
  _cleanup_close_ int fd = -1;
  char proc[32];

  fd = openat (dirfd, name, O_CREAT | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0000);
  if (fd < 0 && errno == EISDIR)
    return rv_error_make (err, EISDIR, "device `%s`", n->path);
  if (fd < 0)
    {
      /* An existing node (mknod raced, or a device) cannot be opened for
       * writing; O_PATH is enough to mount on it.  */
      fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return rv_error_make (err, errno, "create device placeholder `%s`", n->path);
    }
  if (mount (n->path, lc_path_fd_proc (fd, proc), NULL, MS_BIND, NULL) < 0)
    return rv_error_make (err, errno, "bind device `%s` from the host", n->path);
  return 0;
}

static int
make_node (int rootfd, const struct lc_dev_node *n, bool bind, rv_error_t *err)
{
  _cleanup_close_ int dirfd = -1;
  _cleanup_close_ int fd = -1;
  _cleanup_free_ char *name = NULL;
  mode_t fmt = n->type == 'b' ? S_IFBLK : n->type == 'p' ? S_IFIFO : S_IFCHR;
  dev_t dev = makedev ((unsigned) n->major, (unsigned) n->minor);
  struct stat st;
  int r;

  r = lc_path_open_parent_in_root (rootfd, n->path, &dirfd, &name, err);
  if (r < 0)
    return rv_error_wrap (err, "device `%s`", n->path);
  if (bind && n->type != 'p')
    return bind_node (dirfd, name, n, err);

  /* Whatever an image or an earlier mount left at the path goes: the
   * node must be exactly the configured one.  */
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (st.st_mode))
    (void) unlinkat (dirfd, name, 0);
  if (mknodat (dirfd, name, fmt | (n->mode & 0777), n->type == 'p' ? 0 : dev) < 0)
    {
      if (errno == EPERM && n->type != 'p')
        return bind_node (dirfd, name, n, err);
      return rv_error_make (err, errno, "mknod `%s`", n->path);
    }
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return rv_error_make (err, errno, "open the new device `%s`", n->path);
  if (fstat (fd, &st) < 0)
    return rv_error_make (err, errno, "stat the new device `%s`", n->path);
  if ((st.st_mode & S_IFMT) != fmt || (n->type != 'p' && st.st_rdev != dev))
    return rv_error_set (err, EIO, "device `%s` changed under us", n->path);
  /* mknod applied the umask; set the exact mode and owner.  */
  {
    char proc[32];
    if (chmod (lc_path_fd_proc (fd, proc), n->mode) < 0)
      return rv_error_make (err, errno, "chmod device `%s`", n->path);
  }
  if (fchownat (fd, "", n->uid, n->gid, AT_EMPTY_PATH) < 0)
    return rv_error_make (err, errno, "chown device `%s` to %u:%u", n->path, n->uid, n->gid);
  return 0;
}

int
lc_devices_create (int rootfd, const struct lc_dev_list *l, bool bind, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < l->len; i++)
    {
      /* /dev/ptmx is the devpts instance's, linked by lc_devices_links.  */
      if (strcmp (l->v[i].path, "/dev/ptmx") == 0)
        continue;
      int r = make_node (rootfd, &l->v[i], bind, err);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
link_in_root (int rootfd, const char *target, const char *path, bool replace, rv_error_t *err)
{
  _cleanup_close_ int dirfd = -1;
  _cleanup_free_ char *name = NULL;
  int r = lc_path_open_parent_in_root (rootfd, path, &dirfd, &name, err);
  if (r < 0)
    return r;
  if (replace)
    {
      struct stat st;
      if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (st.st_mode))
        (void) unlinkat (dirfd, name, 0);
    }
  if (symlinkat (target, dirfd, name) < 0 && errno != EEXIST)
    return rv_error_make (err, errno, "symlink `%s` -> `%s`", path, target);
  return 0;
}

int
lc_devices_links (int rootfd, rv_error_t *err)
{
  static const char *const links[][2] = {
    { "/proc/self/fd", "/dev/fd" },
    { "/proc/self/fd/0", "/dev/stdin" },
    { "/proc/self/fd/1", "/dev/stdout" },
    { "/proc/self/fd/2", "/dev/stderr" },
  };
  size_t i;
  int r;

  for (i = 0; i < ARRAY_SIZE (links); i++)
    {
      r = link_in_root (rootfd, links[i][0], links[i][1], false, err);
      if (r < 0)
        return r;
    }
  if (access ("/proc/kcore", F_OK) == 0)
    {
      r = link_in_root (rootfd, "/proc/kcore", "/dev/core", false, err);
      if (r < 0)
        return r;
    }
  /* ptmx must be the container's own devpts instance.  */
  return link_in_root (rootfd, "pts/ptmx", "/dev/ptmx", true, err);
}
