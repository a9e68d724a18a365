/* The mount plan: option words to flags, propagation, recursive
 * attributes and data; bind detection; relative sources; validation.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include "common/utils.h"
#include "libcontainer/mounts.h"

static struct lc_mount
parse (char **opts)
{
  struct lc_mount m = { 0 };
  rv_error_t err = NULL;
  cr_assert_eq (lc_mount_parse_options (opts, &m, &err), 0);
  return m;
}

Test (lc_mounts, flags_and_data)
{
  char *o[] = { "nosuid", "noexec", "nodev", "ro", "size=65536k", "mode=755", "strictatime", NULL };
  struct lc_mount m = parse (o);
  cr_assert_eq (m.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY | MS_STRICTATIME);
  cr_assert_str_eq (m.data, "size=65536k,mode=755");
  cr_assert_eq (m.clear, 0);
  free (m.data);
}

Test (lc_mounts, clearing_words_and_last_wins)
{
  char *o[] = { "ro", "rw", "nosuid", "suid", "noatime", "relatime", "exec", NULL };
  struct lc_mount m = parse (o);
  cr_assert_eq (m.flags, MS_RELATIME);
  cr_assert_eq (m.clear, MS_RDONLY | MS_NOSUID | MS_NOEXEC);
}

Test (lc_mounts, bind_propagation_and_recursive_attrs)
{
  char *o[] = { "rbind", "rprivate", "shared", "rro", "rnosuid", "rrelatime", "rw", NULL };
  struct lc_mount m = parse (o);
  cr_assert_eq (m.flags, MS_BIND | MS_REC);
  cr_assert_eq (m.propagation_len, 2);
  cr_assert_eq (m.propagation[0], MS_PRIVATE | MS_REC);
  cr_assert_eq (m.propagation[1], MS_SHARED);
  cr_assert (m.rec_attr);
  cr_assert_eq (m.attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_RELATIME);
  cr_assert_eq (m.attr_clr, MOUNT_ATTR__ATIME);
  cr_assert_null (m.data);
}

Test (lc_mounts, extensions)
{
  char *o[] = { "tmpcopyup", "ridmap", "acl", NULL };
  struct lc_mount m = parse (o);
  cr_assert (m.copyup);
  cr_assert (m.idmap);
  cr_assert (m.idmap_recursive);
  cr_assert_str_eq (m.data, "acl");
  free (m.data);
}

Test (lc_mounts, propagation_names)
{
  unsigned long p;
  rv_error_t err = NULL;
  cr_assert_eq (lc_mount_parse_propagation ("rslave", &p, &err), 0);
  cr_assert_eq (p, MS_SLAVE | MS_REC);
  cr_assert_lt (lc_mount_parse_propagation ("sideways", &p, &err), 0);
  cr_assert_str_eq (err->msg, "unknown mount propagation `sideways`");
  rv_error_release (&err);
}

Test (lc_mounts, plan_from_config)
{
  char *bind_opts[] = { "bind", "ro", NULL };
  char *proc_opts[] = { NULL };
  char *tmp_opts[] = { "nosuid", "size=1m", NULL };
  char *dev_opts[] = { "rbind", NULL };
  struct spec_mount mounts[] = {
    { .destination = "/proc", .type = "proc", .source = "proc", .options = proc_opts },
    { .destination = "data//x/", .type = "none", .source = "rel/src", .options = bind_opts },
    { .destination = "/tmp", .type = "tmpfs", .source = NULL, .options = tmp_opts },
    { .destination = "/sys/fs/cgroup", .type = "cgroup", .source = "cgroup", .options = NULL },
    { .destination = "/ignored", .type = "bind", .source = "/abs", .options = NULL },
  };
  char *masked[] = { "/proc/kcore", NULL };
  struct spec_linux lx = { .rootfs_propagation = "rshared", .masked_paths = masked };
  struct spec_root root = { .path = "rootfs", .readonly = true };
  struct spec_config c = { .mounts = mounts, .mounts_len = ARRAY_SIZE (mounts), .linux = &lx, .root = &root };
  struct lc_mount_plan *plan = NULL;
  rv_error_t err = NULL;

  cr_assert_eq (lc_mount_plan_build (&c, "/bundle", false, &plan, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (plan->len, 5);
  cr_assert_eq (plan->mounts[0].kind, LC_MOUNT_FS);
  cr_assert_eq (plan->mounts[1].kind, LC_MOUNT_BIND);
  cr_assert_str_eq (plan->mounts[1].destination, "/data/x");
  cr_assert_str_eq (plan->mounts[1].source, "/bundle/rel/src");
  cr_assert_eq (plan->mounts[1].flags, MS_BIND | MS_RDONLY);
  cr_assert_str_eq (plan->mounts[2].source, "tmpfs");
  cr_assert_eq (plan->mounts[3].kind, LC_MOUNT_CGROUP);
  cr_assert_eq (plan->mounts[4].kind, LC_MOUNT_BIND, "type bind alone is a bind mount");
  cr_assert_eq (plan->root_propagation, MS_SHARED | MS_REC);
  cr_assert_eq (plan->root_propagation_after, MS_SHARED | MS_REC);
  cr_assert (plan->readonly_root);
  cr_assert (plan->setup_dev);
  cr_assert_eq (plan->masked_paths, masked);
  lc_mount_plan_free (plan);

  /* A bind on /dev: the runtime does not make device nodes there.  */
  mounts[4].destination = "/dev";
  mounts[4].options = dev_opts;
  cr_assert_eq (lc_mount_plan_build (&c, "/bundle", false, &plan, &err), 0);
  cr_assert_not (plan->setup_dev);
  lc_mount_plan_free (plan);
}

Test (lc_mounts, plan_errors)
{
  char *bind_opts[] = { "bind", NULL };
  char *remount[] = { "remount", NULL };
  struct spec_mount m1 = { .destination = "/x", .type = NULL, .source = "s", .options = NULL };
  struct spec_mount m2 = { .destination = "/x", .type = "none", .source = NULL, .options = bind_opts };
  struct spec_mount m3 = { .destination = "/x", .type = "tmpfs", .source = "t", .options = remount };
  struct spec_linux lx = { .rootfs_propagation = "private" };
  struct spec_config c = { .mounts = &m1, .mounts_len = 1 };
  struct lc_mount_plan *plan = NULL;
  rv_error_t err = NULL;

  cr_assert_lt (lc_mount_plan_build (&c, NULL, false, &plan, &err), 0);
  cr_assert (strstr (err->msg, "no type and not a bind mount") != NULL, "%s", err->msg);
  c.mounts = &m2;
  cr_assert_lt (lc_mount_plan_build (&c, NULL, false, &plan, &err), 0);
  cr_assert (strstr (err->msg, "without a source") != NULL, "%s", err->msg);
  c.mounts = &m3;
  cr_assert_lt (lc_mount_plan_build (&c, NULL, false, &plan, &err), 0);
  cr_assert (strstr (err->msg, "remount") != NULL, "%s", err->msg);
  c.mounts_len = 0;
  c.linux = &lx;
  cr_assert_lt (lc_mount_plan_build (&c, NULL, true, &plan, &err), 0);
  cr_assert (strstr (err->msg, "not safe without pivot_root") != NULL, "%s", err->msg);
  cr_assert_eq (lc_mount_plan_build (&c, NULL, false, &plan, &err), 0);
  cr_assert_eq (plan->root_propagation, MS_PRIVATE);
  cr_assert_eq (plan->root_propagation_after, 0);
  lc_mount_plan_free (plan);
  rv_error_release (&err);
}

Test (lc_mounts, statvfs_flags)
{
  cr_assert_eq (lc_mount_flags_from_statvfs (ST_RDONLY | ST_NOSUID), MS_RDONLY | MS_NOSUID | MS_STRICTATIME);
  cr_assert_eq (lc_mount_flags_from_statvfs (ST_RELATIME | ST_NODEV), MS_RELATIME | MS_NODEV);
}
