/* The agent's container backend: libcontainer (libcontainer/libcontainer.h)
 * over documents parsed with spec/.  */
#include <errno.h>
#include <string.h>

#include "cmd/runvm-agent/agent.h"
#include "common/utils.h"
#include "libcontainer/libcontainer.h"
#include "spec/config.h"

struct lcb
{
  struct spec_config *config;
  struct lc_container *c;
  char *cgroup_path;
  struct lc_cgroup *cgroup; /* opened for stats on first use.  */
};

static void
lcb_free (void *h)
{
  struct lcb *b = h;
  if (b == NULL)
    return;
  lc_container_free (b->c);
  lc_cgroup_free (b->cgroup);
  spec_config_free (b->config);
  free (b->cgroup_path);
  free (b);
}

static int
lcb_create (const struct agent_create_args *args, const struct lc_stdio *stdio, void **ret_handle,
            pid_t *ret_pid, int *ret_console, rv_error_t *err)
{
  struct lcb *b = xmalloc0 (sizeof (*b));
  struct lc_create_opts opts = { 0 };
  const char *path;
  int r;

  r = spec_config_parse ("config.json", args->config, strlen (args->config), &b->config, err);
  if (r < 0)
    {
      lcb_free (b);
      return r;
    }
  /* One path for creating and for opening later (stats): the caller's,
   * the config's, or libcontainer's own default, the id.  */
  path = args->cgroup_path;
  if (path == NULL || *path == '\0')
    path = b->config->linux && b->config->linux->cgroups_path && *b->config->linux->cgroups_path
               ? b->config->linux->cgroups_path
               : args->container;
  b->cgroup_path = xstrdup (path);

  opts.id = args->container;
  opts.config = b->config;
  opts.bundle = args->bundle ? args->bundle : "/";
  opts.rootfs = args->rootfs;
  opts.no_pivot = args->no_pivot;
  opts.no_new_keyring = args->no_new_keyring;
  opts.no_runtime_hooks = args->no_runtime_hooks;
  opts.stdio = *stdio;
  opts.cgroup_path = b->cgroup_path;
  r = lc_container_create (&opts, &b->c, err);
  if (r < 0)
    {
      lcb_free (b);
      return r;
    }
  *ret_pid = lc_container_pid (b->c);
  *ret_console = lc_container_take_console (b->c);
  *ret_handle = b;
  return 0;
}

static int
lcb_start (void *h, rv_error_t *err)
{
  return lc_container_start (((struct lcb *) h)->c, err);
}

static int
lcb_exec (void *h, const char *process_json, const struct lc_stdio *stdio, pid_t *ret_pid, int *ret_console,
          rv_error_t *err)
{
  struct spec_process *process = NULL;
  int r;

  r = spec_process_parse ("process.json", process_json, strlen (process_json), &process, err);
  if (r < 0)
    return r;
  r = lc_container_exec (((struct lcb *) h)->c, process, *stdio, ret_pid, ret_console, err);
  spec_process_free (process);
  return r;
}

static int
lcb_kill (void *h, int sig, bool all, rv_error_t *err)
{
  return lc_container_kill (((struct lcb *) h)->c, sig, all, err);
}

static int
lcb_pids (void *h, pid_t **ret, size_t *ret_len, rv_error_t *err)
{
  return lc_container_pids (((struct lcb *) h)->c, ret, ret_len, err);
}

static int
lcb_stats (void *h, char **ret_json, rv_error_t *err)
{
  struct lcb *b = h;
  int r;

  if (b->cgroup == NULL)
    {
      r = lc_cgroup_open (b->cgroup_path, &b->cgroup, err);
      if (r < 0)
        return r;
    }
  return lc_cgroup_stats_json (b->cgroup, ret_json, err);
}

static int
lcb_pause (void *h, rv_error_t *err)
{
  return lc_container_pause (((struct lcb *) h)->c, err);
}

static int
lcb_resume (void *h, rv_error_t *err)
{
  return lc_container_resume (((struct lcb *) h)->c, err);
}

/* A linux.resources object is parsed as the resources of a minimal
 * config, so that it is checked exactly as config.json's are.  */
static int
lcb_update (void *h, const char *resources_json, rv_error_t *err)
{
  _cleanup_free_ char *doc
      = xasprintf ("{\"ociVersion\":\"%s\",\"linux\":{\"resources\":%s}}", SPEC_VERSION, resources_json);
  struct spec_config *config = NULL;
  int r;

  r = spec_config_parse ("resources", doc, strlen (doc), &config, err);
  if (r < 0)
    return r;
  r = lc_container_update (((struct lcb *) h)->c, config->linux->resources, err);
  spec_config_free (config);
  return r;
}

static int
lcb_destroy (void *h, rv_error_t *err)
{
  return lc_container_destroy (((struct lcb *) h)->c, err);
}

const struct agent_backend agent_backend_libcontainer = {
  .name = "libcontainer",
  .create = lcb_create,
  .start = lcb_start,
  .exec = lcb_exec,
  .kill = lcb_kill,
  .pids = lcb_pids,
  .stats = lcb_stats,
  .pause = lcb_pause,
  .resume = lcb_resume,
  .update = lcb_update,
  .destroy = lcb_destroy,
  .free = lcb_free,
};
