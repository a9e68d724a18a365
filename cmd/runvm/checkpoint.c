#include <stddef.h>

#include "cmd/runvm/cli.h"

#define O(field) offsetof (struct rt_checkpoint_opts, field)

static const struct cli_flag flags[] = {
  { "image-path", CLI_STRING, O (image_path), NULL, "path for saving criu image files", false },
  { "work-path", CLI_STRING, O (work_path), NULL, "path for saving work files and logs", false },
  { "parent-path", CLI_STRING, O (parent_path), NULL, "path for previous criu image files in pre-dump",
    false },
  { "leave-running", CLI_BOOL, O (leave_running), NULL, "leave the process running after checkpointing",
    false },
  { "tcp-established", CLI_BOOL, O (tcp_established), NULL, "allow open tcp connections", false },
  { "ext-unix-sk", CLI_BOOL, O (ext_unix_sk), NULL, "allow external unix sockets", false },
  { "shell-job", CLI_BOOL, O (shell_job), NULL, "allow shell jobs", false },
  { "lazy-pages", CLI_BOOL, O (lazy_pages), NULL, "use userfaultfd to lazily restore memory pages", false },
  { "status-fd", CLI_INT, O (status_fd), "-1", "criu writes \\0 to this FD once lazy-pages is ready", false },
  { "page-server", CLI_STRING, O (page_server), NULL, "ADDRESS:PORT of the page server", false },
  { "file-locks", CLI_BOOL, O (file_locks), NULL, "handle file locks, for safety", false },
  { "pre-dump", CLI_BOOL, O (pre_dump), NULL,
    "dump container's memory information only, leave the container running after this", false },
  { "manage-cgroups-mode", CLI_STRING, O (manage_cgroups_mode), NULL,
    "cgroups mode: 'soft' (default), 'full' and 'strict'", false },
  { "empty-ns", CLI_STRING_SLICE, O (empty_ns), NULL, "create a namespace, but don't restore its properties",
    false },
  { "auto-dedup", CLI_BOOL, O (auto_dedup), NULL, "enable auto deduplication of memory images", false },
  CLI_FLAGS_END,
};

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct rt_checkpoint_opts *o = opts;
  int ret;

  ret = cli_check_args (ctx, 1, CLI_EXACT_ARGS, err);
  if (ret < 0)
    return ret;
  o->id = ctx->argv[0];
  ret = rt_checkpoint (ctx->global, o, err);
  return ret < 0 ? ret : 0;
}

const struct cli_command cmd_checkpoint = {
  .name = "checkpoint",
  .usage = "checkpoint a running container",
  .args_usage = "<container-id>\n"
                "\n"
                "Where \"<container-id>\" is the name for the instance of the container to be\n"
                "checkpointed.",
  .description = "The checkpoint command would save the state of the container instance with CRIU.\n"
                 "runvm accepts runc's flags but does not support checkpoints: the container's\n"
                 "state lives in a virtual machine, out of CRIU's reach.  It always fails.",
  .flags = flags,
  .opts_size = sizeof (struct rt_checkpoint_opts),
  .action = action,
};
