#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/path.h"

bool lc_path_force_fallback = false;

/* Cached once a call says the kernel has no openat2 (ENOSYS) or a seccomp
 * filter of our caller refuses it (EPERM).  */
static bool openat2_missing = false;

#define MAX_SYMLINKS 40

const char *
lc_path_fd_proc (int fd, char buf[static 32])
{
  (void) snprintf (buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

int
lc_path_fd_path (int fd, char **ret, rv_error_t *err)
{
  char proc[32];
  char buf[PATH_MAX];
  ssize_t n;

  n = readlink (lc_path_fd_proc (fd, proc), buf, sizeof (buf) - 1);
  if (n < 0)
    return rv_error_make (err, errno, "readlink `%s`", proc);
  buf[n] = '\0';
  *ret = xstrdup (buf);
  return 0;
}

bool
lc_path_is_below (const char *root, const char *path)
{
  size_t n = strlen (root);

  while (n > 1 && root[n - 1] == '/')
    n--;
  if (n == 1 && root[0] == '/')
    return path[0] == '/';
  if (strncmp (root, path, n) != 0)
    return false;
  return path[n] == '\0' || path[n] == '/';
}

char *
lc_path_clean (const char *path)
{
  size_t len = strlen (path);
  char *out = xmalloc (len + 2);
  size_t o = 0;
  const char *p = path;

  out[o++] = '/';
  while (*p)
    {
      const char *start;
      size_t n;

      while (*p == '/')
        p++;
      start = p;
      while (*p && *p != '/')
        p++;
      n = (size_t) (p - start);
      if (n == 0 || (n == 1 && start[0] == '.'))
        continue;
      if (n == 2 && start[0] == '.' && start[1] == '.')
        {
          /* Back to the previous '/', never above the first.  */
          while (o > 1 && out[o - 1] != '/')
            o--;
          if (o > 1)
            o--;
          continue;
        }
      if (o > 1)
        out[o++] = '/';
      memcpy (out + o, start, n);
      o += n;
    }
  out[o] = '\0';
  return out;
}

static int
sys_openat2 (int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
  struct open_how how = {
    .flags = (unsigned long long) flags,
    .mode = mode,
    .resolve = resolve,
  };
  int i, fd = -1;

  /* EAGAIN: a rename or mount raced with the lookup; the kernel asks for a
   * retry.  */
  for (i = 0; i < 32; i++)
    {
      fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof (how));
      if (fd >= 0 || errno != EAGAIN)
        break;
    }
  return fd;
}

/* The components still to walk, as a vector used from the back (so that
 * a symlink's components are pushed in front cheaply).  */
struct walk
{
  char **todo; /* reversed: the next component is the last element.  */
  size_t len, cap;
  int *dirs; /* the directories from the root down to the current one.  */
  size_t depth, dirs_cap;
};

static void
walk_push_components (struct walk *w, const char *path)
{
  /* Collect PATH's components, then push them last-first.  */
  _cleanup_strv_ char **parts = NULL;
  const char *p = path;
  size_t n;

  while (*p)
    {
      const char *start;
      while (*p == '/')
        p++;
      start = p;
      while (*p && *p != '/')
        p++;
      if (p > start)
        {
          _cleanup_free_ char *c = xstrndup (start, (size_t) (p - start));
          strv_append (&parts, c);
        }
    }
  for (n = strv_len (parts); n > 0; n--)
    {
      if (w->len == w->cap)
        {
          w->cap = w->cap ? w->cap * 2 : 16;
          w->todo = xreallocarray (w->todo, w->cap, sizeof (char *));
        }
      w->todo[w->len++] = TAKE_PTR (parts[n - 1]);
    }
}

static void
walk_push_dir (struct walk *w, int fd)
{
  if (w->depth == w->dirs_cap)
    {
      w->dirs_cap = w->dirs_cap ? w->dirs_cap * 2 : 16;
      w->dirs = xreallocarray (w->dirs, w->dirs_cap, sizeof (int));
    }
  w->dirs[w->depth++] = fd;
}

static void
walk_free (struct walk *w)
{
  size_t i;
  for (i = 0; i < w->len; i++)
    free (w->todo[i]);
  free (w->todo);
  /* dirs[0] is the caller's root fd: not ours to close.  */
  for (i = 1; i < w->depth; i++)
    (void) close (w->dirs[i]);
  free (w->dirs);
}

enum walk_create
{
  WALK_NO_CREATE = 0,
  WALK_MKDIR,         /* every missing component becomes a directory.  */
  WALK_MKDIR_PARENTS, /* missing parents become directories; the last must exist.  */
};

/* Walks PATH below ROOTFD one component at a time and returns an O_PATH fd
 * of what it names.  Symlinks are followed by hand inside the root, the last
 * one included.  */
static int
walk_in_root (int rootfd, const char *path, enum walk_create create, mode_t mode, int *ret_fd,
              rv_error_t *err)
{
  struct walk w = { 0 };
  int nlinks = 0;
  int ret;

  walk_push_dir (&w, rootfd);
  walk_push_components (&w, path);

  while (w.len > 0)
    {
      _cleanup_free_ char *comp = w.todo[--w.len];
      _cleanup_close_ int fd = -1;
      int cur = w.dirs[w.depth - 1];
      bool last = w.len == 0;
      struct stat st;

      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          /* Never above the root.  */
          if (w.depth > 1)
            (void) close (w.dirs[--w.depth]);
          continue;
        }

      fd = openat (cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && (create == WALK_MKDIR || (create == WALK_MKDIR_PARENTS && !last)))
        {
          if (mkdirat (cur, comp, mode) < 0 && errno != EEXIST)
            {
              ret = rv_error_make (err, errno, "mkdir `%s` in `%s`", comp, path);
              goto out;
            }
          fd = openat (cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
      if (fd < 0)
        {
          ret = rv_error_make (err, errno, "open `%s` (component `%s`)", path, comp);
          goto out;
        }
      if (fstat (fd, &st) < 0)
        {
          ret = rv_error_make (err, errno, "stat `%s` (component `%s`)", path, comp);
          goto out;
        }
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t n;

          if (++nlinks > MAX_SYMLINKS)
            {
              ret = rv_error_make (err, ELOOP, "resolve `%s`", path);
              goto out;
            }
          n = readlinkat (fd, "", target, sizeof (target) - 1);
          if (n < 0)
            {
              ret = rv_error_make (err, errno, "readlink `%s` (component `%s`)", path, comp);
              goto out;
            }
          target[n] = '\0';
          /* An absolute target restarts at the root of the container.  */
          if (target[0] == '/')
            while (w.depth > 1)
              (void) close (w.dirs[--w.depth]);
          walk_push_components (&w, target);
          continue;
        }
      if (!last && !S_ISDIR (st.st_mode))
        {
          ret = rv_error_make (err, ENOTDIR, "open `%s` (component `%s`)", path, comp);
          goto out;
        }
      walk_push_dir (&w, TAKE_FD (fd));
    }

  if (w.depth == 1)
    {
      int fd = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
      if (fd < 0)
        {
          ret = rv_error_make (err, errno, "dup root fd");
          goto out;
        }
      *ret_fd = fd;
    }
  else
    *ret_fd = w.dirs[--w.depth];
  ret = 0;

out:
  walk_free (&w);
  return ret;
}

/* Reopens an O_PATH fd with FLAGS through /proc/self/fd (the only way to
 * turn an O_PATH fd of a non-directory into a real one).  */
static int
reopen (int fd, int flags, const char *path, int *ret_fd, rv_error_t *err)
{
  char proc[32];
  int nfd;

  if ((flags & O_PATH) != 0)
    {
      *ret_fd = fd;
      return 0;
    }
  nfd = open (lc_path_fd_proc (fd, proc), flags | O_CLOEXEC);
  if (nfd < 0)
    {
      int e = errno;
      (void) close (fd);
      return rv_error_make (err, e, "open `%s`", path);
    }
  (void) close (fd);
  *ret_fd = nfd;
  return 0;
}

static bool
use_openat2 (void)
{
  return !lc_path_force_fallback && !openat2_missing;
}

int
lc_path_open_in_root (int rootfd, const char *path, int flags, int *ret_fd, rv_error_t *err)
{
  int fd, ret;

  if (use_openat2 ())
    {
      fd = sys_openat2 (rootfd, path, flags | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      if (fd >= 0)
        {
          *ret_fd = fd;
          return 0;
        }
      if (errno != ENOSYS && errno != EPERM)
        return rv_error_make (err, errno, "open `%s`", path);
      openat2_missing = true;
    }
  ret = walk_in_root (rootfd, path, WALK_NO_CREATE, 0, &fd, err);
  if (ret < 0)
    return ret;
  if ((flags & O_DIRECTORY) != 0)
    {
      struct stat st;
      if (fstat (fd, &st) < 0 || !S_ISDIR (st.st_mode))
        {
          (void) close (fd);
          return rv_error_make (err, ENOTDIR, "open `%s`", path);
        }
    }
  return reopen (fd, flags, path, ret_fd, err);
}

int
lc_path_mkdir_in_root (int rootfd, const char *path, mode_t mode, int *ret_fd, rv_error_t *err)
{
  struct stat st;
  int fd, ret;

  if (use_openat2 ())
    {
      fd = sys_openat2 (rootfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      if (fd >= 0)
        {
          *ret_fd = fd;
          return 0;
        }
      if (errno == ENOSYS || errno == EPERM)
        openat2_missing = true;
      else if (errno != ENOENT)
        return rv_error_make (err, errno, "open `%s`", path);
    }
  ret = walk_in_root (rootfd, path, WALK_MKDIR, mode, &fd, err);
  if (ret < 0)
    return ret;
  if (fstat (fd, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      (void) close (fd);
      return rv_error_make (err, ENOTDIR, "mkdir `%s`", path);
    }
  *ret_fd = fd;
  return 0;
}

int
lc_path_open_parent_in_root (int rootfd, const char *path, int *ret_dirfd, char **ret_name, rv_error_t *err)
{
  _cleanup_free_ char *clean = lc_path_clean (path);
  char *slash = strrchr (clean, '/');
  _cleanup_free_ char *name = NULL;
  int fd, ret;

  if (clean[1] == '\0')
    return rv_error_make (err, EINVAL, "`%s` has no parent", path);
  name = xstrdup (slash + 1);
  if (slash == clean)
    slash[1] = '\0';
  else
    *slash = '\0';
  ret = lc_path_mkdir_in_root (rootfd, clean, 0755, &fd, err);
  if (ret < 0)
    return ret;
  *ret_dirfd = fd;
  *ret_name = TAKE_PTR (name);
  return 0;
}

int
lc_path_create_in_root (int rootfd, const char *path, bool as_file, mode_t mode, int *ret_fd, rv_error_t *err)
{
  _cleanup_free_ char *cur = xstrdup (path);
  int i;

  for (i = 0; i < MAX_SYMLINKS; i++)
    {
      _cleanup_error_ rv_error_t tmp = NULL;
      _cleanup_close_ int dirfd = -1;
      _cleanup_free_ char *name = NULL;
      char target[PATH_MAX];
      ssize_t n;
      int fd, ret;

      /* Existing: whatever it is, following symlinks inside the root.  */
      ret = lc_path_open_in_root (rootfd, cur, O_PATH, &fd, &tmp);
      if (ret == 0)
        {
          *ret_fd = fd;
          return 0;
        }
      if (tmp->status != ENOENT)
        {
          *err = TAKE_PTR (tmp);
          return rv_error_ret (*err);
        }
      if (!as_file)
        return lc_path_mkdir_in_root (rootfd, cur, mode, ret_fd, err);

      ret = lc_path_open_parent_in_root (rootfd, cur, &dirfd, &name, err);
      if (ret < 0)
        return ret;
      if (strcmp (name, "..") == 0 || strcmp (name, ".") == 0)
        return rv_error_make (err, EISDIR, "create file `%s`", path);
      /* O_EXCL | O_NOFOLLOW: a dangling symlink in the last component is
       * not followed by the kernel (it could point out of the root); its
       * target is created inside the root on the next round instead.  */
      fd = openat (dirfd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode);
      if (fd >= 0)
        {
          (void) close (fd);
          return lc_path_open_in_root (rootfd, cur, O_PATH, ret_fd, err);
        }
      if (errno != EEXIST)
        return rv_error_make (err, errno, "create `%s`", path);
      n = readlinkat (dirfd, name, target, sizeof (target) - 1);
      if (n < 0)
        {
          /* Someone else created it meanwhile: use it.  */
          return lc_path_open_in_root (rootfd, cur, O_PATH, ret_fd, err);
        }
      target[n] = '\0';
      if (target[0] == '/')
        {
          free (cur);
          cur = xstrdup (target);
        }
      else
        {
          _cleanup_free_ char *clean = lc_path_clean (cur);
          char *slash = strrchr (clean, '/');
          *slash = '\0';
          free (cur);
          cur = xasprintf ("%s/%s", clean, target);
        }
    }
  return rv_error_make (err, ELOOP, "create `%s`", path);
}
