#include <stddef.h>

#include "cmd/runvm/cli.h"

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_start_opts *o = opts;
  int ret = cli_take_id (ctx, &o->id, err);
  return ret < 0 ? ret : rt_start (ctx->global, o, err);
}

const struct cli_command cmd_start = {
  .name = "start",
  .usage = "executes the user defined process in a created container",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is the name for the instance of the container.",
  .description = "The start command runs the user defined process (the args of config.json) in a\n"
                 "container that \"runvm create\" left in the created state.",
  .opts_size = sizeof (struct rt_start_opts),
  .action = action,
};
