#include <errno.h>
#include <stddef.h>

#include "cmd/runvm/cli.h"

#define O(field) offsetof (struct rt_events_opts, field)

static const struct cli_flag flags[] = {
  { "interval", CLI_DURATION, O (interval_ns), "5s", "set the stats collection interval", false },
  { "stats", CLI_BOOL, O (stats), NULL, "display the container's stats then exit", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_events_opts *o = opts;
  int ret;

  ret = cli_check_args (ctx, 1, CLI_EXACT_ARGS, err);
  if (ret < 0)
    return ret;
  o->id = ctx->argv[0];
  if (o->interval_ns <= 0)
    return rv_error_set (err, EINVAL, "duration interval must be greater than 0");
  ret = rt_events (ctx->global, o, err);
  return ret < 0 ? ret : 0;
}

const struct cli_command cmd_events = {
  .name = "events",
  .usage = "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is the name for the instance of the container.",
  .description = "The events command prints a JSON object per event of the container: its resource\n"
                 "usage statistics every --interval (5 seconds by default), and OOM notifications.",
  .flags = flags,
  .opts_size = sizeof (struct rt_events_opts),
  .action = action,
};
