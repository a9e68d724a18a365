/* The container's cgroup on the host: where `linux.cgroupsPath` puts it,
 * what is applied there, and what of it is removed.
 *
 * What `create` will make is recorded before the monitor starts, in the
 * container's first state.json: a create killed at any moment (before the
 * cgroup exists, half way through making it in the v1 hierarchies, with
 * QEMU running in it) leaves a record that says which directories are
 * runvm's, and `delete` removes exactly those.  A cgroup that existed
 * before (an engine's, a parent slice) is never removed.  */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/libcontainer.h"
#include "runtime/rt_impl.h"

/* The calling process's cgroup: the cgroup2 entry ("0::/x"), else the
 * memory hierarchy's, else "/".  */
static char *
own_cgroup (void)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_free_ char *text = NULL;
  char *line, *save = NULL, *v2 = NULL, *memory = NULL;

  if (read_file ("/proc/self/cgroup", 1 << 16, &text, NULL, &tmp_err) < 0)
    return xstrdup ("/");
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      if (strcmp (c1 + 1, "") == 0 && v2 == NULL)
        v2 = c2 + 1;
      else
        {
          char *ctl, *csave = NULL;
          for (ctl = strtok_r (c1 + 1, ",", &csave); ctl; ctl = strtok_r (NULL, ",", &csave))
            if (strcmp (ctl, "memory") == 0 && memory == NULL)
              memory = c2 + 1;
        }
    }
  if (v2 && *v2 == '/')
    return xstrdup (v2);
  if (memory && *memory == '/')
    return xstrdup (memory);
  return xstrdup ("/");
}

char *
rt_host_cgroup_path (const struct spec_config *config, const char *id, enum rt_cgroup_manager manager)
{
  const char *path = config->linux && config->linux->cgroups_path && config->linux->cgroups_path[0]
                         ? config->linux->cgroups_path
                         : NULL;
  _cleanup_free_ char *base = NULL;

  if (manager == RT_CGROUP_MANAGER_DISABLED)
    return NULL;
  /* libcontainer expands "slice:prefix:name" itself, wherever it meets it.  */
  if (path && (path[0] == '/' || strchr (path, ':') != NULL))
    return xstrdup (path);
  base = own_cgroup ();
  return xasprintf ("%s%s%s", base, str_has_suffix (base, "/") ? "" : "/", path ? path : id);
}

struct spec_resources *
rt_host_resources (const struct spec_resources *resources)
{
  struct spec_resources *r;
  if (resources == NULL)
    return NULL;
  r = xmalloc (sizeof (*r));
  *r = *resources;
  r->devices = NULL;
  r->devices_len = 0;
  return r;
}

char **
rt_host_cgroup_plan (const char *path)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  char **made = NULL;

  if (path == NULL || lc_cgroup_missing_dirs (path, &made, &tmp_err) < 0)
    {
      if (tmp_err)
        rv_debug ("cgroup `%s`: %s", path, tmp_err->msg);
      return xcalloc (1, sizeof (char *));
    }
  return made;
}

/* A record names only directories of a cgroup file system: nothing else
 * is ever removed on its word.  */
static bool
on_cgroupfs (const char *dir)
{
  struct statfs st;
  if (dir[0] != '/' || strstr (dir, "/../") || str_has_suffix (dir, "/..") || statfs (dir, &st) < 0)
    return false;
  return st.f_type == CGROUP_SUPER_MAGIC || st.f_type == CGROUP2_SUPER_MAGIC;
}

/* DIR is the deepest of MADE on its way: the container's own cgroup in
 * one hierarchy.  */
static bool
is_leaf (char *const *made, const char *dir)
{
  size_t n = strlen (dir);
  for (; *made; made++)
    if (strncmp (*made, dir, n) == 0 && (*made)[n] == '/')
      return false;
  return true;
}

/* SIGKILL to every process listed in DIR's cgroup.procs; how many.  */
static size_t
kill_members (const char *dir)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_free_ char *path = xasprintf ("%s/cgroup.procs", dir), *text = NULL;
  char *line, *save = NULL;
  size_t n = 0;

  if (read_file (path, 1 << 22, &text, NULL, &tmp_err) < 0)
    return 0;
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      long pid = strtol (line, NULL, 10);
      if (pid > 0 && (kill ((pid_t) pid, SIGKILL) == 0 || errno != ESRCH))
        n++;
    }
  return n;
}

/* rmdir DIR; a leaf is retried while the kernel still releases the
 * processes that just died (EBUSY), a parent is left as soon as it holds
 * anything.  */
static int
remove_dir (const char *dir, bool leaf)
{
  int tries;
  for (tries = 0;; tries++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (!leaf)
        return 0;
      if (errno != EBUSY || tries >= 200)
        return -errno;
      (void) poll (NULL, 0, 10);
    }
}

static int
remove_made (char *const *made, bool kill_left, rv_error_t *err)
{
  size_t n = strv_len (made), i, round;
  int ret = 0;

  for (round = 0; kill_left && round < 100; round++)
    {
      size_t left = 0;
      for (i = 0; i < n; i++)
        if (is_leaf (made, made[i]) && on_cgroupfs (made[i]))
          left += kill_members (made[i]);
      if (left == 0)
        break;
      (void) poll (NULL, 0, 20);
    }
  /* Deepest first: MADE lists each hierarchy's directories parents
   * first.  */
  for (i = n; i > 0; i--)
    {
      const char *dir = made[i - 1];
      int r;
      if (!on_cgroupfs (dir))
        continue;
      r = remove_dir (dir, is_leaf (made, dir));
      if (r < 0 && ret == 0)
        ret = rv_error_make (err, -r, "remove cgroup `%s`", dir);
    }
  return ret;
}

/* A record without the list: the cgroup PATH was created whole by the
 * monitor (or it existed); its leaf is emptied and removed.  */
static int
remove_leaf (const char *path, rv_error_t *err)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  struct lc_cgroup *cg = NULL;
  int ret = 0, i;

  if (lc_cgroup_open (path, &cg, &tmp_err) < 0)
    return 0;
  for (i = 0; i < 100; i++)
    {
      _cleanup_free_ pid_t *pids = NULL;
      size_t n = 0;
      if (lc_cgroup_pids (cg, &pids, &n, &tmp_err) < 0 || n == 0)
        break;
      (void) lc_cgroup_kill (cg, SIGKILL, &tmp_err);
      rv_error_release (&tmp_err);
      (void) poll (NULL, 0, 20);
    }
  rv_error_release (&tmp_err);
  if (lc_cgroup_destroy (cg, &tmp_err) < 0)
    ret = rv_error_set (err, tmp_err->status, "%s", tmp_err->msg);
  lc_cgroup_free (cg);
  return ret;
}

int
rt_host_cgroup_remove (const char *path, char *const *made, bool kill_left, rv_error_t *err)
{
  if (path == NULL)
    return 0;
  if (made == NULL)
    return remove_leaf (path, err);
  return remove_made (made, kill_left, err);
}
