#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/sync.h"

#define TEXT_MAX 4000

struct wire
{
  uint32_t type;
  int32_t status;
  int64_t value;
  char text[TEXT_MAX];
};

static const char *
type_name (uint32_t t)
{
  static const char *const names[]
      = { "?", "pid", "go", "hooks", "seccomp", "ready", "start", "execing", "error", "mountfd" };
  return t < ARRAY_SIZE (names) ? names[t] : "?";
}

int
lc_sync_send (int sock, enum lc_sync_type type, int64_t value, const char *text, int fd, rv_error_t *err)
{
  struct wire w;
  struct iovec iov;
  struct msghdr msg;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  size_t tlen = text ? strlen (text) : 0;
  ssize_t n;

  memset (&w, 0, sizeof (w));
  w.type = type;
  w.value = value;
  if (tlen >= TEXT_MAX)
    tlen = TEXT_MAX - 1;
  if (tlen)
    memcpy (w.text, text, tlen);
  iov.iov_base = &w;
  iov.iov_len = offsetof (struct wire, text) + tlen + 1;
  memset (&msg, 0, sizeof (msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0)
    {
      struct cmsghdr *c;
      memset (&u, 0, sizeof (u));
      msg.msg_control = u.buf;
      msg.msg_controllen = sizeof (u.buf);
      c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return rv_error_make (err, errno, "send `%s` to the %s", type_name (type), "other side");
  return 0;
}

void
lc_sync_send_error (int sock, rv_error_t e)
{
  struct wire w;
  size_t tlen;

  memset (&w, 0, sizeof (w));
  w.type = LC_SYNC_ERROR;
  w.status = e ? e->status : EIO;
  tlen = e && e->msg ? strlen (e->msg) : 0;
  if (tlen >= TEXT_MAX)
    tlen = TEXT_MAX - 1;
  if (tlen)
    memcpy (w.text, e->msg, tlen);
  (void) send (sock, &w, offsetof (struct wire, text) + tlen + 1, MSG_NOSIGNAL);
}

void
lc_sync_msg_clear (struct lc_sync_msg *m)
{
  free (m->text);
  m->text = NULL;
  if (m->fd >= 0)
    (void) close (m->fd);
  m->fd = -1;
}

int
lc_sync_recv (int sock, struct lc_sync_msg *ret, rv_error_t *err)
{
  _cleanup_free_ struct wire *w = xmalloc0 (sizeof (*w));
  struct iovec iov = { .iov_base = w, .iov_len = sizeof (*w) };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg;
  struct cmsghdr *c;
  ssize_t n;
  int fd = -1;

  memset (&msg, 0, sizeof (msg));
  memset (&u, 0, sizeof (u));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof (u.buf);
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return rv_error_make (err, errno, "receive from the container process");
  for (c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN (sizeof (int)))
      memcpy (&fd, CMSG_DATA (c), sizeof (int));
  if (n == 0)
    return rv_error_set (err, EPIPE, "the container process exited before finishing its setup");
  if ((size_t) n < offsetof (struct wire, text))
    {
      if (fd >= 0)
        close (fd);
      return rv_error_set (err, EPROTO, "short message from the container process (%zd bytes)", n);
    }
  /* The buffer was zeroed: the text ends within it.  */
  w->text[TEXT_MAX - 1] = '\0';
  ret->type = w->type;
  ret->status = w->status;
  ret->value = w->value;
  ret->text = xstrdup ((size_t) n > offsetof (struct wire, text) ? w->text : "");
  ret->fd = fd;
  return 0;
}

int
lc_sync_expect (int sock, enum lc_sync_type want, struct lc_sync_msg *ret, rv_error_t *err)
{
  struct lc_sync_msg m = { .fd = -1 };
  int r = lc_sync_recv (sock, &m, err);
  if (r < 0)
    return r;
  if (m.type == LC_SYNC_ERROR)
    {
      r = rv_error_set (err, m.status > 0 ? m.status : EIO, "%s", m.text);
      lc_sync_msg_clear (&m);
      return r;
    }
  if (m.type != want)
    {
      r = rv_error_set (err, EPROTO, "expected `%s` from the container process, got `%s`", type_name (want),
                        type_name (m.type));
      lc_sync_msg_clear (&m);
      return r;
    }
  if (ret)
    *ret = m;
  else
    lc_sync_msg_clear (&m);
  return 0;
}
