/* Error objects, after crun's design (docs/error_handling.md).
 *
 * A function that can fail takes `rv_error_t *err` as its last argument.
 * On failure it returns a negative value and fills *err with an errno value
 * (`status`) and a message that names the thing and the cause.  Callers add
 * context on the way up with rv_error_wrap(); only cmd/ prints.
 *
 *   fd = open (path, O_RDONLY | O_CLOEXEC);
 *   if (fd < 0)
 *     return rv_error_make (err, errno, "open `%s`", path);
 *
 * gives "open `/x`: No such file or directory" with status ENOENT.  */
#pragma once

#include <stdarg.h>

struct rv_error_s
{
  int status; /* errno value; 0 when no errno applies.  */
  char *msg;  /* complete, human-readable, one line.  */
};
typedef struct rv_error_s *rv_error_t;

/* Records an error whose message is FMT followed by ": strerror (STATUS)"
 * when STATUS is not 0.  Replaces an error already held in *ERR.
 * Returns -STATUS, or -1 when STATUS is 0: always negative.  */
int rv_error_make (rv_error_t *err, int status, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Like rv_error_make, but the message is FMT alone; STATUS only travels as
 * the error code (for validation errors whose text already says it all).  */
int rv_error_set (rv_error_t *err, int status, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

int rv_error_vset (rv_error_t *err, int status, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));

/* Prefixes the message held in *ERR with "FMT: ".  Returns the same negative
 * value that rv_error_make returned for it.  When *ERR is empty, records
 * FMT with status EIO.  */
int rv_error_wrap (rv_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* The negative return value matching *ERR.  */
int rv_error_ret (rv_error_t err);

/* Frees the error and sets *ERR to NULL.  Accepts NULL and an empty error.  */
void rv_error_release (rv_error_t *err);

static inline void
cleanup_rv_errorp (rv_error_t *err)
{
  rv_error_release (err);
}
#define _cleanup_error_ __attribute__ ((cleanup (cleanup_rv_errorp)))
