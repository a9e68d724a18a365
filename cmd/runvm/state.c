#include <stddef.h>

#include "cmd/runvm/cli.h"

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_state_opts *o = opts;
  int ret = cli_take_id (ctx, &o->id, err);
  return ret < 0 ? ret : rt_state (ctx->global, o, err);
}

const struct cli_command cmd_state = {
  .name = "state",
  .usage = "output the state of a container",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is your name for the instance of the container.",
  .description = "The state command prints the state of a container as JSON: its status (creating,\n"
                 "created, running, paused or stopped), the PID of its process on the host, its\n"
                 "bundle, root filesystem, creation time and annotations.",
  .opts_size = sizeof (struct rt_state_opts),
  .action = action,
};
