#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

#include "common/cleanup.h"
#include "vm/vsock/seccomp.h"

/* Allowed without conditions.  Grouped by who needs them.  */
static const char *const allowed[] = {
  /* the event loop and socket I/O */
  "epoll_wait",
  "epoll_pwait",
  "epoll_ctl",
  "read",
  "write",
  "readv",
  "writev",
  "recvmsg",
  "sendmsg",
  "recvfrom",
  "sendto",
  "accept4",
  "accept",
  "connect",
  "shutdown",
  "close",
  "fcntl",
  /* new memory tables: fstat of the region fd, unmapping the old table */
  "fstat",
  "newfstatat",
  "munmap",
  /* malloc */
  "brk",
  "mremap",
  "madvise",
  /* time, exit, signals (abort), removing the hybrid socket on exit */
  "clock_gettime",
  "gettimeofday",
  "exit",
  "exit_group",
  "rt_sigreturn",
  "rt_sigprocmask",
  "restart_syscall",
  "getpid",
  "gettid",
  "tgkill",
  "unlink",
  "unlinkat",
  "getrandom",
  "futex",
#ifdef RUNVM_SANITIZE
  /* The sanitizer runtime sets up and tears down its signal stack.  */
  "sigaltstack",
#endif
};

static void
cleanup_filterp (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}

int
vsock_seccomp_apply (bool log_only, rv_error_t *err)
{
  __attribute__ ((cleanup (cleanup_filterp))) scmp_filter_ctx ctx = NULL;
  size_t i;
  int r;

  ctx = seccomp_init (log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
  if (ctx == NULL)
    return rv_error_set (err, ENOMEM, "seccomp_init failed");

  for (i = 0; i < ARRAY_SIZE (allowed); i++)
    {
      int nr = seccomp_syscall_resolve_name (allowed[i]);
      /* Not every architecture has every name (fstat, accept).  */
      if (nr == __NR_SCMP_ERROR)
        continue;
      r = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, nr, 0);
      if (r < 0)
        return rv_error_make (err, -r, "seccomp rule for %s", allowed[i]);
    }

  /* Guest-initiated connections open Unix sockets, nothing else.  */
  r = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (socket), 1, SCMP_A0 (SCMP_CMP_EQ, AF_UNIX));
  if (r < 0)
    return rv_error_make (err, -r, "seccomp rule for socket");
  /* Guest memory and malloc: never executable.  */
  r = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (mmap), 1, SCMP_A2 (SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  if (r < 0)
    return rv_error_make (err, -r, "seccomp rule for mmap");
  r = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (mprotect), 1,
                        SCMP_A2 (SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  if (r < 0)
    return rv_error_make (err, -r, "seccomp rule for mprotect");

  /* glibc opens /etc/localtime on the first time conversion, which the
   * log's first line would do under the filter: load it now.  */
  tzset ();

  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return rv_error_make (err, errno, "prctl (PR_SET_NO_NEW_PRIVS)");
  r = seccomp_load (ctx);
  if (r < 0)
    return rv_error_make (err, -r, "load seccomp filter");
  return 0;
}
