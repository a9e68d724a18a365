/* bench/vsock/vsock-bench: throughput and round-trip latency through
 * runvm-vsockd's hybrid-vsock socket, printed beside the same figures for
 * a host Unix socketpair measured in the same run (the ceiling).
 *
 *   vsock-bench --hybrid PATH [--port 5000] [--size MIB] [--seconds S]
 *
 * The far end speaks tests/vsock/guest.c's commands: DISCARD (host to
 * guest), FILL <n> (guest to host), ECHO (latency).  For the socketpair a
 * forked child plays that end.  Run by bench/vsock/run; not part of make
 * check.  */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)
#define MSG   64

static const char *hybrid_path;
static unsigned int port = 5000;
static uint64_t size = 128ull << 20;
static double seconds = 2.0;

static void __attribute__ ((noreturn, format (printf, 1, 2))) die (const char *fmt, ...)
{
  va_list ap;

  fputs ("vsock-bench: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (1);
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
write_full (int fd, const void *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        die ("write: %s", strerror (errno));
      buf = (const char *) buf + n;
      len -= (size_t) n;
    }
}

static void
read_full (int fd, void *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = read (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        die ("read: %s", n == 0 ? "end of file" : strerror (errno));
      buf = (char *) buf + n;
      len -= (size_t) n;
    }
}

static void
read_line (int fd, char *line, size_t max)
{
  size_t n = 0;

  while (n + 1 < max)
    {
      read_full (fd, line + n, 1);
      if (line[n++] == '\n')
        break;
    }
  line[n] = '\0';
}

/* The socketpair's far end: the same commands as the guest's /init.  */
static void __attribute__ ((noreturn)) serve (int fd)
{
  static char buf[CHUNK];
  char line[64];
  unsigned long long n;
  uint64_t total = 0;
  ssize_t r;

  read_line (fd, line, sizeof (line));
  if (strcmp (line, "DISCARD\n") == 0)
    {
      while ((r = read (fd, buf, sizeof (buf))) > 0)
        total += (uint64_t) r;
      dprintf (fd, "%" PRIu64 "\n", total);
    }
  else if (sscanf (line, "FILL %llu", &n) == 1)
    {
      memset (buf, 'f', sizeof (buf));
      while (n > 0)
        {
          size_t take = n < sizeof (buf) ? (size_t) n : sizeof (buf);
          write_full (fd, buf, take);
          n -= take;
        }
    }
  else if (strcmp (line, "ECHO\n") == 0)
    while ((r = read (fd, buf, sizeof (buf))) > 0)
      write_full (fd, buf, (size_t) r);
  _exit (0);
}

/* A stream to the far end running COMMAND.  */
static int
open_stream (bool hybrid, const char *command)
{
  int fd;

  if (hybrid)
    {
      struct sockaddr_un addr = { .sun_family = AF_UNIX };
      char line[64];

      if (strlen (hybrid_path) >= sizeof (addr.sun_path))
        die ("path too long");
      memcpy (addr.sun_path, hybrid_path, strlen (hybrid_path));
      fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
        die ("connect `%s`: %s", hybrid_path, strerror (errno));
      dprintf (fd, "CONNECT %u\n", port);
      read_line (fd, line, sizeof (line));
      if (strncmp (line, "OK ", 3) != 0)
        die ("CONNECT %u answered `%s`", port, line);
    }
  else
    {
      int sv[2];
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        die ("socketpair: %s", strerror (errno));
      switch (fork ())
        {
        case -1:
          die ("fork: %s", strerror (errno));
        case 0:
          close (sv[0]);
          serve (sv[1]);
        default:
          close (sv[1]);
        }
      fd = sv[0];
    }
  write_full (fd, command, strlen (command));
  return fd;
}

static void
reap (void)
{
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
}

static double
host_to_guest (bool hybrid)
{
  static char buf[CHUNK];
  char line[64];
  uint64_t left = size;
  double t0;
  int fd = open_stream (hybrid, "DISCARD\n");

  memset (buf, 'h', sizeof (buf));
  t0 = now_s ();
  while (left > 0)
    {
      size_t take = left < sizeof (buf) ? (size_t) left : sizeof (buf);
      write_full (fd, buf, take);
      left -= take;
    }
  shutdown (fd, SHUT_WR);
  read_line (fd, line, sizeof (line));
  t0 = now_s () - t0;
  if (strtoull (line, NULL, 10) != size)
    die ("the far end received %s bytes of %" PRIu64, line, size);
  close (fd);
  reap ();
  return (double) size / (1 << 20) / t0;
}

static double
guest_to_host (bool hybrid)
{
  static char buf[CHUNK];
  char cmd[64];
  uint64_t got = 0;
  double t0;
  ssize_t n;
  int fd;

  snprintf (cmd, sizeof (cmd), "FILL %" PRIu64 "\n", size);
  fd = open_stream (hybrid, cmd);
  t0 = now_s ();
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    got += (uint64_t) n;
  t0 = now_s () - t0;
  if (got != size)
    die ("received %" PRIu64 " bytes of %" PRIu64, got, size);
  close (fd);
  reap ();
  return (double) size / (1 << 20) / t0;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Round trips of MSG bytes for SECONDS; mean, median, 99th percentile in
 * microseconds.  */
static void
round_trip (bool hybrid, double *ret_mean, double *ret_p50, double *ret_p99, unsigned int *ret_n)
{
  static double samples[200000];
  char msg[MSG], back[MSG];
  unsigned int n = 0, i;
  double start, sum = 0;
  int fd = open_stream (hybrid, "ECHO\n");

  memset (msg, 'e', sizeof (msg));
  for (i = 0; i < 20; i++) /* warm up */
    {
      write_full (fd, msg, sizeof (msg));
      read_full (fd, back, sizeof (back));
    }
  start = now_s ();
  while (n < sizeof (samples) / sizeof (samples[0]) && now_s () - start < seconds)
    {
      double t0 = now_s ();
      write_full (fd, msg, sizeof (msg));
      read_full (fd, back, sizeof (back));
      samples[n] = (now_s () - t0) * 1e6;
      sum += samples[n++];
    }
  close (fd);
  reap ();
  qsort (samples, n, sizeof (samples[0]), cmp_double);
  *ret_mean = sum / n;
  *ret_p50 = samples[n / 2];
  *ret_p99 = samples[(size_t) ((double) n * 0.99)];
  *ret_n = n;
}

static void
row (const char *label, bool hybrid)
{
  double h2g = host_to_guest (hybrid), g2h = guest_to_host (hybrid), mean, p50, p99;
  unsigned int n;

  round_trip (hybrid, &mean, &p50, &p99, &n);
  printf ("%-26s %12.1f %12.1f %10.1f %10.1f %10.1f %8u\n", label, h2g, g2h, mean, p50, p99, n);
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "hybrid", required_argument, NULL, 'H' }, { "port", required_argument, NULL, 'p' },
    { "size", required_argument, NULL, 's' },   { "seconds", required_argument, NULL, 't' },
    { "label", required_argument, NULL, 'l' },  { NULL, 0, NULL, 0 },
  };
  const char *label = "runvm-vsockd (hybrid)";
  int c;

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'H':
        hybrid_path = optarg;
        break;
      case 'p':
        port = (unsigned int) strtoul (optarg, NULL, 10);
        break;
      case 's':
        size = strtoull (optarg, NULL, 10) << 20;
        break;
      case 't':
        seconds = strtod (optarg, NULL);
        break;
      case 'l':
        label = optarg;
        break;
      default:
        fprintf (stderr,
                 "usage: vsock-bench [--hybrid PATH [--port N] [--label TEXT]] [--size MIB] [--seconds S]\n");
        return 2;
      }
  if (size == 0 || seconds <= 0)
    die ("--size and --seconds must be positive");

  printf ("%" PRIu64 " MiB each way; round trips of %d bytes for %.1f s\n", size >> 20, MSG, seconds);
  printf ("%-26s %12s %12s %10s %10s %10s %8s\n", "transport", "h->g MiB/s", "g->h MiB/s", "rtt us", "p50 us",
          "p99 us", "trips");
  row ("host socketpair (ceiling)", false);
  if (hybrid_path)
    row (label, true);
  return 0;
}
