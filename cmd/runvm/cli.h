/* Command-line parsing as runc does it (urfave/cli v1 on Go's flag
 * package), so that engines and scripts written for runc drive runvm
 * unchanged:
 *
 *  - global flags come before the verb, the verb's flags after it;
 *  - `-flag` and `--flag` are the same; values as `--flag value` or
 *    `--flag=value`; booleans take no value unless written `--flag=false`;
 *    a bare `--` ends the flags;
 *  - flags may follow the verb's arguments (urfave moves them to the
 *    front), except for verbs whose arguments are a command line (exec,
 *    ps);
 *  - a flag has a long name and may have short aliases ("bundle, b"); one
 *    flag given in two spellings is an error, as in urfave;
 *  - errors and help texts are urfave's, word for word.
 *
 * A verb is one `struct cli_command` in a file of its own (cmd/runvm/<verb>.c)
 * listed in verbs.h.  Its flags write straight into an options struct
 * (usually the runtime's rt_<verb>_opts) at the offsets given in the table.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"

enum cli_flag_type
{
  CLI_BOOL,         /* bool */
  CLI_STRING,       /* const char * (points into argv or at the default) */
  CLI_INT,          /* int, parsed as Go's strconv.ParseInt (s, 0, 64) */
  CLI_DURATION,     /* int64_t nanoseconds, Go's time.ParseDuration syntax */
  CLI_STRING_SLICE, /* char ** (a NULL-terminated vector, appended to) */
  CLI_INT64_SLICE,  /* struct cli_i64_list */
};

struct cli_i64_list
{
  int64_t *values;
  size_t len;
};

struct cli_flag
{
  const char *name; /* "bundle, b": the long name first, then aliases.  */
  enum cli_flag_type type;
  size_t offset;     /* of the value in the options struct.  */
  const char *value; /* default, applied before parsing and shown in help; NULL for none.  */
  const char *usage;
  bool hidden; /* parsed, but not shown in help.  */
};

#define CLI_FLAGS_END                                                                                        \
  {                                                                                                          \
    NULL, 0, 0, NULL, NULL, false                                                                            \
  }

struct cli_ctx;

struct cli_command
{
  const char *name;
  const char *usage;       /* one line, for the command list.  */
  const char *args_usage;  /* after "runvm <verb> [command options] ".  */
  const char *description; /* NULL for none.  */
  const struct cli_flag *flags;
  size_t opts_size;
  /* The verb's arguments are a command line: flags after the first
   * argument belong to it (urfave's SkipArgReorder).  */
  bool skip_arg_reorder;
  /* Runs the verb.  Returns the exit status (>= 0), or a negative value
   * with *ERR set; the error is then logged and runvm exits with
   * ctx->error_exit_status (1 unless the verb changes it).  */
  int (*action) (struct cli_ctx *ctx, void *opts, rv_error_t *err);
};

struct cli_ctx
{
  const char *argv0; /* as invoked: runc names itself so in usage errors.  */
  const char *prog;  /* its base name: the program's name in help texts.  */
  const struct cli_command *cmd;
  struct rt_global *global;
  int argc; /* the arguments left after the flags.  */
  char **argv;
  bool *given; /* per flag of cmd: given on the command line.  */
  int error_exit_status;
};

/* Parses ARGS (N of them) against FLAGS into OPTS (defaults first).
 * *RET_NEXT gets the index of the first argument that is not a flag.
 * GIVEN (one per flag, may be NULL) records which flags were given;
 * *RET_HELP is set for -h/--help when ALLOW_HELP.  Errors read as Go's
 * ("flag provided but not defined: -x").  */
int cli_parse_flags (const struct cli_flag *flags, bool allow_help, char **args, int n, void *opts,
                     bool *given, bool *ret_help, int *ret_next, rv_error_t *err);

/* urfave's reorderArgs: flags (and what looks like their values) before
 * the other arguments, up to a `--`.  Returns a new vector of N entries
 * whose strings are ARGS'.  */
char **cli_reorder_args (char **args, int n);

/* Releases what parsing allocated in OPTS (slices).  */
void cli_free_opts (const struct cli_flag *flags, void *opts);

/* True when the flag named NAME (its long name) was given.  */
bool cli_given (const struct cli_ctx *ctx, const char *name);

/* runc's checkArgs: when the verb's argument count is wrong, prints
 * "Incorrect Usage." and the verb's help on stdout and fails with
 * `<argv0>: "<verb>" requires exactly N argument(s)`.  */
enum cli_args_check
{
  CLI_EXACT_ARGS,
  CLI_MIN_ARGS,
  CLI_MAX_ARGS,
};
int cli_check_args (const struct cli_ctx *ctx, int expected, enum cli_args_check check, rv_error_t *err);
/* The check of a verb whose one argument is the container ID (start,
 * state, pause, resume, delete): the ID goes to *RET_ID.  */
int cli_take_id (const struct cli_ctx *ctx, const char **ret_id, rv_error_t *err);

/* Help texts, rendered as urfave/cli renders its templates.  */
char *cli_command_help (const char *prog, const struct cli_command *cmd);
char *cli_flag_line (const struct cli_flag *flag);

/* Go's time.ParseDuration.  0 or -EINVAL.  */
int cli_parse_duration (const char *s, int64_t *ret);

/* Go's strconv.ParseBool.  0 or -EINVAL.  */
int cli_parse_bool (const char *s, bool *ret);

/* An absolute path for P, as Go's filepath.Abs gives it (lexically
 * cleaned, relative to the working directory).  */
char *cli_abs_path (const char *p);

/* The bundle as runc records it: the directory's real path when it
 * exists (runc chdirs into it and asks for the working directory), the
 * current directory when BUNDLE is NULL or empty.  */
char *cli_bundle_path (const char *bundle);
