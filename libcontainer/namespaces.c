#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/namespaces.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *type;
  const char *proc;
  int flag;
} kinds[] = {
  { "user", "user", CLONE_NEWUSER },       { "mount", "mnt", CLONE_NEWNS },   { "pid", "pid", CLONE_NEWPID },
  { "network", "net", CLONE_NEWNET },      { "ipc", "ipc", CLONE_NEWIPC },    { "uts", "uts", CLONE_NEWUTS },
  { "cgroup", "cgroup", CLONE_NEWCGROUP }, { "time", "time", CLONE_NEWTIME },
};

const struct spec_namespace *
lc_ns_find (const struct spec_config *c, const char *type)
{
  size_t i;
  for (i = 0; c->linux && i < c->linux->namespaces_len; i++)
    if (str_eq (c->linux->namespaces[i].type, type))
      return &c->linux->namespaces[i];
  return NULL;
}

int
lc_ns_flag (const char *type)
{
  size_t i;
  for (i = 0; type && i < ARRAY_SIZE (kinds); i++)
    if (strcmp (kinds[i].type, type) == 0)
      return kinds[i].flag;
  return 0;
}

const char *
lc_ns_proc_name (int flag)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (kinds); i++)
    if (kinds[i].flag == flag)
      return kinds[i].proc;
  return NULL;
}

static const char *
type_name (int flag)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (kinds); i++)
    if (kinds[i].flag == flag)
      return kinds[i].type;
  return "?";
}

void
lc_ns_plan_clear (struct lc_ns_plan *p)
{
  size_t i;
  for (i = 0; i < p->join_len; i++)
    {
      if (p->join[i].fd >= 0)
        (void) close (p->join[i].fd);
      free (p->join[i].path);
    }
  memset (p, 0, sizeof (*p));
}

int
lc_ns_prepare (const struct spec_config *c, struct lc_ns_plan *ret, rv_error_t *err)
{
  const struct spec_linux *lx = c->linux;
  struct lc_ns_plan p;
  int seen = 0;
  size_t i, k;
  int r;

  memset (&p, 0, sizeof (p));
  /* Joins are ordered as the kinds table: user first, so that the others
   * (owned by that user namespace) can be joined with its privileges.  */
  for (k = 0; k < ARRAY_SIZE (kinds); k++)
    for (i = 0; lx && i < lx->namespaces_len; i++)
      {
        const struct spec_namespace *ns = &lx->namespaces[i];
        int flag = lc_ns_flag (ns->type);
        if (flag == 0)
          {
            r = rv_error_set (err, EINVAL, "linux.namespaces[%zu]: unknown type `%s`", i,
                              ns->type ? ns->type : "");
            goto fail;
          }
        if (flag != kinds[k].flag)
          continue;
        if (seen & flag)
          {
            r = rv_error_set (err, EINVAL, "linux.namespaces: `%s` is listed twice", ns->type);
            goto fail;
          }
        seen |= flag;
        if (flag == CLONE_NEWNS)
          p.has_mount = true;
        if (flag == CLONE_NEWUSER)
          p.has_user = true;
        if (ns->path == NULL || ns->path[0] == '\0')
          {
            if (flag == CLONE_NEWTIME)
              p.new_time = true;
            else
              p.clone_flags |= (unsigned long) flag;
            if (flag == CLONE_NEWUSER)
              p.new_user = true;
            continue;
          }
        {
          struct lc_ns_join *j = &p.join[p.join_len++];
          j->flag = flag;
          j->path = xstrdup (ns->path);
          j->fd = open (ns->path, O_RDONLY | O_CLOEXEC);
          if (j->fd < 0)
            {
              r = rv_error_make (err, errno, "open %s namespace `%s`", ns->type, ns->path);
              goto fail;
            }
        }
      }

  if (p.new_user && (lx->uid_mappings_len == 0 || lx->gid_mappings_len == 0))
    {
      r = rv_error_set (err, EINVAL, "linux: a new user namespace needs uidMappings and gidMappings");
      goto fail;
    }
  if (!p.new_user && lx && (lx->uid_mappings_len > 0 || lx->gid_mappings_len > 0))
    {
      r = rv_error_set (err, EINVAL, "linux: uidMappings and gidMappings need a new user namespace");
      goto fail;
    }
  if (lx && lx->time_offsets_len > 0 && !p.new_time)
    {
      r = rv_error_set (err, EINVAL, "linux.timeOffsets: needs a new time namespace");
      goto fail;
    }
  for (i = 0; lx && i < lx->time_offsets_len; i++)
    if (!str_eq (lx->time_offsets[i].clock, "monotonic") && !str_eq (lx->time_offsets[i].clock, "boottime"))
      {
        r = rv_error_set (err, EINVAL, "linux.timeOffsets: unknown clock `%s`",
                          lx->time_offsets[i].clock ? lx->time_offsets[i].clock : "");
        goto fail;
      }
  *ret = p;
  return 0;

fail:
  lc_ns_plan_clear (&p);
  return r;
}

static int
write_proc (const char *path, const char *data, rv_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  int r;
  if (fd < 0)
    return rv_error_make (err, errno, "open `%s`", path);
  r = write_all (fd, data, strlen (data));
  if (r < 0)
    return rv_error_make (err, -r, "write `%s`", path);
  return 0;
}

int
lc_ns_join_all (const struct lc_ns_plan *p, const struct spec_linux *lx, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < p->join_len; i++)
    if (setns (p->join[i].fd, p->join[i].flag) < 0)
      return rv_error_make (err, errno, "join %s namespace `%s`", type_name (p->join[i].flag),
                            p->join[i].path);

  if (p->new_time)
    {
      _cleanup_free_ char *offsets = xstrdup ("");
      if (unshare (CLONE_NEWTIME) < 0)
        return rv_error_make (err, errno, "create a time namespace");
      for (i = 0; lx && i < lx->time_offsets_len; i++)
        {
          char *n = xasprintf ("%s%s %" PRId64 " %" PRIu32 "\n", offsets, lx->time_offsets[i].clock,
                               lx->time_offsets[i].secs, lx->time_offsets[i].nanosecs);
          free (offsets);
          offsets = n;
        }
      /* The offsets take effect for the children: they must be written
       * before the first one is born.  */
      if (offsets[0] && write_proc ("/proc/self/timens_offsets", offsets, err) < 0)
        return rv_error_wrap (err, "linux.timeOffsets");
    }
  return 0;
}

static char *
format_map (const struct spec_id_mapping *m, size_t n)
{
  char *out = xstrdup ("");
  size_t i;
  for (i = 0; i < n; i++)
    {
      char *x = xasprintf ("%s%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", out, m[i].container_id, m[i].host_id,
                           m[i].size);
      free (out);
      out = x;
    }
  return out;
}

int
lc_ns_write_id_maps (pid_t pid, const struct spec_linux *lx, rv_error_t *err)
{
  _cleanup_free_ char *uid = format_map (lx->uid_mappings, lx->uid_mappings_len);
  _cleanup_free_ char *gid = format_map (lx->gid_mappings, lx->gid_mappings_len);
  _cleanup_free_ char *up = xasprintf ("/proc/%d/uid_map", (int) pid);
  _cleanup_free_ char *gp = xasprintf ("/proc/%d/gid_map", (int) pid);

  if (write_proc (up, uid, err) < 0)
    return rv_error_wrap (err, "linux.uidMappings");
  if (write_proc (gp, gid, err) < 0)
    return rv_error_wrap (err, "linux.gidMappings");
  return 0;
}

bool
lc_ns_in_userns (void)
{
  _cleanup_free_ char *m = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  if (read_file ("/proc/self/uid_map", 4096, &m, NULL, &tmp) < 0)
    return false;
  /* The initial namespace maps all of 0..2^32-1 onto itself.  */
  return strstr (m, "4294967295") == NULL;
}

pid_t
lc_ns_clone (unsigned long flags)
{
  return (pid_t) syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}
