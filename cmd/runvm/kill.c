#include <stddef.h>

#include "cmd/runvm/cli.h"

struct kill_flags
{
  bool all;
};

static const struct cli_flag flags[] = {
  { "all, a", CLI_BOOL, offsetof (struct kill_flags, all), NULL,
    "send the specified signal to all processes inside the container", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct kill_flags *f = opts;
  struct rt_kill_opts o = { .all = f->all };
  int ret;

  ret = cli_check_args (ctx, 1, CLI_MIN_ARGS, err);
  if (ret == 0)
    ret = cli_check_args (ctx, 2, CLI_MAX_ARGS, err);
  if (ret < 0)
    return ret;
  o.id = ctx->argv[0];
  ret = rt_signal_parse (ctx->argc > 1 && *ctx->argv[1] ? ctx->argv[1] : "SIGTERM", &o.signal, err);
  if (ret < 0)
    return ret;
  ret = rt_kill (ctx->global, &o, err);
  return ret < 0 ? ret : 0;
}

const struct cli_command cmd_kill = {
  .name = "kill",
  .usage = "kill sends the specified signal (default: SIGTERM) to the container's init process",
  .args_usage = "<container-id> [signal]\n"
                "\n"
                "Where \"<container-id>\" is the name for the instance of the container and\n"
                "\"[signal]\" is the signal to be sent to the init process: a number (9) or a\n"
                "name with or without the SIG prefix (KILL, SIGKILL).\n"
                "\n"
                "EXAMPLE:\n"
                "To stop the container \"web\" at once:\n"
                "\n"
                "       # runvm kill web KILL",
  .flags = flags,
  .opts_size = sizeof (struct kill_flags),
  .action = action,
};
