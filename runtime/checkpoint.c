/* checkpoint and restore: a container's state lives in a VM that CRIU
 * cannot dump.  */
#include <errno.h>

#include "runtime/runtime.h"

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
