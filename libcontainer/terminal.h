/* The terminal of a process with process.terminal: a pty made inside the
 * container (its devpts instance), the slave made the controlling
 * terminal and stdio of the process, the master handed to the caller.  */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "spec/config.h"

/* In the child, after pivot_root: opens /dev/ptmx, sets the window size
 * from CONSOLE_SIZE (when HAS_SIZE), makes the slave the controlling
 * terminal (the caller must be a session leader) and fds 0-2.  With
 * BIND_CONSOLE the slave is also bind-mounted on /dev/console (the init
 * does it, exec does not).  Returns the master.  */
int lc_term_setup (bool has_size, const struct spec_box *size, bool bind_console, int *ret_master,
                   rv_error_t *err);

/* Sets the window size of a pty (master or slave).  */
int lc_term_resize (int fd, unsigned rows, unsigned cols, rv_error_t *err);
