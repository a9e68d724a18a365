/* A container's own files in its state directory, and reaching its agent
 * from any runvm process.  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/rt_impl.h"

int
rt_config_save (const char *state_dir, const char *data, size_t len, rv_error_t *err)
{
  _cleanup_free_ char *path = xasprintf ("%s/config.json", state_dir);
  return write_file_atomic (path, data, len, 0600, err);
}

int
rt_config_load (const char *state_dir, struct spec_config **ret, rv_error_t *err)
{
  _cleanup_free_ char *path = xasprintf ("%s/config.json", state_dir);
  return spec_config_load (path, ret, err);
}

int
rt_transport_resolve (const char *root, const struct state_record *r, struct agent_transport *ret,
                      int *ret_dir_fd, rv_error_t *err)
{
  struct agent_transport t;
  _cleanup_free_ char *dir = NULL, *full = NULL;
  struct sockaddr_un addr;
  int fd;

  if (r->transport == NULL)
    return rv_error_set (err, ENOTCONN, "container `%s` has no agent to talk to", r->id);
  if (agent_transport_parse (r->transport, &t) < 0)
    return rv_error_set (err, EINVAL, "container `%s`: invalid transport `%s` in its state", r->id,
                         r->transport);
  *ret_dir_fd = -1;
  if (t.kind == AGENT_TRANSPORT_VSOCK || t.path[0] == '/')
    {
      *ret = t;
      return 0;
    }
  dir = state_dir (root, r->id);
  full = xasprintf ("%s/%s", dir, t.path);
  if (strlen (full) < sizeof (addr.sun_path))
    {
      memcpy (t.path, full, strlen (full) + 1);
      *ret = t;
      return 0;
    }
  /* Too long for sun_path (docker's state root is deep): through the
   * directory's fd, which the caller keeps open while it dials.  */
  fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return rv_error_make (err, errno, "open `%s`", dir);
  free (full);
  full = xasprintf ("/proc/self/fd/%d/%s", fd, t.path);
  memcpy (t.path, full, strlen (full) + 1);
  *ret = t;
  *ret_dir_fd = fd;
  return 0;
}

int
rt_agent_connect (const char *root, const struct state_record *r, int timeout_ms, struct agent_conn **ret,
                  rv_error_t *err)
{
  _cleanup_close_ int dir_fd = -1;
  struct agent_transport t;
  int ret_code;

  ret_code = rt_transport_resolve (root, r, &t, &dir_fd, err);
  if (ret_code < 0)
    return ret_code;
  ret_code = agent_connect (&t, timeout_ms, ret, err);
  if (ret_code < 0)
    return rv_error_wrap (err, "reach the agent of container `%s`", r->id);
  return 0;
}
