/* The VM's console log: <state>/console.log, fed by pipes from the VMM's
 * serial port and from the helpers' stderr.
 *
 * Output is cut into lines; helper lines get a "[name] " prefix.  The log
 * is capped: when console.log would pass half of the cap it becomes
 * console.log.1 (replacing the previous one) and a fresh console.log
 * starts, so the two together never exceed the cap and the newest output
 * is always kept.  The last lines are also kept in memory, to be quoted
 * in errors (a guest that panics or never answers).
 *
 * The pipes are non-blocking; vm_console_pump reads what is there.  The
 * VMM blocks on a full pipe, so whoever waits on the VM must pump: the
 * launcher's wait loop does, and the monitor's epoll loop does through
 * vm_handle.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define VM_CONSOLE_MAX_SOURCES 4
#define VM_CONSOLE_LINE_MAX    1024
#define VM_CONSOLE_TAIL_LINES  32

/* Called for each complete line (without the prefix, '\r' and '\n'),
 * with the monotonic time in ms at which it was read.  */
typedef void (*vm_console_line_fn) (void *data, const char *source, const char *line, long long now_ms);

struct vm_console_source
{
  int fd; /* read end, non-blocking; -1 once at end of file */
  char *name;
  char *prefix; /* "" for the guest's serial port */
  char line[VM_CONSOLE_LINE_MAX];
  size_t line_len;
};

struct vm_console
{
  char *path;
  int log_fd;
  uint64_t max_bytes;
  uint64_t written; /* bytes in the current console.log */
  struct vm_console_source src[VM_CONSOLE_MAX_SOURCES];
  size_t nsrc;
  char *tail[VM_CONSOLE_TAIL_LINES]; /* ring of the last lines, with prefixes */
  size_t tail_next;
  char *marker; /* when set, marker_seen turns true on a line containing it */
  bool marker_seen;
  char *panic; /* the guest kernel's "Kernel panic - ..." line, once seen */
  vm_console_line_fn on_line;
  void *on_line_data;
};

/* Creates (truncates) PATH, mode 0600, capped at MAX_BYTES in total.  */
int vm_console_open (struct vm_console *c, const char *path, uint64_t max_bytes, rv_error_t *err);

/* Adds a source named NAME and returns the write end of its pipe in
 * *RET_WRITE_FD (close-on-exec; the caller hands it to a child and closes
 * it).  PREFIXED: lines get "[NAME] ".  */
int vm_console_add_source (struct vm_console *c, const char *name, bool prefixed, int *ret_write_fd,
                           rv_error_t *err);

/* Reads whatever the sources hold now.  Returns the number of sources
 * still open.  */
int vm_console_pump (struct vm_console *c, rv_error_t *err);

/* Reads until every source reaches end of file or TIMEOUT_MS pass (after
 * the writers are gone, to keep their last words).  */
void vm_console_drain (struct vm_console *c, int timeout_ms);

/* The last lines, at most MAX_LINES of them and MAX_BYTES in all, each
 * trimmed, joined with " | ": one line fit for an error message.  Returns
 * a new string ("" when there was no output).  */
char *vm_console_tail (const struct vm_console *c, size_t max_lines, size_t max_bytes);

/* Closes the pipes and the log; the file stays.  Accepts a zeroed or
 * half-opened struct.  */
void vm_console_close (struct vm_console *c);
