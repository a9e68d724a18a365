#include <stddef.h>

#include "cmd/runvm/cli.h"

#define O(field) offsetof (struct rt_list_opts, field)

static const struct cli_flag flags[] = {
  { "format, f", CLI_STRING, O (format), "table", "select one of: table or json", false },
  { "quiet, q", CLI_BOOL, O (quiet), NULL, "display only container IDs", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  int ret = cli_check_args (ctx, 0, CLI_EXACT_ARGS, err);
  return ret < 0 ? ret : rt_list (ctx->global, opts, err);
}

const struct cli_command cmd_list = {
  .name = "list",
  .usage = "lists containers started by runvm with the given root",
  .args_usage = "\n"
                "\n"
                "The containers listed are those kept under the global option \"--root\"\n"
                "(default: \"/run/runvm\").\n"
                "\n"
                "EXAMPLES:\n"
                "       # runvm list\n"
                "       # runvm --root /tmp/state list --format json",
  .description = "The list command prints one line per container: its ID, the PID of its process\n"
                 "on the host (0 once stopped), its status, bundle, creation time and owner.",
  .flags = flags,
  .opts_size = sizeof (struct rt_list_opts),
  .action = action,
};
