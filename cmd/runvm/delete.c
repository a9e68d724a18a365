#include <stddef.h>

#include "cmd/runvm/cli.h"

#define O(field) offsetof (struct rt_delete_opts, field)

static const struct cli_flag flags[] = {
  { "force, f", CLI_BOOL, O (force), NULL,
    "Forcibly deletes the container if it is still running (uses SIGKILL)", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_delete_opts *o = opts;
  int ret = cli_take_id (ctx, &o->id, err);
  return ret < 0 ? ret : rt_delete (ctx->global, o, err);
}

const struct cli_command cmd_delete = {
  .name = "delete",
  .usage = "delete any resources held by the container often used with detached container",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is the name for the instance of the container.\n"
                "\n"
                "EXAMPLE:\n"
                "Once \"runvm list\" shows the container \"web\" as stopped, this removes it, its\n"
                "virtual machine and its state:\n"
                "\n"
                "       # runvm delete web",
  .flags = flags,
  .opts_size = sizeof (struct rt_delete_opts),
  .action = action,
};
