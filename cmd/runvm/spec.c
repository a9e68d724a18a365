#include <stddef.h>

#include "cmd/runvm/cli.h"

#define O(field) offsetof (struct rt_spec_opts, field)

static const struct cli_flag flags[] = {
  { "bundle, b", CLI_STRING, O (bundle), NULL, "path to the root of the bundle directory", false },
  { "rootless", CLI_BOOL, O (rootless), NULL, "generate a configuration for a rootless container", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  int ret = cli_check_args (ctx, 0, CLI_EXACT_ARGS, err);
  return ret < 0 ? ret : rt_spec (ctx->global, opts, err);
}

const struct cli_command cmd_spec = {
  .name = "spec",
  .usage = "create a new specification file",
  .args_usage = "",
  .description = "The spec command writes a starter specification file named \"config.json\" into\n"
                 "the bundle directory (the current directory unless --bundle says otherwise).  It\n"
                 "never replaces an existing one.\n"
                 "\n"
                 "The file is a starting point to edit: its args parameter runs \"sh\", which works\n"
                 "for a busybox or Debian root filesystem but not for an image without a shell.\n"
                 "\n"
                 "EXAMPLE:\n"
                 "  To run the hello-world image, unpack it into rootfs/, write a spec and point\n"
                 "its args at /hello:\n"
                 "\n"
                 "    mkdir -p hello/rootfs && cd hello\n"
                 "    docker export $(docker create hello-world) | tar -C rootfs -xf -\n"
                 "    runvm spec\n"
                 "    sed -i 's;\"sh\";\"/hello\";' config.json\n"
                 "    runvm run container1\n"
                 "\n"
                 "With --rootless the file is meant for a user without root privileges: it adds a\n"
                 "user namespace mapping the caller to root, leaves out the network namespace and\n"
                 "the cgroup settings, and binds /sys from the host.\n",
  .flags = flags,
  .opts_size = sizeof (struct rt_spec_opts),
  .action = action,
};
