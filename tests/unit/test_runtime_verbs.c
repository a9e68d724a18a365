/* The verbs on a running container, through the command line with the
 * `host` launcher: exec and its flags (foreground, detached, --process),
 * ps, pause and resume, update, events, kill --all, and a terminal whose
 * pty master arrives over --console-socket and is typed into.  */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/utils.h"
#include "tests/unit/support/bundle.h"

static struct tb t;

static void
setup (void)
{
  tb_init (&t);
}

static void
teardown (void)
{
  tb_fini (&t);
}

TestSuite (runtime_verbs, .init = setup, .fini = teardown, .timeout = 60);

/* A container running SCRIPT (PID 1 of its pid namespace), detached;
 * returns the monitor's PID.  */
static pid_t
start_script (const char *id, const char *script, const char *extra)
{
  _cleanup_free_ char *pidfile = xasprintf ("%s/pid-%s", t.dir, id), *pidtext = NULL;
  _cleanup_free_ char *ex = xasprintf ("\"annotations\": {\"x\": \"y\"}, %s", extra);
  struct tb_result r = { 0 };
  pid_t pid;

  tb_config (&t, script, TB_NS_DEFAULT, ex);
  tb_runvm (&t, &r, NULL, "run", "-d", "-b", t.bundle, "--pid-file", pidfile, id, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  pidtext = tb_read (pidfile);
  pid = atoi (pidtext);
  cr_assert_gt (pid, 0);
  return pid;
}

static pid_t
start_sleeper (const char *id, const char *extra)
{
  return start_script (id, "trap 'exit 9' TERM; while :; do sleep 0.05; done", extra);
}

Test (runtime_verbs, exec_in_the_foreground_with_flags)
{
  struct tb_result r = { 0 };
  _cleanup_free_ char *proc = xasprintf ("%s/process.json", t.dir);
  rv_error_t err = NULL;
  const char *pj
      = "{\"terminal\": false, \"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\", \"-c\", "
        "\"echo from-process-json $FOO\"], \"env\": [\"PATH=/bin\", \"FOO=bar\"], \"cwd\": \"/tmp\"}";

  start_sleeper ("v1", "");
  /* The exit status, stdout and stderr apart, stdin to end of file.  */
  tb_runvm (&t, &r, "in\n", "exec", "v1", "sh", "-c", "cat; echo out; echo err >&2; exit 6", NULL);
  cr_assert_eq (r.status, 6, "%s", r.err);
  cr_assert_str_eq (r.out, "in\nout\n");
  cr_assert_str_eq (r.err, "err\n");
  tb_result_free (&r);
  /* --env, --cwd, --user, --cap, --no-new-privs.  */
  tb_runvm (&t, &r, NULL, "exec", "--env", "A=1", "--env", "B=two", "--cwd", "/tmp", "--user", "1000:1001",
            "--cap", "CAP_NET_RAW", "--no-new-privs", "v1", "sh", "-c",
            "echo $A $B $(pwd) $(id -u) $(id -g); grep -E '^(NoNewPrivs|CapBnd)' /proc/self/status", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (str_has_prefix (r.out, "1 two /tmp 1000 1001\n"), "%s", r.out);
  cr_assert (strstr (r.out, "NoNewPrivs:\t1") != NULL, "%s", r.out);
  /* CAP_NET_RAW is bit 13.  */
  cr_assert (strstr (r.out, "CapBnd:\t0000000000002000") != NULL, "%s", r.out);
  tb_result_free (&r);
  /* --process.  */
  cr_assert_eq (write_file_atomic (proc, pj, strlen (pj), 0644, &err), 0);
  tb_runvm (&t, &r, NULL, "exec", "--process", proc, "v1", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "from-process-json bar\n");
  tb_result_free (&r);
  /* A missing executable: runc's status 255 and a message naming it.  */
  tb_runvm (&t, &r, NULL, "exec", "v1", "nosuch", NULL);
  cr_assert_eq (r.status, 255);
  cr_assert (strstr (r.err, "nosuch") != NULL && strstr (r.err, "not found") != NULL, "%s", r.err);
  tb_result_free (&r);
}

Test (runtime_verbs, exec_detached_writes_the_pid_of_its_monitor)
{
  _cleanup_free_ char *pidfile = xasprintf ("%s/exec.pid", t.dir), *text = NULL;
  struct tb_result r = { 0 };
  pid_t pid;

  start_sleeper ("v2", "");
  tb_runvm (&t, &r, NULL, "exec", "-d", "--pid-file", pidfile, "v2", "sh", "-c",
            "sleep 0.2; echo late; exit 4", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  text = tb_read (pidfile);
  pid = atoi (text);
  cr_assert_gt (pid, 0);
  /* The exec monitor exits with the process's status, after its output.  */
  cr_assert_eq (tb_wait_pid (pid, 10000), 4);
  free (text);
  text = tb_read (r.out_path);
  cr_assert_str_eq (text, "late\n");
  tb_result_free (&r);
}

Test (runtime_verbs, ps_pause_resume_kill_all)
{
  struct tb_result r = { 0 };
  pid_t monitor, status_pid;
  char *status;

  /* One process that stays: ps's two forms are compared.  */
  monitor = start_script ("v3", "exec sleep 1000", "");
  tb_runvm (&t, &r, NULL, "ps", "--format", "json", "v3", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (r.out[0] == '[' && str_has_suffix (r.out, "]\n") && strlen (r.out) > 3, "%s", r.out);
  /* The table is ps(1)'s lines of the same PIDs.  */
  {
    _cleanup_free_ char *json = xstrdup (r.out);
    char *tok, *save = NULL;
    tb_result_free (&r);
    tb_runvm (&t, &r, NULL, "ps", "v3", NULL);
    cr_assert_eq (r.status, 0, "%s", r.err);
    cr_assert (str_has_prefix (r.out, "UID"), "%s", r.out);
    for (tok = strtok_r (json, "[],\n", &save); tok; tok = strtok_r (NULL, "[],\n", &save))
      {
        _cleanup_free_ char *col = xasprintf (" %s ", tok);
        cr_assert (strstr (r.out, col) != NULL, "pid %s not in %s", tok, r.out);
      }
  }
  tb_result_free (&r);

  tb_runvm (&t, &r, NULL, "pause", "v3", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  status = tb_status (&t, "v3", &status_pid);
  cr_assert_str_eq (status, "paused");
  free (status);
  tb_runvm (&t, &r, NULL, "pause", "v3", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "container not running") != NULL, "%s", r.err);
  tb_result_free (&r);
  tb_runvm (&t, &r, NULL, "delete", "v3", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "that is not stopped: paused") != NULL, "%s", r.err);
  tb_result_free (&r);
  tb_runvm (&t, &r, NULL, "resume", "v3", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  status = tb_status (&t, "v3", &status_pid);
  cr_assert_str_eq (status, "running");
  free (status);
  tb_runvm (&t, &r, NULL, "resume", "v3", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "container not paused") != NULL, "%s", r.err);
  tb_result_free (&r);

  /* --all: every process, the init included.  */
  tb_runvm (&t, &r, NULL, "kill", "--all", "v3", "KILL", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  cr_assert_eq (tb_wait_pid (monitor, 10000), 137);
}

Test (runtime_verbs, update_and_events_stats)
{
  _cleanup_free_ char *name = xasprintf ("/rvtest-%d", (int) getpid ());
  _cleanup_free_ char *limit = xasprintf ("/sys/fs/cgroup/memory%s/memory.limit_in_bytes", name);
  _cleanup_free_ char *pids = xasprintf ("/sys/fs/cgroup/pids%s/pids.max", name), *text = NULL;
  struct tb_result r = { 0 };

  if (access ("/sys/fs/cgroup/memory/cgroup.procs", F_OK) != 0)
    cr_skip_test ("no cgroup v1 memory hierarchy");
  /* A config of our own: a memory limit and a cgroup path.  */
  {
    _cleanup_free_ char *path = xasprintf ("%s/config.json", t.bundle);
    _cleanup_free_ char *cfg = xasprintf (
        "{\"ociVersion\": \"1.2.0\", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sleep\", "
        "\"1000\"], \"env\": [\"PATH=/bin\"], \"cwd\": \"/\"}, \"root\": {\"path\": \"rootfs\"}, "
        "\"hostname\": "
        "\"tb\", \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"}], "
        "\"linux\": {\"cgroupsPath\": \"%s\", \"resources\": {\"memory\": {\"limit\": 536870912}}, "
        "\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"uts\"}]}}",
        name);
    rv_error_t err = NULL;
    cr_assert_eq (write_file_atomic (path, cfg, strlen (cfg), 0644, &err), 0);
  }
  tb_runvm (&t, &r, NULL, "run", "-d", "-b", t.bundle, "v4", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  text = tb_read (limit);
  cr_assert_str_eq (text, "536870912\n");
  free (text);

  /* Limits a VM's QEMU already fits in (a limit below what it uses is
   * refused by the host's kernel).  */
  tb_runvm (&t, &r, NULL, "update", "--memory", "480m", "--pids-limit", "55", "v4", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  text = tb_read (limit);
  cr_assert_str_eq (text, "503316480\n");
  free (text);
  text = tb_read (pids);
  cr_assert_str_eq (text, "55\n");
  free (text);

  tb_runvm (&t, &r, "{\"memory\": {\"limit\": 471859200}}", "update", "--resources", "-", "v4", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  text = tb_read (limit);
  cr_assert_str_eq (text, "471859200\n");
  free (text);
  text = NULL;

  tb_runvm (&t, &r, "{\"memory\": {\"limit\": \"lots\"}}", "update", "-r", "-", "v4", NULL);
  cr_assert_eq (r.status, 1);
  cr_assert (strstr (r.err, "memory.limit") != NULL, "%s", r.err);
  tb_result_free (&r);

  tb_runvm (&t, &r, NULL, "events", "--stats", "v4", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (str_has_prefix (r.out, "{\"type\":\"stats\",\"id\":\"v4\",\"data\":{"), "%s", r.out);
  cr_assert (strstr (r.out, "\"memory\"") != NULL && str_has_suffix (r.out, "}\n"), "%s", r.out);
  tb_result_free (&r);
}

/* The console socket's server: accepts one connection and returns the fd
 * it carries.  */
static int
receive_fd (int listener, char *name, size_t name_len)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = name, .iov_len = name_len - 1 };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  ssize_t n;
  int fd = -1, c = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);

  cr_assert_geq (c, 0);
  n = recvmsg (c, &msg, MSG_CMSG_CLOEXEC);
  cr_assert_gt (n, 0);
  name[n] = '\0';
  memcpy (&fd, CMSG_DATA (CMSG_FIRSTHDR (&msg)), sizeof (int));
  close (c);
  return fd;
}

static char *
read_until (int fd, const char *want, int ms)
{
  char *out = xstrdup ("");
  long waited = 0;
  while (strstr (out, want) == NULL && waited < ms)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      char buf[512];
      ssize_t n;
      if (poll (&p, 1, 50) <= 0)
        {
          waited += 50;
          continue;
        }
      n = read (fd, buf, sizeof (buf) - 1);
      if (n <= 0)
        break;
      buf[n] = '\0';
      char *next = xasprintf ("%s%s", out, buf);
      free (out);
      out = next;
    }
  return out;
}

Test (runtime_verbs, console_socket_gets_the_pty_master)
{
  _cleanup_free_ char *sock = xasprintf ("%s/console.sock", t.dir), *pidfile = xasprintf ("%s/pid", t.dir);
  _cleanup_free_ char *config = xasprintf ("%s/config.json", t.bundle), *text = NULL, *got = NULL;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct winsize ws = { .ws_row = 31, .ws_col = 97 };
  struct tb_result r = { 0 };
  char name[256];
  int listener, master;
  pid_t monitor;
  rv_error_t err = NULL;

  tb_config (&t, "stty size; read line; echo \"typed: $line\"; exit 5", TB_NS_DEFAULT, "");
  text = tb_read (config);
  memcpy (strstr (text, "\"terminal\": false"), "\"terminal\": true ", 17);
  cr_assert_eq (write_file_atomic (config, text, strlen (text), 0644, &err), 0);
  listener = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memcpy (addr.sun_path, sock, strlen (sock) + 1);
  cr_assert_eq (bind (listener, (struct sockaddr *) &addr, sizeof (addr)), 0);
  cr_assert_eq (listen (listener, 1), 0);

  tb_runvm (&t, &r, NULL, "create", "-b", t.bundle, "--console-socket", sock, "--pid-file", pidfile, "v5",
            NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  master = receive_fd (listener, name, sizeof (name));
  cr_assert (str_has_prefix (name, "/dev/pts/"), "%s", name);
  /* The engine sizes the terminal; the workload sees it.  */
  cr_assert_eq (ioctl (master, TIOCSWINSZ, &ws), 0);
  monitor = atoi (tb_read (pidfile));
  tb_runvm (&t, &r, NULL, "start", "v5", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tb_result_free (&r);
  got = read_until (master, "31 97", 10000);
  cr_assert (strstr (got, "31 97") != NULL, "%s", got);
  cr_assert_eq (write (master, "hello\r", 6), 6);
  free (got);
  got = read_until (master, "typed: hello", 10000);
  cr_assert (strstr (got, "typed: hello") != NULL, "%s", got);
  cr_assert_eq (tb_wait_pid (monitor, 10000), 5);
  close (master);
  close (listener);
}

/* `runvm run` in the foreground with a terminal and no console socket:
 * the user's own terminal (here a pty whose slave is runvm's controlling
 * terminal) is the container's; typed input arrives, a resize of the
 * terminal is seen, the exit status is the workload's.  */
Test (runtime_verbs, run_in_the_foreground_on_the_users_terminal)
{
  _cleanup_free_ char *config = xasprintf ("%s/config.json", t.bundle), *text = NULL, *got = NULL;
  struct winsize ws = { .ws_row = 24, .ws_col = 80 };
  char slave_name[64];
  rv_error_t err = NULL;
  int master, status;
  pid_t pid;

  tb_config (&t, "stty size; read a; stty size; echo \"typed $a\"; exit 3", TB_NS_DEFAULT, "");
  text = tb_read (config);
  memcpy (strstr (text, "\"terminal\": false"), "\"terminal\": true ", 17);
  cr_assert_eq (write_file_atomic (config, text, strlen (text), 0644, &err), 0);
  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  cr_assert_geq (master, 0);
  cr_assert_eq (grantpt (master), 0);
  cr_assert_eq (unlockpt (master), 0);
  cr_assert_eq (ptsname_r (master, slave_name, sizeof (slave_name)), 0);
  cr_assert_eq (ioctl (master, TIOCSWINSZ, &ws), 0);
  pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      int s;
      setsid ();
      s = open (slave_name, O_RDWR);
      ioctl (s, TIOCSCTTY, 0);
      dup2 (s, 0);
      dup2 (s, 1);
      dup2 (s, 2);
      execl (getenv ("RUNVM_BUILDDIR") ? xasprintf ("%s/bin/runvm", getenv ("RUNVM_BUILDDIR")) : "runvm",
             "runvm", "--root", t.root, "run", "-b", t.bundle, "v6", (char *) NULL);
      _exit (127);
    }
  got = read_until (master, "24 80", 30000);
  cr_assert (strstr (got, "24 80") != NULL, "%s", got);
  ws.ws_row = 33;
  ws.ws_col = 111;
  cr_assert_eq (ioctl (master, TIOCSWINSZ, &ws), 0);
  /* The resize travels as a signal; let it arrive before the next line.  */
  poll (NULL, 0, 500);
  cr_assert_eq (write (master, "yes\r", 4), 4);
  free (got);
  got = read_until (master, "typed yes", 30000);
  cr_assert (strstr (got, "33 111") != NULL, "%s", got);
  cr_assert (strstr (got, "typed yes") != NULL, "%s", got);
  status = tb_wait_pid (pid, 30000);
  cr_assert_eq (status, 3, "runvm run exited %d", status);
  close (master);
}
