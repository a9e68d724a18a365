/* A container backend for tests of the agent's loop, streams and calls:
 * "containers" are plain processes (no namespaces, no cgroups), so the
 * protocol can be exercised anywhere, fast.  It reads process.args, env,
 * cwd and terminal from the JSON and nothing else.  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-client/json.h"
#include "tests/agent/plain_backend.h"
#include "common/utils.h"
#include "libcontainer/signals.h"

extern char **environ;

struct plain
{
  int start_fd; /* the init waits until a byte (or EOF) comes.  */
  pid_t *pids;  /* init first.  */
  size_t n_pids;
  char *resources;
};

static char **
strv_of (yajl_val v)
{
  char **out = NULL;
  size_t i;
  if (!YAJL_IS_ARRAY (v))
    return NULL;
  out = xcalloc (v->u.array.len + 1, sizeof (char *));
  for (i = 0; i < v->u.array.len; i++)
    out[i] = xstrdup (YAJL_IS_STRING (v->u.array.values[i]) ? YAJL_GET_STRING (v->u.array.values[i]) : "");
  return out;
}

static void
child_fd (int fd, int target, int flags)
{
  if (fd < 0)
    fd = open ("/dev/null", flags);
  if (fd == target)
    (void) fd_set_cloexec (fd, false);
  else
    dup2 (fd, target);
}

/* Forks the process described by PROCESS (a process object).  With
 * START_FD the child waits for a byte on it before exec.  */
static int
spawn (yajl_val process, const struct lc_stdio *stdio, int start_fd, pid_t *ret_pid, int *ret_console,
       rv_error_t *err)
{
  const char *args_p[] = { "args", NULL }, *env_p[] = { "env", NULL }, *cwd_p[] = { "cwd", NULL };
  const char *term_p[] = { "terminal", NULL };
  _cleanup_strv_ char **args = strv_of (yajl_tree_get (process, args_p, yajl_t_array));
  _cleanup_strv_ char **env = strv_of (yajl_tree_get (process, env_p, yajl_t_array));
  yajl_val cwd_v = yajl_tree_get (process, cwd_p, yajl_t_string);
  const char *cwd = cwd_v ? YAJL_GET_STRING (cwd_v) : NULL;
  yajl_val term = yajl_tree_get (process, term_p, yajl_t_any);
  _cleanup_close_ int master = -1;
  char *slave_name = NULL;
  int ready[2];
  pid_t pid;

  if (args == NULL || args[0] == NULL)
    return rv_error_set (err, EINVAL, "process.args: required");
  if (term && YAJL_IS_TRUE (term))
    {
      master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (master < 0 || grantpt (master) < 0 || unlockpt (master) < 0
          || (slave_name = ptsname (master)) == NULL)
        return rv_error_make (err, errno, "open pty");
      slave_name = xstrdup (slave_name);
    }

  /* The child is its own process group before anyone can signal the
   * group: the parent waits for it to close READY.  */
  if (pipe2 (ready, O_CLOEXEC) < 0)
    {
      free (slave_name);
      return rv_error_make (err, errno, "pipe");
    }
  /* As libcontainer forks: the agent's signal state is the backend's to
   * keep from its children.  */
  pid = lc_fork_blocked ();
  if (pid < 0)
    {
      free (slave_name);
      close (ready[0]);
      close (ready[1]);
      return rv_error_make (err, errno, "fork");
    }
  if (pid == 0)
    {
      char c;

      lc_signals_reset ();
      setsid ();
      close (ready[0]);
      close (ready[1]);
      if (slave_name)
        {
          int s = open (slave_name, O_RDWR);
          if (s < 0)
            _exit (126);
          ioctl (s, TIOCSCTTY, 0);
          dup2 (s, 0);
          dup2 (s, 1);
          dup2 (s, 2);
          if (s > 2)
            close (s);
        }
      else
        {
          child_fd (stdio->in, 0, O_RDONLY);
          child_fd (stdio->out, 1, O_WRONLY);
          child_fd (stdio->err, 2, O_WRONLY);
        }
      if (start_fd >= 0 && read (start_fd, &c, 1) != 1)
        _exit (127);
      if (cwd && chdir (cwd) < 0)
        _exit (126);
      execvpe (args[0], args, env ? env : environ);
      _exit (127);
    }
  free (slave_name);
  close (ready[1]);
  while (read (ready[0], &(char){ 0 }, 1) < 0 && errno == EINTR)
    ;
  close (ready[0]);
  *ret_pid = pid;
  *ret_console = TAKE_FD (master);
  return 0;
}

static int
plain_create (const struct agent_create_args *args, const struct lc_stdio *stdio, void **ret_handle,
              pid_t *ret_pid, int *ret_console, rv_error_t *err)
{
  _cleanup_yajl_val_ yajl_val root = NULL;
  const char *proc_p[] = { "process", NULL };
  struct plain *p;
  int start[2], r;
  pid_t pid;

  r = agent_json_parse (args->config, strlen (args->config), &root, err);
  if (r < 0)
    return r;
  if (pipe2 (start, O_CLOEXEC) < 0)
    return rv_error_make (err, errno, "pipe");
  r = spawn (yajl_tree_get (root, proc_p, yajl_t_object), stdio, start[0], &pid, ret_console, err);
  close (start[0]);
  if (r < 0)
    {
      close (start[1]);
      return r;
    }
  p = xmalloc0 (sizeof (*p));
  p->start_fd = start[1];
  p->pids = xmalloc (sizeof (pid_t));
  p->pids[0] = pid;
  p->n_pids = 1;
  *ret_handle = p;
  *ret_pid = pid;
  return 0;
}

static int
plain_start (void *h, rv_error_t *err)
{
  struct plain *p = h;
  if (p->start_fd < 0 || write (p->start_fd, "x", 1) != 1)
    return rv_error_make (err, errno ? errno : EINVAL, "start");
  close (p->start_fd);
  p->start_fd = -1;
  return 0;
}

static int
plain_exec (void *h, const char *process_json, const struct lc_stdio *stdio, pid_t *ret_pid, int *ret_console,
            rv_error_t *err)
{
  _cleanup_yajl_val_ yajl_val root = NULL;
  struct plain *p = h;
  pid_t pid;
  int r;

  r = agent_json_parse (process_json, strlen (process_json), &root, err);
  if (r < 0)
    return r;
  r = spawn (root, stdio, -1, &pid, ret_console, err);
  if (r < 0)
    return r;
  p->pids = xreallocarray (p->pids, p->n_pids + 1, sizeof (pid_t));
  p->pids[p->n_pids++] = pid;
  *ret_pid = pid;
  return 0;
}

/* Alive and not a zombie.  */
static bool
running (pid_t pid)
{
  _cleanup_free_ char *path = xasprintf ("/proc/%d/stat", (int) pid), *data = NULL;
  _cleanup_error_ rv_error_t err = NULL;
  char *paren;

  if (read_file (path, 4096, &data, NULL, &err) < 0)
    return false;
  paren = strrchr (data, ')');
  return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* Each process leads a process group of its own (setsid): `all` reaches
 * what it forked too, as a cgroup would.  */
static int
plain_kill (void *h, int sig, bool all, rv_error_t *err)
{
  struct plain *p = h;
  size_t i;

  if (!all)
    {
      if (kill (p->pids[0], sig) < 0)
        return rv_error_make (err, errno, "kill %d", (int) p->pids[0]);
      return 0;
    }
  for (i = 0; i < p->n_pids; i++)
    (void) kill (-p->pids[i], sig);
  return 0;
}

static int
plain_pids (void *h, pid_t **ret, size_t *ret_len, rv_error_t *err)
{
  struct plain *p = h;
  pid_t *out = xcalloc (p->n_pids, sizeof (pid_t));
  size_t i, n = 0;

  (void) err;
  for (i = 0; i < p->n_pids; i++)
    if (running (p->pids[i]))
      out[n++] = p->pids[i];
  *ret = out;
  *ret_len = n;
  return 0;
}

static int
plain_stats (void *h, char **ret, rv_error_t *err)
{
  pid_t *pids;
  size_t n;
  int r = plain_pids (h, &pids, &n, err);
  if (r < 0)
    return r;
  free (pids);
  *ret = xasprintf ("{\"pids\":{\"current\":%zu},\"resources\":%s}", n,
                    ((struct plain *) h)->resources ? ((struct plain *) h)->resources : "null");
  return 0;
}

static int
plain_pause (void *h, rv_error_t *err)
{
  return plain_kill (h, SIGSTOP, true, err);
}

static int
plain_resume (void *h, rv_error_t *err)
{
  return plain_kill (h, SIGCONT, true, err);
}

static int
plain_update (void *h, const char *resources, rv_error_t *err)
{
  struct plain *p = h;
  (void) err;
  free (p->resources);
  p->resources = xstrdup (resources);
  return 0;
}

static int
plain_destroy (void *h, rv_error_t *err)
{
  struct plain *p = h;
  size_t i;

  (void) err;
  for (i = 0; i < p->n_pids; i++)
    {
      (void) kill (-p->pids[i], SIGKILL);
      (void) kill (-p->pids[i], SIGCONT);
    }
  if (p->start_fd >= 0)
    {
      close (p->start_fd);
      p->start_fd = -1;
    }
  return 0;
}

static void
plain_free (void *h)
{
  struct plain *p = h;
  if (p->start_fd >= 0)
    close (p->start_fd);
  free (p->pids);
  free (p->resources);
  free (p);
}

const struct agent_backend plain_backend = {
  .name = "plain",
  .create = plain_create,
  .start = plain_start,
  .exec = plain_exec,
  .kill = plain_kill,
  .pids = plain_pids,
  .stats = plain_stats,
  .pause = plain_pause,
  .resume = plain_resume,
  .update = plain_update,
  .destroy = plain_destroy,
  .free = plain_free,
};
