/* Resolution inside a root: symlinks and ".." in an image must never lead
 * outside it, with openat2 and with the component-by-component fallback.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "libcontainer/path.h"

static char *base;
static char *root;
static char *outside;
static int rootfd = -1;

static void
run (const char *cmd)
{
  cr_assert_eq (system (cmd), 0, "%s", cmd);
}

static void
setup (void)
{
  _cleanup_free_ char *cmd = NULL;

  base = xstrdup ("/tmp/lc-path-XXXXXX");
  cr_assert_not_null (mkdtemp (base));
  root = xasprintf ("%s/root", base);
  outside = xasprintf ("%s/outside", base);
  cmd = xasprintf (
      "set -e; cd %s; mkdir -p root/etc root/a/b outside/etc; echo in > root/etc/f; echo out > outside/etc/f;"
      "ln -s /etc root/abs; ln -s ../../../../../etc root/rel; ln -s %s root/host;"
      "ln -s loop1 root/loop2; ln -s loop2 root/loop1; ln -s ../.. root/a/b/up; ln -s /newdir/sub "
      "root/dangling;"
      "ln -s ../../outside/etc/f root/a/ffile; touch root/file",
      base, outside);
  run (cmd);
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cr_assert_geq (rootfd, 0);
}

static void
teardown (void)
{
  _cleanup_free_ char *cmd = xasprintf ("rm -rf %s", base);
  if (rootfd >= 0)
    close (rootfd);
  (void) !system (cmd);
  free (base);
  free (root);
  free (outside);
  lc_path_force_fallback = false;
}

static char *
fd_path (int fd)
{
  char *p = NULL;
  rv_error_t err = NULL;
  cr_assert_eq (lc_path_fd_path (fd, &p, &err), 0);
  return p;
}

static void
expect_in_root (const char *path, const char *expected_rel)
{
  _cleanup_free_ char *want = xasprintf ("%s%s", root, expected_rel);
  _cleanup_free_ char *got = NULL;
  rv_error_t err = NULL;
  int fd = -1;

  cr_assert_eq (lc_path_open_in_root (rootfd, path, O_PATH, &fd, &err), 0, "%s: %s", path,
                err ? err->msg : "");
  got = fd_path (fd);
  cr_assert_str_eq (got, want, "%s resolved to %s", path, got);
  close (fd);
}

static void
escapes (bool fallback)
{
  lc_path_force_fallback = fallback;
  expect_in_root ("/abs/f", "/etc/f");
  expect_in_root ("rel/f", "/etc/f");
  expect_in_root ("/../../../etc/f", "/etc/f");
  expect_in_root ("/a/b/up/etc/f", "/etc/f");
  expect_in_root ("/a/b/up/../../../etc", "/etc");
  expect_in_root ("/", "");
}

Test (lc_path, symlinks_stay_in_root_openat2, .init = setup, .fini = teardown)
{
  escapes (false);
}

Test (lc_path, symlinks_stay_in_root_fallback, .init = setup, .fini = teardown)
{
  escapes (true);
}

static void
host_link_is_inside (bool fallback)
{
  _cleanup_error_ rv_error_t err = NULL;
  int fd = -1;

  lc_path_force_fallback = fallback;
  /* root/host -> <base>/outside: resolved inside the root, where it does
   * not exist.  */
  cr_assert_lt (lc_path_open_in_root (rootfd, "/host/etc/f", O_RDONLY, &fd, &err), 0);
  cr_assert_eq (err->status, ENOENT);
  rv_error_release (&err);
  /* A relative link that climbs out through ".." lands at the root.  */
  cr_assert_lt (lc_path_open_in_root (rootfd, "/a/ffile", O_RDONLY, &fd, &err), 0);
  cr_assert_eq (err->status, ENOENT);
}

Test (lc_path, host_paths_unreachable_openat2, .init = setup, .fini = teardown)
{
  host_link_is_inside (false);
}

Test (lc_path, host_paths_unreachable_fallback, .init = setup, .fini = teardown)
{
  host_link_is_inside (true);
}

static void
loops_and_notdir (bool fallback)
{
  _cleanup_error_ rv_error_t err = NULL;
  int fd = -1;

  lc_path_force_fallback = fallback;
  cr_assert_lt (lc_path_open_in_root (rootfd, "/loop1", O_PATH, &fd, &err), 0);
  cr_assert_eq (err->status, ELOOP);
  rv_error_release (&err);
  cr_assert_lt (lc_path_open_in_root (rootfd, "/file/x", O_PATH, &fd, &err), 0);
  cr_assert_eq (err->status, ENOTDIR);
  rv_error_release (&err);
  cr_assert_lt (lc_path_open_in_root (rootfd, "/file", O_PATH | O_DIRECTORY, &fd, &err), 0);
  cr_assert_eq (err->status, ENOTDIR);
}

Test (lc_path, loops_and_notdir_openat2, .init = setup, .fini = teardown)
{
  loops_and_notdir (false);
}

Test (lc_path, loops_and_notdir_fallback, .init = setup, .fini = teardown)
{
  loops_and_notdir (true);
}

static void
creation_stays_inside (bool fallback)
{
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *p = NULL;
  char *check = NULL;
  struct stat st;
  int fd = -1;

  lc_path_force_fallback = fallback;
  /* mkdir through an absolute link and a climbing relative one.  */
  cr_assert_eq (lc_path_mkdir_in_root (rootfd, "/abs/new/deeper", 0755, &fd, &err), 0);
  p = fd_path (fd);
  close (fd);
  free (check);
  check = xasprintf ("%s/etc/new/deeper", root);
  cr_assert_str_eq (p, check);
  cr_assert_eq (lc_path_mkdir_in_root (rootfd, "/rel/x", 0755, &fd, &err), 0);
  close (fd);
  free (check);
  check = xasprintf ("%s/etc/x", root);
  cr_assert_eq (stat (check, &st), 0);
  free (check);
  check = xasprintf ("%s/x", outside);
  cr_assert_neq (stat (check, &st), 0);

  /* A dangling absolute link: its target is created inside the root.  */
  cr_assert_eq (lc_path_create_in_root (rootfd, "/dangling", true, 0644, &fd, &err), 0, "%s",
                err ? err->msg : "");
  close (fd);
  free (check);
  check = xasprintf ("%s/newdir/sub", root);
  cr_assert_eq (stat (check, &st), 0);
  cr_assert (S_ISREG (st.st_mode));

  /* Files through the host link land inside.  */
  cr_assert_eq (lc_path_create_in_root (rootfd, "/host/etc/file2", true, 0600, &fd, &err), 0);
  close (fd);
  free (check);
  check = xasprintf ("%s%s/etc/file2", root, outside);
  cr_assert_eq (stat (check, &st), 0);
  cr_assert_eq (st.st_mode & 0777, 0600);
  free (check);
  check = xasprintf ("%s/etc/file2", outside);
  cr_assert_neq (stat (check, &st), 0);

  /* Existing things are opened, not replaced.  */
  cr_assert_eq (lc_path_create_in_root (rootfd, "/file", false, 0755, &fd, &err), 0);
  cr_assert_eq (fstat (fd, &st), 0);
  cr_assert (S_ISREG (st.st_mode));
  close (fd);
  free (check);
}

Test (lc_path, creation_stays_inside_openat2, .init = setup, .fini = teardown)
{
  creation_stays_inside (false);
}

Test (lc_path, creation_stays_inside_fallback, .init = setup, .fini = teardown)
{
  creation_stays_inside (true);
}

Test (lc_path, parent_and_name, .init = setup, .fini = teardown)
{
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *name = NULL;
  _cleanup_free_ char *p = NULL;
  int fd = -1;

  cr_assert_eq (lc_path_open_parent_in_root (rootfd, "/abs/./q/../leaf", &fd, &name, &err), 0);
  cr_assert_str_eq (name, "leaf");
  p = fd_path (fd);
  close (fd);
  cr_assert (str_has_suffix (p, "/root/etc"), "%s", p);
  cr_assert_lt (lc_path_open_parent_in_root (rootfd, "/", &fd, &name, &err), 0);
  cr_assert_eq (err->status, EINVAL);
}

Test (lc_path, clean_and_below)
{
  struct
  {
    const char *in, *out;
  } cases[] = {
    { "", "/" },
    { "/", "/" },
    { "a/b", "/a/b" },
    { "//a//b/", "/a/b" },
    { "/a/./b/.", "/a/b" },
    { "/a/../b", "/b" },
    { "/../../x", "/x" },
    { "/a/b/../../..", "/" },
    { "..", "/" },
    { "/a/..b/c", "/a/..b/c" },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      _cleanup_free_ char *c = lc_path_clean (cases[i].in);
      cr_assert_str_eq (c, cases[i].out, "clean(%s)", cases[i].in);
    }
  cr_assert (lc_path_is_below ("/a/b", "/a/b"));
  cr_assert (lc_path_is_below ("/a/b/", "/a/b/c"));
  cr_assert_not (lc_path_is_below ("/a/b", "/a/bc"));
  cr_assert_not (lc_path_is_below ("/a/b", "/a"));
  cr_assert (lc_path_is_below ("/", "/anything"));
}
