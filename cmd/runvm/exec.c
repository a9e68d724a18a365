#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cmd/runvm/cli.h"
#include "common/utils.h"

struct exec_flags
{
  const char *console_socket;
  const char *pidfd_socket;
  const char *cwd;
  char **env;
  bool tty;
  const char *user;
  struct cli_i64_list additional_gids;
  const char *process;
  bool detach;
  const char *pid_file;
  const char *process_label;
  const char *apparmor;
  bool no_new_privs;
  char **cap;
  int preserve_fds;
  char **cgroup;
  bool ignore_paused;
};

#define O(field) offsetof (struct exec_flags, field)

static const struct cli_flag flags[] = {
  { "console-socket", CLI_STRING, O (console_socket), NULL,
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the "
    "console's pseudoterminal",
    false },
  { "pidfd-socket", CLI_STRING, O (pidfd_socket), NULL,
    "path to an AF_UNIX socket which will receive a file descriptor referencing the exec process", false },
  { "cwd", CLI_STRING, O (cwd), NULL, "current working directory in the container", false },
  { "env, e", CLI_STRING_SLICE, O (env), NULL, "set environment variables", false },
  { "tty, t", CLI_BOOL, O (tty), NULL, "allocate a pseudo-TTY", false },
  { "user, u", CLI_STRING, O (user), NULL, "UID (format: <uid>[:<gid>])", false },
  { "additional-gids, g", CLI_INT64_SLICE, O (additional_gids), NULL, "additional gids", false },
  { "process, p", CLI_STRING, O (process), NULL, "path to the process.json", false },
  { "detach, d", CLI_BOOL, O (detach), NULL, "detach from the container's process", false },
  { "pid-file", CLI_STRING, O (pid_file), NULL, "specify the file to write the process id to", false },
  { "process-label", CLI_STRING, O (process_label), NULL,
    "set the asm process label for the process commonly used with selinux", false },
  { "apparmor", CLI_STRING, O (apparmor), NULL, "set the apparmor profile for the process", false },
  { "no-new-privs", CLI_BOOL, O (no_new_privs), NULL, "set the no new privileges value for the process",
    false },
  { "cap, c", CLI_STRING_SLICE, O (cap), NULL, "add a capability to the bounding set for the process",
    false },
  { "preserve-fds", CLI_INT, O (preserve_fds), "0",
    "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)", false },
  { "cgroup", CLI_STRING_SLICE, O (cgroup), NULL,
    "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.", false },
  { "ignore-paused", CLI_BOOL, O (ignore_paused), NULL, "allow exec in a paused container", false },
  CLI_FLAGS_END,
};

/* Go's strconv.Atoi on a uid or gid, with its error wording.  */
static int
parse_id (const char *s, const char *what, uint32_t *ret, rv_error_t *err)
{
  int64_t v;

  if (parse_i64 (s, &v) < 0 && !(s[0] == '+' && parse_i64 (s + 1, &v) == 0))
    return rv_error_set (err, EINVAL,
                         "parsing %s as int for %s failed: strconv.Atoi: parsing \"%s\": invalid syntax", s,
                         what, s);
  *ret = (uint32_t) v;
  return 0;
}

/* runc's getSubCgroupPaths: "[<controller>[,<controller>...]:]<path>";
 * a path without controllers only when it is the only --cgroup.  */
static int
check_cgroups (char **cgroups, rv_error_t *err)
{
  size_t n = strv_len (cgroups), i;

  for (i = 0; i < n; i++)
    {
      const char *colon = strchr (cgroups[i], ':');
      if (colon && strchr (colon + 1, ':'))
        return rv_error_set (err, EINVAL, "invalid --cgroup argument: %s", cgroups[i]);
      if (colon == NULL && n != 1)
        return rv_error_set (err, EINVAL, "invalid --cgroup argument: %s (missing <controller>: prefix)",
                             cgroups[i]);
    }
  return 0;
}

static int
prepare (struct cli_ctx *ctx, struct exec_flags *f, struct rt_exec_opts *o, rv_error_t *err)
{
  size_t i;
  int ret;

  o->id = ctx->argv[0];
  if (ctx->argc > 1)
    o->args = ctx->argv + 1;
  if (f->process == NULL || *f->process == '\0')
    {
      if (ctx->argc == 1)
        return rv_error_set (err, EINVAL, "process args cannot be empty");
    }
  else
    o->process = f->process;
  o->tty = f->tty;
  o->tty_set = cli_given (ctx, "tty");
  o->console_socket = f->console_socket;
  o->pidfd_socket = f->pidfd_socket;
  o->detach = f->detach;
  o->env = f->env;
  o->cwd = f->cwd && *f->cwd ? f->cwd : NULL;
  if (f->user && *f->user)
    {
      _cleanup_free_ char *uid = xstrdup (f->user);
      char *colon = strchr (uid, ':');
      if (colon)
        {
          *colon = '\0';
          ret = parse_id (colon + 1, "gid", &o->gid, err);
          if (ret < 0)
            return ret;
          o->has_gid = true;
        }
      ret = parse_id (uid, "uid", &o->uid, err);
      if (ret < 0)
        return ret;
      o->has_user = true;
    }
  if (f->additional_gids.len > 0)
    {
      o->additional_gids = xcalloc (f->additional_gids.len, sizeof (uint32_t));
      for (i = 0; i < f->additional_gids.len; i++)
        {
          int64_t gid = f->additional_gids.values[i];
          if (gid < 0)
            return rv_error_set (err, EINVAL, "additional-gids must be a positive number %lld",
                                 (long long) gid);
          o->additional_gids[i] = (uint32_t) gid;
        }
      o->additional_gids_len = f->additional_gids.len;
    }
  o->caps = f->cap;
  o->no_new_privs = f->no_new_privs;
  o->no_new_privs_set = cli_given (ctx, "no-new-privs");
  o->apparmor = f->apparmor && *f->apparmor ? f->apparmor : NULL;
  o->process_label = f->process_label && *f->process_label ? f->process_label : NULL;
  o->preserve_fds = f->preserve_fds;
  ret = check_cgroups (f->cgroup, err);
  if (ret < 0)
    return ret;
  o->cgroups = f->cgroup;
  o->ignore_paused = f->ignore_paused;
  return 0;
}

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct exec_flags *f = opts;
  struct rt_exec_opts o = { 0 };
  _cleanup_free_ char *pid_file = NULL;
  int ret, status = 0;

  ret = cli_check_args (ctx, 1, CLI_MIN_ARGS, err);
  if (ret < 0)
    return ret;
  if (f->pid_file && *f->pid_file)
    {
      pid_file = cli_abs_path (f->pid_file);
      o.pid_file = pid_file;
    }
  ret = prepare (ctx, f, &o, err);
  if (ret == 0)
    ret = rt_exec (ctx->global, &o, &status, err);
  free (o.additional_gids);
  if (ret == 0)
    return status;
  /* runc reports every failure of exec as "exec failed: ..." with status
   * 255, out of the range of the process's own statuses.  */
  if ((*err)->status != ENOSYS)
    {
      ctx->error_exit_status = 255;
      return rv_error_wrap (err, "exec failed");
    }
  return ret;
}

const struct cli_command cmd_exec = {
  .name = "exec",
  .usage = "execute new process inside the container",
  .args_usage = "<container-id> <command> [command options]  || -p process.json <container-id>\n"
                "\n"
                "Where \"<container-id>\" is the name for the instance of the container and\n"
                "\"<command>\" is the command to be executed in the container.\n"
                "\"<command>\" can't be empty unless a \"-p\" flag provided.\n"
                "\n"
                "EXAMPLE:\n"
                "To list the processes of the container \"web\" with the container's own ps:\n"
                "\n"
                "       # runvm exec web ps",
  .flags = flags,
  .opts_size = sizeof (struct exec_flags),
  .skip_arg_reorder = true,
  .action = action,
};
