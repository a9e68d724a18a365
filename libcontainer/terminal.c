#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/path.h"
#include "libcontainer/terminal.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

int
lc_term_resize (int fd, unsigned rows, unsigned cols, rv_error_t *err)
{
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    return rv_error_make (err, errno, "set the terminal size to %ux%u", cols, rows);
  return 0;
}

/* The slave of MASTER: TIOCGPTPEER (4.13+) opens it through the master,
 * so a path swapped under /dev/pts cannot be opened instead.  */
static int
open_slave (int master, rv_error_t *err)
{
  char name[64];
  int fd;

  fd = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0)
    return fd;
  if (ptsname_r (master, name, sizeof (name)) != 0)
    return rv_error_make (err, errno, "ptsname");
  fd = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return rv_error_make (err, errno, "open `%s`", name);
  return fd;
}

static int
bind_console (int slave, rv_error_t *err)
{
  _cleanup_close_ int target = -1;
  _cleanup_close_ int root = -1;
  char src[32], dst[32];

  root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return rv_error_make (err, errno, "open `/`");
  /* /dev/console may be a symlink in an image: created where it points,
   * inside the root, as an empty file to bind the pty on.  */
  if (lc_path_create_in_root (root, "/dev/console", true, 0600, &target, err) < 0)
    return rv_error_wrap (err, "create /dev/console");
  if (mount (lc_path_fd_proc (slave, src), lc_path_fd_proc (target, dst), NULL, MS_BIND, NULL) < 0)
    return rv_error_make (err, errno, "bind the terminal on /dev/console");
  return 0;
}

int
lc_term_setup (bool has_size, const struct spec_box *size, bool bind_on_console, int *ret_master,
               rv_error_t *err)
{
  _cleanup_close_ int master = -1;
  _cleanup_close_ int slave = -1;
  int i, r;

  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return rv_error_make (err, errno, "open `/dev/ptmx` in the container");
  if (unlockpt (master) < 0)
    return rv_error_make (err, errno, "unlockpt");
  slave = open_slave (master, err);
  if (slave < 0)
    return slave;
  if (has_size && size->height > 0 && size->width > 0)
    {
      r = lc_term_resize (slave, size->height, size->width, err);
      if (r < 0)
        return r;
    }
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return rv_error_make (err, errno, "make the terminal the controlling terminal");
  if (bind_on_console)
    {
      r = bind_console (slave, err);
      if (r < 0)
        return r;
    }
  for (i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return rv_error_make (err, errno, "dup the terminal to fd %d", i);
  *ret_master = TAKE_FD (master);
  return 0;
}
