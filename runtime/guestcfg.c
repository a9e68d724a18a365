/* The container as the agent builds it: the bundle's config.json with its
 * host paths replaced by what the agent can reach (docs/lifecycle.md,
 * "Mounts from the host").  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utils.h"
#include "runtime/rt_impl.h"

char *
rt_rootfs_path (const struct spec_config *config, const char *bundle)
{
  const char *p = config->root && config->root->path ? config->root->path : "rootfs";
  if (p[0] == '/')
    return xstrdup (p);
  return xasprintf ("%s/%s", bundle, p);
}

void
rt_guest_config_clear (struct rt_guest_config *g)
{
  free (g->config_json);
  free (g->rootfs);
  free (g->cgroup_path);
  spec_config_free (g->host_hooks_holder);
  memset (g, 0, sizeof (*g));
}

static bool
has_option (char *const *options, const char *opt)
{
  return options && strv_contains (options, opt);
}

static bool
is_bind (const struct spec_mount *m)
{
  return str_eq (m->type, "bind") || has_option (m->options, "bind") || has_option (m->options, "rbind");
}

/* SRC bind-mounted on DST (created as a directory or an empty file, as
 * SRC is), read-only on the host too when the container mounts it so.  */
static int
bind_into (const char *src, const char *dst, bool recursive, bool readonly, rv_error_t *err)
{
  struct stat st;

  if (stat (src, &st) < 0)
    return rv_error_make (err, errno, "bind mount source `%s`", src);
  if (S_ISDIR (st.st_mode))
    {
      if (mkdir (dst, 0755) < 0 && errno != EEXIST)
        return rv_error_make (err, errno, "create `%s`", dst);
    }
  else
    {
      int fd = open (dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0)
        return rv_error_make (err, errno, "create `%s`", dst);
      (void) close (fd);
    }
  if (mount (src, dst, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
    return rv_error_make (err, errno, "bind `%s` into the VM's share", src);
  if (readonly && mount (NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
    return rv_error_make (err, errno, "make `%s` read-only in the VM's share", dst);
  return 0;
}

/* VALUE with overlayfs's option separators (and the escape) escaped, as
 * its option parser unescapes them.  */
static char *
ovl_escape (const char *value)
{
  size_t len = strlen (value), i, o = 0;
  char *out = xmalloc (2 * len + 1);
  for (i = 0; i < len; i++)
    {
      if (value[i] == ',' || value[i] == ':' || value[i] == '\\')
        out[o++] = '\\';
      out[o++] = value[i];
    }
  out[o] = '\0';
  return out;
}

/* The directories of an overlayfs option value: split at the ':' that are
 * not escaped, each unescaped, as the kernel reads them.  */
static char **
ovl_split (const char *value)
{
  char **v = NULL;
  size_t len = strlen (value), i, o = 0;
  _cleanup_free_ char *cur = xmalloc (len + 1);

  for (i = 0; i <= len; i++)
    {
      if (value[i] == '\\' && i + 1 < len)
        {
          cur[o++] = value[++i];
          continue;
        }
      if (value[i] == ':' || value[i] == '\0')
        {
          cur[o] = '\0';
          if (o > 0)
            strv_append (&v, cur);
          o = 0;
          continue;
        }
      cur[o++] = value[i];
    }
  return v;
}

static char *
abs_dir (const char *bundle, const char *dir)
{
  return dir[0] == '/' ? xstrdup (dir) : xasprintf ("%s/%s", bundle, dir);
}

/* The index of the last option of M starting with KEY (the one the kernel
 * keeps), or -1.  */
static ssize_t
last_option (const struct spec_mount *m, const char *key)
{
  ssize_t found = -1, o;
  for (o = 0; m->options && m->options[o]; o++)
    if (str_has_prefix (m->options[o], key))
      found = o;
  return found;
}

/* upperdir and workdir: overlayfs wants them on one mount, and every bind
 * in the share is a mount of its own in the guest (virtio-fs announces
 * submounts), so their common parent directory is shared once, as
 * m/<I>.w, and both are named inside it.  Engines (podman's `:O`
 * volumes, docker's layer directories) keep the two side by side; other
 * layouts are refused rather than sharing an arbitrary ancestor.  */
static int
share_overlay_upper (struct spec_mount *m, size_t i, const char *bundle, const char *mdir, ssize_t up,
                     ssize_t wk, rv_error_t *err)
{
  _cleanup_strv_ char **upper_v = ovl_split (m->options[up] + strlen ("upperdir="));
  _cleanup_strv_ char **work_v = ovl_split (m->options[wk] + strlen ("workdir="));
  _cleanup_free_ char *upper_in = NULL, *work_in = NULL, *upper = NULL, *work = NULL;
  _cleanup_free_ char *dst = NULL, *ue = NULL, *we = NULL;
  char *us, *ws;
  int r;

  if (upper_v == NULL || work_v == NULL || upper_v[1] != NULL || work_v[1] != NULL)
    return rv_error_set (err, EINVAL, "upperdir and workdir must name one directory each");
  upper_in = abs_dir (bundle, upper_v[0]);
  work_in = abs_dir (bundle, work_v[0]);
  upper = realpath (upper_in, NULL);
  if (upper == NULL)
    return rv_error_make (err, errno, "upperdir `%s`", upper_in);
  work = realpath (work_in, NULL);
  if (work == NULL)
    return rv_error_make (err, errno, "workdir `%s`", work_in);
  us = strrchr (upper, '/');
  ws = strrchr (work, '/');
  if (us == upper || ws == work)
    return rv_error_set (err, EINVAL, "upperdir `%s` and workdir `%s`: `/` is not shared with the VM", upper,
                         work);
  if (us - upper != ws - work || strncmp (upper, work, (size_t) (us - upper)) != 0)
    return rv_error_set (
        err, EINVAL, "upperdir `%s` and workdir `%s` must be in the same directory to be shared with the VM",
        upper, work);
  *us = '\0';
  dst = xasprintf ("%s/%zu.w", mdir, i);
  r = bind_into (upper, dst, false, false, err);
  if (r < 0)
    return r;
  ue = ovl_escape (us + 1);
  we = ovl_escape (ws + 1);
  free (m->options[up]);
  m->options[up] = xasprintf ("upperdir=" RT_GUEST_SHARE "/m/%zu.w/%s", i, ue);
  free (m->options[wk]);
  m->options[wk] = xasprintf ("workdir=" RT_GUEST_SHARE "/m/%zu.w/%s", i, we);
  return 0;
}

/* An overlay's layers are host directories named in its options
 * (lowerdir=a:b, upperdir=, workdir=): each lower layer is shared as
 * m/<I>.<n>, upper and work together (above), and the options renamed.  */
static int
share_overlay (struct spec_mount *m, size_t i, const char *bundle, const char *mdir, rv_error_t *err)
{
  ssize_t up = last_option (m, "upperdir="), wk = last_option (m, "workdir=");
  size_t o, n = 0;
  int r;

  if (mkdir (mdir, 0755) < 0 && errno != EEXIST)
    return rv_error_make (err, errno, "create `%s`", mdir);
  if (up >= 0 && wk >= 0)
    {
      r = share_overlay_upper (m, i, bundle, mdir, up, wk, err);
      if (r < 0)
        return r;
    }
  for (o = 0; m->options && m->options[o]; o++)
    {
      static const char *const keys[] = { "lowerdir=", "upperdir=", "workdir=" };
      _cleanup_strv_ char **dirs = NULL;
      _cleanup_free_ char *out = NULL;
      const char *key = NULL;
      char **d;
      size_t k;

      for (k = 0; k < ARRAY_SIZE (keys); k++)
        if (str_has_prefix (m->options[o], keys[k]))
          key = keys[k];
      if (key == NULL || ((ssize_t) o == up && wk >= 0) || ((ssize_t) o == wk && up >= 0))
        continue;
      dirs = ovl_split (m->options[o] + strlen (key));
      out = xstrdup (key);
      for (d = dirs; d && *d; d++)
        {
          _cleanup_free_ char *src = abs_dir (bundle, *d);
          _cleanup_free_ char *dst = xasprintf ("%s/%zu.%zu", mdir, i, n);
          char *next;
          r = bind_into (src, dst, false, false, err);
          if (r < 0)
            return r;
          /* The trailing slash: each bind is a virtio-fs submount, mounted
           * in the guest when a lookup goes through it, and overlayfs
           * resolves a layer without crossing its last component; it
           * refuses the bare automount point (EINVAL, "filesystem on ...
           * not supported").  */
          next = xasprintf ("%s%s" RT_GUEST_SHARE "/m/%zu.%zu/", out, out[strlen (out) - 1] == '=' ? "" : ":",
                            i, n++);
          free (out);
          out = next;
        }
      free (m->options[o]);
      m->options[o] = TAKE_PTR (out);
    }
  return 0;
}

/* PATH below DIR (PATH == DIR included): the rest after DIR, or NULL.  */
static const char *
below (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  if (strncmp (path, dir, n) != 0)
    return NULL;
  if (path[n] == '\0' || path[n] == '/')
    return path + n;
  return NULL;
}

static void
drop_namespace (struct spec_linux *lx, size_t i)
{
  free (lx->namespaces[i].type);
  free (lx->namespaces[i].path);
  memmove (&lx->namespaces[i], &lx->namespaces[i + 1],
           (lx->namespaces_len - i - 1) * sizeof (*lx->namespaces));
  lx->namespaces_len--;
}

static int
copy_config (const struct spec_config *config, struct spec_config **ret, rv_error_t *err)
{
  _cleanup_free_ char *json = spec_config_to_json (config, false);
  if (json == NULL)
    return rv_error_set (err, EINVAL, "config.json: cannot be written back");
  return spec_config_parse ("config.json", json, strlen (json), ret, err);
}

static int
build_vm (struct spec_config *c, const char *bundle, const char *state_dir, struct rt_guest_config *g,
          rv_error_t *err)
{
  _cleanup_free_ char *rootfs = rt_rootfs_path (c, bundle), *shared = xasprintf ("%s/shared", state_dir);
  _cleanup_free_ char *share_rootfs = xasprintf ("%s/rootfs", shared), *mdir = xasprintf ("%s/m", shared);
  struct spec_hooks *h = c->hooks;
  size_t i;
  int r;

  r = bind_into (rootfs, share_rootfs, true, false, err);
  if (r < 0)
    return rv_error_wrap (err, "rootfs");
  g->rootfs = xstrdup (RT_GUEST_SHARE "/rootfs");

  for (i = 0; i < c->mounts_len; i++)
    {
      struct spec_mount *m = &c->mounts[i];
      _cleanup_free_ char *src = NULL, *dst = NULL;
      if (str_eq (m->type, "overlay"))
        {
          r = share_overlay (m, i, bundle, mdir, err);
          if (r < 0)
            return rv_error_wrap (err, "mount `%s`", m->destination);
          continue;
        }
      if (!is_bind (m) || m->source == NULL)
        continue;
      if (mkdir (mdir, 0755) < 0 && errno != EEXIST)
        return rv_error_make (err, errno, "create `%s`", mdir);
      src = m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", bundle, m->source);
      dst = xasprintf ("%s/%zu", mdir, i);
      r = bind_into (src, dst, has_option (m->options, "rbind"), has_option (m->options, "ro"), err);
      if (r < 0)
        return rv_error_wrap (err, "mount `%s`", m->destination);
      free (m->source);
      m->source = xasprintf (RT_GUEST_SHARE "/m/%zu", i);
    }

  if (c->linux)
    for (i = 0; i < c->linux->namespaces_len;)
      {
        struct spec_namespace *ns = &c->linux->namespaces[i];
        if (str_eq (ns->type, "user") && ns->path && ns->path[0])
          {
            drop_namespace (c->linux, i);
            continue;
          }
        free (ns->path);
        /* The guest's own network namespace (its PID 1's) is the one the
         * agent configured like the container's namespace on the host: the
         * container joins it, and is still a container with a network
         * namespace of its own (net.* sysctls are its to set).  */
        ns->path = str_eq (ns->type, "network") ? xstrdup ("/proc/1/ns/net") : NULL;
        i++;
      }

  /* createContainer hooks whose program is in the rootfs run in the
   * guest; the guest's own root is the initrd, which has nothing else.  */
  if (h && h->len[SPEC_HOOK_CREATE_CONTAINER] > 0)
    {
      struct spec_hook *all = h->hooks[SPEC_HOOK_CREATE_CONTAINER];
      size_t n = h->len[SPEC_HOOK_CREATE_CONTAINER], kept = 0, host = 0;
      struct spec_hook *guest_hooks = xcalloc (n, sizeof (*guest_hooks));
      struct spec_hook *host_hooks = xcalloc (n, sizeof (*host_hooks));
      for (i = 0; i < n; i++)
        {
          const char *rest = below (all[i].path, rootfs);
          if (rest)
            {
              guest_hooks[kept] = all[i];
              guest_hooks[kept].path = xasprintf (RT_GUEST_SHARE "/rootfs%s", rest);
              free (all[i].path);
              kept++;
            }
          else
            host_hooks[host++] = all[i];
        }
      free (all);
      h->hooks[SPEC_HOOK_CREATE_CONTAINER] = kept ? guest_hooks : NULL;
      h->len[SPEC_HOOK_CREATE_CONTAINER] = kept;
      if (!kept)
        free (guest_hooks);
      /* The host's share lives in a config of its own, freed with G.  */
      g->host_hooks_holder = xmalloc0 (sizeof (struct spec_config));
      g->host_hooks_holder->hooks = xmalloc0 (sizeof (struct spec_hooks));
      g->host_hooks_holder->hooks->hooks[SPEC_HOOK_CREATE_CONTAINER] = host ? host_hooks : NULL;
      g->host_hooks_holder->hooks->len[SPEC_HOOK_CREATE_CONTAINER] = host;
      if (!host)
        free (host_hooks);
      g->host_create_container = g->host_hooks_holder->hooks->hooks[SPEC_HOOK_CREATE_CONTAINER];
      g->host_create_container_len = host;
    }
  return 0;
}

static void
build_host (struct spec_config *c, const char *bundle, pid_t monitor_pid, const char *host_cgroup,
            struct rt_guest_config *g)
{
  size_t i;

  g->rootfs = rt_rootfs_path (c, bundle);
  g->cgroup_path = xstrdup (host_cgroup);
  if (c->linux && monitor_pid > 0)
    for (i = 0; i < c->linux->namespaces_len; i++)
      {
        struct spec_namespace *ns = &c->linux->namespaces[i];
        if (str_eq (ns->type, "network"))
          {
            free (ns->path);
            ns->path = xasprintf ("/proc/%d/ns/net", (int) monitor_pid);
          }
      }
}

int
rt_guest_config_build (const struct spec_config *config, const char *bundle, const char *state_dir, bool vm,
                       pid_t monitor_pid, const char *host_cgroup, struct rt_guest_config *ret,
                       rv_error_t *err)
{
  struct rt_guest_config g = { 0 };
  struct spec_config *c = NULL;
  int r;

  r = copy_config (config, &c, err);
  if (r < 0)
    return r;
  if (vm)
    r = build_vm (c, bundle, state_dir, &g, err);
  else
    build_host (c, bundle, monitor_pid, host_cgroup, &g);
  if (r == 0)
    {
      g.config_json = spec_config_to_json (c, false);
      if (g.config_json == NULL)
        r = rv_error_set (err, EINVAL, "config.json: cannot be written back");
    }
  spec_config_free (c);
  if (r < 0)
    {
      rt_guest_config_clear (&g);
      return r;
    }
  *ret = g;
  return 0;
}
