#include <stddef.h>

#include "cmd/runvm/cli.h"

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_resume_opts *o = opts;
  int ret = cli_take_id (ctx, &o->id, err);
  return ret < 0 ? ret : rt_resume (ctx->global, o, err);
}

const struct cli_command cmd_resume = {
  .name = "resume",
  .usage = "resumes all processes that have been previously paused",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is the name for the instance of the container to be\n"
                "resumed.",
  .description = "The resume command thaws the processes of a container paused with \"runvm pause\".\n"
                 "\n"
                 "Use runvm list to see the containers and their status.",
  .opts_size = sizeof (struct rt_resume_opts),
  .action = action,
};
