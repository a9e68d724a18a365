/* The daemon's confinement: once the vhost-user connection, the hybrid
 * listener and the epoll set exist, the daemon only moves bytes between
 * sockets, maps new guest memory tables, and exits.  This allow-list is
 * everything that needs; any other system call kills the process.  */
#pragma once

#include <stdbool.h>

#include "common/error.h"

/* Installs the filter (and PR_SET_NO_NEW_PRIVS) in the calling process.
 * LOG_ONLY logs violations instead of killing (for debugging a filter).  */
int vsock_seccomp_apply (bool log_only, rv_error_t *err);
