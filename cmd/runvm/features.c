#include <stddef.h>

#include "cmd/runvm/cli.h"

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  int ret = cli_check_args (ctx, 0, CLI_EXACT_ARGS, err);
  return ret < 0 ? ret : rt_features (ctx->global, opts, err);
}

const struct cli_command cmd_features = {
  .name = "features",
  .usage = "show the enabled features",
  .args_usage = "",
  .description = "Show the enabled features.\n"
                 "   The result is JSON in the shape of the runtime-spec's features.json\n"
                 "   (https://github.com/opencontainers/runtime-spec/blob/main/features.md).\n",
  .opts_size = sizeof (struct rt_features_opts),
  .action = action,
};
