#include <stddef.h>

#include "cmd/runvm/cli.h"

#define O(field) offsetof (struct rt_restore_opts, field)

static const struct cli_flag flags[] = {
  { "console-socket", CLI_STRING, O (console_socket), NULL,
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the "
    "console's pseudoterminal",
    false },
  { "image-path", CLI_STRING, O (image_path), NULL, "path to criu image files for restoring", false },
  { "work-path", CLI_STRING, O (work_path), NULL, "path for saving work files and logs", false },
  { "tcp-established", CLI_BOOL, O (tcp_established), NULL, "allow open tcp connections", false },
  { "ext-unix-sk", CLI_BOOL, O (ext_unix_sk), NULL, "allow external unix sockets", false },
  { "shell-job", CLI_BOOL, O (shell_job), NULL, "allow shell jobs", false },
  { "file-locks", CLI_BOOL, O (file_locks), NULL, "handle file locks, for safety", false },
  { "manage-cgroups-mode", CLI_STRING, O (manage_cgroups_mode), NULL,
    "cgroups mode: 'soft' (default), 'full' and 'strict'", false },
  { "bundle, b", CLI_STRING, O (bundle), NULL, "path to the root of the bundle directory", false },
  { "detach, d", CLI_BOOL, O (detach), NULL, "detach from the container's process", false },
  { "pid-file", CLI_STRING, O (pid_file), NULL, "specify the file to write the process id to", false },
  { "no-subreaper", CLI_BOOL, O (no_subreaper), NULL,
    "disable the use of the subreaper used to reap reparented processes", false },
  { "no-pivot", CLI_BOOL, O (no_pivot), NULL,
    "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top "
    "of a ramdisk",
    false },
  { "empty-ns", CLI_STRING_SLICE, O (empty_ns), NULL, "create a namespace, but don't restore its properties",
    false },
  { "auto-dedup", CLI_BOOL, O (auto_dedup), NULL, "enable auto deduplication of memory images", false },
  { "lazy-pages", CLI_BOOL, O (lazy_pages), NULL, "use userfaultfd to lazily restore memory pages", false },
  { "lsm-profile", CLI_STRING, O (lsm_profile), NULL,
    "Specify an LSM profile to be used during restore in the form of TYPE:NAME.", false },
  { "lsm-mount-context", CLI_STRING, O (lsm_mount_context), NULL,
    "Specify an LSM mount context to be used during restore.", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_restore_opts *o = opts;
  int ret, status = 0;

  ret = cli_check_args (ctx, 1, CLI_EXACT_ARGS, err);
  if (ret < 0)
    return ret;
  o->id = ctx->argv[0];
  ret = rt_restore (ctx->global, o, &status, err);
  return ret < 0 ? ret : status;
}

const struct cli_command cmd_restore = {
  .name = "restore",
  .usage = "restore a container from a previous checkpoint",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is the name for the instance of the container to be\n"
                "restored.",
  .description = "The restore command would start a container from a checkpoint made by\n"
                 "\"checkpoint\".  runvm accepts runc's flags but does not support checkpoints, so\n"
                 "it always fails.",
  .flags = flags,
  .opts_size = sizeof (struct rt_restore_opts),
  .action = action,
};
