/* Host-side terminals: the pty whose master goes to the engine over
 * --console-socket, fd passing, and raw mode for a user's own terminal.  */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/rt_impl.h"

int
rt_pty_open (unsigned rows, unsigned cols, int *ret_master, int *ret_slave, char **ret_name, rv_error_t *err)
{
  _cleanup_close_ int master = -1, slave = -1;
  char name[64];
  struct termios t;

  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return rv_error_make (err, errno, "open a pseudo-terminal");
  if (grantpt (master) < 0 || unlockpt (master) < 0)
    return rv_error_make (err, errno, "unlock the pseudo-terminal");
  if (ptsname_r (master, name, sizeof (name)) != 0)
    return rv_error_make (err, errno, "name the pseudo-terminal");
  slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return rv_error_make (err, errno, "open `%s`", name);
  if (tcgetattr (slave, &t) < 0)
    return rv_error_make (err, errno, "tcgetattr `%s`", name);
  cfmakeraw (&t);
  if (tcsetattr (slave, TCSANOW, &t) < 0)
    return rv_error_make (err, errno, "tcsetattr `%s`", name);
  if (rows || cols)
    {
      struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
      if (ioctl (master, TIOCSWINSZ, &ws) < 0)
        return rv_error_make (err, errno, "set the size of `%s`", name);
    }
  if (ret_name)
    *ret_name = xstrdup (name);
  *ret_master = TAKE_FD (master);
  *ret_slave = TAKE_FD (slave);
  return 0;
}

int
rt_unix_connect (const char *path, int *ret_fd, rv_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_close_ int fd = -1, dir_fd = -1;
  _cleanup_free_ char *copy = NULL, *via = NULL;
  const char *target = path;

  if (strlen (path) >= sizeof (addr.sun_path))
    {
      _cleanup_free_ char *base = xstrdup (path);
      copy = xstrdup (path);
      dir_fd = open (dirname (copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd < 0)
        return rv_error_make (err, errno, "open the directory of `%s`", path);
      via = xasprintf ("/proc/self/fd/%d/%s", dir_fd, basename (base));
      if (strlen (via) >= sizeof (addr.sun_path))
        return rv_error_set (err, ENAMETOOLONG, "socket name `%s` is too long", path);
      target = via;
    }
  memcpy (addr.sun_path, target, strlen (target) + 1);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return rv_error_make (err, errno, "socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return rv_error_make (err, errno, "connect to `%s`", path);
  *ret_fd = TAKE_FD (fd);
  return 0;
}

int
rt_send_fd (const char *path, int fd, const char *name, rv_error_t *err)
{
  _cleanup_close_ int sock = -1;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = (void *) name, .iov_len = strlen (name) };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  struct cmsghdr *c;
  int r;

  r = rt_unix_connect (path, &sock, err);
  if (r < 0)
    return r;
  memset (u.buf, 0, sizeof (u.buf));
  c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  if (iov.iov_len == 0)
    {
      /* A message needs a byte of data to carry the fd.  */
      iov.iov_base = (void *) "\0";
      iov.iov_len = 1;
    }
  while (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return rv_error_make (err, errno, "send the file descriptor to `%s`", path);
  return 0;
}

int
rt_tty_raw (int fd, void *ret_saved, rv_error_t *err)
{
  struct termios t;
  if (tcgetattr (fd, &t) < 0)
    return rv_error_make (err, errno, "tcgetattr");
  memcpy (ret_saved, &t, sizeof (t));
  /* The guest's terminal does the line discipline (echo, \n to \r\n):
   * this one must pass bytes through unchanged.  */
  cfmakeraw (&t);
  if (tcsetattr (fd, TCSANOW, &t) < 0)
    return rv_error_make (err, errno, "tcsetattr");
  return 0;
}

void
rt_tty_restore (int fd, const void *saved)
{
  (void) tcsetattr (fd, TCSANOW, (const struct termios *) saved);
}

void
rt_tty_size (int fd, unsigned *ret_rows, unsigned *ret_cols)
{
  struct winsize ws = { 0 };
  if (ioctl (fd, TIOCGWINSZ, &ws) < 0)
    ws.ws_row = ws.ws_col = 0;
  *ret_rows = ws.ws_row;
  *ret_cols = ws.ws_col;
}
