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
