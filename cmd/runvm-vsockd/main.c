/* runvm-vsockd: a userspace virtio-vsock device for QEMU's
 * vhost-user-vsock-device / vhost-user-vsock-pci, exposing the guest's
 * vsock ports as hybrid-vsock Unix sockets.  See docs/vsock.md.
 *
 * Setup order: arguments; die with the parent (PR_SET_PDEATHSIG); signals
 * to a signalfd; the vhost-user listener (--socket) or inherited fd and the
 * hybrid listener; "ready"; accept QEMU's connection; the device; the
 * seccomp filter; the loop.  */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "common/log.h"
#include "common/utils.h"
#include "version.h"
#include "vm/vsock/device.h"
#include "vm/vsock/seccomp.h"

static const char usage_text[]
    = "Usage: runvm-vsockd (--socket PATH | --fd N) --uds-path PATH --guest-cid CID [OPTION]...\n"
      "\n"
      "A vhost-user back-end for QEMU's vhost-user-vsock-device and vhost-user-vsock-pci.\n"
      "The guest's vsock ports are reached through the hybrid-vsock Unix socket PATH:\n"
      "connect to it and write \"CONNECT <port>\\n\"; the answer is \"OK <hostport>\\n\",\n"
      "then the socket is the stream.  A guest connecting to CID 2 port P reaches the\n"
      "Unix socket PATH_P.  The daemon exits when QEMU disconnects, on SIGTERM or\n"
      "SIGINT, and when its parent dies.\n"
      "\n"
      "vhost-user connection (one of):\n"
      "  -s, --socket PATH        listen on PATH for QEMU (-chardev socket,id=ID,path=PATH);\n"
      "                           PATH is removed once QEMU has connected\n"
      "      --fd N               inherited socket N: connected (one end of a socketpair,\n"
      "                           QEMU holding the other as -chardev socket,id=ID,fd=M) or\n"
      "                           listening (one connection is accepted)\n"
      "\n"
      "Guest side:\n"
      "  -u, --uds-path PATH      hybrid-vsock socket to create (it must not exist)\n"
      "      --uds-fd N           inherited listening socket bound to --uds-path instead\n"
      "  -c, --guest-cid CID      the guest's context id, 3 to 4294967294\n"
      "\n"
      "Options:\n"
      "      --ready-fd N         write \"READY\\n\" to fd N and close it once QEMU may connect\n"
      "      --buf-size BYTES     per-connection receive buffer advertised to the guest\n"
      "                           (4096 to 67108864, default 262144)\n"
      "      --max-connections N  connections at once, host and guest initiated (default 1024)\n"
      "      --no-seccomp         do not confine the daemon with its seccomp filter\n"
      "      --seccomp-log        log filter violations instead of killing the daemon\n"
      "      --log PATH           log to PATH (default: standard error)\n"
      "      --log-format FORMAT  text (default) or json\n"
      "      --log-level LEVEL    error, warning (default), info, debug\n"
      "  -d, --debug              log level debug, and every vhost-user message and packet\n"
      "  -h, --help               this text\n"
      "  -v, --version            the version\n";

enum
{
  OPT_FD = 256,
  OPT_UDS_FD,
  OPT_READY_FD,
  OPT_BUF_SIZE,
  OPT_MAX_CONNS,
  OPT_NO_SECCOMP,
  OPT_SECCOMP_LOG,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_LOG_LEVEL,
};

static const struct option long_options[] = {
  { "socket", required_argument, NULL, 's' },
  { "fd", required_argument, NULL, OPT_FD },
  { "uds-path", required_argument, NULL, 'u' },
  { "uds-fd", required_argument, NULL, OPT_UDS_FD },
  { "guest-cid", required_argument, NULL, 'c' },
  { "ready-fd", required_argument, NULL, OPT_READY_FD },
  { "buf-size", required_argument, NULL, OPT_BUF_SIZE },
  { "max-connections", required_argument, NULL, OPT_MAX_CONNS },
  { "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
  { "seccomp-log", no_argument, NULL, OPT_SECCOMP_LOG },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
  { "debug", no_argument, NULL, 'd' },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, 'v' },
  { NULL, 0, NULL, 0 },
};

struct args
{
  const char *socket_path;
  int vhost_fd;
  const char *uds_path;
  int uds_fd;
  uint64_t guest_cid;
  bool have_cid;
  int ready_fd;
  uint64_t buf_size;
  uint64_t max_conns;
  bool seccomp;
  bool seccomp_log;
  const char *log_path;
  enum rv_log_format log_format;
  enum rv_log_level log_level;
  bool debug;
};

static void __attribute__ ((noreturn)) usage_error (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static void
usage_error (const char *fmt, ...)
{
  va_list ap;

  fputs ("runvm-vsockd: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputs ("\nTry 'runvm-vsockd --help'.\n", stderr);
  exit (2);
}

static void __attribute__ ((noreturn)) fail (rv_error_t err)
{
  rv_log (RV_LOG_ERROR, "runvm-vsockd: %s", err && err->msg ? err->msg : "unknown error");
  exit (1);
}

static int
parse_fd_arg (const char *opt, const char *s)
{
  int v;

  if (parse_int (s, &v) < 0 || v < 0)
    usage_error ("%s: `%s` is not a file descriptor", opt, s);
  return v;
}

static void
parse_args (int argc, char **argv, struct args *a)
{
  int c;

  *a = (struct args){
    .vhost_fd = -1,
    .uds_fd = -1,
    .ready_fd = -1,
    .buf_size = VSOCK_DEFAULT_BUF_ALLOC,
    .max_conns = VSOCK_DEFAULT_MAX_CONNS,
    .seccomp = true,
    .log_level = RV_LOG_WARNING,
  };
  while ((c = getopt_long (argc, argv, "s:u:c:dhv", long_options, NULL)) != -1)
    {
      switch (c)
        {
        case 's':
          a->socket_path = optarg;
          break;
        case OPT_FD:
          a->vhost_fd = parse_fd_arg ("--fd", optarg);
          break;
        case 'u':
          a->uds_path = optarg;
          break;
        case OPT_UDS_FD:
          a->uds_fd = parse_fd_arg ("--uds-fd", optarg);
          break;
        case 'c':
          if (parse_u64 (optarg, &a->guest_cid) < 0 || a->guest_cid < 3 || a->guest_cid > UINT32_MAX - 1)
            usage_error ("--guest-cid: `%s` is not a guest context id (3 to 4294967294)", optarg);
          a->have_cid = true;
          break;
        case OPT_READY_FD:
          a->ready_fd = parse_fd_arg ("--ready-fd", optarg);
          break;
        case OPT_BUF_SIZE:
          if (parse_u64 (optarg, &a->buf_size) < 0 || a->buf_size < 4096 || a->buf_size > 64 * 1024 * 1024)
            usage_error ("--buf-size: `%s` is not between 4096 and 67108864", optarg);
          break;
        case OPT_MAX_CONNS:
          if (parse_u64 (optarg, &a->max_conns) < 0 || a->max_conns < 1 || a->max_conns > 1000000)
            usage_error ("--max-connections: `%s` is not between 1 and 1000000", optarg);
          break;
        case OPT_NO_SECCOMP:
          a->seccomp = false;
          break;
        case OPT_SECCOMP_LOG:
          a->seccomp_log = true;
          break;
        case OPT_LOG:
          a->log_path = optarg;
          break;
        case OPT_LOG_FORMAT:
          if (strcmp (optarg, "text") == 0)
            a->log_format = RV_LOG_FORMAT_TEXT;
          else if (strcmp (optarg, "json") == 0)
            a->log_format = RV_LOG_FORMAT_JSON;
          else
            usage_error ("--log-format: `%s` is neither text nor json", optarg);
          break;
        case OPT_LOG_LEVEL:
          if (rv_log_level_parse (optarg, &a->log_level) < 0)
            usage_error ("--log-level: unknown level `%s`", optarg);
          break;
        case 'd':
          a->debug = true;
          a->log_level = RV_LOG_DEBUG;
          break;
        case 'h':
          fputs (usage_text, stdout);
          exit (0);
        case 'v':
          printf ("runvm-vsockd version %s\ncommit: %s\n", RUNVM_VERSION, RUNVM_COMMIT);
          exit (0);
        default:
          usage_error ("unknown option");
        }
    }
  if (optind < argc)
    usage_error ("unexpected argument `%s`", argv[optind]);
  if ((a->socket_path != NULL) == (a->vhost_fd >= 0))
    usage_error ("give exactly one of --socket and --fd");
  if (a->uds_path == NULL)
    usage_error ("--uds-path is required");
  if (!a->have_cid)
    usage_error ("--guest-cid is required");
}

/* SIGTERM, SIGINT and SIGHUP end the daemon through the loop; SIGPIPE is
 * ignored (every socket write reports EPIPE instead).  */
static int
setup_signals (rv_error_t *err)
{
  sigset_t set;
  int fd;

  signal (SIGPIPE, SIG_IGN);
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGHUP);
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
    return rv_error_make (err, errno, "sigprocmask");
  fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0)
    return rv_error_make (err, errno, "signalfd");
  return fd;
}

/* Room for every connection's socket, within the hard limit (raising the
 * soft limit needs no privilege).  Returns how many connections fit.  */
static uint64_t
fit_max_conns (uint64_t want)
{
  struct rlimit rl;
  const uint64_t reserve = 64; /* listeners, eventfds, log, handshakes */

  if (getrlimit (RLIMIT_NOFILE, &rl) < 0)
    return want;
  if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < want + reserve)
    {
      rl.rlim_cur
          = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want + reserve ? want + reserve : rl.rlim_max;
      (void) setrlimit (RLIMIT_NOFILE, &rl);
      (void) getrlimit (RLIMIT_NOFILE, &rl);
    }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want + reserve)
    return rl.rlim_cur > reserve ? rl.rlim_cur - reserve : 1;
  return want;
}

/* Waits for one connection on LISTEN_FD, or for a stop signal (returns
 * -ECANCELED).  */
static int
accept_one (int listen_fd, int stop_fd, rv_error_t *err)
{
  for (;;)
    {
      struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN }, { .fd = stop_fd, .events = POLLIN } };
      int fd;

      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return rv_error_make (err, errno, "poll");
        }
      if (p[1].revents)
        return rv_error_set (err, ECANCELED, "stopped before QEMU connected");
      fd = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (fd >= 0)
        return fd;
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        return rv_error_make (err, errno, "accept the vhost-user connection");
    }
}

static int
socket_is_listening (int fd, rv_error_t *err)
{
  int v = 0, domain = 0;
  socklen_t len = sizeof (domain);

  if (getsockopt (fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
    return rv_error_make (err, errno, "--fd %d is not a socket", fd);
  if (domain != AF_UNIX)
    return rv_error_set (err, EINVAL, "--fd %d is not a Unix socket", fd);
  len = sizeof (v);
  if (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0)
    return rv_error_make (err, errno, "getsockopt (--fd %d)", fd);
  return v != 0;
}

int
main (int argc, char **argv)
{
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_close_ int stop_fd = -1, listen_fd = -1, log_fd = -1, uds_fd = -1;
  struct vsock_device *dev = NULL;
  struct vsock_device_config cfg;
  struct args a;
  bool uds_created = false;
  pid_t parent;
  int vhost_fd = -1, r;

  parse_args (argc, argv, &a);
  if (a.log_path)
    {
      log_fd = open (a.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (log_fd < 0)
        {
          fprintf (stderr, "runvm-vsockd: open `%s`: %s\n", a.log_path, strerror (errno));
          return 1;
        }
    }
  rv_log_setup (log_fd >= 0 ? log_fd : STDERR_FILENO, a.log_format, a.log_level);

  /* The launcher is our parent; when it goes, so do we.  Checked after
   * the prctl, in case it went before.  */
  parent = getppid ();
  if (prctl (PR_SET_PDEATHSIG, SIGTERM) < 0)
    fail ((rv_error_make (&err, errno, "prctl (PR_SET_PDEATHSIG)"), err));
  if (getppid () != parent)
    return 0;

  stop_fd = setup_signals (&err);
  if (stop_fd < 0)
    fail (err);

  if (a.socket_path)
    {
      listen_fd = vsock_muxer_listen (a.socket_path, &err);
      if (listen_fd < 0)
        fail (err);
    }
  else
    {
      r = socket_is_listening (a.vhost_fd, &err);
      if (r < 0)
        fail (err);
      if (r > 0)
        listen_fd = a.vhost_fd;
      else
        vhost_fd = a.vhost_fd;
    }

  if (a.uds_fd >= 0)
    uds_fd = a.uds_fd;
  else
    {
      uds_fd = vsock_muxer_listen (a.uds_path, &err);
      if (uds_fd < 0)
        {
          if (a.socket_path)
            (void) unlink (a.socket_path);
          fail (err);
        }
      uds_created = true;
    }

  if (a.ready_fd >= 0)
    {
      (void) write_all (a.ready_fd, "READY\n", 6);
      (void) close (a.ready_fd);
    }

  if (listen_fd >= 0)
    {
      (void) fd_set_nonblock (listen_fd, true);
      vhost_fd = accept_one (listen_fd, stop_fd, &err);
      /* One front-end per daemon: nobody else may connect.  */
      if (a.socket_path)
        (void) unlink (a.socket_path);
      cleanup_closep (&listen_fd);
      listen_fd = -1;
      if (vhost_fd < 0)
        {
          if (uds_created)
            (void) unlink (a.uds_path);
          if (err->status == ECANCELED)
            return 0;
          fail (err);
        }
    }
  rv_info ("runvm-vsockd: front-end connected; guest CID %llu on `%s`", (unsigned long long) a.guest_cid,
           a.uds_path);
  (void) fd_set_nonblock (vhost_fd, false);
  (void) fd_set_cloexec (vhost_fd, true);

  cfg = (struct vsock_device_config){
    .vhost_fd = vhost_fd,
    .uds_path = a.uds_path,
    .uds_listen_fd = TAKE_FD (uds_fd),
    .uds_unlink = uds_created,
    .guest_cid = a.guest_cid,
    .buf_alloc = (uint32_t) a.buf_size,
    .max_conns = (unsigned int) fit_max_conns (a.max_conns),
    .stop_fd = stop_fd,
    .debug = a.debug,
  };
  r = vsock_device_new (&cfg, &dev, &err);
  if (r < 0)
    fail (err);

  if (a.seccomp)
    {
      r = vsock_seccomp_apply (a.seccomp_log, &err);
      if (r < 0)
        {
          vsock_device_free (dev);
          fail (err);
        }
    }

  r = vsock_device_run (dev, &err);
  rv_debug ("runvm-vsockd: %llu vhost-user messages, %llu packets from the guest, %llu to it, %llu malformed",
            (unsigned long long) dev->stats.vhost_messages, (unsigned long long) dev->stats.tx_packets,
            (unsigned long long) dev->stats.rx_packets, (unsigned long long) dev->stats.bad_packets);
  if (dev->stats.ring_errors > 0)
    rv_warning (
        "runvm-vsockd: the guest broke a virtqueue %llu time(s), last the %s ring: %s; its connections "
        "were reset",
        (unsigned long long) dev->stats.ring_errors,
        dev->stats.last_ring_error_queue == VSOCK_VQ_RX ? "rx" : "tx",
        vsock_vq_error_str (dev->stats.last_ring_error));
  vsock_device_free (dev);
  if (r < 0)
    fail (err);
  rv_info ("runvm-vsockd: QEMU disconnected or stop requested; exiting");
  return 0;
}
