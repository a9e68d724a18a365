#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/lsm.h"

#define SELINUX_MAGIC 0xf97cff8c

bool
lc_lsm_apparmor_enabled (void)
{
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;

  if (access ("/sys/kernel/security/apparmor", F_OK) != 0)
    return false;
  return read_file ("/sys/module/apparmor/parameters/enabled", 16, &s, NULL, &tmp) == 0 && s[0] == 'Y';
}

bool
lc_lsm_selinux_enabled (void)
{
  _cleanup_free_ char *cur = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  struct statfs sf;

  /* selinuxfs mounted, and this process has a context other than the
   * "kernel" placeholder of a disabled policy.  */
  if (statfs ("/sys/fs/selinux", &sf) < 0 || (unsigned long) sf.f_type != SELINUX_MAGIC)
    return false;
  if (read_file ("/proc/self/attr/current", 4096, &cur, NULL, &tmp) < 0)
    return false;
  cur[strcspn (cur, "\n")] = '\0';
  return cur[0] != '\0' && strcmp (cur, "kernel") != 0;
}

int
lc_lsm_check (const struct spec_process *p, rv_error_t *err)
{
  if (p->selinux_label && p->selinux_label[0] && !lc_lsm_selinux_enabled ())
    return rv_error_set (err, EINVAL,
                         "selinux label is specified in config, but selinux is disabled or not supported");
  return 0;
}

static int
write_attr (const char *const *paths, size_t n, const char *value, rv_error_t *err)
{
  size_t i;
  int r;
  for (i = 0; i < n; i++)
    {
      _cleanup_close_ int fd = open (paths[i], O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        {
          if (errno == ENOENT && i + 1 < n)
            continue;
          return rv_error_make (err, errno, "open `%s`", paths[i]);
        }
      r = write_all (fd, value, strlen (value));
      if (r < 0)
        return rv_error_make (err, -r, "write `%s` to `%s`", value, paths[i]);
      return 0;
    }
  return rv_error_make (err, ENOENT, "no LSM attribute file");
}

int
lc_lsm_apply (const struct spec_process *p, rv_error_t *err)
{
  int r;

  if (p->apparmor_profile && p->apparmor_profile[0])
    {
      static const char *const paths[]
          = { "/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec" };
      _cleanup_free_ char *v = xasprintf ("exec %s", p->apparmor_profile);
      r = write_attr (paths, ARRAY_SIZE (paths), v, err);
      if (r < 0)
        return rv_error_wrap (err, "apparmor failed to apply profile `%s`", p->apparmor_profile);
    }
  if (p->selinux_label && p->selinux_label[0])
    {
      static const char *const paths[] = { "/proc/thread-self/attr/exec" };
      r = write_attr (paths, ARRAY_SIZE (paths), p->selinux_label, err);
      if (r < 0)
        return rv_error_wrap (err, "set the SELinux label `%s`", p->selinux_label);
    }
  return 0;
}

char *
lc_lsm_mount_data (const char *data, const char *mount_label)
{
  /* Added whether SELinux is on or not, as runc does: a kernel without it
   * then refuses the mount, so a label asked for is never silently
   * dropped.  */
  if (mount_label == NULL || mount_label[0] == '\0')
    return NULL;
  if (data && data[0])
    return xasprintf ("%s,context=\"%s\"", data, mount_label);
  return xasprintf ("context=\"%s\"", mount_label);
}
