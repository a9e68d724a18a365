/* Running programs from unit tests: the built runvm (and runc, to compare
 * with) with captured stdout, stderr and exit status.  */
#pragma once

#include <stdbool.h>

struct run_result
{
  int status; /* exit code, or 128+N when killed by signal N.  */
  char *out;  /* NUL-terminated.  */
  char *err;
};

/* Runs ARGV (ARGV[0] is looked up in PATH when it has no '/') in CWD
 * (NULL: the current directory) with STDIN_DATA (NULL: /dev/null) on its
 * standard input.  EXE, when not NULL, is the file to execute and ARGV[0]
 * only the name the program sees.  Returns 0, or -errno when it could not
 * be started.  */
int run_argv (struct run_result *r, const char *cwd, const char *stdin_data, const char *exe,
              char *const argv[]);

/* "$RUNVM_BUILDDIR/bin/runvm" (a static buffer).  */
const char *runvm_bin (void);

/* Runs runvm with ARGS (NULL-terminated), its argv[0] being "runvm".  */
int run_runvm (struct run_result *r, const char *cwd, char *const args[]);

/* True when PROG is found in PATH.  */
bool have_program (const char *prog);

void run_result_free (struct run_result *r);

/* A new temporary directory under /tmp; *RET is malloc'd.  */
char *make_temp_dir (void);

/* rm -rf PATH (no mounts expected).  */
void remove_temp_dir (const char *path);

/* Copies S without the time="..." field of logrus text lines and the
 * "time":"..." member of JSON lines, which differ between two runs.  */
char *strip_log_times (const char *s);
