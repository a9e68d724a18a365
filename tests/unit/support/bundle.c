#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"
#include "tests/unit/support/bundle.h"
#include "tests/unit/support/run.h"

static const char *const applets[] = { "sh",   "cat",      "echo", "sleep", "ls", "true",  "false",
                                       "kill", "hostname", "id",   "uname", "wc", "touch", "tr" };

void
tb_init (struct tb *t)
{
  _cleanup_free_ char *rootfs = NULL, *bin = NULL, *cmd = NULL;
  size_t i;

  if (access ("/bin/busybox", X_OK) != 0)
    cr_skip_test ("no /bin/busybox (busybox-static)");
  /* The host launcher unless RUNVM_TEST_LAUNCHER names another (make
   * check-lifecycle-vm runs these tests with VMs too).  */
  setenv ("RUNVM_LAUNCHER", getenv ("RUNVM_TEST_LAUNCHER") ? getenv ("RUNVM_TEST_LAUNCHER") : "host", 1);
  /* Monitors outlive `runvm create`: as a subreaper we get their exit
   * statuses, as engines do.  */
  (void) prctl (PR_SET_CHILD_SUBREAPER, 1);
  t->dir = make_temp_dir ();
  t->root = xasprintf ("%s/root", t->dir);
  t->bundle = xasprintf ("%s/bundle", t->dir);
  rootfs = xasprintf ("%s/rootfs", t->bundle);
  bin = xasprintf ("%s/bin", rootfs);
  cr_assert_eq (mkdir (t->bundle, 0755), 0);
  cr_assert_eq (mkdir (rootfs, 0755), 0);
  cr_assert_eq (mkdir (bin, 0755), 0);
  cmd = xasprintf ("cp /bin/busybox '%s/busybox' && mkdir -p '%s/proc' '%s/dev' '%s/sys' '%s/tmp' '%s/etc'",
                   bin, rootfs, rootfs, rootfs, rootfs, rootfs);
  cr_assert_eq (system (cmd), 0);
  for (i = 0; i < ARRAY_SIZE (applets); i++)
    {
      _cleanup_free_ char *link = xasprintf ("%s/%s", bin, applets[i]);
      cr_assert_eq (symlink ("busybox", link), 0);
    }
}

void
tb_fini (struct tb *t)
{
  DIR *d;
  struct dirent *de;

  if (t->dir == NULL)
    return;
  d = opendir (t->root);
  while (d && (de = readdir (d)) != NULL)
    {
      struct tb_result r = { 0 };
      if (de->d_name[0] == '.' || strchr (de->d_name, ':'))
        continue;
      tb_runvm (t, &r, NULL, "delete", "--force", de->d_name, NULL);
      tb_result_free (&r);
    }
  if (d)
    closedir (d);
  remove_temp_dir (t->dir);
  free (t->dir);
  free (t->root);
  free (t->bundle);
  t->dir = NULL;
}

static char *
json_string (const char *s)
{
  size_t n = strlen (s), i, o = 0;
  char *out = xmalloc (2 * n + 3);
  out[o++] = '"';
  for (i = 0; i < n; i++)
    {
      if (s[i] == '"' || s[i] == '\\')
        out[o++] = '\\';
      out[o++] = s[i];
    }
  out[o++] = '"';
  out[o] = '\0';
  return out;
}

void
tb_config (struct tb *t, const char *script, const char *namespaces, const char *extra)
{
  _cleanup_free_ char *path = xasprintf ("%s/config.json", t->bundle), *arg = json_string (script);
  _cleanup_free_ char *text
      = xasprintf ("{\"ociVersion\": \"1.2.0\", %s\n"
                   " \"process\": {\"terminal\": false, \"user\": {\"uid\": 0, \"gid\": 0},\n"
                   "   \"args\": [\"sh\", \"-c\", %s], \"env\": [\"PATH=/bin\"], \"cwd\": \"/\"},\n"
                   " \"root\": {\"path\": \"rootfs\"}, \"hostname\": \"tb\",\n"
                   " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
                   "   {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": "
                   "[\"mode=755\"]},\n"
                   "   {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", "
                   "\"options\": [\"newinstance\", \"ptmxmode=0666\", \"mode=0620\"]}],\n"
                   " \"linux\": {\"namespaces\": [%s]}}\n",
                   extra, arg, namespaces);
  rv_error_t err = NULL;
  cr_assert_eq (write_file_atomic (path, text, strlen (text), 0644, &err), 0);
}

void
tb_result_free (struct tb_result *r)
{
  free (r->out);
  free (r->err);
  free (r->out_path);
  r->out = r->err = r->out_path = NULL;
}

char *
tb_read (const char *path)
{
  char *text = NULL;
  rv_error_t err = NULL;
  if (read_file (path, 16 << 20, &text, NULL, &err) < 0)
    {
      rv_error_release (&err);
      return NULL;
    }
  return text;
}

/* Children that exited while we waited for another: monitors and the
 * VM's helpers reparented to us.  A subreaper must reap them, or they
 * hold their cgroup (v1) and delete waits for them.  */
#define REAPED_MAX 256
static struct
{
  pid_t pid;
  int status;
} reaped[REAPED_MAX];
static size_t n_reaped;

static int
take_reaped (pid_t pid)
{
  size_t i;
  for (i = 0; i < n_reaped; i++)
    if (reaped[i].pid == pid)
      {
        int status = reaped[i].status;
        reaped[i] = reaped[--n_reaped];
        return status;
      }
  return -1;
}

/* Reaps every child until PID has exited (its raw wait status) or MS have
 * passed (-1 then); MS < 0 waits as long as it takes.  */
static int
reap_until (pid_t pid, int ms)
{
  long waited = 0;
  int status = take_reaped (pid);

  if (status != -1)
    return status;
  for (;;)
    {
      pid_t w = waitpid (-1, &status, WNOHANG);
      if (w == pid)
        return status;
      if (w > 0)
        {
          if (n_reaped < REAPED_MAX)
            {
              reaped[n_reaped].pid = w;
              reaped[n_reaped].status = status;
              n_reaped++;
            }
          continue;
        }
      if (w < 0 && errno != EINTR)
        return -1;
      if (ms >= 0 && waited >= ms)
        return -1;
      poll (NULL, 0, 5);
      waited += 5;
    }
}

void
tb_runvm (struct tb *t, struct tb_result *r, const char *in, ...)
{
  static unsigned counter;
  _cleanup_free_ char *err_path = xasprintf ("%s/.err%u", t->dir, counter);
  char *out_path = xasprintf ("%s/.out%u", t->dir, counter++);
  _cleanup_free_ char *in_path = xasprintf ("%s/.in", t->dir);
  char *argv[64];
  va_list ap;
  size_t n = 0;
  int status;
  pid_t pid;

  argv[n++] = (char *) "runvm";
  argv[n++] = (char *) "--root";
  argv[n++] = t->root;
  va_start (ap, in);
  for (char *a = va_arg (ap, char *); a && n < 63; a = va_arg (ap, char *))
    argv[n++] = a;
  va_end (ap);
  argv[n] = NULL;
  if (in)
    {
      rv_error_t err = NULL;
      cr_assert_eq (write_file_atomic (in_path, in, strlen (in), 0644, &err), 0);
    }
  pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      int i = open (in ? in_path : "/dev/null", O_RDONLY);
      int o = open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open (err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2 (i, 0);
      dup2 (o, 1);
      dup2 (e, 2);
      execv (runvm_bin (), argv);
      _exit (127);
    }
  status = reap_until (pid, -1);
  r->status = WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
  r->out = tb_read (out_path);
  r->out_path = out_path;
  r->err = tb_read (err_path);
  if (r->out == NULL)
    r->out = xstrdup ("");
  if (r->err == NULL)
    r->err = xstrdup ("");
}

char *
tb_status (struct tb *t, const char *id, pid_t *ret_pid)
{
  struct tb_result r = { 0 };
  char *status, *p, *q;

  tb_runvm (t, &r, NULL, "state", id, NULL);
  *ret_pid = 0;
  if (r.status != 0)
    {
      tb_result_free (&r);
      return xstrdup ("");
    }
  p = strstr (r.out, "\"status\": \"");
  cr_assert_not_null (p, "%s", r.out);
  p += strlen ("\"status\": \"");
  q = strchr (p, '"');
  status = xstrndup (p, (size_t) (q - p));
  p = strstr (r.out, "\"pid\": ");
  if (p)
    *ret_pid = atoi (p + strlen ("\"pid\": "));
  tb_result_free (&r);
  return status;
}

int
tb_wait_pid (pid_t pid, int ms)
{
  int status = reap_until (pid, ms);
  if (status == -1)
    return -1;
  return WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
}

bool
tb_wait_text (const char *path, const char *text, int ms)
{
  int waited;
  for (waited = 0; waited < ms; waited += 20)
    {
      _cleanup_free_ char *got = tb_read (path);
      if (got && strstr (got, text))
        return true;
      poll (NULL, 0, 20);
    }
  return false;
}
