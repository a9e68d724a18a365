/* OOM notices for the `events` call.
 *
 * A container whose init sits in a cgroup v2 of its own with the memory
 * controller has a memory.events file; the kernel raises a "modified"
 * inotify event on it when a counter changes, and `oom_kill` counts the
 * processes the OOM killer took.  Each increase becomes an "oom" event.
 * Where there is no such file (cgroup v1 hosts, the agent's own cgroup)
 * no notice is given.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cmd/runvm-agent/agent.h"
#include "common/log.h"
#include "common/utils.h"

int
oom_parse_kills (const char *memory_events, uint64_t *ret)
{
  const char *p = memory_events;

  while (p && *p)
    {
      unsigned long long v;
      if (sscanf (p, "oom_kill %llu", &v) == 1)
        {
          *ret = v;
          return 0;
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return -ENOENT;
}

/* The cgroup v2 path in a /proc/PID/cgroup text ("0::/a/b" -> "/a/b").  */
static char *
unified_path (const char *proc_cgroup)
{
  const char *p = proc_cgroup;

  while (p && *p)
    {
      if (str_has_prefix (p, "0::"))
        {
          const char *end = strchr (p, '\n');
          return end ? xstrndup (p + 3, (size_t) (end - p - 3)) : xstrdup (p + 3);
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return NULL;
}

/* The mount point of the first cgroup2 file system in a mountinfo text.
 * Fields: id parent major:minor root mountpoint options... - fstype ...  */
static char *
cgroup2_mount (const char *mountinfo)
{
  _cleanup_free_ char *copy = xstrdup (mountinfo);
  char *save = NULL, *line;

  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *sep = strstr (line, " - ");
      char *fields[5] = { NULL };
      char *fsave = NULL, *f;
      size_t n = 0;

      if (sep == NULL || !str_has_prefix (sep + 3, "cgroup2 "))
        continue;
      *sep = '\0';
      for (f = strtok_r (line, " ", &fsave); f && n < 5; f = strtok_r (NULL, " ", &fsave))
        fields[n++] = f;
      if (n == 5)
        return xstrdup (fields[4]);
    }
  return NULL;
}

char *
oom_events_path (const char *proc_cgroup, const char *own_cgroup, const char *mountinfo)
{
  _cleanup_free_ char *rel = unified_path (proc_cgroup), *own = unified_path (own_cgroup);
  _cleanup_free_ char *mnt = cgroup2_mount (mountinfo);

  /* Sharing the agent's cgroup is not a cgroup of the container's own.  */
  if (rel == NULL || mnt == NULL || str_eq (rel, own))
    return NULL;
  return xasprintf ("%s%s/memory.events", mnt, strcmp (rel, "/") == 0 ? "" : rel);
}

static void
oom_event (struct agent *a, struct watch *w, uint32_t revents)
{
  char buf[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  ssize_t n;

  (void) revents;
  while ((n = read (w->fd, buf, sizeof (buf))) > 0)
    {
      char *p = buf;
      while (p < buf + n)
        {
          struct inotify_event *ev = (struct inotify_event *) p;
          struct list *it, *tmp;

          p += sizeof (*ev) + ev->len;
          list_for_each_safe (it, tmp, &a->ctrs)
          {
            struct ctr *c = list_entry (it, struct ctr, link);
            _cleanup_free_ char *text = NULL;
            _cleanup_error_ rv_error_t err = NULL;
            uint64_t kills;

            if (c->oom_wd != ev->wd || c->oom_path == NULL)
              continue;
            if (read_file (c->oom_path, 4096, &text, NULL, &err) < 0 || oom_parse_kills (text, &kills) < 0)
              continue;
            for (; c->oom_kills < kills; c->oom_kills++)
              agent_push_event (a, "oom", c, NULL);
          }
        }
    }
}

void
oom_watch (struct agent *a, struct ctr *c, pid_t pid)
{
  _cleanup_free_ char *cg = NULL, *own = NULL, *mounts = NULL, *path = NULL, *text = NULL;
  _cleanup_free_ char *cg_path = xasprintf ("/proc/%d/cgroup", (int) pid);
  _cleanup_error_ rv_error_t err = NULL;
  uint64_t kills = 0;
  int wd;

  if (read_file (cg_path, 65536, &cg, NULL, &err) < 0
      || read_file ("/proc/self/cgroup", 65536, &own, NULL, &err) < 0
      || read_file ("/proc/self/mountinfo", 1 << 20, &mounts, NULL, &err) < 0)
    return;
  path = oom_events_path (cg, own, mounts);
  if (path == NULL || read_file (path, 4096, &text, NULL, &err) < 0 || oom_parse_kills (text, &kills) < 0)
    return;
  if (a->oom_w.fd < 0)
    {
      int fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (fd < 0)
        return;
      watch_init (&a->oom_w, oom_event);
      watch_set (a, &a->oom_w, fd, EPOLLIN);
    }
  wd = inotify_add_watch (a->oom_w.fd, path, IN_MODIFY);
  if (wd < 0)
    {
      rv_debug ("watch `%s`: %s", path, strerror (errno));
      return;
    }
  rv_debug ("container `%s`: OOM notices from `%s`", c->id, path);
  c->oom_wd = wd;
  c->oom_kills = kills;
  c->oom_path = TAKE_PTR (path);
}

void
oom_unwatch (struct agent *a, struct ctr *c)
{
  if (c->oom_path && a->oom_w.fd >= 0)
    (void) inotify_rm_watch (a->oom_w.fd, c->oom_wd);
  free (c->oom_path);
  c->oom_path = NULL;
  c->oom_wd = -1;
}
