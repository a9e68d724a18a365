/* A shell command for the tests' own set-up (bind mounts, cgroup
 * directories, files): formatted like printf, and the test fails when it
 * does not exit 0.  */
#pragma once

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "common/utils.h"

static inline void __attribute__ ((format (printf, 1, 2))) tb_sh (const char *fmt, ...)
{
  _cleanup_free_ char *cmd = NULL;
  va_list ap;
  va_start (ap, fmt);
  cmd = xvasprintf (fmt, ap);
  va_end (ap);
  cr_assert_eq (system (cmd), 0, "%s", cmd);
}
