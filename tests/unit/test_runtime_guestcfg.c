/* The config the agent gets in a VM (runtime/guestcfg.c): an overlay
 * mount's layers bound into the share and renamed (docs/lifecycle.md,
 * "Mounts from the host").  Binds need root and a mount namespace of the
 * test's own; criterion runs each test in a process of its own.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/rt_impl.h"
#include "tests/unit/support/shell.h"

static char *dir;

static void
setup (void)
{
  if (geteuid () != 0)
    cr_skip_test ("needs root for bind mounts");
  cr_assert_eq (unshare (CLONE_NEWNS), 0);
  cr_assert_eq (mount ("", "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
  dir = xstrdup ("/tmp/rv-guestcfg-XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
  tb_sh ("mkdir -p %s/b/rootfs %s/b/ovl/l1 %s/b/ovl/l2 %s/b/ovl/upper %s/b/ovl/work %s/b/ovl/up,p:er "
         "%s/other/work "
         "%s/state/shared",
         dir, dir, dir, dir, dir, dir, dir, dir);
}

static void
teardown (void)
{
  if (dir == NULL)
    return;
  /* The share's binds first: rm would reach the bundle through them.  */
  tb_sh ("grep -o ' %s/state/shared[^ ]*' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "
         "\"$m\"; done; "
         "rm -rf %s",
         dir, dir);
  free (dir);
  dir = NULL;
}

static struct spec_config *
config_with_overlay (const char *options_json)
{
  _cleanup_free_ char *json = xasprintf (
      "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"cwd\": \"/\", \"args\": "
      "[\"sh\"]},"
      " \"mounts\": [{\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"},"
      " {\"destination\": \"/m\", \"type\": \"overlay\", \"source\": \"overlay\", \"options\": %s}]}",
      options_json);
  struct spec_config *c = NULL;
  rv_error_t err = NULL;
  cr_assert_eq (spec_config_parse ("config.json", json, strlen (json), &c, &err), 0, "%s",
                err ? err->msg : "");
  return c;
}

static int
build (struct spec_config *c, struct spec_config **ret_agent, rv_error_t *err)
{
  _cleanup_free_ char *bundle = xasprintf ("%s/b", dir), *state = xasprintf ("%s/state", dir);
  struct rt_guest_config g = { 0 };
  int r = rt_guest_config_build (c, bundle, state, true, 0, NULL, &g, err);
  if (r < 0)
    return r;
  cr_assert_eq (spec_config_parse ("agent", g.config_json, strlen (g.config_json), ret_agent, err), 0);
  rt_guest_config_clear (&g);
  return 0;
}

static void
assert_same_dir (const char *a_rel, const char *b_rel)
{
  _cleanup_free_ char *a = xasprintf ("%s/%s", dir, a_rel), *b = xasprintf ("%s/%s", dir, b_rel);
  struct stat sa, sb;
  cr_assert_eq (stat (a, &sa), 0, "%s: %s", a, strerror (errno));
  cr_assert_eq (stat (b, &sb), 0, "%s: %s", b, strerror (errno));
  cr_assert (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino, "%s is not %s", a, b);
}

Test (runtime_guestcfg, overlay_upper_and_work_share_one_bind, .init = setup, .fini = teardown)
{
  struct spec_config *c = config_with_overlay (
      "[\"lowerdir=ovl/l1:ovl/l2\", \"upperdir=ovl/upper\", \"workdir=ovl/work\", \"volatile\"]");
  struct spec_config *a = NULL;
  rv_error_t err = NULL;
  char **o;

  cr_assert_eq (build (c, &a, &err), 0, "%s", err ? err->msg : "");
  o = a->mounts[1].options;
  /* Lower layers one bind each, named with a trailing slash (the guest
   * mounts a virtio-fs submount only when a lookup crosses it); upper and
   * work inside one bind of their directory, so one mount in the guest.  */
  cr_assert_str_eq (o[0], "lowerdir=" RT_GUEST_SHARE "/m/1.0/:" RT_GUEST_SHARE "/m/1.1/");
  cr_assert_str_eq (o[1], "upperdir=" RT_GUEST_SHARE "/m/1.w/upper");
  cr_assert_str_eq (o[2], "workdir=" RT_GUEST_SHARE "/m/1.w/work");
  cr_assert_str_eq (o[3], "volatile");
  cr_assert_null (o[4]);
  assert_same_dir ("state/shared/m/1.0", "b/ovl/l1");
  assert_same_dir ("state/shared/m/1.1", "b/ovl/l2");
  assert_same_dir ("state/shared/m/1.w", "b/ovl");
  assert_same_dir ("state/shared/rootfs", "b/rootfs");
  spec_config_free (a);
  spec_config_free (c);
}

Test (runtime_guestcfg, overlay_names_are_escaped_for_overlayfs, .init = setup, .fini = teardown)
{
  struct spec_config *c
      = config_with_overlay ("[\"lowerdir=ovl/l1\", \"workdir=ovl/work\", \"upperdir=ovl/up\\\\,p\\\\:er\"]");
  struct spec_config *a = NULL;
  rv_error_t err = NULL;

  /* The bundle's option is escaped for overlayfs too: the host path
   * `up,p:er` only resolves once unescaped, as the kernel would.  */
  cr_assert_eq (build (c, &a, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (a->mounts[1].options[1], "workdir=" RT_GUEST_SHARE "/m/1.w/work");
  cr_assert_str_eq (a->mounts[1].options[2], "upperdir=" RT_GUEST_SHARE "/m/1.w/up\\,p\\:er");
  spec_config_free (a);
  spec_config_free (c);
}

Test (runtime_guestcfg, overlay_upper_and_work_apart_are_refused, .init = setup, .fini = teardown)
{
  _cleanup_free_ char *opts = NULL;
  struct spec_config *c, *a = NULL;
  rv_error_t err = NULL;

  opts = xasprintf ("[\"lowerdir=ovl/l1\", \"upperdir=ovl/upper\", \"workdir=%s/other/work\"]", dir);
  c = config_with_overlay (opts);
  cr_assert_lt (build (c, &a, &err), 0);
  cr_assert_eq (err->status, EINVAL);
  cr_assert (strstr (err->msg, "must be in the same directory") != NULL, "%s", err->msg);
  rv_error_release (&err);
  spec_config_free (c);

  c = config_with_overlay ("[\"lowerdir=ovl/l1\", \"upperdir=ovl/nothere\", \"workdir=ovl/work\"]");
  cr_assert_lt (build (c, &a, &err), 0);
  cr_assert_eq (err->status, ENOENT);
  cr_assert (strstr (err->msg, "ovl/nothere") != NULL, "%s", err->msg);
  rv_error_release (&err);
  spec_config_free (c);
}
