#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/namespaces.h"
#include "libcontainer/process.h"

#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

#ifndef SCHED_FLAG_RESET_ON_FORK
#define SCHED_FLAG_RESET_ON_FORK 0x01
#endif

/* struct sched_attr as the kernel takes it (glibc 2.36 has no wrapper).  */
struct lc_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static const struct
{
  const char *name;
  unsigned int policy;
} sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },       { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
};

static const struct
{
  const char *name;
  unsigned long long flag;
} sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

void
lc_proc_free (struct lc_proc *p)
{
  if (p == NULL)
    return;
  free (p->rlimits);
  strv_free (p->env);
  free (p);
}

int
lc_proc_prepare (const struct spec_process *sp, const struct spec_personality *pers, struct lc_proc **ret,
                 rv_error_t *err)
{
  struct lc_proc *p = xmalloc0 (sizeof (*p));
  size_t i, j;
  int r;

  p->spec = sp;
  if (sp->args == NULL || sp->args[0] == NULL || sp->args[0][0] == '\0')
    {
      r = rv_error_set (err, EINVAL, "process.args: empty");
      goto fail;
    }
  if (sp->cwd == NULL || sp->cwd[0] != '/')
    {
      r = rv_error_set (err, EINVAL, "process.cwd: `%s` is not an absolute path", sp->cwd ? sp->cwd : "");
      goto fail;
    }

  p->rlimits = xcalloc (sp->rlimits_len + 1, sizeof (*p->rlimits));
  for (i = 0; i < sp->rlimits_len; i++)
    {
      const struct spec_rlimit *rl = &sp->rlimits[i];
      for (j = 0; j < ARRAY_SIZE (rlimit_names); j++)
        if (str_eq (rlimit_names[j].name, rl->type))
          break;
      if (j == ARRAY_SIZE (rlimit_names))
        {
          r = rv_error_set (err, EINVAL, "process.rlimits[%zu]: unknown type `%s`", i,
                            rl->type ? rl->type : "");
          goto fail;
        }
      if (rl->soft > rl->hard)
        {
          r = rv_error_set (err, EINVAL,
                            "process.rlimits[%zu]: %s soft limit %llu is above the hard limit %llu", i,
                            rl->type, (unsigned long long) rl->soft, (unsigned long long) rl->hard);
          goto fail;
        }
      /* A type given twice: the last one wins.  */
      p->rlimits[p->rlimits_len].name = rlimit_names[j].name;
      p->rlimits[p->rlimits_len].resource = rlimit_names[j].resource;
      p->rlimits[p->rlimits_len].value.rlim_cur = rl->soft;
      p->rlimits[p->rlimits_len].value.rlim_max = rl->hard;
      p->rlimits_len++;
    }

  if (sp->io_priority)
    {
      int klass;
      if (str_eq (sp->io_priority->klass, "IOPRIO_CLASS_RT"))
        klass = 1;
      else if (str_eq (sp->io_priority->klass, "IOPRIO_CLASS_BE"))
        klass = 2;
      else if (str_eq (sp->io_priority->klass, "IOPRIO_CLASS_IDLE"))
        klass = 3;
      else
        {
          r = rv_error_set (err, EINVAL, "process.ioPriority.class: unknown class `%s`",
                            sp->io_priority->klass ? sp->io_priority->klass : "");
          goto fail;
        }
      if (sp->io_priority->priority < 0 || sp->io_priority->priority > 7)
        {
          r = rv_error_set (err, EINVAL, "process.ioPriority.priority: %d is out of range (0-7)",
                            sp->io_priority->priority);
          goto fail;
        }
      p->has_ioprio = true;
      p->ioprio = (klass << IOPRIO_CLASS_SHIFT) | sp->io_priority->priority;
    }

  if (sp->scheduler)
    {
      char **f;
      for (j = 0; j < ARRAY_SIZE (sched_policies); j++)
        if (str_eq (sched_policies[j].name, sp->scheduler->policy))
          break;
      if (j == ARRAY_SIZE (sched_policies))
        {
          r = rv_error_set (err, EINVAL, "process.scheduler.policy: unknown policy `%s`",
                            sp->scheduler->policy ? sp->scheduler->policy : "");
          goto fail;
        }
      p->sched_policy = sched_policies[j].policy;
      for (f = sp->scheduler->flags; f && *f; f++)
        {
          for (j = 0; j < ARRAY_SIZE (sched_flags); j++)
            if (strcmp (sched_flags[j].name, *f) == 0)
              break;
          if (j == ARRAY_SIZE (sched_flags))
            {
              r = rv_error_set (err, EINVAL, "process.scheduler.flags: unknown flag `%s`", *f);
              goto fail;
            }
          p->sched_flags |= sched_flags[j].flag;
        }
      p->has_sched = true;
    }

  if (pers)
    {
      char **f;
      if (str_eq (pers->domain, "LINUX"))
        p->personality = PER_LINUX;
      else if (str_eq (pers->domain, "LINUX32"))
        p->personality = PER_LINUX32;
      else
        {
          r = rv_error_set (err, EINVAL, "linux.personality.domain: unknown domain `%s`",
                            pers->domain ? pers->domain : "");
          goto fail;
        }
      /* The spec defines no flags yet; refuse rather than ignore.  */
      for (f = pers->flags; f && *f; f++)
        {
          r = rv_error_set (err, EINVAL, "linux.personality.flags: unknown flag `%s`", *f);
          goto fail;
        }
      p->has_personality = true;
    }
  *ret = p;
  return 0;

fail:
  lc_proc_free (p);
  return r;
}

int
lc_proc_set_rlimits (const struct lc_proc *p, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < p->rlimits_len; i++)
    if (prlimit (0, p->rlimits[i].resource, &p->rlimits[i].value, NULL) < 0)
      return rv_error_make (err, errno, "set %s (soft %llu, hard %llu)", p->rlimits[i].name,
                            (unsigned long long) p->rlimits[i].value.rlim_cur,
                            (unsigned long long) p->rlimits[i].value.rlim_max);
  return 0;
}

int
lc_proc_set_personality (const struct lc_proc *p, rv_error_t *err)
{
  if (!p->has_personality)
    return 0;
  if (personality (p->personality) < 0)
    return rv_error_make (err, errno, "set personality 0x%lx", p->personality);
  return 0;
}

int
lc_proc_set_ioprio (const struct lc_proc *p, rv_error_t *err)
{
  if (!p->has_ioprio)
    return 0;
  if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, p->ioprio) < 0)
    return rv_error_make (err, errno, "set I/O priority");
  return 0;
}

int
lc_proc_set_scheduler (const struct lc_proc *p, rv_error_t *err)
{
  const struct spec_scheduler *s = p->spec->scheduler;
  struct lc_sched_attr attr;

  if (!p->has_sched)
    return 0;
  memset (&attr, 0, sizeof (attr));
  attr.size = sizeof (attr);
  attr.sched_policy = p->sched_policy;
  attr.sched_flags = p->sched_flags;
  attr.sched_nice = s->nice;
  attr.sched_priority = (uint32_t) s->priority;
  attr.sched_runtime = s->runtime;
  attr.sched_deadline = s->deadline;
  attr.sched_period = s->period;
  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    return rv_error_make (err, errno, "set scheduler policy %s", s->policy);
  return 0;
}

int
lc_proc_set_user (const struct spec_user *u, bool setgroups_allowed, rv_error_t *err)
{
  if (setgroups_allowed)
    {
      gid_t *groups = (gid_t *) u->additional_gids;
      if (setgroups (u->additional_gids_len, u->additional_gids_len ? groups : NULL) < 0)
        return rv_error_make (err, errno, "setgroups (%zu additional groups)", u->additional_gids_len);
    }
  else if (u->additional_gids_len > 0)
    return rv_error_set (err, EPERM, "additionalGids: setgroups is denied in this user namespace");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return rv_error_make (err, errno, "setresgid %u", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return rv_error_make (err, errno, "setresuid %u", u->uid);
  return 0;
}

int
lc_proc_set_oom_score_adj (pid_t pid, int value, rv_error_t *err)
{
  _cleanup_free_ char *path = xasprintf ("/proc/%d/oom_score_adj", (int) pid);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  char buf[16];
  int n, r;

  if (fd < 0)
    return rv_error_make (err, errno, "open `%s`", path);
  n = snprintf (buf, sizeof (buf), "%d", value);
  r = write_all (fd, buf, (size_t) n);
  if (r < 0)
    return rv_error_make (err, -r, "set oom_score_adj to %d", value);
  return 0;
}

static const char *
env_get (char *const *env, const char *name)
{
  size_t n = strlen (name);
  for (; env && *env; env++)
    if (strncmp (*env, name, n) == 0 && (*env)[n] == '=')
      return *env + n + 1;
  return NULL;
}

static bool
is_executable (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, X_OK) == 0;
}

int
lc_proc_find_executable (const char *argv0, char *const *env, char **ret, rv_error_t *err)
{
  const char *path;
  _cleanup_free_ char *copy = NULL;
  char *save = NULL, *dir;
  int last_errno = ENOENT;

  if (strchr (argv0, '/') != NULL)
    {
      struct stat st;
      if (stat (argv0, &st) < 0)
        return rv_error_make (err, errno, "exec `%s`", argv0);
      if (S_ISDIR (st.st_mode))
        return rv_error_make (err, EACCES, "exec `%s`: is a directory", argv0);
      *ret = xstrdup (argv0);
      return 0;
    }
  path = env_get (env, "PATH");
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  copy = xstrdup (path);
  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      _cleanup_free_ char *cand = xasprintf ("%s/%s", dir[0] ? dir : ".", argv0);
      if (is_executable (cand))
        {
          *ret = TAKE_PTR (cand);
          return 0;
        }
      if (access (cand, F_OK) == 0)
        last_errno = EACCES;
    }
  return rv_error_set (err, last_errno, "exec: `%s`: executable file not found in $PATH", argv0);
}

char **
lc_proc_env_with_home (char *const *env, uid_t uid)
{
  _cleanup_free_ char *passwd = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  char **out = strv_dup (env);
  const char *home = "/";
  char *save = NULL, *line;

  if (out == NULL)
    out = xcalloc (1, sizeof (char *));
  if (env_get (env, "HOME") != NULL)
    return out;
  if (read_file ("/etc/passwd", 1 << 20, &passwd, NULL, &tmp) == 0)
    for (line = strtok_r (passwd, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        /* name:pw:uid:gid:gecos:home:shell */
        char *fields[7] = { NULL };
        char *p = line;
        int n = 0, id;
        while (n < 7)
          {
            fields[n++] = p;
            p = strchr (p, ':');
            if (p == NULL)
              break;
            *p++ = '\0';
          }
        if (n >= 6 && parse_int (fields[2], &id) == 0 && (uid_t) id == uid && fields[5][0])
          {
            home = fields[5];
            break;
          }
      }
  {
    _cleanup_free_ char *h = xasprintf ("HOME=%s", home);
    strv_append (&out, h);
  }
  return out;
}

int
lc_proc_set_sysctls (const struct spec_kv *kv, size_t n, rv_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      _cleanup_free_ char *path = NULL;
      _cleanup_close_ int fd = -1;
      char *c;
      int r;

      if (kv[i].key == NULL || strstr (kv[i].key, "..") != NULL || kv[i].key[0] == '/')
        return rv_error_set (err, EINVAL, "linux.sysctl: invalid key `%s`", kv[i].key ? kv[i].key : "");
      path = xasprintf ("/proc/sys/%s", kv[i].key);
      /* Dots separate the levels, unless the key is written with slashes
       * (needed when a level has a dot in it: net/ipv4/conf/eth0.100/...).  */
      if (strchr (kv[i].key, '/') == NULL)
        for (c = path + strlen ("/proc/sys/"); *c; c++)
          if (*c == '.')
            *c = '/';
      fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        return rv_error_make (err, errno, "sysctl `%s`: open `%s`", kv[i].key, path);
      r = write_all (fd, kv[i].value ? kv[i].value : "", kv[i].value ? strlen (kv[i].value) : 0);
      if (r < 0)
        return rv_error_make (err, -r, "sysctl `%s` = `%s`", kv[i].key, kv[i].value ? kv[i].value : "");
    }
  return 0;
}

static bool
has_own_ns (const struct spec_config *c, const char *type)
{
  const struct spec_namespace *ns = lc_ns_find (c, type);
  /* A namespace joined by path is the container's too (a pod's).  */
  return ns != NULL;
}

int
lc_proc_check_sysctls (const struct spec_config *c, rv_error_t *err)
{
  size_t i;
  if (c->linux == NULL)
    return 0;
  for (i = 0; i < c->linux->sysctl_len; i++)
    {
      _cleanup_free_ char *dotted = NULL;
      const char *k = c->linux->sysctl[i].key;
      char *s;
      if (k == NULL)
        return rv_error_set (err, EINVAL, "linux.sysctl: empty key");
      dotted = xstrdup (k);
      for (s = dotted; *s; s++)
        if (*s == '/')
          *s = '.';
      k = dotted;
      if (strcmp (k, "kernel.sem") == 0 || str_has_prefix (k, "kernel.shm")
          || str_has_prefix (k, "kernel.msg") || str_has_prefix (k, "fs.mqueue."))
        {
          if (!has_own_ns (c, "ipc"))
            return rv_error_set (
                err, EINVAL, "sysctl `%s` is not allowed: the container shares the host's IPC namespace", k);
          continue;
        }
      if (str_has_prefix (k, "net."))
        {
          if (!has_own_ns (c, "network"))
            return rv_error_set (
                err, EINVAL, "sysctl `%s` is not allowed: the container shares the host's network namespace",
                k);
          continue;
        }
      if (strcmp (k, "kernel.hostname") == 0 || strcmp (k, "kernel.domainname") == 0)
        {
          if (!has_own_ns (c, "uts"))
            return rv_error_set (
                err, EINVAL, "sysctl `%s` is not allowed: the container shares the host's UTS namespace", k);
          continue;
        }
      if (strcmp (k, "kernel.ns_last_pid") == 0 || str_has_prefix (k, "user.max_"))
        continue;
      return rv_error_set (err, EINVAL, "sysctl `%s` is not in a separate kernel namespace", k);
    }
  return 0;
}

int
lc_proc_parse_cpus (const char *list, cpu_set_t *ret)
{
  _cleanup_free_ char *copy = xstrdup (list);
  char *save = NULL, *tok;
  cpu_set_t set;

  CPU_ZERO (&set);
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *dash = strchr (tok, '-');
      int a, b, i;
      if (dash)
        *dash = '\0';
      if (parse_int (tok, &a) < 0 || a < 0)
        return -EINVAL;
      b = a;
      if (dash && (parse_int (dash + 1, &b) < 0 || b < a))
        return -EINVAL;
      if (b >= CPU_SETSIZE)
        return -EINVAL;
      for (i = a; i <= b; i++)
        CPU_SET (i, &set);
    }
  if (CPU_COUNT (&set) == 0)
    return -EINVAL;
  *ret = set;
  return 0;
}

void
lc_proc_close_fds_from (int first, int keep)
{
  _cleanup_closedir_ DIR *d = NULL;
  struct dirent *de;

  if (keep < first)
    {
      if (syscall (SYS_close_range, (unsigned) first, ~0U, 0) == 0)
        return;
    }
  else
    {
      if ((keep == first || syscall (SYS_close_range, (unsigned) first, (unsigned) keep - 1, 0) == 0)
          && syscall (SYS_close_range, (unsigned) keep + 1, ~0U, 0) == 0)
        return;
    }
  d = opendir ("/proc/self/fd");
  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      int fd;
      if (parse_int (de->d_name, &fd) < 0 || fd < first || fd == keep || fd == dirfd (d))
        continue;
      (void) close (fd);
    }
}
