/* agent_dial against test servers: plain Unix sockets that appear late,
 * the hybrid vsock handshake (refusals, a slow OK, an OK split across
 * reads, garbage), and a vsock connect that never completes.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-client/dial.h"
#include "common/utils.h"

static char dir[] = "/tmp/runvm-dial-XXXXXX";
static char sock_path[96];
static pid_t server = -1;

static void
setup (void)
{
  cr_assert_not_null (mkdtemp (dir));
  snprintf (sock_path, sizeof (sock_path), "%s/vsock.sock", dir);
}

static void
teardown (void)
{
  if (server > 0)
    {
      kill (server, SIGKILL);
      waitpid (server, NULL, 0);
      server = -1;
    }
  unlink (sock_path);
  rmdir (dir);
}

static int
listen_at (const char *path)
{
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  snprintf (sun.sun_path, sizeof (sun.sun_path), "%s", path);
  if (fd < 0 || bind (fd, (struct sockaddr *) &sun, sizeof (sun)) < 0 || listen (fd, 16) < 0)
    _exit (90);
  return fd;
}

static void
msleep (int ms)
{
  poll (NULL, 0, ms);
}

/* Reads the CONNECT line a byte at a time; exits 91 if it is not
 * "CONNECT 1024\n".  */
static void
expect_connect (int c)
{
  char line[64];
  size_t n = 0;
  while (n < sizeof (line) - 1 && read (c, line + n, 1) == 1)
    if (line[n++] == '\n')
      break;
  line[n] = '\0';
  if (strcmp (line, "CONNECT 1024\n") != 0)
    _exit (91);
}

enum scenario
{
  REFUSE_THEN_OK,
  SLOW_OK,
  SPLIT_OK,
  REFUSE_FOREVER,
  GARBAGE,
};

/* The hybrid device's side, in a child.  After a successful handshake it
 * sends "payload" right behind the OK line, then echoes what it gets.  */
static void
start_hybrid_server (enum scenario sc, int delay_ms)
{
  server = fork ();
  cr_assert_geq (server, 0);
  if (server > 0)
    return;

  msleep (delay_ms);
  int l = listen_at (sock_path), refusals = 0;
  for (;;)
    {
      int c = accept (l, NULL, NULL);
      char buf[256];
      ssize_t n;
      if (c < 0)
        _exit (92);
      expect_connect (c);
      switch (sc)
        {
        case REFUSE_THEN_OK:
          if (refusals++ < 3)
            {
              close (c);
              continue;
            }
          write_all (c, "OK 1073741824\npayload", 21);
          break;
        case SLOW_OK:
          msleep (300);
          write_all (c, "OK 5\npayload", 12);
          break;
        case SPLIT_OK:
          write_all (c, "O", 1);
          msleep (50);
          write_all (c, "K 12", 4);
          msleep (50);
          write_all (c, "34\npay", 6);
          msleep (50);
          write_all (c, "load", 4);
          break;
        case REFUSE_FOREVER:
          close (c);
          continue;
        case GARBAGE:
          write_all (c, "NOPE\n", 5);
          msleep (1000);
          _exit (0);
        }
      while ((n = read (c, buf, sizeof (buf))) > 0)
        write_all (c, buf, (size_t) n);
      _exit (0);
    }
}

static struct agent_transport
hybrid (void)
{
  struct agent_transport t = { .kind = AGENT_TRANSPORT_HYBRID_VSOCK, .port = 1024 };
  snprintf (t.path, sizeof (t.path), "%s", sock_path);
  return t;
}

/* The payload behind the OK line reaches the caller whole: the dialer
 * swallowed nothing.  Then the socket carries the stream both ways.  */
static void
check_stream (int fd)
{
  char buf[16] = { 0 };
  cr_assert_eq (read_exact (fd, buf, 7), 0);
  cr_assert_str_eq (buf, "payload");
  cr_assert_eq (write_all (fd, "ping", 4), 0);
  memset (buf, 0, sizeof (buf));
  cr_assert_eq (read_exact (fd, buf, 4), 0);
  cr_assert_str_eq (buf, "ping");
}

TestSuite (dial, .init = setup, .fini = teardown, .timeout = 20);

Test (dial, hybrid_refusals_are_retried)
{
  struct agent_transport t = hybrid ();
  rv_error_t err = NULL;
  int fd = -1;

  start_hybrid_server (REFUSE_THEN_OK, 0);
  cr_assert_eq (agent_dial (&t, 5000, &fd, &err), 0, "%s", err ? err->msg : "");
  check_stream (fd);
  close (fd);
}

Test (dial, hybrid_slow_ok)
{
  struct agent_transport t = hybrid ();
  rv_error_t err = NULL;
  int fd = -1;

  start_hybrid_server (SLOW_OK, 0);
  cr_assert_eq (agent_dial (&t, 5000, &fd, &err), 0, "%s", err ? err->msg : "");
  check_stream (fd);
  close (fd);
}

Test (dial, hybrid_ok_split_across_reads)
{
  struct agent_transport t = hybrid ();
  rv_error_t err = NULL;
  int fd = -1;

  start_hybrid_server (SPLIT_OK, 0);
  cr_assert_eq (agent_dial (&t, 5000, &fd, &err), 0, "%s", err ? err->msg : "");
  check_stream (fd);
  close (fd);
}

Test (dial, hybrid_socket_appears_late)
{
  struct agent_transport t = hybrid ();
  rv_error_t err = NULL;
  int fd = -1;

  start_hybrid_server (SLOW_OK, 400);
  cr_assert_eq (agent_dial (&t, 5000, &fd, &err), 0, "%s", err ? err->msg : "");
  check_stream (fd);
  close (fd);
}

Test (dial, hybrid_refused_until_deadline)
{
  struct agent_transport t = hybrid ();
  rv_error_t err = NULL;
  long long start;
  int fd = -1;

  start_hybrid_server (REFUSE_FOREVER, 0);
  start = agent_now_ms ();
  cr_assert_eq (agent_dial (&t, 500, &fd, &err), -ETIMEDOUT);
  cr_assert_geq (agent_now_ms () - start, 450);
  cr_assert_lt (agent_now_ms () - start, 2000);
  cr_assert (strstr (err->msg, "port 1024 refused connections for 500 ms") != NULL, "%s", err->msg);
  cr_assert_eq (fd, -1);
  rv_error_release (&err);
}

Test (dial, hybrid_garbage_fails_at_once)
{
  struct agent_transport t = hybrid ();
  rv_error_t err = NULL;
  long long start;
  int fd = -1;

  start_hybrid_server (GARBAGE, 0);
  start = agent_now_ms ();
  cr_assert_eq (agent_dial (&t, 5000, &fd, &err), -EPROTO);
  cr_assert_lt (agent_now_ms () - start, 900);
  cr_assert (strstr (err->msg, "unexpected reply to CONNECT: `NOPE`") != NULL, "%s", err->msg);
  rv_error_release (&err);
}

Test (dial, unix_missing_socket_times_out)
{
  struct agent_transport t = { .kind = AGENT_TRANSPORT_UNIX };
  rv_error_t err = NULL;
  int fd = -1;

  snprintf (t.path, sizeof (t.path), "%s/none.sock", dir);
  cr_assert_eq (agent_dial (&t, 200, &fd, &err), -ETIMEDOUT);
  cr_assert (strstr (err->msg, "No such file or directory") != NULL, "%s", err->msg);
  rv_error_release (&err);

  /* No retries when asked for one attempt.  */
  cr_assert_eq (agent_dial (&t, 0, &fd, &err), -ETIMEDOUT);
  rv_error_release (&err);
}

Test (dial, unix_plain)
{
  struct agent_transport t = { .kind = AGENT_TRANSPORT_UNIX };
  rv_error_t err = NULL;
  int fd = -1, l, c;
  char buf[4];

  snprintf (t.path, sizeof (t.path), "%s", sock_path);
  l = listen_at (sock_path);
  cr_assert_eq (agent_dial (&t, 1000, &fd, &err), 0, "%s", err ? err->msg : "");
  c = accept (l, NULL, NULL);
  cr_assert_geq (c, 0);
  /* Blocking and close-on-exec, as documented.  */
  cr_assert_eq (fcntl (fd, F_GETFL) & O_NONBLOCK, 0);
  cr_assert (fcntl (fd, F_GETFD) & FD_CLOEXEC);
  cr_assert_eq (write_all (c, "abc", 3), 0);
  cr_assert_eq (read_exact (fd, buf, 3), 0);
  cr_assert_eq (memcmp (buf, "abc", 3), 0);
  close (c);
  close (l);
  close (fd);
}

Test (dial, vsock_connect_is_bounded)
{
  struct agent_transport t = { .kind = AGENT_TRANSPORT_VSOCK, .cid = 1, .port = 47123 };
  rv_error_t err = NULL;
  long long start;
  int fd = -1, s;

  s = socket (AF_VSOCK, SOCK_STREAM, 0);
  if (s < 0)
    cr_skip_test ("no AF_VSOCK here");
  close (s);
  /* Nobody listens: whether the kernel refuses or lets the connect hang,
   * the dial ends by its deadline.  */
  start = agent_now_ms ();
  cr_assert_lt (agent_dial (&t, 300, &fd, &err), 0);
  cr_assert_lt (agent_now_ms () - start, 1500);
  cr_assert (strstr (err->msg, "vsock:1:47123") != NULL, "%s", err->msg);
  rv_error_release (&err);
}

static void
stop_server (void)
{
  kill (server, SIGKILL);
  waitpid (server, NULL, 0);
  server = -1;
  unlink (sock_path);
}

/* One attempt, for callers that retry on their own schedule (the
 * launchers while the VM boots): a refusal is 0, not an error; the
 * handshake is the same as agent_dial's.  */
Test (dial, once_tells_a_refusal_from_an_error)
{
  struct agent_transport t = hybrid ();
  rv_error_t err = NULL;
  int fd = -1;

  /* No socket yet, then a device that closes after CONNECT.  */
  cr_assert_eq (agent_dial_once (&t, 200, &fd, &err), 0, "%s", err ? err->msg : "");
  cr_assert_null (err);
  start_hybrid_server (REFUSE_FOREVER, 0);
  msleep (100);
  cr_assert_eq (agent_dial_once (&t, 200, &fd, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (fd, -1);
  stop_server ();

  start_hybrid_server (SLOW_OK, 0);
  msleep (100);
  cr_assert_eq (agent_dial_once (&t, 2000, &fd, &err), 1, "%s", err ? err->msg : "");
  check_stream (fd);
  close (fd);
  stop_server ();

  start_hybrid_server (GARBAGE, 0);
  msleep (100);
  cr_assert_eq (agent_dial_once (&t, 2000, &fd, &err), -EPROTO);
  cr_assert (strstr (err->msg, "unexpected reply to CONNECT: `NOPE`") != NULL, "%s", err->msg);
  rv_error_release (&err);
}
