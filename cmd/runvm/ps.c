#include <stddef.h>

#include "cmd/runvm/cli.h"
#include "common/utils.h"

#define O(field) offsetof (struct rt_ps_opts, field)

static const struct cli_flag flags[] = {
  { "format, f", CLI_STRING, O (format), "table", "select one of: table or json", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_ps_opts *o = opts;
  _cleanup_free_ char **ps_args = NULL;
  int ret, i;

  ret = cli_check_args (ctx, 1, CLI_MIN_ARGS, err);
  if (ret < 0)
    return ret;
  o->id = ctx->argv[0];
  if (ctx->argc > 1)
    {
      ps_args = xcalloc ((size_t) ctx->argc, sizeof (char *));
      for (i = 1; i < ctx->argc; i++)
        ps_args[i - 1] = ctx->argv[i];
      o->ps_args = ps_args;
    }
  ret = rt_ps (ctx->global, o, err);
  return ret < 0 ? ret : 0;
}

const struct cli_command cmd_ps = {
  .name = "ps",
  .usage = "ps displays the processes running inside a container",
  .args_usage = "<container-id> [ps options]",
  .description = "The ps command lists the processes of a container, as ps(1) shows them (with the\n"
                 "given ps options, -ef by default), or as a JSON array of PIDs with --format json.",
  .flags = flags,
  .opts_size = sizeof (struct rt_ps_opts),
  .skip_arg_reorder = true,
  .action = action,
};
