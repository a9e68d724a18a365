/* Verbs whose work comes with the lifecycle (the monitor, the launchers,
 * the agent).  Until then each fails with an error that names it, and the
 * CLI exits 1.  A verb leaves this file when its real implementation lands
 * in a file of its own.
 *
 * checkpoint and restore stay here for good: a container's state lives in
 * a VM that CRIU cannot dump.  */
#include <errno.h>

#include "runtime/runtime.h"

#define NOT_IMPLEMENTED(verb) rv_error_set (err, ENOSYS, "runvm: `%s` is not implemented in this build", verb)

int
rt_ps (const struct rt_global *g, const struct rt_ps_opts *o, rv_error_t *err)
{
  (void) g;
  (void) o;
  return NOT_IMPLEMENTED ("ps");
}

int
rt_events (const struct rt_global *g, const struct rt_events_opts *o, rv_error_t *err)
{
  (void) g;
  (void) o;
  return NOT_IMPLEMENTED ("events");
}

int
rt_exec (const struct rt_global *g, const struct rt_exec_opts *o, int *ret_status, rv_error_t *err)
{
  (void) g;
  (void) o;
  (void) ret_status;
  return NOT_IMPLEMENTED ("exec");
}

int
rt_pause (const struct rt_global *g, const struct rt_pause_opts *o, rv_error_t *err)
{
  (void) g;
  (void) o;
  return NOT_IMPLEMENTED ("pause");
}

int
rt_resume (const struct rt_global *g, const struct rt_resume_opts *o, rv_error_t *err)
{
  (void) g;
  (void) o;
  return NOT_IMPLEMENTED ("resume");
}

int
rt_update (const struct rt_global *g, const struct rt_update_opts *o, rv_error_t *err)
{
  (void) g;
  (void) o;
  return NOT_IMPLEMENTED ("update");
}

int
rt_checkpoint (const struct rt_global *g, const struct rt_checkpoint_opts *o, rv_error_t *err)
{
  (void) g;
  (void) o;
  return rv_error_set (err, ENOTSUP, "checkpoint is not supported by runvm");
}

int
rt_restore (const struct rt_global *g, const struct rt_restore_opts *o, int *ret_status, rv_error_t *err)
{
  (void) g;
  (void) o;
  (void) ret_status;
  return rv_error_set (err, ENOTSUP, "restore is not supported by runvm");
}
