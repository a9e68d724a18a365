/* The signal state of the processes libcontainer starts.
 *
 * A forked child runs with the caller's handlers and mask until it
 * changes them: a signal arriving in between would run the caller's
 * handler in the child, and whatever the caller blocks or ignores would
 * reach the workload through execve, which keeps both.  So every fork
 * (and the helper's clone of the init, which inherits the helper's state)
 * happens with all signals blocked, and the child sets every disposition
 * to SIG_DFL before it unblocks anything.  The OCI spec asks for nothing
 * else: the container's process starts with no signal blocked or
 * ignored, as under runc and crun, whatever the caller's are.  */
#pragma once

#include <sys/types.h>

/* fork() with every signal blocked in the child; the caller's mask is
 * back in place in the parent when this returns.  The child must call
 * lc_signals_reset (or exit, or stay blocked: the helpers that only
 * clone and report) before it runs anything that may take a signal.  */
pid_t lc_fork_blocked (void);

/* In a child of lc_fork_blocked: every catchable signal to SIG_DFL, then
 * an empty mask.  */
void lc_signals_reset (void);

/* lc_signals_reset for the container's init when it is the init of a new
 * PID namespace: until its execve, every catchable signal whose default action ends a
 * process (terminate or dump core) ends it with _exit (128 + N).  Such an
 * init is one the kernel protects: a signal it does not handle is
 * dropped, so `kill <created container> TERM` would be lost and the
 * container would stay created; runc's waiting `runc init` ends on it.
 * The exit status is what the monitor and the engines report for a
 * process killed by N.  execve resets every caught signal to SIG_DFL, so
 * the workload starts with the default dispositions (the mask is left
 * empty) and no signal is lost in between.  Signals ignored or stopping
 * by default stay as they are.  */
void lc_signals_reset_waiting_init (void);
