/* Children of the monitor: the VMM and its helpers.
 *
 * Each child is tied to the process that spawned it: it gets
 * PR_SET_PDEATHSIG(SIGKILL) and checks, after setting it, that its parent
 * is still the spawner (the parent may die in between).  It runs in a
 * process group of its own, so that a signal the terminal sends to the
 * monitor's group reaches the monitor alone, which decides what the VM
 * gets.  The signal mask and dispositions are reset (the monitor blocks
 * signals for its signalfd; ignored signals survive exec).  Only the fds
 * named in keep_fds (and stdio) are inherited.
 *
 * A failed exec is reported by the spawn call itself, with the errno of
 * execve, through a close-on-exec pipe.  The child is watched through a
 * pidfd, which the monitor's epoll loop can poll (readable on exit).  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

struct vm_child
{
  char *name; /* "qemu", "virtiofsd", ... for messages */
  pid_t pid;  /* 0 once reaped */
  int pidfd;
  bool exited;
  int status; /* wait status, valid once exited */
};

struct vm_spawn_opts
{
  char *const *argv; /* argv[0] is the path executed */
  char *const *envp; /* NULL: the caller's environment */
  int stdin_fd;      /* -1: /dev/null */
  int stdout_fd;     /* -1: /dev/null */
  int stderr_fd;     /* -1: /dev/null */
  const int *keep_fds;
  size_t keep_fds_len;
};

/* Starts a child; on success *RET is filled (name copied).  */
int vm_spawn (const char *name, const struct vm_spawn_opts *opts, struct vm_child *ret, rv_error_t *err);

/* Reaps the child if it has exited (WNOHANG).  Returns 1 when it has exited
 * (now or before), 0 when it still runs.  */
int vm_child_poll (struct vm_child *child, rv_error_t *err);

/* Waits up to TIMEOUT_MS (-1: forever) for the child to exit.  Returns 1
 * when it exited, 0 on timeout.  */
int vm_child_wait (struct vm_child *child, int timeout_ms, rv_error_t *err);

/* Sends SIG unless the child has been reaped (the pidfd makes this safe
 * against PID reuse).  */
void vm_child_signal (struct vm_child *child, int sig);

/* SIGKILL and reap.  Afterwards the child is gone.  */
void vm_child_kill (struct vm_child *child);

/* Closes the pidfd and frees the name; kills the child first if it was
 * never reaped.  Accepts a zeroed struct.  */
void vm_child_release (struct vm_child *child);

/* "exited with status 1", "killed by signal 9 (Killed)": a new string.  */
char *vm_child_describe (const struct vm_child *child);

/* Runs ARGV to completion with stdout and stderr captured (at most MAX
 * bytes kept), for version probes.  Gives up after TIMEOUT_MS, killing it.
 * *RET_STATUS gets the wait status.  */
int vm_run_capture (char *const *argv, int timeout_ms, size_t max, char **ret_output, int *ret_status,
                    rv_error_t *err);

/* Monotonic milliseconds.  */
long long vm_now_ms (void);

/* Moves FD above stdio (F_DUPFD_CLOEXEC 3) when it is 0, 1 or 2, so that
 * the fd numbers written into a child's argv survive the stdio dup2s.
 * Returns the fd to use (the old one is closed) or -errno.  */
int vm_fd_above_stdio (int fd);
