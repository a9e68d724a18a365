#include <stddef.h>

#include "cmd/runvm/cli.h"
#include "common/utils.h"

#define O(field) offsetof (struct rt_create_opts, field)

static const struct cli_flag flags[] = {
  { "bundle, b", CLI_STRING, O (bundle), NULL,
    "path to the root of the bundle directory, defaults to the current directory", false },
  { "console-socket", CLI_STRING, O (console_socket), NULL,
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the "
    "console's pseudoterminal",
    false },
  { "pidfd-socket", CLI_STRING, O (pidfd_socket), NULL,
    "path to an AF_UNIX socket which will receive a file descriptor referencing the init process", false },
  { "pid-file", CLI_STRING, O (pid_file), NULL, "specify the file to write the process id to", false },
  { "no-pivot", CLI_BOOL, O (no_pivot), NULL,
    "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top "
    "of a ramdisk",
    false },
  { "no-new-keyring", CLI_BOOL, O (no_new_keyring), NULL,
    "do not create a new session keyring for the container.  This will cause the container to inherit the "
    "calling processes session key",
    false },
  { "preserve-fds", CLI_INT, O (preserve_fds), "0",
    "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_create_opts *o = opts;
  _cleanup_free_ char *bundle = NULL, *pid_file = NULL;
  int ret;

  ret = cli_check_args (ctx, 1, CLI_EXACT_ARGS, err);
  if (ret < 0)
    return ret;
  o->id = ctx->argv[0];
  bundle = cli_bundle_path (o->bundle);
  o->bundle = bundle;
  if (o->pid_file && *o->pid_file)
    {
      pid_file = cli_abs_path (o->pid_file);
      o->pid_file = pid_file;
    }
  ret = rt_create (ctx->global, o, err);
  return ret < 0 ? ret : 0;
}

const struct cli_command cmd_create = {
  .name = "create",
  .usage = "create a container",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is your name for the instance of the container that you\n"
                "are starting. The name you provide for the container instance must be unique on\n"
                "your host.",
  .description = "The create command creates an instance of a container for a bundle: it boots the\n"
                 "container's virtual machine and prepares the container in it, stopped just before\n"
                 "the user process runs.  The bundle is a directory with a specification file named\n"
                 "\"config.json\" and a root filesystem.\n"
                 "\n"
                 "The args parameter of the specification says what runs when the container is\n"
                 "started with \"runvm start\".  See \"runvm spec --help\" for how to write one.",
  .flags = flags,
  .opts_size = sizeof (struct rt_create_opts),
  .action = action,
};
