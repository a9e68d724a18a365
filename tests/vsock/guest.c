/* /init of the vsock integration test's guest (tests/vsock/run) and of the
 * benchmark (bench/vsock/run).
 *
 * Loads the vsock modules, then serves vsock port 5000 (or vsockguest.port=
 * from the kernel command line).  Each connection starts with one command
 * line and is served by a child process:
 *   PING                  -> "PONG\n"
 *   ECHO                  echoes everything until end of file
 *   SINK                  reads until end of file, answers "<bytes> <crc32>\n"
 *   SOURCE <n> <seed>     sends n pseudo-random bytes, then "<crc32>\n"
 *   CONNECT <port> <n>    connects to the host (CID 2) on <port>, sends n
 *                         pseudo-random bytes, shuts down its sending side,
 *                         reads until end of file, answers
 *                         "OK <sent crc32> <received bytes> <received crc32>\n"
 *                         or "ERR <errno>\n"
 *   DISCARD               reads until end of file, answers "<bytes>\n"
 *   FILL <n>              sends n bytes of a constant buffer
 *   POWEROFF              powers the machine off
 *   REBOOT                restarts the machine (the device is reset)
 * DISCARD and FILL do no work per byte, for bench/vsock.
 * crc32 is zlib's (8 hex digits).  PID 1 must never exit: on a fatal error
 * it powers off.  */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "common/error.h"
#include "common/kmod.h"
#include "common/utils.h"

#define CHUNK (64 * 1024)

static void __attribute__ ((noreturn)) poweroff (void)
{
  sync ();
  reboot (RB_POWER_OFF);
  for (;;)
    pause ();
}

static void __attribute__ ((noreturn, format (printf, 1, 2))) die (const char *fmt, ...)
{
  va_list ap;

  fputs ("vsock-guest: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputs ("\n", stderr);
  if (getpid () == 1)
    poweroff ();
  _exit (1);
}

static uint32_t crc_table[256];

static void
crc_init (void)
{
  uint32_t i, j, c;

  for (i = 0; i < 256; i++)
    {
      for (c = i, j = 0; j < 8; j++)
        c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      crc_table[i] = c;
    }
}

static uint32_t
crc_update (uint32_t crc, const uint8_t *p, size_t n)
{
  crc = ~crc;
  while (n--)
    crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

/* xorshift64*: a cheap stream the host can check by its crc.  */
static void
prng_fill (uint64_t *state, uint8_t *buf, size_t n)
{
  size_t i;

  for (i = 0; i < n; i += 8)
    {
      uint64_t x = *state, out;
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      *state = x;
      out = x * 0x2545f4914f6cdd1dull;
      memcpy (buf + i, &out, n - i < 8 ? n - i : 8);
    }
}

static int
write_str (int fd, const char *fmt, ...)
{
  char line[128];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (line, sizeof (line), fmt, ap);
  va_end (ap);
  return write_all (fd, line, (size_t) n);
}

static int
read_line (int fd, char *line, size_t max)
{
  size_t n = 0;

  while (n + 1 < max)
    {
      ssize_t r = read (fd, line + n, 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return -1;
      if (line[n] == '\n')
        {
          line[n] = '\0';
          return 0;
        }
      n++;
    }
  return -1;
}

static void
do_echo (int fd)
{
  static uint8_t buf[CHUNK];

  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      if (write_all (fd, buf, (size_t) n) < 0)
        return;
    }
}

static void
do_sink (int fd)
{
  static uint8_t buf[CHUNK];
  uint64_t total = 0;
  uint32_t crc = 0;

  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return;
      if (n == 0)
        break;
      crc = crc_update (crc, buf, (size_t) n);
      total += (uint64_t) n;
    }
  (void) write_str (fd, "%" PRIu64 " %08x\n", total, crc);
}

static void
do_discard (int fd)
{
  static uint8_t buf[CHUNK];
  uint64_t total = 0;

  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return;
      if (n == 0)
        break;
      total += (uint64_t) n;
    }
  (void) write_str (fd, "%" PRIu64 "\n", total);
}

static void
do_fill (int fd, uint64_t n)
{
  static uint8_t buf[CHUNK];

  memset (buf, 'f', sizeof (buf));
  while (n > 0)
    {
      size_t take = n < sizeof (buf) ? (size_t) n : sizeof (buf);
      if (write_all (fd, buf, take) < 0)
        return;
      n -= take;
    }
}

static void
do_source (int fd, uint64_t n, uint64_t seed)
{
  static uint8_t buf[CHUNK];
  uint64_t state = seed * 0x9e3779b97f4a7c15ull | 1;
  uint32_t crc = 0;

  while (n > 0)
    {
      size_t take = n < sizeof (buf) ? (size_t) n : sizeof (buf);
      prng_fill (&state, buf, take);
      crc = crc_update (crc, buf, take);
      if (write_all (fd, buf, take) < 0)
        return;
      n -= take;
    }
  (void) write_str (fd, "%08x\n", crc);
}

static void
do_connect (int ctl, uint32_t port, uint64_t n)
{
  struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = port };
  static uint8_t out[CHUNK], in[CHUNK];
  uint64_t state = (uint64_t) port * 0x9e3779b97f4a7c15ull | 1, received = 0;
  size_t out_len = 0, out_off = 0;
  uint32_t sent_crc = 0, recv_crc = 0;
  bool eof = false, shut = false;
  int fd;

  fd = socket (AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    {
      (void) write_str (ctl, "ERR %d\n", errno);
      return;
    }
  (void) fd_set_nonblock (fd, true);
  while (!eof)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (!shut)
        p.events |= POLLOUT;
      if (poll (&p, 1, -1) < 0)
        continue;
      if (p.revents & POLLOUT)
        {
          if (out_off == out_len && n > 0)
            {
              out_len = n < sizeof (out) ? (size_t) n : sizeof (out);
              out_off = 0;
              prng_fill (&state, out, out_len);
              sent_crc = crc_update (sent_crc, out, out_len);
              n -= out_len;
            }
          if (out_off < out_len)
            {
              ssize_t w = write (fd, out + out_off, out_len - out_off);
              if (w > 0)
                out_off += (size_t) w;
              else if (errno != EAGAIN && errno != EINTR)
                break;
            }
          if (out_off == out_len && n == 0)
            {
              shutdown (fd, SHUT_WR);
              shut = true;
            }
        }
      if (p.revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t r = read (fd, in, sizeof (in));
          if (r > 0)
            {
              recv_crc = crc_update (recv_crc, in, (size_t) r);
              received += (uint64_t) r;
            }
          else if (r == 0 || (errno != EAGAIN && errno != EINTR))
            eof = true;
        }
    }
  close (fd);
  (void) write_str (ctl, "OK %08x %" PRIu64 " %08x\n", sent_crc, received, recv_crc);
}

static void
serve (int fd)
{
  char line[128];
  unsigned long long a, b;
  unsigned int port;

  if (read_line (fd, line, sizeof (line)) < 0)
    return;
  if (strcmp (line, "PING") == 0)
    (void) write_str (fd, "PONG\n");
  else if (strcmp (line, "ECHO") == 0)
    do_echo (fd);
  else if (strcmp (line, "SINK") == 0)
    do_sink (fd);
  else if (strcmp (line, "DISCARD") == 0)
    do_discard (fd);
  else if (sscanf (line, "FILL %llu", &a) == 1)
    do_fill (fd, a);
  else if (sscanf (line, "SOURCE %llu %llu", &a, &b) == 2)
    do_source (fd, a, b);
  else if (sscanf (line, "CONNECT %u %llu", &port, &a) == 2)
    do_connect (fd, port, a);
  else if (strcmp (line, "POWEROFF") == 0 || strcmp (line, "REBOOT") == 0)
    {
      (void) write_str (fd, "BYE\n");
      close (fd);
      kill (1, line[0] == 'P' ? SIGUSR1 : SIGUSR2);
    }
  else
    (void) write_str (fd, "ERR unknown command\n");
}

static void
on_poweroff (int sig)
{
  if (sig == SIGUSR2)
    {
      sync ();
      reboot (RB_AUTOBOOT);
    }
  poweroff ();
}

static unsigned int
cmdline_port (void)
{
  _cleanup_free_ char *cmdline = NULL;
  rv_error_t err = NULL;
  const char *p;
  unsigned int port = 5000;

  if (read_file ("/proc/cmdline", 65536, &cmdline, NULL, &err) < 0)
    {
      rv_error_release (&err);
      return port;
    }
  p = strstr (cmdline, "vsockguest.port=");
  if (p)
    port = (unsigned int) strtoul (p + strlen ("vsockguest.port="), NULL, 10);
  return port;
}

int
main (void)
{
  struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY };
  rv_error_t err = NULL;
  int lfd, con;

  (void) mount ("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  (void) mount ("proc", "/proc", "proc", 0, NULL);
  con = open ("/dev/console", O_RDWR | O_NOCTTY);
  if (con >= 0)
    {
      dup2 (con, 0);
      dup2 (con, 1);
      dup2 (con, 2);
      if (con > 2)
        close (con);
    }
  setvbuf (stdout, NULL, _IONBF, 0);
  crc_init ();
  if (kmod_load_list ("/lib/modules/load", NULL, &err) < 0)
    die ("%s", err->msg);

  /* Children are reaped by the kernel; SIGUSR1 and SIGUSR2 (from a
   * POWEROFF or REBOOT child) power off or restart from PID 1.  */
  signal (SIGCHLD, SIG_IGN);
  signal (SIGPIPE, SIG_IGN);
  signal (SIGUSR1, on_poweroff);
  signal (SIGUSR2, on_poweroff);

  addr.svm_port = cmdline_port ();
  lfd = socket (AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0)
    die ("socket (AF_VSOCK): %s", strerror (errno));
  if (bind (lfd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    die ("bind vsock port %u: %s", addr.svm_port, strerror (errno));
  if (listen (lfd, 256) < 0)
    die ("listen: %s", strerror (errno));
  printf ("vsock-guest: listening on vsock port %u\n", addr.svm_port);

  for (;;)
    {
      int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
      pid_t pid;

      if (fd < 0)
        continue;
      pid = fork ();
      if (pid == 0)
        {
          close (lfd);
          signal (SIGUSR1, SIG_DFL);
          signal (SIGUSR2, SIG_DFL);
          serve (fd);
          close (fd);
          _exit (0);
        }
      close (fd);
    }
}
