/* Small helpers shared by every module: allocation that aborts on
 * exhaustion, string vectors, whole-file I/O, number parsing.  */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/cleanup.h"
#include "common/error.h"

/* Allocation: these never return NULL; they abort on exhaustion, as crun's
 * xmalloc does (there is nothing useful to do after it).  */
void *xmalloc (size_t size);
void *xmalloc0 (size_t size);
void *xcalloc (size_t nmemb, size_t size);
void *xrealloc (void *ptr, size_t size);
void *xreallocarray (void *ptr, size_t nmemb, size_t size);
char *xstrdup (const char *s); /* NULL gives NULL.  */
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
char *xvasprintf (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0)));

/* NULL-terminated string vectors.  */
size_t strv_len (char *const *v);
void strv_free (char **v);
char **strv_dup (char *const *v);
/* Appends a copy of S to *V (which may be NULL); keeps *V NULL-terminated.  */
void strv_append (char ***v, const char *s);
bool strv_contains (char *const *v, const char *s);

bool str_has_prefix (const char *s, const char *prefix);
bool str_has_suffix (const char *s, const char *suffix);
bool str_eq (const char *a, const char *b); /* NULL-safe.  */

/* I/O that retries on EINTR and short transfers.  Return 0 or -errno.  */
int write_all (int fd, const void *buf, size_t len);
/* Reads exactly LEN bytes; -EPIPE on early end of file.  */
int read_exact (int fd, void *buf, size_t len);

/* Reads a whole file (at most MAX bytes, 0 for no limit) into a
 * NUL-terminated buffer.  *RET_LEN, when not NULL, gets the length.  */
int read_file (const char *path, size_t max, char **ret, size_t *ret_len, rv_error_t *err);
int read_fd (int fd, size_t max, char **ret, size_t *ret_len, rv_error_t *err);

/* Replaces PATH atomically: writes a temporary file next to it, fsyncs it,
 * renames it over PATH, fsyncs the directory.  */
int write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, rv_error_t *err);

/* Creates PATH and its missing parents with MODE.  Existing directories are
 * fine.  */
int mkdir_p (const char *path, mode_t mode, rv_error_t *err);

/* Strict number parsing: the whole string, in range, decimal (base 0 for
 * strtou64_any: 0x and 0 prefixes).  Return 0 or -EINVAL / -ERANGE.  */
int parse_u64 (const char *s, uint64_t *ret);
int parse_i64 (const char *s, int64_t *ret);
int parse_int (const char *s, int *ret);

/* Current time as RFC 3339 with nanoseconds in UTC, the shape Go's
 * time.RFC3339Nano gives ("2026-11-22T07:48:00.123456789Z").  */
char *now_rfc3339 (void);

/* Sets FD_CLOEXEC (on) or clears it (off).  */
int fd_set_cloexec (int fd, bool on);
int fd_set_nonblock (int fd, bool on);
