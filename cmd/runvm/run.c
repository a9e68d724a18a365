#include <stddef.h>

#include "cmd/runvm/cli.h"
#include "common/utils.h"

#define O(field) offsetof (struct rt_run_opts, field)

static const struct cli_flag flags[] = {
  { "bundle, b", CLI_STRING, O (create.bundle), NULL,
    "path to the root of the bundle directory, defaults to the current directory", false },
  { "console-socket", CLI_STRING, O (create.console_socket), NULL,
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the "
    "console's pseudoterminal",
    false },
  { "pidfd-socket", CLI_STRING, O (create.pidfd_socket), NULL,
    "path to an AF_UNIX socket which will receive a file descriptor referencing the init process", false },
  { "detach, d", CLI_BOOL, O (detach), NULL, "detach from the container's process", false },
  { "keep", CLI_BOOL, O (keep), NULL, "do not delete the container after it exits", false },
  { "pid-file", CLI_STRING, O (create.pid_file), NULL, "specify the file to write the process id to", false },
  { "no-subreaper", CLI_BOOL, O (no_subreaper), NULL,
    "disable the use of the subreaper used to reap reparented processes", false },
  { "no-pivot", CLI_BOOL, O (create.no_pivot), NULL,
    "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top "
    "of a ramdisk",
    false },
  { "no-new-keyring", CLI_BOOL, O (create.no_new_keyring), NULL,
    "do not create a new session keyring for the container.  This will cause the container to inherit the "
    "calling processes session key",
    false },
  { "preserve-fds", CLI_INT, O (create.preserve_fds), "0",
    "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_run_opts *o = opts;
  _cleanup_free_ char *bundle = NULL, *pid_file = NULL;
  int ret, status = 0;

  ret = cli_check_args (ctx, 1, CLI_EXACT_ARGS, err);
  if (ret < 0)
    return ret;
  o->create.id = ctx->argv[0];
  bundle = cli_bundle_path (o->create.bundle);
  o->create.bundle = bundle;
  if (o->create.pid_file && *o->create.pid_file)
    {
      pid_file = cli_abs_path (o->create.pid_file);
      o->create.pid_file = pid_file;
    }
  ret = rt_run (ctx->global, o, &status, err);
  return ret < 0 ? ret : status;
}

const struct cli_command cmd_run = {
  .name = "run",
  .usage = "create and run a container",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is your name for the instance of the container that you\n"
                "are starting. The name you provide for the container instance must be unique on\n"
                "your host.",
  .description = "The run command creates an instance of a container for a bundle and starts it:\n"
                 "\"runvm create\" followed by \"runvm start\".  Unless detached, runvm waits for the\n"
                 "container's process, relays its standard streams, exits with its exit status and\n"
                 "deletes the container (see --keep).  The bundle is a directory with a\n"
                 "specification file named \"config.json\" and a root filesystem.",
  .flags = flags,
  .opts_size = sizeof (struct rt_run_opts),
  .action = action,
};
