#include <stddef.h>

#include "cmd/runvm/cli.h"

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_pause_opts *o = opts;
  int ret = cli_take_id (ctx, &o->id, err);
  return ret < 0 ? ret : rt_pause (ctx->global, o, err);
}

const struct cli_command cmd_pause = {
  .name = "pause",
  .usage = "pause suspends all processes inside the container",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is the name for the instance of the container to be\n"
                "paused.",
  .description = "The pause command freezes every process of the container until \"runvm resume\".\n"
                 "\n"
                 "Use runvm list to see the containers and their status.",
  .opts_size = sizeof (struct rt_pause_opts),
  .action = action,
};
