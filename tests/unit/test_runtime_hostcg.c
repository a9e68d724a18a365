/* The container's host cgroup: what create records as its own before
 * anything exists, and what delete removes from that record, on the real
 * host's hierarchies (v1, hybrid or v2).  A create killed half way is
 * played by making only part of the recorded directories.  */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"
#include "libcontainer/libcontainer.h"
#include "runtime/rt_impl.h"

static char *parent;
static struct lc_cgroup *parent_cg;

static void
setup (void)
{
  rv_error_t err = NULL;

  if (geteuid () != 0)
    cr_skip_test ("needs root to make cgroups");
  parent = xasprintf ("/runvm-test-hostcg-%d", (int) getpid ());
  /* The engine's cgroup: there before the container.  */
  if (lc_cgroup_create (parent, NULL, 0, &parent_cg, &err) < 0)
    {
      _cleanup_free_ char *why = xasprintf ("cannot make a cgroup here: %s", err->msg);
      rv_error_release (&err);
      cr_skip_test ("%s", why);
    }
}

static void
teardown (void)
{
  rv_error_t err = NULL;
  if (parent_cg && lc_cgroup_destroy (parent_cg, &err) < 0)
    rv_error_release (&err);
  lc_cgroup_free (parent_cg);
  parent_cg = NULL;
  free (parent);
}

TestSuite (runtime_hostcg, .init = setup, .fini = teardown, .timeout = 30);

static pid_t
sleeper (void)
{
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      execl ("/bin/sleep", "sleep", "1000", (char *) NULL);
      _exit (127);
    }
  return pid;
}

static bool
exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0;
}

Test (runtime_hostcg, the_plan_lists_what_is_missing_parents_first)
{
  _cleanup_free_ char *path = xasprintf ("%s/a/b", parent);
  _cleanup_strv_ char **made = rt_host_cgroup_plan (path);
  _cleanup_strv_ char **none = rt_host_cgroup_plan (parent);
  size_t n = strv_len (made), i;

  /* Two levels in each hierarchy, the parent's first; nothing of the
   * engine's cgroup.  */
  cr_assert_gt (n, 0);
  cr_assert_eq (n % 2, 0, "%zu entries", n);
  for (i = 0; i < n; i += 2)
    {
      _cleanup_free_ char *leaf = xasprintf ("%s/b", made[i]);
      cr_assert (str_has_suffix (made[i], "/a"), "%s", made[i]);
      cr_assert_str_eq (made[i + 1], leaf);
      cr_assert (strstr (made[i], parent) != NULL, "%s", made[i]);
    }
  /* A cgroup that exists everywhere is nobody's to remove.  */
  cr_assert_not_null (none);
  cr_assert_eq (strv_len (none), 0);
}

/* Create died after making the cgroup in one hierarchy only, with a
 * process already in it: delete kills it and removes exactly what the
 * plan named.  */
Test (runtime_hostcg, a_half_made_cgroup_is_emptied_and_removed)
{
  _cleanup_free_ char *path = xasprintf ("%s/a/b", parent);
  _cleanup_strv_ char **made = rt_host_cgroup_plan (path);
  _cleanup_free_ char *procs = NULL;
  rv_error_t err = NULL;
  pid_t child;
  int status = 0;
  size_t i;

  cr_assert_geq (strv_len (made), 2);
  cr_assert_eq (mkdir (made[0], 0755), 0, "%s: %m", made[0]);
  cr_assert_eq (mkdir (made[1], 0755), 0, "%s: %m", made[1]);
  procs = xasprintf ("%s/cgroup.procs", made[1]);
  child = sleeper ();
  {
    _cleanup_free_ char *text = xasprintf ("%d", (int) child);
    _cleanup_close_ int fd = open (procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all (fd, text, strlen (text)) < 0)
      {
        /* A cpuset v1 cgroup takes nobody before its cpus are set:
         * nothing to learn here then.  */
        kill (child, SIGKILL);
        waitpid (child, NULL, 0);
        rmdir (made[1]);
        rmdir (made[0]);
        cr_skip_test ("cannot join `%s`", made[1]);
      }
  }

  cr_assert_eq (rt_host_cgroup_remove (path, made, true, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (waitpid (child, &status, 0), child);
  cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  for (i = 0; made[i]; i++)
    cr_assert_not (exists (made[i]), "%s is left", made[i]);
  /* The engine's cgroup stays.  */
  {
    struct lc_cgroup *cg = NULL;
    cr_assert_eq (lc_cgroup_open (parent, &cg, &err), 0, "%s", err ? err->msg : "");
    lc_cgroup_free (cg);
  }
}

/* cgroupsPath named a cgroup that was there before: delete leaves it and
 * what runs in it alone.  */
Test (runtime_hostcg, a_cgroup_that_existed_before_is_left_alone)
{
  _cleanup_strv_ char **made = rt_host_cgroup_plan (parent);
  rv_error_t err = NULL;
  struct lc_cgroup *cg = NULL;
  pid_t child = sleeper ();
  int r;

  r = lc_cgroup_add_pid (parent_cg, child, &err);
  cr_assert_eq (r, 0, "%s", err ? err->msg : "");
  cr_assert_eq (rt_host_cgroup_remove (parent, made, true, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (kill (child, 0), 0, "the engine's process was killed");
  cr_assert_eq (lc_cgroup_open (parent, &cg, &err), 0, "%s", err ? err->msg : "");
  lc_cgroup_free (cg);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
}
