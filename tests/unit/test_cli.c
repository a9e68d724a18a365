/* The runvm command line, run as a program: flags, help, usage errors,
 * outputs, and error text and exit statuses compared with the installed
 * runc where runc can be asked the same thing.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "common/utils.h"
#include "runtime/runtime.h"
#include "runtime/state.h"
#include "tests/unit/support/run.h"

static char *tmp;

static void
setup (void)
{
  tmp = make_temp_dir ();
}

static void
teardown (void)
{
  remove_temp_dir (tmp);
  free (tmp);
}

/* Runs runvm with a private --root (under tmp) and the given arguments.  */
static void
runvm (struct run_result *r, const char *cwd, ...)
{
  char *args[64];
  _cleanup_free_ char *root = xasprintf ("%s/root", tmp);
  const char *a;
  va_list ap;
  int n = 0;

  args[n++] = (char *) "--root";
  args[n++] = root;
  va_start (ap, cwd);
  while ((a = va_arg (ap, const char *)) && n < 63)
    args[n++] = (char *) a;
  va_end (ap);
  args[n] = NULL;
  cr_assert_eq (run_runvm (r, cwd, args), 0);
}

/* The same, without --root (for global flag tests).  */
static void
runvm_raw (struct run_result *r, const char *cwd, ...)
{
  char *args[64];
  const char *a;
  va_list ap;
  int n = 0;

  va_start (ap, cwd);
  while ((a = va_arg (ap, const char *)) && n < 63)
    args[n++] = (char *) a;
  va_end (ap);
  args[n] = NULL;
  cr_assert_eq (run_runvm (r, cwd, args), 0);
}

static void
runc (struct run_result *r, const char *cwd, ...)
{
  char *args[64];
  _cleanup_free_ char *root = xasprintf ("%s/runc-root", tmp);
  const char *a;
  va_list ap;
  int n = 0;

  args[n++] = (char *) "runc";
  args[n++] = (char *) "--root";
  args[n++] = root;
  va_start (ap, cwd);
  while ((a = va_arg (ap, const char *)) && n < 63)
    args[n++] = (char *) a;
  va_end (ap);
  args[n] = NULL;
  cr_assert_eq (run_argv (r, cwd, NULL, NULL, args), 0);
}

static void
need_runc (void)
{
  if (!have_program ("runc"))
    cr_skip_test ("runc is not installed");
}

/* S with every "runc" replaced by "runvm" (runc names itself in errors).  */
static char *
as_runvm (const char *s)
{
  char *out = xmalloc (strlen (s) * 2 + 1), *o = out;

  while (*s)
    {
      if (str_has_prefix (s, "runc"))
        {
          memcpy (o, "runvm", 5);
          o += 5;
          s += 4;
        }
      else
        *o++ = *s++;
    }
  *o = '\0';
  return out;
}

/* Asserts that runvm's stderr and status equal runc's (log times and the
 * program's name aside).  */
static void
assert_same_error (struct run_result *ours, struct run_result *theirs)
{
  _cleanup_free_ char *a = strip_log_times (ours->err), *b0 = strip_log_times (theirs->err);
  _cleanup_free_ char *b = as_runvm (b0);

  cr_assert_eq (ours->status, theirs->status, "exit status %d, runc's %d", ours->status, theirs->status);
  cr_assert_str_eq (a, b);
}

static char *
read_text (const char *path)
{
  _cleanup_error_ rv_error_t err = NULL;
  char *data = NULL;

  cr_assert_eq (read_file (path, 0, &data, NULL, &err), 0, "%s", err ? err->msg : "");
  return data;
}

static size_t
count_lines (const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    if (*s == '\n')
      n++;
  return n;
}

/* ---- version, help ----------------------------------------------------- */

Test (cli, version_is_three_lines_in_runc_shape)
{
  struct run_result r = { 0 };

  runvm_raw (&r, NULL, "--version", NULL);
  cr_assert_eq (r.status, 0);
  cr_assert_eq (count_lines (r.out), 3, "%s", r.out);
  cr_assert (str_has_prefix (r.out, "runvm version 0.1.0\ncommit: "), "%s", r.out);
  cr_assert (str_has_suffix (r.out, "\nspec: 1.2.0\n"), "%s", r.out);
  cr_assert_str_eq (r.err, "");
  run_result_free (&r);
  runvm_raw (&r, NULL, "-v", NULL);
  cr_assert (str_has_prefix (r.out, "runvm version "));
  run_result_free (&r);
}

static const char *const verbs[] = {
  "checkpoint", "create", "delete", "events", "exec",  "kill",  "list",   "pause",    "ps",
  "restore",    "resume", "run",    "spec",   "start", "state", "update", "features", NULL,
};

Test (cli, help_for_every_verb)
{
  struct run_result app = { 0 }, r = { 0 };
  size_t i;

  runvm_raw (&app, NULL, "--help", NULL);
  cr_assert_eq (app.status, 0);
  cr_assert (str_has_prefix (app.out, "NAME:\n   runvm - "));
  cr_assert (strstr (app.out, "\nGLOBAL OPTIONS:\n   --debug ") != NULL);
  for (i = 0; verbs[i]; i++)
    {
      _cleanup_free_ char *entry = xasprintf ("\n   %s ", verbs[i]);
      _cleanup_free_ char *head = xasprintf ("NAME:\n   runvm %s - ", verbs[i]);
      struct run_result h = { 0 }, h2 = { 0 };

      cr_assert (strstr (app.out, entry) != NULL, "%s missing from the command list", verbs[i]);
      runvm_raw (&r, NULL, verbs[i], "--help", NULL);
      cr_assert_eq (r.status, 0, "%s --help", verbs[i]);
      cr_assert (str_has_prefix (r.out, head), "%s --help: %s", verbs[i], r.out);
      runvm_raw (&h, NULL, "help", verbs[i], NULL);
      runvm_raw (&h2, NULL, verbs[i], "-h", NULL);
      cr_assert_str_eq (h.out, r.out);
      cr_assert_str_eq (h2.out, r.out);
      run_result_free (&r);
      run_result_free (&h);
      run_result_free (&h2);
    }
  /* No verb, "help", "h" and -h all show the application's help.  */
  runvm_raw (&r, NULL, NULL);
  cr_assert_eq (r.status, 0);
  cr_assert_str_eq (r.out, app.out);
  run_result_free (&r);
  runvm_raw (&r, NULL, "h", NULL);
  cr_assert_str_eq (r.out, app.out);
  run_result_free (&r);
  runvm_raw (&r, NULL, "-h", NULL);
  cr_assert_str_eq (r.out, app.out);
  run_result_free (&r);
  run_result_free (&app);
}

/* Help lines are aligned as urfave/cli aligns them (tabwriter, padding 2).  */
Test (cli, help_columns_line_up)
{
  struct run_result r = { 0 };
  const char *opt;

  runvm_raw (&r, NULL, "kill", "--help", NULL);
  opt = strstr (r.out, "OPTIONS:\n");
  cr_assert_not_null (opt);
  cr_assert_str_eq (
      opt, "OPTIONS:\n   --all, -a  send the specified signal to all processes inside the container\n   \n");
  run_result_free (&r);
  runvm_raw (&r, NULL, "list", "--help", NULL);
  opt = strstr (r.out, "OPTIONS:\n");
  cr_assert_str_eq (opt, "OPTIONS:\n"
                         "   --format value, -f value  select one of: table or json (default: \"table\")\n"
                         "   --quiet, -q               display only container IDs\n"
                         "   \n");
  run_result_free (&r);
}

/* ---- runc's behaviour, compared ------------------------------------------- */

Test (cli, spec_then_state_nosuch_as_runc, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *ours = xasprintf ("%s/ours", tmp), *theirs = xasprintf ("%s/theirs", tmp);
  _cleanup_free_ char *a = NULL, *b = NULL, *cfg_a = NULL, *cfg_b = NULL;
  struct run_result r1 = { 0 }, r2 = { 0 };
  char *p;

  need_runc ();
  cr_assert_eq (mkdir (ours, 0755), 0);
  cr_assert_eq (mkdir (theirs, 0755), 0);

  runvm (&r1, ours, "spec", NULL);
  runc (&r2, theirs, "spec", NULL);
  cr_assert_eq (r1.status, 0, "%s", r1.err);
  cr_assert_eq (r2.status, 0);
  cr_assert_str_eq (r1.out, r2.out);
  cr_assert_str_eq (r1.err, r2.err);
  run_result_free (&r1);
  run_result_free (&r2);

  /* The same document but for the version of the spec and the hostname.  */
  cfg_a = xasprintf ("%s/config.json", ours);
  cfg_b = xasprintf ("%s/config.json", theirs);
  a = read_text (cfg_a);
  b = read_text (cfg_b);
  cr_assert (strstr (a, "\t\"ociVersion\": \"1.2.0\",\n") != NULL);
  p = strstr (b, "\"ociVersion\": \"");
  cr_assert_not_null (p);
  {
    _cleanup_free_ char *fixed = NULL;
    const char *end = strchr (p + 15, '"');
    fixed = xasprintf ("%.*s\"ociVersion\": \"1.2.0%s", (int) (p - b), b, end);
    free (b);
    b = fixed;
    fixed = NULL;
  }
  p = strstr (b, "\"hostname\": \"runc\"");
  cr_assert_not_null (p);
  memcpy (p, "\"hostname\": \"runv", 17);
  {
    _cleanup_free_ char *fixed = xasprintf ("%.*s\"hostname\": \"runvm\"%s", (int) (p - b), b, p + 18);
    cr_assert_str_eq (a, fixed);
  }

  /* A second spec refuses to overwrite, in runc's words.  */
  runvm (&r1, ours, "spec", NULL);
  runc (&r2, theirs, "spec", NULL);
  assert_same_error (&r1, &r2);
  run_result_free (&r1);
  run_result_free (&r2);

  runvm (&r1, ours, "state", "nosuch", NULL);
  runc (&r2, theirs, "state", "nosuch", NULL);
  assert_same_error (&r1, &r2);
  cr_assert_str_eq (r1.out, r2.out);
  cr_assert (strstr (r1.err, "level=error msg=\"container does not exist\"") != NULL);
  run_result_free (&r1);
  run_result_free (&r2);
}

Test (cli, spec_rootless_as_runc, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *ours = xasprintf ("%s/ours", tmp), *theirs = xasprintf ("%s/theirs", tmp);
  _cleanup_free_ char *cfg_a = NULL, *cfg_b = NULL, *a = NULL, *b = NULL, *b2 = NULL;
  struct run_result r1 = { 0 }, r2 = { 0 };
  char *p;

  need_runc ();
  cr_assert_eq (mkdir (ours, 0755), 0);
  cr_assert_eq (mkdir (theirs, 0755), 0);
  /* --bundle from elsewhere, -b spelling for runc.  */
  runvm (&r1, tmp, "spec", "--rootless", "--bundle", ours, NULL);
  runc (&r2, tmp, "spec", "--rootless", "-b", theirs, NULL);
  cr_assert_eq (r1.status, 0, "%s", r1.err);
  cr_assert_eq (r2.status, 0);
  cfg_a = xasprintf ("%s/config.json", ours);
  cfg_b = xasprintf ("%s/config.json", theirs);
  a = read_text (cfg_a);
  b = read_text (cfg_b);
  p = strstr (b, "\"ociVersion\": \"");
  b2 = xasprintf ("%.*s\"ociVersion\": \"1.2.0%s", (int) (p - b), b, strchr (p + 15, '"'));
  p = strstr (b2, "\"hostname\": \"runc\"");
  cr_assert_not_null (p);
  {
    _cleanup_free_ char *fixed = xasprintf ("%.*s\"hostname\": \"runvm\"%s", (int) (p - b2), b2, p + 18);
    cr_assert_str_eq (a, fixed);
  }
  run_result_free (&r1);
  run_result_free (&r2);
}

Test (cli, spec_bundle_errors, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *missing = xasprintf ("%s/missing", tmp);
  struct run_result r = { 0 };

  runvm (&r, tmp, "spec", "-b", missing, NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "No such file or directory") != NULL, "%s", r.err);
  run_result_free (&r);
  runvm (&r, tmp, "spec", "extra", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "runvm: \\\"spec\\\" requires exactly 0 argument(s)") != NULL, "%s", r.err);
  run_result_free (&r);
}

Test (cli, log_file_in_json_as_runc, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *ours = xasprintf ("%s/ours.log", tmp), *theirs = xasprintf ("%s/theirs.log", tmp);
  _cleanup_free_ char *a = NULL, *b = NULL, *sa = NULL, *sb = NULL;
  struct run_result r1 = { 0 }, r2 = { 0 };

  need_runc ();
  runvm (&r1, tmp, "--log", ours, "--log-format", "json", "state", "nosuch", NULL);
  runc (&r2, tmp, "--log", theirs, "--log-format", "json", "state", "nosuch", NULL);
  assert_same_error (&r1, &r2);
  cr_assert_str_eq (r1.err, "container does not exist\n");
  a = read_text (ours);
  b = read_text (theirs);
  cr_assert (str_has_prefix (a, "{\"level\":\"error\",\"msg\":\"container does not exist\",\"time\":\""),
             "%s", a);
  sa = strip_log_times (a);
  sb = strip_log_times (b);
  cr_assert_str_eq (sa, sb);
  run_result_free (&r1);
  run_result_free (&r2);

  /* Text in the file, and the log is appended to.  */
  runvm (&r1, tmp, "--log", ours, "state", "bad/id", NULL);
  runc (&r2, tmp, "--log", theirs, "state", "bad/id", NULL);
  assert_same_error (&r1, &r2);
  free (a);
  free (b);
  free (sa);
  free (sb);
  a = read_text (ours);
  b = read_text (theirs);
  sa = strip_log_times (a);
  sb = strip_log_times (b);
  cr_assert_str_eq (sa, sb);
  cr_assert_eq (count_lines (a), 2);
  run_result_free (&r1);
  run_result_free (&r2);
}

/* Each case: runvm's and runc's stderr (times aside) and status agree.  */
Test (cli, errors_as_runc, .init = setup, .fini = teardown)
{
  static const char *const cases[][6] = {
    { "state", "bad/id", NULL },
    { "state", "..", NULL },
    { "state", "", NULL },
    { "state", "a b", NULL },
    { "state", NULL },
    { "state", "a", "b", NULL },
    { "create", NULL },
    { "start", NULL },
    { "delete", NULL },
    { "kill", NULL },
    { "kill", "a", "b", "c", NULL },
    { "list", "x", NULL },
    { "list", "--bogus", NULL },
    { "list", "-f", NULL },
    { "list", "-q", "--quiet", NULL },
    { "list", "--quiet=maybe", NULL },
    { "list", "---x", NULL },
    { "list", "--format", "yaml", NULL },
    { "events", "--interval", "soon", "x", NULL },
    { "exec", NULL },
    { "features", "x", NULL },
    { "nosuchverb", NULL },
    { "help", "nosuchverb", NULL },
    { "--bogus", "list", NULL },
    { "--log-format", "xml", "list", NULL },
  };
  size_t i;

  need_runc ();
  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      struct run_result r1 = { 0 }, r2 = { 0 };
      char *args[10];
      _cleanup_free_ char *root = xasprintf ("%s/root", tmp), *croot = xasprintf ("%s/runc-root", tmp);
      size_t n;

      args[0] = (char *) "--root";
      args[1] = root;
      for (n = 0; cases[i][n]; n++)
        args[n + 2] = (char *) cases[i][n];
      args[n + 2] = NULL;
      cr_assert_eq (run_runvm (&r1, tmp, args), 0);
      {
        char *cargs[12];
        size_t k;
        cargs[0] = (char *) "runc";
        cargs[1] = (char *) "--root";
        cargs[2] = croot;
        for (k = 0; k <= n; k++)
          cargs[k + 3] = args[k + 2];
        cr_assert_eq (run_argv (&r2, tmp, NULL, NULL, cargs), 0);
      }
      {
        _cleanup_free_ char *a = strip_log_times (r1.err), *b0 = strip_log_times (r2.err);
        _cleanup_free_ char *b = as_runvm (b0);
        cr_assert_eq (r1.status, r2.status, "case %zu (%s): exit status %d, runc's %d", i, cases[i][0],
                      r1.status, r2.status);
        cr_assert_str_eq (a, b, "case %zu (%s)", i, cases[i][0]);
        /* Usage errors print "Incorrect Usage" on stdout, as runc does.  */
        cr_assert_eq (str_has_prefix (r1.out, "Incorrect Usage"), str_has_prefix (r2.out, "Incorrect Usage"),
                      "case %zu: %s", i, r1.out);
        if (str_has_prefix (r2.out, "Incorrect Usage"))
          {
            const char *nl = strchr (r2.out, '\n');
            _cleanup_free_ char *first = as_runvm (r2.out);
            cr_assert (strncmp (r1.out, first, (size_t) (nl - r2.out)) == 0, "case %zu: %s", i, r1.out);
          }
      }
      run_result_free (&r1);
      run_result_free (&r2);
    }
}

/* Flags in all the spellings runc accepts.  */
Test (cli, flag_spellings, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *root = xasprintf ("%s/root", tmp), *eq = xasprintf ("--root=%s", root);
  struct run_result r = { 0 };

  runvm_raw (&r, tmp, eq, "list", "--format=json", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "null\n");
  run_result_free (&r);
  runvm_raw (&r, tmp, "-root", root, "list", "-f", "json", NULL);
  cr_assert_str_eq (r.out, "null\n");
  run_result_free (&r);
  runvm_raw (&r, tmp, "--root", root, "list", "-format=json", NULL);
  cr_assert_str_eq (r.out, "null\n");
  run_result_free (&r);
  /* A boolean with an explicit value, and -- ending the flags.  */
  runvm (&r, tmp, "list", "--quiet=false", "--format", "json", "--", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "null\n");
  run_result_free (&r);
  /* Flags after the arguments are moved in front (urfave's reordering).  */
  runvm (&r, tmp, "kill", "x", "KILL", "-a", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "container does not exist") != NULL, "%s", r.err);
  run_result_free (&r);
  /* Global flags work only before the verb.  */
  runvm (&r, tmp, "list", "--debug", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.out, "Incorrect Usage: flag provided but not defined: -debug") != NULL);
  run_result_free (&r);
  /* --cgroup-manager (podman, crun) and --systemd-cgroup (runc).  */
  runvm (&r, tmp, "--systemd-cgroup", "list", "-q", NULL);
  cr_assert_eq (r.status, 0);
  run_result_free (&r);
  runvm (&r, tmp, "--cgroup-manager", "systemd", "list", "-q", NULL);
  cr_assert_eq (r.status, 0);
  run_result_free (&r);
  runvm (&r, tmp, "--cgroup-manager=nonsense", "list", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "invalid cgroup-manager: nonsense") != NULL);
  run_result_free (&r);
  runvm (&r, tmp, "--log-level", "loud", "list", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "invalid log-level: loud") != NULL);
  run_result_free (&r);
}

Test (cli, debug_logs_at_debug_level, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *log = xasprintf ("%s/debug.log", tmp), *text = NULL;
  struct run_result r = { 0 };

  runvm (&r, tmp, "--debug", "--log", log, "list", "-q", NULL);
  cr_assert_eq (r.status, 0);
  text = read_text (log);
  cr_assert (strstr (text, "level=debug msg=\"runvm 0.1.0, root ") != NULL, "%s", text);
  run_result_free (&r);
  free (text);
  cr_assert_eq (unlink (log), 0);
  runvm (&r, tmp, "--log", log, "--log-level=debug", "--log-format", "json", "list", "-q", NULL);
  text = read_text (log);
  cr_assert (str_has_prefix (text, "{\"level\":\"debug\",\"msg\":\"runvm 0.1.0, root "), "%s", text);
  run_result_free (&r);
}

/* ---- lifecycle verbs: every flag accepted ---------------------------------- */

/* The flags parse; what fails is the missing container (or bundle).  */
Test (cli, lifecycle_verbs_accept_their_flags, .init = setup, .fini = teardown)
{
  static const char *const cases[][14] = {
    { "create", "-b", ".", "--pid-file", "p", "--console-socket", "s", "--no-pivot", "--no-new-keyring",
      "--preserve-fds", "2", "id", NULL },
    { "run", "-d", "--keep", "--no-subreaper", "-b", ".", "id", NULL },
    { "start", "id", NULL },
    { "delete", "-f", "id", NULL },
    { "kill", "--all", "id", "9", NULL },
    { "kill", "id", "SIGUSR1", NULL },
    { "kill", "id", "hup", NULL },
    { "kill", "id", NULL },
    { "ps", "-f", "json", "id", "-o", "pid", NULL },
    { "pause", "id", NULL },
    { "resume", "id", NULL },
    { "update", "-r", "-", "id", NULL },
    { "update", "--memory", "1.5g", "--memory-swap", "-1", "--cpu-quota", "-5", "--pids-limit", "10", "id",
      NULL },
    { "events", "--stats", "--interval", "1m30s", "id", NULL },
    { "exec", "-t", "-e", "A=1", "-e", "B=2", "-u", "1:2", "-g", "3", "id", "sh", "-c", NULL },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      struct run_result r = { 0 };
      char *args[20];
      _cleanup_free_ char *root = xasprintf ("%s/root", tmp), *want = NULL;
      size_t n;

      args[0] = (char *) "--root";
      args[1] = root;
      for (n = 0; cases[i][n]; n++)
        args[n + 2] = (char *) cases[i][n];
      args[n + 2] = NULL;
      cr_assert_eq (run_runvm (&r, tmp, args), 0);
      want = i < 2 ? xasprintf ("%s/config.json`: No such file or directory", tmp)
                   : xstrdup ("container does not exist");
      cr_assert (!str_has_prefix (r.out, "Incorrect Usage"), "case %zu: %s", i, r.out);
      /* runc's exec fails with 255, out of the range of exit codes.  */
      cr_assert_eq (r.status, strcmp (cases[i][0], "exec") == 0 ? 255 : 1, "case %zu: %s", i, r.err);
      cr_assert (strstr (r.err, want) != NULL, "case %zu: %s", i, r.err);
      run_result_free (&r);
    }
}

Test (cli, checkpoint_and_restore_unsupported, .init = setup, .fini = teardown)
{
  struct run_result r = { 0 };

  runvm (&r, tmp, "checkpoint", "--image-path", "x", "--leave-running", "--status-fd", "3", "--empty-ns",
         "network", "id", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (str_has_suffix (r.err, "msg=\"checkpoint is not supported by runvm\"\n"), "%s", r.err);
  run_result_free (&r);
  runvm (&r, tmp, "restore", "-d", "-b", ".", "--lsm-profile", "x:y", "id", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (str_has_suffix (r.err, "msg=\"restore is not supported by runvm\"\n"), "%s", r.err);
  run_result_free (&r);
}

Test (cli, argument_checks_before_the_runtime, .init = setup, .fini = teardown)
{
  static const struct
  {
    const char *args[8];
    int status;
    const char *msg;
  } cases[] = {
    { { "kill", "id", "NOSUCH", NULL }, 1, "unknown signal \\\"NOSUCH\\\"" },
    { { "exec", "id", NULL }, 255, "exec failed: process args cannot be empty" },
    { { "exec", "-u", "x", "id", "ls", NULL },
      255,
      "exec failed: parsing x as int for uid failed: strconv.Atoi: parsing \\\"x\\\": invalid syntax" },
    { { "exec", "-g", "-1", "id", "ls", NULL },
      255,
      "exec failed: additional-gids must be a positive number -1" },
    { { "exec", "--cgroup", "a", "--cgroup", "b", "id", "ls", NULL },
      255,
      "exec failed: invalid --cgroup argument: a (missing <controller>: prefix)" },
    { { "update", "--memory", "lots", "id", NULL }, 1, "invalid value for memory: invalid size: 'lots'" },
    { { "update", "--cpu-period", "-1", "id", NULL },
      1,
      "invalid value for cpu-period: strconv.ParseUint: parsing \\\"-1\\\": invalid syntax" },
    { { "events", "--interval", "0s", "id", NULL }, 1, "duration interval must be greater than 0" },
    { { "create", "--preserve-fds", "x", "id", NULL },
      1,
      "invalid value \\\"x\\\" for flag -preserve-fds: parse error" },
    { { "exec", "-g", "x", "id", "ls", NULL },
      1,
      "invalid value \\\"x\\\" for flag -g: strconv.ParseInt: parsing \\\"x\\\": invalid syntax" },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      struct run_result r = { 0 };
      char *args[12];
      _cleanup_free_ char *root = xasprintf ("%s/root", tmp), *want = NULL;
      size_t n;

      args[0] = (char *) "--root";
      args[1] = root;
      for (n = 0; cases[i].args[n]; n++)
        args[n + 2] = (char *) cases[i].args[n];
      args[n + 2] = NULL;
      cr_assert_eq (run_runvm (&r, tmp, args), 0);
      want = xasprintf ("msg=\"%s\"\n", cases[i].msg);
      cr_assert_eq (r.status, cases[i].status, "case %zu: %s", i, r.err);
      cr_assert (str_has_suffix (r.err, want), "case %zu: %s", i, r.err);
      run_result_free (&r);
    }
}

/* ---- state and list over a populated store --------------------------------- */

static void
add_container (const char *root, const char *id, enum state_status status, pid_t pid, const char *created,
               const char *bundle)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct state_record r = { 0 };
  uint64_t start = 0;
  int lock = -1;

  if (pid > 0)
    cr_assert_eq (proc_pid_stat (pid, &start, NULL), 0);
  r.oci_version = (char *) "1.2.0";
  r.id = (char *) id;
  r.status = status;
  r.pid = pid > 0 ? pid : 4000000;
  r.pid_start_time = start;
  r.bundle = (char *) bundle;
  r.rootfs = xasprintf ("%s/rootfs", bundle);
  r.created = (char *) created;
  r.owner = (char *) "root";
  if (strcmp (id, "annotated") == 0)
    {
      static struct spec_kv kv[]
          = { { (char *) "org.b", (char *) "2" }, { (char *) "org.a", (char *) "<1>" } };
      r.annotations = kv;
      r.annotations_len = 2;
    }
  cr_assert_eq (state_create (root, &r, &lock, &err), 0, "%s", err ? err->msg : "");
  close (lock);
  free (r.rootfs);
}

Test (cli, state_and_list_outputs, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *root = xasprintf ("%s/root", tmp), *expect = NULL, *broken = NULL;
  struct run_result r = { 0 };
  pid_t self = getpid ();

  add_container (root, "annotated", STATE_RUNNING, self, "2026-11-22T07:59:23.502301392Z", "/b");
  add_container (root, "a-much-longer-container-id", STATE_CREATED, 0, "2026-11-22T07:59:27.1Z",
                 "/srv/bundles/long");

  runvm (&r, tmp, "state", "annotated", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  expect = xasprintf ("{\n"
                      "  \"ociVersion\": \"1.2.0\",\n"
                      "  \"id\": \"annotated\",\n"
                      "  \"pid\": %d,\n"
                      "  \"status\": \"running\",\n"
                      "  \"bundle\": \"/b\",\n"
                      "  \"rootfs\": \"/b/rootfs\",\n"
                      "  \"created\": \"2026-11-22T07:59:23.502301392Z\",\n"
                      "  \"annotations\": {\n"
                      "    \"org.a\": \"\\u003c1\\u003e\",\n"
                      "    \"org.b\": \"2\"\n"
                      "  },\n"
                      "  \"owner\": \"\"\n"
                      "}",
                      (int) self);
  cr_assert_str_eq (r.out, expect);
  run_result_free (&r);

  /* The monitor of this one is gone: stopped, PID 0.  */
  runvm (&r, tmp, "state", "a-much-longer-container-id", NULL);
  cr_assert (strstr (r.out, "  \"pid\": 0,\n  \"status\": \"stopped\",\n") != NULL, "%s", r.out);
  run_result_free (&r);

  runvm (&r, tmp, "list", NULL);
  free (expect);
  expect
      = xasprintf ("ID                           PID         STATUS      BUNDLE              CREATED       "
                   "                   OWNER\n"
                   "a-much-longer-container-id   0           stopped     /srv/bundles/long   "
                   "2026-11-22T07:59:27.1Z           root\n"
                   "annotated                    %-12d"
                   "running     /b                  2026-11-22T07:59:23.502301392Z   root\n",
                   (int) self);
  cr_assert_str_eq (r.out, expect);
  run_result_free (&r);

  runvm (&r, tmp, "list", "-q", NULL);
  cr_assert_str_eq (r.out, "a-much-longer-container-id\nannotated\n");
  run_result_free (&r);

  runvm (&r, tmp, "list", "--format", "json", NULL);
  free (expect);
  expect = xasprintf (
      "[{\"ociVersion\":\"1.2.0\",\"id\":\"a-much-longer-container-id\",\"pid\":0,\"status\":"
      "\"stopped\",\"bundle\":\"/srv/bundles/long\",\"rootfs\":\"/srv/bundles/long/rootfs\","
      "\"created\":\"2026-11-22T07:59:27.1Z\",\"owner\":\"root\"},"
      "{\"ociVersion\":\"1.2.0\",\"id\":\"annotated\",\"pid\":%d,\"status\":\"running\","
      "\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":\"2026-11-22T07:59:23.502301392Z\","
      "\"annotations\":{\"org.a\":\"\\u003c1\\u003e\",\"org.b\":\"2\"},\"owner\":\"root\"}]\n",
      (int) self);
  cr_assert_str_eq (r.out, expect);
  run_result_free (&r);

  /* A broken entry is reported and skipped; the listing goes on.  */
  broken = xasprintf ("%s/half", root);
  cr_assert_eq (mkdir (broken, 0700), 0);
  runvm (&r, tmp, "list", "-q", NULL);
  cr_assert_eq (r.status, 0);
  cr_assert_str_eq (r.out, "a-much-longer-container-id\nannotated\n");
  cr_assert_str_eq (r.err, "load container half: container does not exist\n");
  run_result_free (&r);
}

Test (cli, xdg_runtime_dir_for_unprivileged_users, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *xdg = xasprintf ("%s/xdg", tmp), *env = xasprintf ("XDG_RUNTIME_DIR=%s", xdg);
  _cleanup_free_ char *state_root = xasprintf ("%s/runvm", xdg);
  char *argv[] = { (char *) "unshare",    (char *) "--user",       (char *) "--map-root-user",
                   (char *) "env",        (char *) "USER=someone", env,
                   (char *) runvm_bin (), (char *) "list",         NULL };
  struct run_result r = { 0 };
  struct stat st;

  if (!have_program ("unshare"))
    cr_skip_test ("unshare(1) is not installed");
  cr_assert_eq (mkdir (xdg, 0700), 0);
  cr_assert_eq (run_argv (&r, tmp, NULL, NULL, argv), 0);
  if (r.status != 0 && strstr (r.err, "unshare") != NULL)
    cr_skip_test ("no user namespaces here: %s", r.err);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_eq (stat (state_root, &st), 0, "runvm did not use $XDG_RUNTIME_DIR/runvm");
  cr_assert_eq (st.st_mode & 07777, 01700);
  run_result_free (&r);
}

/* ---- pieces of the runtime the CLI relies on -------------------------------- */

Test (cli, signal_names)
{
  static const struct
  {
    const char *s;
    int sig;
  } ok[] = {
    { "9", 9 },        { "KILL", SIGKILL }, { "SIGKILL", SIGKILL }, { "sigterm", SIGTERM },
    { "hup", SIGHUP }, { "Usr1", SIGUSR1 }, { "+15", 15 },          { "RTMIN", 0 },
    { "RTMIN+3", 0 },  { "SIGRTMAX-1", 0 }, { "WINCH", SIGWINCH },  { "1000", 1000 },
  };
  _cleanup_error_ rv_error_t err = NULL;
  size_t i;
  int sig;

  for (i = 0; i < ARRAY_SIZE (ok); i++)
    {
      int want = ok[i].sig;
      if (strcmp (ok[i].s, "RTMIN") == 0)
        want = SIGRTMIN;
      else if (strcmp (ok[i].s, "RTMIN+3") == 0)
        want = SIGRTMIN + 3;
      else if (strcmp (ok[i].s, "SIGRTMAX-1") == 0)
        want = SIGRTMAX - 1;
      cr_assert_eq (rt_signal_parse (ok[i].s, &sig, &err), 0, "%s", ok[i].s);
      cr_assert_eq (sig, want, "%s", ok[i].s);
    }
  cr_assert_eq (rt_signal_parse ("NOPE", &sig, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "unknown signal \"NOPE\"");
  cr_assert_lt (rt_signal_parse ("SIG", &sig, &err), 0);
  cr_assert_lt (rt_signal_parse ("RTMIN+99", &sig, &err), 0);
  cr_assert_lt (rt_signal_parse ("", &sig, &err), 0);
}

Test (cli, features_json_describes_runvm)
{
  _cleanup_free_ char *text = rt_features_json ();
  const char *max[] = { "ociVersionMax", NULL }, *caps[] = { "linux", "capabilities", NULL };
  const char *archs[] = { "linux", "seccomp", "archs", NULL },
             *systemd[] = { "linux", "cgroup", "systemd", NULL };
  const char *ann[] = { "annotations", "io.runvm.version", NULL };
  yajl_val root, v;
  size_t i;
  bool sys_admin = false, x86_64 = false;

  root = yajl_tree_parse (text, NULL, 0);
  cr_assert_not_null (root, "%s", text);
  cr_assert_str_eq (YAJL_GET_STRING (yajl_tree_get (root, max, yajl_t_string)), "1.2.0");
  v = yajl_tree_get (root, caps, yajl_t_array);
  cr_assert_not_null (v);
  for (i = 0; i < v->u.array.len; i++)
    sys_admin |= str_eq (YAJL_GET_STRING (v->u.array.values[i]), "CAP_SYS_ADMIN");
  cr_assert (sys_admin);
  v = yajl_tree_get (root, archs, yajl_t_array);
  for (i = 0; v && i < v->u.array.len; i++)
    x86_64 |= str_eq (YAJL_GET_STRING (v->u.array.values[i]), "SCMP_ARCH_X86_64");
  cr_assert (x86_64);
  cr_assert (YAJL_IS_FALSE (yajl_tree_get (root, systemd, yajl_t_any)));
  cr_assert_str_eq (YAJL_GET_STRING (yajl_tree_get (root, ann, yajl_t_string)), "0.1.0");
  yajl_tree_free (root);
}

Test (cli, features_verb_prints_the_same, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *text = rt_features_json (), *want = xasprintf ("%s\n", text);
  struct run_result r = { 0 };

  runvm (&r, tmp, "features", NULL);
  cr_assert_eq (r.status, 0);
  cr_assert_str_eq (r.out, want);
  run_result_free (&r);
}
