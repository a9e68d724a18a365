/* OCI hooks that run on the host: prestart, createRuntime (and the
 * createContainer hooks whose program the guest cannot reach), poststart,
 * poststop.  They run in the namespaces of the calling process: the
 * monitor (in the container's network namespace) for the first ones,
 * `runvm start` and `runvm delete` for the others, as runc runs them.  */
#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/hooks.h"
#include "runtime/rt_impl.h"

int
rt_hooks_run_list (const char *kind, const struct spec_hook *hooks, size_t n, const char *id,
                   const char *status, pid_t pid, const char *bundle, const struct spec_config *config,
                   rv_error_t *err)
{
  _cleanup_free_ char *state = NULL;

  if (n == 0)
    return 0;
  state = lc_hook_state_json (id, status, pid, bundle, config->annotations, config->annotations_len);
  return lc_hooks_run (kind, hooks, n, state, NULL, err);
}

int
rt_hooks_run (const struct spec_config *config, enum spec_hook_kind kind, const char *id, const char *status,
              pid_t pid, const char *bundle, rv_error_t *err)
{
  if (config->hooks == NULL)
    return 0;
  return rt_hooks_run_list (spec_hook_kind_name (kind), config->hooks->hooks[kind], config->hooks->len[kind],
                            id, status, pid, bundle, config, err);
}

void
rt_hooks_run_warn (const struct spec_config *config, enum spec_hook_kind kind, const char *id,
                   const char *status, pid_t pid, const char *bundle)
{
  size_t i;

  if (config->hooks == NULL)
    return;
  for (i = 0; i < config->hooks->len[kind]; i++)
    {
      _cleanup_error_ rv_error_t tmp_err = NULL;
      if (rt_hooks_run_list (spec_hook_kind_name (kind), &config->hooks->hooks[kind][i], 1, id, status, pid,
                             bundle, config, &tmp_err)
          < 0)
        rv_warning ("%s", tmp_err->msg);
    }
}
