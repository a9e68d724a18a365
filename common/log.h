/* Logging.  Only cmd/ decides where log lines go (rv_log_setup); library
 * code logs at debug level only (rv_debug) and reports failures through
 * rv_error_t instead.
 *
 * Formats follow runc, since engines parse them:
 *   text: time="2026-11-22T07:52:18Z" level=error msg="container does not exist"
 *         (values without spaces or quotes stay bare: msg=stopped)
 *   json: {"level":"error","msg":"container does not exist","time":"2026-11-22T07:52:18Z"}  */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

enum rv_log_level
{
  RV_LOG_PANIC = 0,
  RV_LOG_FATAL,
  RV_LOG_ERROR,
  RV_LOG_WARNING,
  RV_LOG_INFO,
  RV_LOG_DEBUG,
  RV_LOG_TRACE,
};

enum rv_log_format
{
  RV_LOG_FORMAT_TEXT = 0,
  RV_LOG_FORMAT_JSON,
};

/* Sends log lines at LEVEL or more severe to FD (not owned) in FORMAT.
 * Before any call, lines go to stderr as text at level RV_LOG_ERROR.  */
void rv_log_setup (int fd, enum rv_log_format format, enum rv_log_level level);

/* Parses "debug", "info", "warn"/"warning", "error", "fatal", "panic",
 * "trace".  Returns 0 or -EINVAL.  */
int rv_log_level_parse (const char *s, enum rv_log_level *ret);
const char *rv_log_level_name (enum rv_log_level level);

/* Parses "text" or "json".  Returns 0 or -EINVAL.  */
int rv_log_format_parse (const char *s, enum rv_log_format *ret);

/* One log line in FORMAT, newline included, exactly as logrus writes it
 * for runc: text values are quoted only when they need it (as logrus
 * does), JSON strings are escaped as Go's encoding/json escapes them.
 * STAMP is the time field.  Returns a new string, NULL on failure.  */
char *rv_log_format_line (enum rv_log_format format, enum rv_log_level level, const char *stamp,
                          const char *msg);

int rv_log_fd (void);
enum rv_log_level rv_log_level (void);
bool rv_log_enabled (enum rv_log_level level);

void rv_log (enum rv_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void rv_vlog (enum rv_log_level level, const char *fmt, va_list ap) __attribute__ ((format (printf, 2, 0)));

#define rv_debug(...)   rv_log (RV_LOG_DEBUG, __VA_ARGS__)
#define rv_info(...)    rv_log (RV_LOG_INFO, __VA_ARGS__)
#define rv_warning(...) rv_log (RV_LOG_WARNING, __VA_ARGS__)
