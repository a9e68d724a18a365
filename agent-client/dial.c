#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "agent-client/dial.h"
#include "common/utils.h"

/* The longest hybrid reply line accepted ("OK 4294967295\n" is 14).  */
#define HYBRID_LINE_MAX 64

long long
agent_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
agent_ms_left (long long deadline)
{
  long long left;
  if (deadline < 0)
    return -1;
  left = deadline - agent_now_ms ();
  if (left <= 0)
    return 0;
  return left > INT_MAX ? INT_MAX : (int) left;
}

int
agent_wait_fd (int fd, short events, long long deadline)
{
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = events };
      int n = poll (&p, 1, agent_ms_left (deadline));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      if (n == 0)
        return -ETIMEDOUT;
      return 0;
    }
}

/* One non-blocking connect bounded by DEADLINE.  Returns the socket or
 * -errno.  */
static int
connect_once (int family, const struct sockaddr *sa, socklen_t len, long long deadline)
{
  _cleanup_close_ int fd = socket (family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int r, soerr = 0;
  socklen_t sl = sizeof (soerr);

  if (fd < 0)
    return -errno;
  if (connect (fd, sa, len) == 0)
    return TAKE_FD (fd);
  if (errno != EINPROGRESS && errno != EAGAIN)
    return -errno;
  /* A Unix socket with a full backlog says EAGAIN and never becomes
   * writable; try again later like a refusal.  */
  if (errno == EAGAIN && family == AF_UNIX)
    return -EAGAIN;
  r = agent_wait_fd (fd, POLLOUT, deadline);
  if (r < 0)
    return r;
  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
    return -errno;
  if (soerr != 0)
    return -soerr;
  return TAKE_FD (fd);
}

/* Sends `CONNECT <port>\n` and reads the reply line byte by byte.
 * Returns 0, -ECONNREFUSED when the device closed the socket (nobody
 * listens on the port yet), -EPROTO for an unexpected reply, or -errno.  */
static int
hybrid_handshake (int fd, uint32_t port, long long deadline, char *line, size_t line_size)
{
  char req[32];
  size_t len = 0, off = 0;
  int n = snprintf (req, sizeof (req), "CONNECT %u\n", port), r;

  while (off < (size_t) n)
    {
      ssize_t w = send (fd, req + off, (size_t) n - off, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        {
          r = agent_wait_fd (fd, POLLOUT, deadline);
          if (r < 0)
            return r;
          continue;
        }
      if (w < 0)
        return errno == EPIPE || errno == ECONNRESET ? -ECONNREFUSED : -errno;
      off += (size_t) w;
    }

  line[0] = '\0';
  for (;;)
    {
      char c;
      ssize_t got = read (fd, &c, 1);
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0 && errno == EAGAIN)
        {
          r = agent_wait_fd (fd, POLLIN, deadline);
          if (r < 0)
            return r;
          continue;
        }
      if (got < 0)
        return errno == ECONNRESET ? -ECONNREFUSED : -errno;
      if (got == 0)
        return len == 0 ? -ECONNREFUSED : -EPROTO;
      if (c == '\n')
        break;
      if (len + 1 >= line_size)
        return -EPROTO;
      line[len++] = c;
      line[len] = '\0';
    }
  if (len > 3 && strncmp (line, "OK ", 3) == 0)
    {
      uint64_t hostport;
      if (parse_u64 (line + 3, &hostport) == 0)
        return 0;
    }
  return -EPROTO;
}

static bool
retryable (int e)
{
  switch (e)
    {
    case ENOENT:
    case ECONNREFUSED:
    case ECONNRESET:
    case ETIMEDOUT:
    case EAGAIN:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENODEV:
      return true;
    default:
      return false;
    }
}

/* Where T's agent listens, as a socket address.  */
struct agent_addr
{
  int family;
  union
  {
    struct sockaddr sa;
    struct sockaddr_un sun;
    struct sockaddr_vm svm;
  } u;
  socklen_t len;
};

static int
addr_of (const struct agent_transport *t, const char *where, struct agent_addr *a, rv_error_t *err)
{
  memset (a, 0, sizeof (*a));
  switch (t->kind)
    {
    case AGENT_TRANSPORT_VSOCK:
      a->family = AF_VSOCK;
      a->u.svm.svm_family = AF_VSOCK;
      a->u.svm.svm_cid = t->cid;
      a->u.svm.svm_port = t->port;
      a->len = sizeof (a->u.svm);
      return 0;
    case AGENT_TRANSPORT_HYBRID_VSOCK:
    case AGENT_TRANSPORT_UNIX:
      if (t->path[0] == '\0' || strnlen (t->path, sizeof (t->path)) >= sizeof (a->u.sun.sun_path))
        return rv_error_set (err, EINVAL, "dial agent at `%s`: invalid socket path", where);
      a->family = AF_UNIX;
      a->u.sun.sun_family = AF_UNIX;
      memcpy (a->u.sun.sun_path, t->path, strlen (t->path) + 1);
      a->len = sizeof (a->u.sun);
      return 0;
    default:
      return rv_error_set (err, EINVAL, "dial agent: unknown transport kind %d", (int) t->kind);
    }
}

/* One connection attempt by DEADLINE: 1 with *RET_FD (blocking), 0 with
 * *RET_REFUSAL when the port is not up yet (what agent_dial retries), or
 * a negative errno with ERR set.  */
static int
attempt (const struct agent_transport *t, const struct agent_addr *a, const char *where, long long deadline,
         int *ret_fd, int *ret_refusal, rv_error_t *err)
{
  char line[HYBRID_LINE_MAX];
  _cleanup_close_ int fd = connect_once (a->family, &a->u.sa, a->len, deadline);
  int e;

  if (fd >= 0 && t->kind == AGENT_TRANSPORT_HYBRID_VSOCK)
    {
      int r = hybrid_handshake (fd, t->port, deadline, line, sizeof (line));
      if (r == -EPROTO)
        return rv_error_set (err, EPROTO, "dial agent at `%s`: unexpected reply to CONNECT: `%s`", where,
                             line);
      if (r < 0)
        {
          (void) close (TAKE_FD (fd));
          fd = r;
        }
    }
  if (fd >= 0)
    {
      if (fd_set_nonblock (fd, false) < 0)
        return rv_error_make (err, errno, "dial agent at `%s`", where);
      *ret_fd = TAKE_FD (fd);
      return 1;
    }
  e = -fd;
  fd = -1;
  if (!retryable (e))
    return rv_error_make (err, e, "dial agent at `%s`", where);
  *ret_refusal = e;
  return 0;
}

int
agent_dial_once (const struct agent_transport *t, int timeout_ms, int *ret_fd, rv_error_t *err)
{
  _cleanup_free_ char *where = agent_transport_to_string (t);
  struct agent_addr a;
  int refusal = 0, r;

  r = addr_of (t, where, &a, err);
  if (r < 0)
    return r;
  return attempt (t, &a, where, timeout_ms < 0 ? -1 : agent_now_ms () + timeout_ms, ret_fd, &refusal, err);
}

int
agent_dial (const struct agent_transport *t, int timeout_ms, int *ret_fd, rv_error_t *err)
{
  _cleanup_free_ char *where = agent_transport_to_string (t);
  long long deadline = timeout_ms < 0 ? -1 : agent_now_ms () + timeout_ms;
  struct agent_addr a;
  int pause_ms = 5, last = 0, r;

  r = addr_of (t, where, &a, err);
  if (r < 0)
    return r;
  for (;;)
    {
      int left;

      r = attempt (t, &a, where, deadline, ret_fd, &last, err);
      if (r != 0)
        return r < 0 ? r : 0;
      left = agent_ms_left (deadline);
      if (left == 0)
        break;
      if (left > 0 && pause_ms > left)
        pause_ms = left;
      (void) poll (NULL, 0, pause_ms);
      pause_ms = pause_ms * 2 > 100 ? 100 : pause_ms * 2;
      if (agent_ms_left (deadline) == 0)
        break;
    }
  if (last == ECONNREFUSED && t->kind == AGENT_TRANSPORT_HYBRID_VSOCK)
    return rv_error_set (err, ETIMEDOUT, "dial agent at `%s`: port %u refused connections for %d ms", where,
                         t->port, timeout_ms);
  return rv_error_set (err, ETIMEDOUT, "dial agent at `%s`: no connection within %d ms (last: %s)", where,
                       timeout_ms, strerror (last));
}
