/* The container as the agent builds it: the bundle's config.json with its
 * host paths replaced by what the agent can reach (docs/lifecycle.md,
 * "Mounts from the host").  */
#include <errno.h>
#include <fcntl.h>
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

/* An overlay's layers are host directories named in its options
 * (lowerdir=a:b, upperdir=, workdir=): each is shared as m/<I>.<n> and
 * renamed in the options.  */
static int
share_overlay (struct spec_mount *m, size_t i, const char *bundle, const char *mdir, rv_error_t *err)
{
  static const char *const keys[] = { "lowerdir=", "upperdir=", "workdir=" };
  size_t o, k, n = 0;
  int r;

  if (mkdir (mdir, 0755) < 0 && errno != EEXIST)
    return rv_error_make (err, errno, "create `%s`", mdir);
  for (o = 0; m->options && m->options[o]; o++)
    for (k = 0; k < ARRAY_SIZE (keys); k++)
      {
        _cleanup_free_ char *list = NULL, *out = NULL;
        char *dir, *save = NULL;
        if (!str_has_prefix (m->options[o], keys[k]))
          continue;
        list = xstrdup (m->options[o] + strlen (keys[k]));
        out = xstrdup (keys[k]);
        for (dir = strtok_r (list, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
          {
            _cleanup_free_ char *src = dir[0] == '/' ? xstrdup (dir) : xasprintf ("%s/%s", bundle, dir);
            _cleanup_free_ char *dst = xasprintf ("%s/%zu.%zu", mdir, i, n);
            char *next;
            r = bind_into (src, dst, false, false, err);
            if (r < 0)
              return r;
            next = xasprintf ("%s%s" RT_GUEST_SHARE "/m/%zu.%zu", out,
                              out[strlen (out) - 1] == '=' ? "" : ":", i, n++);
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
