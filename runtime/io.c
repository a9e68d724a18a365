/* A process's stdio between the host and the guest: the agent's stream
 * connections (agent-client/PROTOCOL.md, "Streams") relayed to the fds
 * the engine gave (runtime/relay.h).  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/relay.h"
#include "runtime/rt_impl.h"

bool
rt_fd_is_null (int fd)
{
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return true;
  return S_ISCHR (st.st_mode) && major (st.st_rdev) == 1 && minor (st.st_rdev) == 3;
}

void
rt_io_stdio (const struct rt_io_plan *p, bool *ret_in, bool *ret_out, bool *ret_err)
{
  *ret_in = !p->terminal && p->in >= 0;
  *ret_out = !p->terminal && p->out >= 0;
  *ret_err = !p->terminal && p->err >= 0;
}

void
rt_io_clear (struct rt_io *io)
{
  rt_relay_free (io->relay);
  io->relay = NULL;
  io->host_in = NULL;
}

static int
host_ep (struct rt_relay *r, int fd, bool reopen, bool read, bool write, struct rt_relay_ep **ret,
         rv_error_t *err)
{
  int copy = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0)
    return rv_error_make (err, errno, "dup fd %d", fd);
  return rt_relay_add_fd (r, copy, reopen, read, write, ret, err);
}

static int
guest_ep (struct rt_relay *r, const struct agent_transport *t, const char *container, const char *exec_id,
          enum agent_stream s, struct rt_relay_ep **ret, rv_error_t *err)
{
  int fd = -1, rc;
  rc = agent_attach (t, 10000, container, exec_id, s, &fd, err);
  if (rc < 0)
    return rv_error_wrap (err, "attach %s", agent_stream_name (s));
  return rt_relay_add_fd (r, fd, false, true, true, ret, err);
}

int
rt_io_attach (const struct agent_transport *t, const char *container, const char *exec_id,
              const struct rt_io_plan *p, int epfd, struct rt_io *ret, rv_error_t *err)
{
  struct rt_io io = { .relay = rt_relay_new (epfd) };
  struct rt_relay_ep *g = NULL, *in = NULL, *out = NULL;
  const unsigned output = RT_CH_OUTPUT | RT_CH_CLOSE_SRC_ON_ERROR;
  int r;

  if (p->terminal)
    {
      r = guest_ep (io.relay, t, container, exec_id, AGENT_STREAM_TTY, &g, err);
      if (r == 0 && p->in >= 0 && p->in == p->out)
        {
          r = host_ep (io.relay, p->in, p->reopen, true, true, &in, err);
          out = in;
        }
      else
        {
          if (r == 0 && p->in >= 0)
            r = host_ep (io.relay, p->in, p->reopen, true, false, &in, err);
          if (r == 0 && p->out >= 0)
            r = host_ep (io.relay, p->out, p->reopen, false, true, &out, err);
        }
      if (r == 0 && in)
        r = rt_relay_add_channel (io.relay, in, g, RT_CH_SHUT_WR, err);
      if (r == 0 && out)
        r = rt_relay_add_channel (io.relay, g, out, output, err);
      io.host_in = in;
    }
  else
    {
      r = 0;
      if (p->in >= 0)
        {
          r = guest_ep (io.relay, t, container, exec_id, AGENT_STREAM_STDIN, &g, err);
          if (r == 0)
            r = host_ep (io.relay, p->in, p->reopen, true, false, &in, err);
          if (r == 0)
            r = rt_relay_add_channel (io.relay, in, g, RT_CH_SHUT_WR, err);
          io.host_in = in;
        }
      if (r == 0 && p->out >= 0)
        {
          r = guest_ep (io.relay, t, container, exec_id, AGENT_STREAM_STDOUT, &g, err);
          if (r == 0)
            r = host_ep (io.relay, p->out, p->reopen, false, true, &out, err);
          if (r == 0)
            r = rt_relay_add_channel (io.relay, g, out, output | RT_CH_SHUT_WR, err);
        }
      if (r == 0 && p->err >= 0)
        {
          r = guest_ep (io.relay, t, container, exec_id, AGENT_STREAM_STDERR, &g, err);
          if (r == 0)
            r = host_ep (io.relay, p->err, p->reopen, false, true, &out, err);
          if (r == 0)
            r = rt_relay_add_channel (io.relay, g, out, output | RT_CH_SHUT_WR, err);
        }
    }
  if (r < 0)
    {
      rt_io_clear (&io);
      return r;
    }
  rt_relay_pump (io.relay);
  *ret = io;
  return 0;
}
