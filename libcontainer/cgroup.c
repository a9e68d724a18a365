/* Cgroup directories of a container: layout detection, creation, joining,
 * listing, signalling, freezing and removal.  The resource writers are in
 * cgroup_v1.c and cgroup_v2.c, the v2 device filter in cgroup_bpf.c.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libcgroup.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/cgroup.h"
#include "libcontainer/libcontainer.h"
#include "libcontainer/path.h"

/* ---- file helpers ----------------------------------------------------- */

int
lc_cg_write (const char *dir, const char *file, const char *value, rv_error_t *err)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, file);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  int r;

  if (fd < 0)
    return rv_error_make (err, errno, "open `%s`", path);
  /* One write: cgroup files take a value per write(2).  */
  r = write_all (fd, value, strlen (value));
  if (r < 0)
    return rv_error_make (err, -r, "write `%s` to `%s`", value, path);
  return 0;
}

int
lc_cg_writef (const char *dir, const char *file, rv_error_t *err, const char *fmt, ...)
{
  _cleanup_free_ char *v = NULL;
  va_list ap;

  va_start (ap, fmt);
  v = xvasprintf (fmt, ap);
  va_end (ap);
  return lc_cg_write (dir, file, v, err);
}

int
lc_cg_read (const char *dir, const char *file, char **ret, rv_error_t *err)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, file);
  char *data = NULL;
  size_t len = 0;
  int r;

  r = read_file (path, 1 << 20, &data, &len, err);
  if (r < 0)
    return r;
  while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
    data[--len] = '\0';
  *ret = data;
  return 0;
}

bool
lc_cg_exists (const char *dir, const char *file)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

/* ---- layout ----------------------------------------------------------- */

struct lc_cg_layout *
lc_cg_layout_new (void)
{
  return xmalloc0 (sizeof (struct lc_cg_layout));
}

static void
hierarchy_clear (struct lc_cg_hierarchy *h)
{
  free (h->mountpoint);
  free (h->mount_root);
  strv_free (h->controllers);
  free (h->own);
}

void
lc_cg_layout_free (struct lc_cg_layout *l)
{
  size_t i;
  if (l == NULL)
    return;
  for (i = 0; i < l->len; i++)
    hierarchy_clear (&l->h[i]);
  free (l->h);
  free (l);
}

static void
layout_update_mode (struct lc_cg_layout *l)
{
  bool v1 = false, v2 = false;
  size_t i;
  for (i = 0; i < l->len; i++)
    {
      if (l->h[i].version == 1)
        v1 = true;
      else
        v2 = true;
    }
  l->mode = v1 ? (v2 ? LC_CG_MODE_HYBRID : LC_CG_MODE_V1) : LC_CG_MODE_V2;
}

static struct lc_cg_hierarchy *
layout_append (struct lc_cg_layout *l)
{
  l->h = xreallocarray (l->h, l->len + 1, sizeof (*l->h));
  memset (&l->h[l->len], 0, sizeof (*l->h));
  return &l->h[l->len++];
}

void
lc_cg_layout_add (struct lc_cg_layout *l, int version, const char *mountpoint, const char *own,
                  const char *const *controllers)
{
  struct lc_cg_hierarchy *h = layout_append (l);
  h->version = version;
  h->mountpoint = xstrdup (mountpoint);
  h->mount_root = xstrdup ("/");
  h->own = xstrdup (own ? own : "/");
  h->controllers = strv_dup ((char *const *) controllers);
  if (h->controllers == NULL)
    h->controllers = xcalloc (1, sizeof (char *));
  layout_update_mode (l);
}

const struct lc_cg_hierarchy *
lc_cg_layout_unified (const struct lc_cg_layout *l)
{
  size_t i;
  for (i = 0; i < l->len; i++)
    if (l->h[i].version == 2)
      return &l->h[i];
  return NULL;
}

/* /proc/self/mountinfo's escapes (\040 for a space...).  */
static void
unescape_octal (char *s)
{
  char *o = s;
  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 4;
        }
      else
        *o++ = *s++;
    }
  *o = '\0';
}

/* The v1 controllers of a cgroup mount from its super options
 * ("rw,cpu,cpuacct" or "rw,name=systemd").  */
static char **
v1_controllers_from_options (const char *opts)
{
  static const char *const skip[]
      = { "rw", "ro", "none", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods" };
  _cleanup_free_ char *copy = xstrdup (opts);
  char **ret = xcalloc (1, sizeof (char *));
  char *save = NULL, *tok;
  size_t i;

  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      bool skipped = false;
      for (i = 0; i < ARRAY_SIZE (skip); i++)
        if (strcmp (tok, skip[i]) == 0)
          skipped = true;
      if (skipped || str_has_prefix (tok, "release_agent="))
        continue;
      strv_append (&ret, tok);
    }
  return ret;
}

/* The caller's cgroup per hierarchy: "4:memory:/x" lines (and "0::/x" for
 * v2).  A v1 line lists the hierarchy's controllers comma-separated.  */
static char *
own_cgroup (const char *self_cgroup, int version, char *const *controllers)
{
  _cleanup_free_ char *copy = xstrdup (self_cgroup);
  char *save = NULL, *line;

  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c1 = *c2 = '\0';
      if (version == 2)
        {
          if (strcmp (line, "0") == 0 && c1[1] == '\0')
            return xstrdup (c2 + 1);
          continue;
        }
      if (c1[1] == '\0')
        continue;
      {
        _cleanup_free_ char *list = xstrdup (c1 + 1);
        char *s2 = NULL, *tok;
        for (tok = strtok_r (list, ",", &s2); tok; tok = strtok_r (NULL, ",", &s2))
          if (strv_contains (controllers, tok))
            return xstrdup (c2 + 1);
      }
    }
  return xstrdup ("/");
}

/* libcgroup knows which controllers each v1 mount carries (and reads a v2
 * mount's cgroup.controllers).  Its table is checked against mountinfo,
 * which also gives what it leaves out.  */
static void
libcgroup_controllers (struct lc_cg_layout *l)
{
  struct cgroup_mount_point mp;
  void *handle = NULL;
  int r;

  if (cgroup_init () != 0)
    return;
  r = cgroup_get_controller_begin (&handle, &mp);
  while (r == 0)
    {
      size_t i;
      for (i = 0; i < l->len; i++)
        if (strcmp (l->h[i].mountpoint, mp.path) == 0 && !strv_contains (l->h[i].controllers, mp.name))
          strv_append (&l->h[i].controllers, mp.name);
      r = cgroup_get_controller_next (&handle, &mp);
    }
  cgroup_get_controller_end (&handle);
}

int
lc_cg_layout_detect (struct lc_cg_layout **ret, rv_error_t *err)
{
  _cleanup_free_ char *mountinfo = NULL;
  _cleanup_free_ char *self = NULL;
  struct lc_cg_layout *l = lc_cg_layout_new ();
  char *save = NULL, *line;
  size_t i;
  int r;

  r = read_file ("/proc/self/mountinfo", 0, &mountinfo, NULL, err);
  if (r < 0)
    goto fail;
  r = read_file ("/proc/self/cgroup", 0, &self, NULL, err);
  if (r < 0)
    goto fail;

  for (line = strtok_r (mountinfo, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *fields[7] = { NULL };
      char *sep = strstr (line, " - ");
      char *tail, *fstype, *source, *superopts, *p, *s2 = NULL;
      struct lc_cg_hierarchy *h;
      int n = 0;
      bool dup = false;

      if (sep == NULL)
        continue;
      *sep = '\0';
      tail = sep + 3;
      for (p = strtok_r (line, " ", &s2); p && n < 7; p = strtok_r (NULL, " ", &s2))
        fields[n++] = p;
      if (n < 5)
        continue;
      fstype = strtok_r (tail, " ", &s2);
      source = fstype ? strtok_r (NULL, " ", &s2) : NULL;
      superopts = source ? strtok_r (NULL, " ", &s2) : NULL;
      if (fstype == NULL || superopts == NULL)
        continue;
      if (strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
        continue;
      unescape_octal (fields[4]);
      unescape_octal (fields[3]);
      /* The same hierarchy mounted twice: keep the first mount.  */
      for (i = 0; i < l->len; i++)
        if (strcmp (l->h[i].mountpoint, fields[4]) == 0)
          dup = true;
      if (dup)
        continue;
      h = layout_append (l);
      h->version = strcmp (fstype, "cgroup2") == 0 ? 2 : 1;
      h->mountpoint = xstrdup (fields[4]);
      h->mount_root = xstrdup (fields[3]);
      if (h->version == 1)
        h->controllers = v1_controllers_from_options (superopts);
      else
        {
          _cleanup_free_ char *ctl = NULL;
          _cleanup_error_ rv_error_t tmp = NULL;
          h->controllers = xcalloc (1, sizeof (char *));
          if (lc_cg_read (h->mountpoint, "cgroup.controllers", &ctl, &tmp) == 0)
            {
              char *s3 = NULL, *tok;
              for (tok = strtok_r (ctl, " ", &s3); tok; tok = strtok_r (NULL, " ", &s3))
                strv_append (&h->controllers, tok);
            }
        }
    }
  /* A v1 hierarchy that shares a controller with another one is the same
   * hierarchy mounted elsewhere; duplicates were dropped above by path
   * only, which is enough for the usual layouts.  */
  libcgroup_controllers (l);

  for (i = 0; i < l->len; i++)
    {
      struct lc_cg_hierarchy *h = &l->h[i];
      h->own = own_cgroup (self, h->version, h->controllers);
    }
  if (l->len == 0)
    {
      r = rv_error_set (err, ENOENT, "no cgroup hierarchy is mounted");
      goto fail;
    }
  layout_update_mode (l);
  *ret = l;
  return 0;

fail:
  lc_cg_layout_free (l);
  return r;
}

/* ---- paths ------------------------------------------------------------ */

/* systemd's "slice:prefix:name" form, used by engines with the systemd
 * cgroup driver, becomes the path systemd would create:
 * "system.slice:docker:abc" -> "/system.slice/docker-abc.scope".  A
 * nested slice "a-b.slice" sits in "a.slice/a-b.slice".  */
static char *
expand_systemd_path (const char *path)
{
  _cleanup_free_ char *copy = xstrdup (path);
  char *c1 = strchr (copy, ':');
  char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  _cleanup_free_ char *slices = NULL;
  const char *slice, *prefix, *name;
  char *out;

  if (c2 == NULL || strchr (c2 + 1, ':') != NULL || strchr (copy, '/') != NULL)
    return NULL;
  *c1 = *c2 = '\0';
  slice = copy[0] ? copy : "system.slice";
  prefix = c1 + 1;
  name = c2 + 1;
  if (!str_has_suffix (slice, ".slice"))
    return NULL;
  if (strcmp (slice, "-.slice") == 0)
    slices = xstrdup ("");
  else
    {
      /* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice".  */
      size_t base_len = strlen (slice) - strlen (".slice");
      const char *dash;
      slices = xstrdup ("");
      for (dash = strchr (slice, '-'); dash && (size_t) (dash - slice) < base_len;
           dash = strchr (dash + 1, '-'))
        {
          char *n = xasprintf ("%s/%.*s.slice", slices, (int) (dash - slice), slice);
          free (slices);
          slices = n;
        }
      {
        char *n = xasprintf ("%s/%s", slices, slice);
        free (slices);
        slices = n;
      }
    }
  if (str_has_suffix (name, ".slice"))
    out = xasprintf ("%s/%s", slices, name);
  else if (prefix[0])
    out = xasprintf ("%s/%s-%s.scope", slices, prefix, name);
  else
    out = xasprintf ("%s/%s.scope", slices, name);
  return out;
}

/* Where PATH lives in hierarchy H: an absolute cgroupsPath from the
 * hierarchy's root, a relative one from the caller's own cgroup (as runc
 * does).  The mount may show a subtree only (a cgroup namespace, or a
 * bind): paths inside it are relative to its root.  */
static void
dir_for_hierarchy (const struct lc_cg_hierarchy *h, const char *path, struct lc_cg_dir *d)
{
  _cleanup_free_ char *rel = NULL;
  const char *sub;
  char *clean;

  if (path[0] == '/')
    rel = xstrdup (path);
  else
    rel = xasprintf ("%s/%s", h->own, path);
  /* Cleaning never climbs above the hierarchy's root.  */
  clean = lc_path_clean (rel);
  free (rel);
  rel = clean;
  /* Inside a mount whose root is /a, the cgroup /a/b is at <mnt>/b.  */
  sub = rel;
  if (strcmp (h->mount_root, "/") != 0)
    {
      size_t n = strlen (h->mount_root);
      if (strncmp (rel, h->mount_root, n) == 0 && (rel[n] == '/' || rel[n] == '\0'))
        sub = rel + n;
    }
  d->h = h;
  d->rel = TAKE_PTR (rel);
  d->path = xasprintf ("%s%s", h->mountpoint, strcmp (sub, "/") == 0 ? "" : sub);
}

/* Which hierarchies a container joins: every v1 hierarchy (controllers or
 * name=, as runc joins name=systemd) and the v2 one.  */
static bool
hierarchy_used (const struct lc_cg_hierarchy *h)
{
  return h->version == 2 || strv_len (h->controllers) > 0;
}

static void
dir_clear (struct lc_cg_dir *d)
{
  free (d->path);
  free (d->rel);
  strv_free (d->created);
}

void
lc_cgroup_free (struct lc_cgroup *cg)
{
  size_t i;
  if (cg == NULL)
    return;
  for (i = 0; i < cg->len; i++)
    dir_clear (&cg->dirs[i]);
  free (cg->dirs);
  free (cg->path);
  if (cg->own_layout)
    lc_cg_layout_free (cg->layout);
  free (cg);
}

static int
cgroup_new (struct lc_cg_layout *layout, const char *path, struct lc_cgroup **ret, rv_error_t *err)
{
  struct lc_cgroup *cg = xmalloc0 (sizeof (*cg));
  _cleanup_free_ char *expanded = NULL;
  size_t i;

  if (path == NULL || path[0] == '\0')
    {
      lc_cgroup_free (cg);
      return rv_error_set (err, EINVAL, "empty cgroup path");
    }
  expanded = expand_systemd_path (path);
  cg->layout = layout;
  cg->path = xstrdup (path);
  cg->dirs = xcalloc (layout->len + 1, sizeof (struct lc_cg_dir));
  for (i = 0; i < layout->len; i++)
    {
      if (!hierarchy_used (&layout->h[i]))
        continue;
      dir_for_hierarchy (&layout->h[i], expanded ? expanded : path, &cg->dirs[cg->len]);
      cg->len++;
    }
  *ret = cg;
  return 0;
}

struct lc_cg_dir *
lc_cgroup_v2_dir (struct lc_cgroup *cg)
{
  size_t i;
  for (i = 0; i < cg->len; i++)
    if (cg->dirs[i].h->version == 2)
      return &cg->dirs[i];
  return NULL;
}

struct lc_cg_dir *
lc_cgroup_dir_for (struct lc_cgroup *cg, const char *controller)
{
  const char *v2name = controller;
  struct lc_cg_dir *v2;
  size_t i;

  for (i = 0; i < cg->len; i++)
    if (cg->dirs[i].h->version == 1 && strv_contains (cg->dirs[i].h->controllers, controller))
      return &cg->dirs[i];
  if (strcmp (controller, "blkio") == 0)
    v2name = "io";
  v2 = lc_cgroup_v2_dir (cg);
  if (v2 && strv_contains (v2->h->controllers, v2name))
    return v2;
  return NULL;
}

/* mkdir -p of D's path, remembering what was created (to remove exactly
 * that on destroy).  */
static int
dir_create (struct lc_cg_dir *d, rv_error_t *err)
{
  _cleanup_free_ char *p = xstrdup (d->path);
  size_t root_len = strlen (d->h->mountpoint);
  char *s;

  for (s = p + root_len + 1; s <= p + strlen (p); s++)
    {
      if (*s != '/' && *s != '\0')
        continue;
      {
        char saved = *s;
        *s = '\0';
        if (mkdir (p, 0755) == 0)
          strv_append (&d->created, p);
        else if (errno != EEXIST)
          return rv_error_make (err, errno, "create cgroup `%s`", p);
        *s = saved;
        if (saved == '\0')
          break;
      }
    }
  if (d->created == NULL)
    d->created = xcalloc (1, sizeof (char *));
  return 0;
}

/* cpuset v1: a new cgroup starts with empty cpus and mems, and nothing can
 * join it until they are set.  Copy them from the parent, top down.  */
static int
cpuset_v1_fill (struct lc_cg_dir *d, rv_error_t *err)
{
  char **c;
  for (c = d->created; c && *c; c++)
    {
      static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
      _cleanup_free_ char *parent = xstrdup (*c);
      size_t i;
      *strrchr (parent, '/') = '\0';
      for (i = 0; i < ARRAY_SIZE (files); i++)
        {
          _cleanup_free_ char *mine = NULL;
          _cleanup_free_ char *theirs = NULL;
          int r = lc_cg_read (*c, files[i], &mine, err);
          if (r < 0)
            return r;
          if (mine[0] != '\0')
            continue;
          r = lc_cg_read (parent, files[i], &theirs, err);
          if (r < 0)
            return r;
          r = lc_cg_write (*c, files[i], theirs, err);
          if (r < 0)
            return r;
        }
    }
  return 0;
}

int
lc_cgroup_add_pid (struct lc_cgroup *cg, pid_t pid, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < cg->len; i++)
    {
      int r = lc_cg_writef (cg->dirs[i].path, "cgroup.procs", err, "%d", (int) pid);
      if (r < 0)
        return rv_error_wrap (err, "add process %d to cgroup `%s`", (int) pid, cg->path);
    }
  return 0;
}

static int
remove_created (struct lc_cgroup *cg, rv_error_t *err)
{
  size_t i;
  int ret = 0;

  for (i = 0; i < cg->len; i++)
    {
      struct lc_cg_dir *d = &cg->dirs[i];
      size_t n = strv_len (d->created);
      /* Deepest first; the leaf must go, a parent we made may hold other
       * cgroups by now (EBUSY, ENOTEMPTY) and stays.  */
      while (n > 0)
        {
          const char *p = d->created[--n];
          int tries;
          for (tries = 0;; tries++)
            {
              if (rmdir (p) == 0 || errno == ENOENT)
                break;
              /* EBUSY right after the last process exits: the kernel
               * releases the cgroup asynchronously.  */
              if (errno == EBUSY && strcmp (p, d->path) == 0 && tries < 200)
                {
                  struct timespec ts = { 0, 10 * 1000 * 1000 };
                  nanosleep (&ts, NULL);
                  continue;
                }
              if (strcmp (p, d->path) == 0 && ret == 0)
                ret = rv_error_make (err, errno, "remove cgroup `%s`", p);
              break;
            }
        }
    }
  return ret;
}

int
lc_cgroup_create_in (struct lc_cg_layout *layout, const char *path, const struct spec_resources *resources,
                     pid_t pid, struct lc_cgroup **ret, rv_error_t *err)
{
  _cleanup_error_ rv_error_t tmp = NULL;
  struct lc_cgroup *cg = NULL;
  size_t i;
  int r;

  r = cgroup_new (layout, path, &cg, err);
  if (r < 0)
    return r;
  for (i = 0; i < cg->len; i++)
    {
      struct lc_cg_dir *d = &cg->dirs[i];
      r = dir_create (d, err);
      if (r == 0 && d->h->version == 2)
        r = lc_cg_v2_enable_controllers (d, err);
      if (r == 0 && d->h->version == 1 && strv_contains (d->h->controllers, "cpuset"))
        r = cpuset_v1_fill (d, err);
      if (r < 0)
        goto fail;
    }
  if (resources)
    {
      r = lc_cgroup_apply (cg, resources, err);
      if (r < 0)
        goto fail;
    }
  if (pid > 0)
    {
      r = lc_cgroup_add_pid (cg, pid, err);
      if (r < 0)
        goto fail;
    }
  *ret = cg;
  return 0;

fail:
  (void) remove_created (cg, &tmp);
  lc_cgroup_free (cg);
  return rv_error_wrap (err, "cgroup `%s`", path);
}

int
lc_cgroup_open_in (struct lc_cg_layout *layout, const char *path, struct lc_cgroup **ret, rv_error_t *err)
{
  struct lc_cgroup *cg = NULL;
  size_t i;
  int r;

  r = cgroup_new (layout, path, &cg, err);
  if (r < 0)
    return r;
  for (i = 0; i < cg->len; i++)
    {
      struct stat st;
      if (stat (cg->dirs[i].path, &st) < 0)
        {
          r = rv_error_make (err, errno, "open cgroup `%s`", cg->dirs[i].path);
          lc_cgroup_free (cg);
          return r;
        }
      /* An opened cgroup is removed whole by destroy: its leaf.  */
      cg->dirs[i].created = xcalloc (2, sizeof (char *));
      cg->dirs[i].created[0] = xstrdup (cg->dirs[i].path);
    }
  *ret = cg;
  return 0;
}

int
lc_cgroup_create (const char *path, const struct spec_resources *resources, pid_t pid, struct lc_cgroup **ret,
                  rv_error_t *err)
{
  struct lc_cg_layout *layout = NULL;
  int r;

  r = lc_cg_layout_detect (&layout, err);
  if (r < 0)
    return r;
  r = lc_cgroup_create_in (layout, path, resources, pid, ret, err);
  if (r < 0)
    {
      lc_cg_layout_free (layout);
      return r;
    }
  (*ret)->own_layout = true;
  return 0;
}

int
lc_cgroup_missing_dirs (const char *path, char ***ret, rv_error_t *err)
{
  struct lc_cg_layout *layout = NULL;
  struct lc_cgroup *cg = NULL;
  char **missing = xcalloc (1, sizeof (char *));
  size_t i;
  int r;

  r = lc_cg_layout_detect (&layout, err);
  if (r == 0)
    r = cgroup_new (layout, path, &cg, err);
  for (i = 0; r == 0 && i < cg->len; i++)
    {
      const struct lc_cg_dir *d = &cg->dirs[i];
      _cleanup_free_ char *p = xstrdup (d->path);
      size_t root_len = strlen (d->h->mountpoint), n0 = strv_len (missing), n;
      char *slash;

      /* From the leaf up to the first directory that exists; then put
       * them parents first.  */
      while (strlen (p) > root_len && access (p, F_OK) < 0 && errno == ENOENT)
        {
          strv_append (&missing, p);
          slash = strrchr (p, '/');
          *slash = '\0';
        }
      for (n = strv_len (missing); n0 + 1 < n; n0++, n--)
        {
          char *t = missing[n0];
          missing[n0] = missing[n - 1];
          missing[n - 1] = t;
        }
    }
  lc_cgroup_free (cg);
  lc_cg_layout_free (layout);
  if (r < 0)
    {
      strv_free (missing);
      return r;
    }
  *ret = missing;
  return 0;
}

int
lc_cgroup_open (const char *path, struct lc_cgroup **ret, rv_error_t *err)
{
  struct lc_cg_layout *layout = NULL;
  int r;

  r = lc_cg_layout_detect (&layout, err);
  if (r < 0)
    return r;
  r = lc_cgroup_open_in (layout, path, ret, err);
  if (r < 0)
    {
      lc_cg_layout_free (layout);
      return r;
    }
  (*ret)->own_layout = true;
  return 0;
}

int
lc_cgroup_apply (struct lc_cgroup *cg, const struct spec_resources *r, rv_error_t *err)
{
  struct lc_cg_dir *v2 = lc_cgroup_v2_dir (cg);
  int ret;

  if (r == NULL)
    return 0;
  if (cg->layout->mode != LC_CG_MODE_V2)
    {
      ret = lc_cg_v1_apply (cg, r, err);
      if (ret < 0)
        return ret;
    }
  if (v2)
    {
      ret = lc_cg_v2_apply (cg, v2, r, cg->layout->mode == LC_CG_MODE_V2, err);
      if (ret < 0)
        return ret;
    }
  else if (r->unified_len > 0)
    return rv_error_set (err, EINVAL, "cgroup `%s`: unified resources need a cgroup v2 hierarchy", cg->path);
  return 0;
}

int
lc_cgroup_update (struct lc_cgroup *cg, const struct spec_resources *resources, rv_error_t *err)
{
  int r = lc_cgroup_apply (cg, resources, err);
  if (r < 0)
    return rv_error_wrap (err, "update cgroup `%s`", cg->path);
  return 0;
}

/* ---- processes -------------------------------------------------------- */

static void
pids_append (pid_t **v, size_t *len, pid_t p)
{
  size_t i;
  for (i = 0; i < *len; i++)
    if ((*v)[i] == p)
      return;
  *v = xreallocarray (*v, *len + 1, sizeof (pid_t));
  (*v)[(*len)++] = p;
}

/* cgroup.procs of DIR and of every cgroup below it (a container may make
 * sub-cgroups inside its cgroup namespace).  */
static int
collect_pids (const char *dir, pid_t **v, size_t *len, rv_error_t *err)
{
  _cleanup_free_ char *procs = NULL;
  _cleanup_closedir_ DIR *dp = NULL;
  struct dirent *de;
  char *save = NULL, *tok;
  int r;

  r = lc_cg_read (dir, "cgroup.procs", &procs, err);
  if (r < 0)
    return r;
  for (tok = strtok_r (procs, "\n", &save); tok; tok = strtok_r (NULL, "\n", &save))
    {
      int pid;
      if (parse_int (tok, &pid) == 0 && pid > 0)
        pids_append (v, len, pid);
    }
  dp = opendir (dir);
  if (dp == NULL)
    return rv_error_make (err, errno, "open cgroup `%s`", dir);
  while ((de = readdir (dp)) != NULL)
    {
      _cleanup_free_ char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      r = collect_pids (sub, v, len, err);
      if (r < 0)
        return r;
    }
  return 0;
}

/* The directory whose cgroup.procs lists the container's processes: the
 * v2 one on v2 hosts, else the first v1 one with a controller (on hybrid
 * hosts every process is in both).  */
static struct lc_cg_dir *
procs_dir (struct lc_cgroup *cg)
{
  size_t i;
  if (cg->layout->mode == LC_CG_MODE_V2)
    return lc_cgroup_v2_dir (cg);
  for (i = 0; i < cg->len; i++)
    if (cg->dirs[i].h->version == 1)
      return &cg->dirs[i];
  return cg->len ? &cg->dirs[0] : NULL;
}

int
lc_cgroup_pids (struct lc_cgroup *cg, pid_t **ret, size_t *ret_len, rv_error_t *err)
{
  struct lc_cg_dir *d = procs_dir (cg);
  pid_t *v = NULL;
  size_t len = 0;
  int r;

  if (d == NULL)
    return rv_error_set (err, ENOENT, "cgroup `%s` has no directory", cg->path);
  r = collect_pids (d->path, &v, &len, err);
  if (r < 0)
    {
      free (v);
      return rv_error_wrap (err, "list processes of cgroup `%s`", cg->path);
    }
  *ret = v;
  *ret_len = len;
  return 0;
}

int
lc_cgroup_freeze (struct lc_cgroup *cg, bool frozen, rv_error_t *err)
{
  struct lc_cg_dir *d = NULL;
  size_t i;
  int r;

  for (i = 0; i < cg->len; i++)
    if (cg->dirs[i].h->version == 1 && strv_contains (cg->dirs[i].h->controllers, "freezer"))
      d = &cg->dirs[i];
  if (d)
    r = lc_cg_v1_freeze (d, frozen, err);
  else if ((d = lc_cgroup_v2_dir (cg)) != NULL && lc_cg_exists (d->path, "cgroup.freeze"))
    r = lc_cg_v2_freeze (d, frozen, err);
  else
    return rv_error_set (err, ENOTSUP, "cgroup `%s`: no freezer on this host", cg->path);
  if (r < 0)
    return rv_error_wrap (err, "%s cgroup `%s`", frozen ? "freeze" : "thaw", cg->path);
  return 0;
}

int
lc_cgroup_kill (struct lc_cgroup *cg, int sig, rv_error_t *err)
{
  _cleanup_free_ pid_t *pids = NULL;
  struct lc_cg_dir *v2 = lc_cgroup_v2_dir (cg);
  size_t len = 0, i;
  int r;

  /* cgroup.kill (5.14+) reaches every process, even ones forked while we
   * iterate.  Only a v2 host has the whole container in the v2 tree.  */
  if (sig == SIGKILL && v2 && cg->layout->mode == LC_CG_MODE_V2 && lc_cg_exists (v2->path, "cgroup.kill"))
    {
      r = lc_cg_write (v2->path, "cgroup.kill", "1", err);
      if (r < 0)
        return rv_error_wrap (err, "kill cgroup `%s`", cg->path);
      return 0;
    }
  r = lc_cgroup_pids (cg, &pids, &len, err);
  if (r < 0)
    return r;
  for (i = 0; i < len; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return rv_error_make (err, errno, "kill process %d of cgroup `%s`", (int) pids[i], cg->path);
  return 0;
}

int
lc_cgroup_destroy (struct lc_cgroup *cg, rv_error_t *err)
{
  int r = remove_created (cg, err);
  if (r < 0)
    return rv_error_wrap (err, "destroy cgroup `%s`", cg->path);
  return 0;
}

int
lc_cgroup_stats_json (struct lc_cgroup *cg, char **ret, rv_error_t *err)
{
  return lc_cg_stats_json (cg, ret, err);
}
