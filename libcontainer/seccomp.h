/* Seccomp: linux.seccomp compiled with libseccomp in the parent, where a
 * bad profile is reported before any process exists, into a classic BPF
 * program; the child loads that program with seccomp(2), no library call
 * and no allocation after the fork.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "spec/config.h"

struct lc_seccomp
{
  void *prog; /* struct sock_filter[len].  */
  size_t len;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2).  */
  bool notify;        /* an action is SCMP_ACT_NOTIFY: the load returns a listener fd.  */
};

int lc_seccomp_compile (const struct spec_seccomp *s, struct lc_seccomp **ret, rv_error_t *err);
void lc_seccomp_free (struct lc_seccomp *s);

/* Installs the filter in the calling thread.  With s->notify,
 * *RET_NOTIFY_FD gets the listener fd, else -1.  */
int lc_seccomp_load (const struct lc_seccomp *s, int *ret_notify_fd, rv_error_t *err);

/* The action value of a spec action name with ERRNO_RET for ERRNO and
 * TRACE (0 -> EPERM).  Returns 0 or -EINVAL.  */
int lc_seccomp_action (const char *name, const struct spec_opt_u32 *errno_ret, unsigned int *ret);
