/* runvm: the command line.  Global options, the table of verbs, and the
 * error reporting runc's users and engines expect:
 *
 *  - errors go to the log as one line at level error: stderr in logrus's
 *    text shape by default, or the --log file in --log-format; with --log
 *    the message is also printed plainly on stderr (runc's fatal());
 *  - usage errors print "Incorrect Usage" and the help on stdout and exit 1;
 *  - an unknown verb exits 3 ("No help topic for 'x'"), as urfave/cli does.  */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/runvm/cli.h"
#include "common/log.h"
#include "common/utils.h"
#include "runtime/tabwriter.h"
#include "version.h"

#define VERB(n) extern const struct cli_command cmd_##n;
#include "cmd/runvm/verbs.h"
#undef VERB

static const struct cli_command *const commands[] = {
#define VERB(n) &cmd_##n,
#include "cmd/runvm/verbs.h"
#undef VERB
};

static const char app_usage[]
    = "Open Container Initiative runtime that runs each container in a virtual machine\n"
      "\n"
      "runvm is a command line client for running applications packaged in the Open\n"
      "Container Initiative (OCI) format.  It takes runc's commands and flags, so\n"
      "container engines drive it exactly as they drive runc, but each container\n"
      "runs in a lightweight virtual machine with a kernel of its own.\n"
      "\n"
      "Containers are configured using bundles.  A bundle is a directory holding a\n"
      "specification file named \"config.json\" and a root filesystem.\n"
      "\n"
      "To start a new instance of a container:\n"
      "\n"
      "    # runvm run [ -b bundle ] <container-id>\n"
      "\n"
      "Where \"<container-id>\" is your name for the instance of the container.  The\n"
      "name must be unique on the host.  The bundle directory defaults to the\n"
      "current directory.";

struct global_opts
{
  bool debug;
  const char *log;
  const char *log_format;
  const char *log_level;
  const char *root;
  const char *criu;
  bool systemd_cgroup;
  const char *cgroup_manager;
  const char *rootless;
  bool help;
  bool version;
};

#define G(field) offsetof (struct global_opts, field)

/* Not const: the default of --root depends on the caller (see main).  */
static struct cli_flag global_flags[] = {
  { "debug", CLI_BOOL, G (debug), NULL, "enable debug logging", false },
  { "log", CLI_STRING, G (log), NULL, "set the log file to write runvm logs to (default is '/dev/stderr')",
    false },
  { "log-format", CLI_STRING, G (log_format), "text", "set the log format ('text' (default), or 'json')",
    false },
  { "log-level", CLI_STRING, G (log_level), NULL,
    "set the log level ('debug', 'info', 'warning', 'error' (default))", false },
  { "root", CLI_STRING, G (root), "/run/runvm",
    "root directory for storage of container state (this should be located in tmpfs)", false },
  { "criu", CLI_STRING, G (criu), "criu", "accepted for compatibility with runc; runvm does not use CRIU",
    false },
  { "systemd-cgroup", CLI_BOOL, G (systemd_cgroup), NULL,
    "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\" "
    "for e.g. \"system.slice:runvm:434234\"",
    false },
  { "cgroup-manager", CLI_STRING, G (cgroup_manager), NULL,
    "cgroup manager to use: 'cgroupfs' (default), 'systemd' or 'disabled'", false },
  { "rootless", CLI_STRING, G (rootless), "auto",
    "ignore cgroup permission errors ('true', 'false', or 'auto')", false },
  { "help, h", CLI_BOOL, G (help), NULL, "show help", false },
  { "version, v", CLI_BOOL, G (version), NULL, "print the version", false },
  CLI_FLAGS_END,
};

static bool log_to_file;

/* runc's fatal(): the error goes to the log; when the log is a file it is
 * also printed plainly on stderr, where a user at a terminal looks.  */
static void __attribute__ ((noreturn)) fail (int status, const char *msg)
{
  rv_log (RV_LOG_ERROR, "%s", msg);
  if (log_to_file)
    fprintf (stderr, "%s\n", msg);
  exit (status);
}

/* urfave's exit-coder path: the message is written with a newline to its
 * error writer, which runc routes to the log (newline included).  */
static void __attribute__ ((noreturn)) fail_exit_coder (int status, const char *msg)
{
  rv_log (RV_LOG_ERROR, "%s\n", msg);
  if (log_to_file)
    fprintf (stderr, "%s\n", msg);
  exit (status);
}

static char *
version_text (void)
{
  return xasprintf ("%s\ncommit: %s\nspec: %s", RUNVM_VERSION, RUNVM_COMMIT, SPEC_VERSION);
}

static char *
app_help (const char *prog)
{
  _cleanup_free_ char *raw = NULL, *version = version_text ();
  const struct cli_flag *f;
  size_t len = 0, i;
  FILE *out = open_memstream (&raw, &len);

  if (out == NULL)
    abort ();
  fprintf (
      out,
      "NAME:\n   runvm - %s\n\nUSAGE:\n   %s [global options] command [command options] [arguments...]\n\n"
      "VERSION:\n   %s\n\nCOMMANDS:",
      app_usage, prog, version);
  for (i = 0; i < ARRAY_SIZE (commands); i++)
    fprintf (out, "\n   %s\t%s", commands[i]->name, commands[i]->usage);
  fputs ("\n   help, h\tShows a list of commands or help for one command", out);
  fputs ("\n\nGLOBAL OPTIONS:\n   ", out);
  for (f = global_flags; f->name; f++)
    {
      _cleanup_free_ char *line = cli_flag_line (f);
      fprintf (out, "%s%s", f == global_flags ? "" : "\n   ", line);
    }
  fputc ('\n', out);
  if (fclose (out) != 0)
    abort ();
  return tabwriter_format (raw, 1, 2, ' ');
}

static const struct cli_command *
find_command (const char *name)
{
  size_t i;

  for (i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i]->name, name) == 0)
      return commands[i];
  return NULL;
}

/* runc's rule: a non-root user (or root inside a user namespace it does
 * not own) keeps state under $XDG_RUNTIME_DIR.  */
static bool
running_in_userns (void)
{
  _cleanup_error_ rv_error_t tmp_err = NULL;
  _cleanup_free_ char *map = NULL;
  unsigned long a, b, c;

  if (read_file ("/proc/self/uid_map", 4096, &map, NULL, &tmp_err) < 0)
    return false;
  if (sscanf (map, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL)
    return false;
  return true;
}

static bool
honor_xdg_runtime_dir (void)
{
  const char *user;

  if (getenv ("XDG_RUNTIME_DIR") == NULL || *getenv ("XDG_RUNTIME_DIR") == '\0')
    return false;
  if (geteuid () != 0)
    return true;
  if (!running_in_userns ())
    return false;
  user = getenv ("USER");
  return user == NULL || strcmp (user, "root") != 0;
}

/* The help verb: `runvm help [verb]`.  */
static int __attribute__ ((noreturn)) run_help (const char *prog, char **args, int n)
{
  const struct cli_command *cmd;
  _cleanup_free_ char *text = NULL;

  if (n == 0)
    {
      text = app_help (prog);
      fputs (text, stdout);
      free (TAKE_PTR (text));
      exit (0);
    }
  cmd = find_command (args[0]);
  if (cmd == NULL)
    {
      _cleanup_free_ char *msg = xasprintf ("No help topic for '%s'", args[0]);
      fail_exit_coder (3, msg);
    }
  text = cli_command_help (prog, cmd);
  fputs (text, stdout);
  free (TAKE_PTR (text));
  exit (0);
}

static int __attribute__ ((noreturn))
run_command (const struct cli_command *cmd, struct cli_ctx *ctx, char **args, int n)
{
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char **reordered = NULL;
  _cleanup_free_ bool *given = NULL;
  _cleanup_free_ void *opts = xmalloc0 (cmd->opts_size ? cmd->opts_size : 1);
  const struct cli_flag *f;
  size_t nflags = 0;
  bool help = false;
  int next = 0, ret;

  for (f = cmd->flags; f && f->name; f++)
    nflags++;
  given = xcalloc (nflags + 1, sizeof (bool));
  if (!cmd->skip_arg_reorder)
    {
      reordered = cli_reorder_args (args, n);
      args = reordered;
    }
  if (cli_parse_flags (cmd->flags, true, args, n, opts, given, &help, &next, &err) < 0)
    {
      _cleanup_free_ char *text = cli_command_help (ctx->prog, cmd);
      printf ("Incorrect Usage: %s\n\n%s", err->msg, text);
      fflush (stdout);
      fail (1, err->msg);
    }
  if (help)
    {
      char *text = cli_command_help (ctx->prog, cmd);
      fputs (text, stdout);
      free (text);
      exit (0);
    }
  ctx->cmd = cmd;
  ctx->argc = n - next;
  ctx->argv = args + next;
  ctx->given = given;
  ctx->error_exit_status = 1;

  ret = cmd->action (ctx, opts, &err);
  fflush (stdout);
  cli_free_opts (cmd->flags, opts);
  if (ret < 0)
    fail (ctx->error_exit_status, err ? err->msg : "unknown error");
  exit (ret);
}

int
main (int argc, char **argv)
{
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *xdg_root = NULL, *root = NULL, *prog_copy = NULL;
  struct global_opts gopts = { 0 };
  struct rt_global global = { 0 };
  struct cli_ctx ctx = { 0 };
  enum rv_log_level level = RV_LOG_ERROR;
  enum rv_log_format format = RV_LOG_FORMAT_TEXT;
  bool xdg = false;
  int next = 0, log_fd = STDERR_FILENO;
  const char *argv0 = argc > 0 ? argv[0] : "runvm";
  char *prog;
  size_t i;

  prog_copy = xstrdup (argv0);
  prog = basename (prog_copy);

  if (honor_xdg_runtime_dir ())
    {
      xdg_root = xasprintf ("%s/runvm", getenv ("XDG_RUNTIME_DIR"));
      xdg = true;
      for (i = 0; global_flags[i].name; i++)
        if (strcmp (global_flags[i].name, "root") == 0)
          global_flags[i].value = xdg_root;
    }

  if (cli_parse_flags (global_flags, false, argv + 1, argc > 0 ? argc - 1 : 0, &gopts, NULL, NULL, &next,
                       &err)
      < 0)
    {
      _cleanup_free_ char *text = app_help (prog);
      printf ("Incorrect Usage. %s\n\n%s", err->msg, text);
      fflush (stdout);
      fail (1, err->msg);
    }
  if (gopts.help)
    {
      _cleanup_free_ char *text = app_help (prog);
      fputs (text, stdout);
      return 0;
    }
  if (gopts.version)
    {
      _cleanup_free_ char *v = version_text ();
      printf ("runvm version %s\n", v);
      return 0;
    }

  /* runc's app.Before: the state root, then logging.  */
  if (xdg && strcmp (gopts.root, xdg_root) == 0)
    {
      /* The sticky bit keeps the directory from being pruned from
       * $XDG_RUNTIME_DIR (XDG Base Directory Specification).  */
      if (mkdir_p (xdg_root, 0700, &err) < 0)
        {
          fprintf (stderr, "the path in $XDG_RUNTIME_DIR must be writable by the user\n");
          fail (1, err->msg);
        }
      if (chmod (xdg_root, 01700) < 0)
        {
          rv_error_make (&err, errno, "chmod `%s`", xdg_root);
          fprintf (stderr, "you should check permission of the path in $XDG_RUNTIME_DIR\n");
          fail (1, err->msg);
        }
    }
  root = cli_abs_path (gopts.root);

  if (gopts.log_level && rv_log_level_parse (gopts.log_level, &level) < 0)
    {
      _cleanup_free_ char *msg = xasprintf ("invalid log-level: %s", gopts.log_level);
      fail (1, msg);
    }
  if (gopts.debug)
    level = RV_LOG_DEBUG;
  if (rv_log_format_parse (gopts.log_format, &format) < 0 && *gopts.log_format != '\0')
    {
      _cleanup_free_ char *msg = xasprintf ("invalid log-format: %s", gopts.log_format);
      fail (1, msg);
    }
  rv_log_setup (STDERR_FILENO, format, level);
  if (gopts.log && *gopts.log)
    {
      log_fd = open (gopts.log, O_CREAT | O_WRONLY | O_APPEND | O_SYNC | O_CLOEXEC, 0644);
      if (log_fd < 0)
        {
          rv_error_make (&err, errno, "open `%s`", gopts.log);
          fail (1, err->msg);
        }
      log_to_file = true;
      rv_log_setup (log_fd, format, level);
    }

  global.root = root;
  global.log = gopts.log && *gopts.log ? gopts.log : NULL;
  global.log_format = format;
  global.log_level = level;
  global.debug = gopts.debug;
  global.criu = gopts.criu;
  global.rootless = gopts.rootless;
  global.cgroup_manager = gopts.systemd_cgroup ? RT_CGROUP_MANAGER_SYSTEMD : RT_CGROUP_MANAGER_CGROUPFS;
  if (gopts.cgroup_manager)
    {
      if (strcmp (gopts.cgroup_manager, "cgroupfs") == 0)
        global.cgroup_manager = RT_CGROUP_MANAGER_CGROUPFS;
      else if (strcmp (gopts.cgroup_manager, "systemd") == 0)
        global.cgroup_manager = RT_CGROUP_MANAGER_SYSTEMD;
      else if (strcmp (gopts.cgroup_manager, "disabled") == 0)
        global.cgroup_manager = RT_CGROUP_MANAGER_DISABLED;
      else
        {
          _cleanup_free_ char *msg
              = xasprintf ("invalid cgroup-manager: %s (expected 'cgroupfs', 'systemd' or 'disabled')",
                           gopts.cgroup_manager);
          fail (1, msg);
        }
    }
  global.out = stdout;
  global.diag = stderr;
  rv_debug ("runvm %s, root `%s`", RUNVM_VERSION, root);

  ctx.argv0 = argv0;
  ctx.prog = prog;
  ctx.global = &global;

  argv += 1 + next;
  argc -= 1 + next;
  if (argc <= 0)
    run_help (prog, NULL, 0);
  if (strcmp (argv[0], "help") == 0 || strcmp (argv[0], "h") == 0)
    {
      struct cli_flag none[] = { CLI_FLAGS_END };
      bool help = false;
      int hnext = 0;

      if (cli_parse_flags (none, true, argv + 1, argc - 1, NULL, NULL, &help, &hnext, &err) < 0)
        fail (1, err->msg);
      run_help (prog, help ? NULL : argv + 1 + hnext, help ? 0 : argc - 1 - hnext);
    }
  {
    const struct cli_command *cmd = find_command (argv[0]);
    if (cmd == NULL)
      {
        _cleanup_free_ char *msg = xasprintf ("No help topic for '%s'", argv[0]);
        fail_exit_coder (3, msg);
      }
    run_command (cmd, &ctx, argv + 1, argc - 1);
  }
}
