/* The OCI validation checker: runs as a container's process, reads the
 * config.json that created the container (bind-mounted read-only, by
 * default at /.oci-config.json) and compares it with what it sees from
 * inside, one TAP line per property.  Static, so any rootfs will do.
 *
 * Expectations the container cannot compute alone come from annotations
 * the suite writes (org.runvm.test.*): the host's namespace inodes and
 * those of namespaces joined by path.
 *
 * Exit status: 0 when every line is "ok", 1 otherwise.  */
#include <cap-ng.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/utils.h"
#include "spec/config.h"

static int n_tests, n_failed;

static bool __attribute__ ((format (printf, 2, 3))) tap (bool ok, const char *fmt, ...)
{
  va_list ap;
  n_tests++;
  if (!ok)
    n_failed++;
  printf ("%s %d - ", ok ? "ok" : "not ok", n_tests);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
  return ok;
}

static void __attribute__ ((format (printf, 1, 2))) skip (const char *fmt, ...)
{
  va_list ap;
  n_tests++;
  printf ("ok %d - ", n_tests);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf (" # SKIP\n");
  fflush (stdout);
}

static const struct spec_config *cfg;

static const char *
annotation (const char *key)
{
  size_t i;
  for (i = 0; i < cfg->annotations_len; i++)
    if (str_eq (cfg->annotations[i].key, key))
      return cfg->annotations[i].value;
  return NULL;
}

static char *
slurp (const char *path)
{
  char *data = NULL;
  rv_error_t err = NULL;
  size_t len = 0;
  if (read_file (path, 1 << 22, &data, &len, &err) < 0)
    {
      rv_error_release (&err);
      return NULL;
    }
  while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
    data[--len] = '\0';
  return data;
}

/* "Key:\tvalue" of /proc/self/status.  */
static char *
status_field (const char *key)
{
  _cleanup_free_ char *s = slurp ("/proc/self/status");
  char *line, *save = NULL;
  size_t n = strlen (key);
  if (s == NULL)
    return NULL;
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, key, n) == 0 && line[n] == ':')
      {
        char *v = line + n + 1;
        while (*v == ' ' || *v == '\t')
          v++;
        return xstrdup (v);
      }
  return NULL;
}

/* ---- mountinfo ---------------------------------------------------------- */

struct mnt
{
  char *root, *point, *opts, *optional, *fstype, *source, *super;
};

static struct mnt *mounts;
static size_t n_mounts;

static void
unescape (char *s)
{
  char *o = s;
  while (*s)
    {
      if (s[0] == '\\' && isdigit ((unsigned char) s[1]) && isdigit ((unsigned char) s[2])
          && isdigit ((unsigned char) s[3]))
        {
          *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 4;
        }
      else
        *o++ = *s++;
    }
  *o = '\0';
}

static void
load_mounts (void)
{
  char *s = slurp ("/proc/self/mountinfo");
  char *line, *save = NULL;
  if (s == NULL)
    return;
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *sep = strstr (line, " - ");
      char *f[6] = { NULL }, *p, *s2 = NULL, *opt_start;
      struct mnt m;
      int n = 0;
      if (sep == NULL)
        continue;
      *sep = '\0';
      for (p = strtok_r (line, " ", &s2); p && n < 6; p = strtok_r (NULL, " ", &s2))
        f[n++] = p;
      if (n < 6)
        continue;
      opt_start = p; /* the rest: optional fields.  */
      memset (&m, 0, sizeof (m));
      unescape (f[3]);
      unescape (f[4]);
      m.root = f[3];
      m.point = f[4];
      m.opts = f[5];
      {
        _cleanup_free_ char *opt = xstrdup ("");
        for (; opt_start; opt_start = strtok_r (NULL, " ", &s2))
          {
            char *x = xasprintf ("%s %s", opt, opt_start);
            free (opt);
            opt = x;
          }
        m.optional = xstrdup (opt);
      }
      s2 = NULL;
      m.fstype = strtok_r (sep + 3, " ", &s2);
      m.source = strtok_r (NULL, " ", &s2);
      m.super = strtok_r (NULL, " ", &s2);
      if (m.fstype == NULL || m.super == NULL)
        continue;
      mounts = xreallocarray (mounts, n_mounts + 1, sizeof (*mounts));
      mounts[n_mounts++] = m;
    }
}

/* The mount visible at PATH: the last one mounted there.  */
static const struct mnt *
mount_at (const char *path)
{
  size_t i = n_mounts;
  while (i-- > 0)
    if (strcmp (mounts[i].point, path) == 0)
      return &mounts[i];
  return NULL;
}

static bool
has_word (const char *list, const char *word)
{
  _cleanup_free_ char *copy = xstrdup (list);
  char *tok, *save = NULL;
  for (tok = strtok_r (copy, ", ", &save); tok; tok = strtok_r (NULL, ", ", &save))
    if (strcmp (tok, word) == 0)
      return true;
  return false;
}

static char *
value_of (const char *list, const char *key)
{
  _cleanup_free_ char *copy = xstrdup (list);
  char *tok, *save = NULL;
  size_t n = strlen (key);
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (strncmp (tok, key, n) == 0 && tok[n] == '=')
      return xstrdup (tok + n + 1);
  return NULL;
}

/* ---- checks ------------------------------------------------------------- */

static bool
in_userns (void)
{
  _cleanup_free_ char *m = slurp ("/proc/self/uid_map");
  return m && strstr (m, "4294967295") == NULL;
}

static void
check_user (void)
{
  const struct spec_user *u = &cfg->process->user;
  uid_t r, e, s;
  gid_t rg, eg, sg;
  gid_t groups[256];
  int n, i;
  size_t j;
  bool same = true;

  getresuid (&r, &e, &s);
  getresgid (&rg, &eg, &sg);
  tap (r == u->uid && e == u->uid && s == u->uid, "process.user.uid %u (real/effective/saved %u/%u/%u)",
       u->uid, r, e, s);
  tap (rg == u->gid && eg == u->gid && sg == u->gid, "process.user.gid %u (real/effective/saved %u/%u/%u)",
       u->gid, rg, eg, sg);
  n = getgroups (256, groups);
  if (n < 0 || (size_t) n != u->additional_gids_len)
    same = false;
  for (j = 0; same && j < u->additional_gids_len; j++)
    {
      bool found = false;
      for (i = 0; i < n; i++)
        if (groups[i] == u->additional_gids[j])
          found = true;
      same = same && found;
    }
  tap (same, "process.user.additionalGids (%zu configured, %d present)", u->additional_gids_len, n);
  {
    _cleanup_free_ char *um = status_field ("Umask");
    unsigned want = u->umask.set ? u->umask.value : 0022, got = 0;
    tap (um && sscanf (um, "%o", &got) == 1 && got == want, "process.user.umask %04o (got %s)", want,
         um ? um : "?");
  }
}

static void
check_process_basics (void)
{
  const struct spec_process *p = cfg->process;
  char cwd[PATH_MAX];
  char **e;
  _cleanup_free_ char *clean = NULL;

  if (getcwd (cwd, sizeof (cwd)) == NULL)
    cwd[0] = '\0';
  clean = xstrdup (p->cwd);
  if (strlen (clean) > 1 && clean[strlen (clean) - 1] == '/')
    clean[strlen (clean) - 1] = '\0';
  tap (strcmp (cwd, clean) == 0, "process.cwd %s (got %s)", p->cwd, cwd);
  for (e = p->env; e && *e; e++)
    {
      _cleanup_free_ char *k = xstrndup (*e, strcspn (*e, "="));
      const char *want = strchr (*e, '=') ? strchr (*e, '=') + 1 : "";
      const char *got = getenv (k);
      tap (got && strcmp (got, want) == 0, "process.env %s", *e);
    }
  tap (getenv ("HOME") != NULL, "HOME is set (%s)", getenv ("HOME") ? getenv ("HOME") : "unset");
  /* Nothing the runtime (or whatever ran it) blocked or ignored reaches
   * the container's process.  */
  {
    _cleanup_free_ char *blk = status_field ("SigBlk"), *ign = status_field ("SigIgn");
    tap (blk && strtoull (blk, NULL, 16) == 0, "no signal blocked (SigBlk %s)", blk ? blk : "?");
    tap (ign && strtoull (ign, NULL, 16) == 0, "no signal ignored (SigIgn %s)", ign ? ign : "?");
  }
  {
    _cleanup_free_ char *nnp = status_field ("NoNewPrivs");
    tap (nnp && atoi (nnp) == (p->no_new_privileges ? 1 : 0), "process.noNewPrivileges %s (NoNewPrivs %s)",
         p->no_new_privileges ? "true" : "false", nnp ? nnp : "?");
  }
  if (p->oom_score_adj.set)
    {
      _cleanup_free_ char *v = slurp ("/proc/self/oom_score_adj");
      tap (v && atoi (v) == p->oom_score_adj.value, "process.oomScoreAdj %d (got %s)", p->oom_score_adj.value,
           v ? v : "?");
    }
}

static const struct
{
  const char *name;
  int res;
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

static void
check_rlimits (void)
{
  size_t i, j;
  for (i = 0; i < cfg->process->rlimits_len; i++)
    {
      const struct spec_rlimit *rl = &cfg->process->rlimits[i];
      struct rlimit got;
      for (j = 0; j < ARRAY_SIZE (rlimit_names); j++)
        if (str_eq (rlimit_names[j].name, rl->type))
          break;
      if (j == ARRAY_SIZE (rlimit_names) || getrlimit (rlimit_names[j].res, &got) < 0)
        {
          tap (false, "process.rlimits %s: unknown", rl->type);
          continue;
        }
      tap (got.rlim_cur == rl->soft && got.rlim_max == rl->hard,
           "process.rlimits %s %llu/%llu (got %llu/%llu)", rl->type, (unsigned long long) rl->soft,
           (unsigned long long) rl->hard, (unsigned long long) got.rlim_cur,
           (unsigned long long) got.rlim_max);
    }
}

static uint64_t
capset_of (char **names, int last)
{
  uint64_t v = 0;
  for (; names && *names; names++)
    {
      char lower[64];
      size_t i;
      int c;
      if (strncasecmp (*names, "CAP_", 4) != 0)
        continue;
      for (i = 0; (*names)[4 + i] && i < sizeof (lower) - 1; i++)
        lower[i] = (char) tolower ((unsigned char) (*names)[4 + i]);
      lower[i] = '\0';
      c = capng_name_to_capability (lower);
      if (c >= 0 && c <= last)
        v |= 1ULL << c;
    }
  return v;
}

static void
check_caps (void)
{
  const struct spec_capabilities *c = cfg->process->capabilities;
  _cleanup_free_ char *lastc = slurp ("/proc/sys/kernel/cap_last_cap");
  int last = lastc ? atoi (lastc) : 40;
  uint64_t b = 0, e = 0, i = 0, p = 0, a = 0;
  uint64_t wb, we, wi, wp, wa;
  static const char *const keys[] = { "CapBnd", "CapEff", "CapInh", "CapPrm", "CapAmb" };
  uint64_t got[5];
  size_t k;

  if (c)
    {
      b = capset_of (c->bounding, last);
      e = capset_of (c->effective, last);
      i = capset_of (c->inheritable, last);
      p = capset_of (c->permitted, last);
      a = capset_of (c->ambient, last);
    }
  (void) e;
  /* What execve makes of the sets the runtime applied (capabilities(7)):
   * root gets bounding | inheritable (| ambient) as permitted and
   * effective, limited to the old permitted under no_new_privs; others
   * keep only the ambient set.  */
  wb = b;
  wi = i;
  wa = a & p & i;
  if (cfg->process->user.uid == 0)
    {
      wp = b | i | wa;
      if (cfg->process->no_new_privileges)
        wp &= p;
      we = wp;
    }
  else
    {
      wp = wa;
      we = wa;
    }
  uint64_t want[5] = { wb, we, wi, wp, wa };
  for (k = 0; k < 5; k++)
    {
      _cleanup_free_ char *v = status_field (keys[k]);
      got[k] = v ? strtoull (v, NULL, 16) : ~0ULL;
      tap (got[k] == want[k], "process.capabilities %s %016" PRIx64 " (got %016" PRIx64 ")", keys[k], want[k],
           got[k]);
    }
}

static void
check_uts (void)
{
  /* Through /proc rather than uname(2), which a seccomp case traps.  */
  _cleanup_free_ char *host = slurp ("/proc/sys/kernel/hostname");
  _cleanup_free_ char *domain = slurp ("/proc/sys/kernel/domainname");
  if (cfg->hostname && cfg->hostname[0])
    tap (host && strcmp (host, cfg->hostname) == 0, "hostname %s (got %s)", cfg->hostname, host ? host : "?");
  if (cfg->domainname && cfg->domainname[0])
    tap (domain && strcmp (domain, cfg->domainname) == 0, "domainname %s (got %s)", cfg->domainname,
         domain ? domain : "?");
}

/* ---- mounts ------------------------------------------------------------- */

/* ID as the initial user namespace knows it, through MAP.  */
static unsigned long
host_id (const char *map, unsigned long id)
{
  _cleanup_free_ char *s = slurp (map);
  char *line, *save = NULL;
  for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long inside, outside, count;
      if (sscanf (line, "%lu %lu %lu", &inside, &outside, &count) == 3 && id >= inside && id - inside < count)
        return outside + (id - inside);
    }
  return id;
}

static unsigned long long
parse_size (const char *v)
{
  char *end;
  unsigned long long n = strtoull (v, &end, 10);
  switch (tolower ((unsigned char) *end))
    {
    case 'k':
      return n << 10;
    case 'm':
      return n << 20;
    case 'g':
      return n << 30;
    default:
      return n;
    }
}

static void
check_mount_data (const char *dest, const struct mnt *m, const char *word)
{
  _cleanup_free_ char *k = xstrndup (word, strcspn (word, "="));
  const char *v = strchr (word, '=') ? strchr (word, '=') + 1 : NULL;
  _cleanup_free_ char *got = NULL;
  if (v == NULL)
    return;
  got = value_of (m->super, k);
  /* tmpfs leaves its default mode (1777) out of the options.  */
  if (got == NULL && strcmp (k, "mode") == 0 && strcmp (m->fstype, "tmpfs") == 0)
    got = xstrdup ("1777");
  if (strcmp (k, "size") == 0)
    tap (got && parse_size (got) == parse_size (v), "mount %s: size=%s (got %s)", dest, v,
         got ? got : "none");
  else if (strcmp (k, "mode") == 0 || strcmp (k, "ptmxmode") == 0)
    tap (got && strtoul (got, NULL, 8) == strtoul (v, NULL, 8), "mount %s: %s=%s (got %s)", dest, k, v,
         got ? got : "none");
  else if (strcmp (k, "gid") == 0 || strcmp (k, "uid") == 0)
    {
      /* The kernel shows these ids as the initial user namespace sees
       * them.  */
      unsigned long want = host_id (strcmp (k, "uid") == 0 ? "/proc/self/uid_map" : "/proc/self/gid_map",
                                    strtoul (v, NULL, 10));
      tap (got && strtoul (got, NULL, 10) == want, "mount %s: %s=%s (host %lu, got %s)", dest, k, v, want,
           got ? got : "none");
    }
  else if (strcmp (k, "nr_inodes") == 0)
    tap (got && strtoul (got, NULL, 10) == strtoul (v, NULL, 10), "mount %s: %s=%s (got %s)", dest, k, v,
         got ? got : "none");
}

static bool
path_below (const char *root, const char *p)
{
  size_t n = strlen (root);
  if (strcmp (root, "/") == 0)
    return true;
  return strncmp (root, p, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

static bool
listed (char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

static void
check_mounts (void)
{
  size_t i, later;
  for (i = 0; i < cfg->mounts_len; i++)
    {
      const struct spec_mount *sm = &cfg->mounts[i];
      _cleanup_free_ char *dest = NULL;
      char real[PATH_MAX];
      const struct mnt *m;
      bool bind = str_eq (sm->type, "bind"), hidden = false, protect = false;
      char **o;

      for (o = sm->options; o && *o; o++)
        if (strcmp (*o, "bind") == 0 || strcmp (*o, "rbind") == 0)
          bind = true;
      /* A later mount on the same place, or on a directory above it,
       * hides this one.  */
      for (later = i + 1; later < cfg->mounts_len; later++)
        if (path_below (cfg->mounts[later].destination, sm->destination))
          hidden = true;
      if (hidden)
        continue;
      dest = xstrdup (sm->destination);
      if (realpath (dest, real) != NULL)
        {
          free (dest);
          dest = xstrdup (real);
        }
      if (cfg->linux)
        protect = listed (cfg->linux->masked_paths, dest) || listed (cfg->linux->readonly_paths, dest);
      m = mount_at (dest);
      if (!tap (m != NULL, "mount %s exists", sm->destination))
        continue;
      if (str_eq (sm->type, "cgroup"))
        tap (strcmp (m->fstype, "cgroup2") == 0 || strcmp (m->fstype, "tmpfs") == 0,
             "mount %s: type cgroup is cgroup2 or a tmpfs of v1 hierarchies (got %s)", sm->destination,
             m->fstype);
      else if (!bind)
        tap (str_eq (m->fstype, sm->type), "mount %s: type %s (got %s)", sm->destination, sm->type,
             m->fstype);
      for (o = sm->options; o && *o; o++)
        {
          static const char *const set_words[]
              = { "ro", "nosuid", "nodev", "noexec", "noatime", "nodiratime", "relatime" };
          bool atime_word = strcmp (*o, "noatime") == 0 || strcmp (*o, "relatime") == 0
                            || strcmp (*o, "strictatime") == 0;
          char **later_o;
          bool superseded = false;
          /* The atime words pick one mode: the last one given counts.  */
          for (later_o = o + 1; atime_word && *later_o; later_o++)
            if (strcmp (*later_o, "noatime") == 0 || strcmp (*later_o, "relatime") == 0
                || strcmp (*later_o, "strictatime") == 0)
              superseded = true;
          static const char *const clear_words[][2]
              = { { "rw", "ro" }, { "suid", "nosuid" }, { "dev", "nodev" }, { "exec", "noexec" } };
          size_t k;
          /* readonlyPaths and maskedPaths change what the mount shows.  */
          if (protect)
            break;
          if (superseded)
            continue;
          for (k = 0; k < ARRAY_SIZE (set_words); k++)
            if (strcmp (*o, set_words[k]) == 0)
              tap (has_word (m->opts, *o), "mount %s: %s (options %s)", sm->destination, *o, m->opts);
          for (k = 0; k < ARRAY_SIZE (clear_words); k++)
            if (strcmp (*o, clear_words[k][0]) == 0)
              tap (!has_word (m->opts, clear_words[k][1]), "mount %s: %s (options %s)", sm->destination, *o,
                   m->opts);
          if (strcmp (*o, "strictatime") == 0)
            tap (!has_word (m->opts, "relatime") && !has_word (m->opts, "noatime"),
                 "mount %s: strictatime (options %s)", sm->destination, m->opts);
          if (strcmp (*o, "shared") == 0 || strcmp (*o, "rshared") == 0)
            tap (strstr (m->optional, "shared:") != NULL, "mount %s: %s (propagation%s)", sm->destination, *o,
                 m->optional);
          if (strcmp (*o, "slave") == 0 || strcmp (*o, "rslave") == 0)
            tap (strstr (m->optional, "master:") != NULL && strstr (m->optional, "shared:") == NULL,
                 "mount %s: %s (propagation%s)", sm->destination, *o, m->optional);
          if (strcmp (*o, "private") == 0 || strcmp (*o, "rprivate") == 0)
            tap (strstr (m->optional, "master:") == NULL && strstr (m->optional, "shared:") == NULL,
                 "mount %s: %s (propagation%s)", sm->destination, *o, m->optional);
          if (strcmp (*o, "unbindable") == 0 || strcmp (*o, "runbindable") == 0)
            tap (strstr (m->optional, "unbindable") != NULL, "mount %s: %s (propagation%s)", sm->destination,
                 *o, m->optional);
          if (strcmp (*o, "rro") == 0 || strcmp (*o, "rnosuid") == 0 || strcmp (*o, "rnoexec") == 0)
            {
              /* Every mount below the destination has it too.  */
              size_t k2;
              bool all = true;
              for (k2 = 0; k2 < n_mounts; k2++)
                if (path_below (dest, mounts[k2].point) && !has_word (mounts[k2].opts, *o + 1))
                  all = false;
              tap (all, "mount %s: %s reaches every submount", sm->destination, *o);
            }
          if (!bind && strchr (*o, '=') && !str_eq (sm->type, "cgroup"))
            check_mount_data (sm->destination, m, *o);
        }
      if (!bind && !protect && !str_eq (sm->type, "cgroup"))
        {
          /* Not asked for read-only: writable.  */
          bool ro = false;
          for (o = sm->options; o && *o; o++)
            if (strcmp (*o, "ro") == 0)
              ro = true;
          if (!ro)
            tap (!has_word (m->opts, "ro"), "mount %s: rw by default (options %s)", sm->destination, m->opts);
        }
    }
}

static void
check_root (void)
{
  const struct mnt *m = mount_at ("/");
  if (!tap (m != NULL, "/ is a mount"))
    return;
  tap (has_word (m->opts, "ro") == (cfg->root && cfg->root->readonly), "root.readonly %s (options %s)",
       cfg->root && cfg->root->readonly ? "true" : "false", m->opts);
  if (cfg->linux && cfg->linux->rootfs_propagation && cfg->linux->rootfs_propagation[0])
    {
      const char *p = cfg->linux->rootfs_propagation;
      bool ok;
      if (strstr (p, "shared"))
        ok = strstr (m->optional, "shared:") != NULL;
      else if (strstr (p, "slave"))
        ok = strstr (m->optional, "master:") != NULL && strstr (m->optional, "shared:") == NULL;
      else if (strstr (p, "unbindable"))
        ok = strstr (m->optional, "unbindable") != NULL;
      else
        ok = strstr (m->optional, "shared:") == NULL && strstr (m->optional, "master:") == NULL;
      tap (ok, "linux.rootfsPropagation %s (/ shows:%s)", p, m->optional);
    }
}

static void
check_masked_readonly (void)
{
  char **p;
  if (cfg->linux == NULL)
    return;
  for (p = cfg->linux->masked_paths; p && *p; p++)
    {
      struct stat st;
      if (lstat (*p, &st) < 0)
        {
          tap (errno == ENOENT, "maskedPaths %s: absent", *p);
          continue;
        }
      if (S_ISDIR (st.st_mode))
        {
          const struct mnt *m = mount_at (*p);
          DIR *d = opendir (*p);
          int entries = 0;
          struct dirent *de;
          while (d && (de = readdir (d)) != NULL)
            if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
              entries++;
          if (d)
            closedir (d);
          tap (m && strcmp (m->fstype, "tmpfs") == 0 && has_word (m->opts, "ro") && entries == 0,
               "maskedPaths %s: an empty read-only tmpfs", *p);
        }
      else
        {
          int fd = open (*p, O_RDONLY | O_NONBLOCK);
          char c;
          bool empty = fd >= 0 && read (fd, &c, 1) == 0;
          if (fd >= 0)
            close (fd);
          tap (stat (*p, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3) && empty,
               "maskedPaths %s: /dev/null over it", *p);
        }
    }
  for (p = cfg->linux->readonly_paths; p && *p; p++)
    {
      struct statvfs sv;
      if (statvfs (*p, &sv) < 0)
        {
          tap (errno == ENOENT, "readonlyPaths %s: absent", *p);
          continue;
        }
      tap ((sv.f_flag & ST_RDONLY) != 0 && mount_at (*p) != NULL, "readonlyPaths %s: a read-only mount", *p);
    }
}

/* ---- devices ------------------------------------------------------------ */

struct rule
{
  char type;
  long long major, minor;
  unsigned acc; /* 1 mknod, 2 read, 4 write */
  bool allow;
  const char *path; /* a default node: dropped when linux.devices has it (runc).  */
};

static unsigned
access_bits (const char *s)
{
  unsigned a = 0;
  if (s == NULL || *s == '\0')
    return 7;
  for (; *s; s++)
    a |= *s == 'm' ? 1 : *s == 'r' ? 2 : *s == 'w' ? 4 : 0;
  return a;
}

/* The v1 devices controller's semantics, written independently of the
 * runtime's: start denying everything, apply the config's rules then
 * runc's defaults; an exception that allows must cover every bit asked,
 * one that denies any of them.  */
static bool
device_allowed (char type, long long major, long long minor, unsigned acc)
{
  static const struct rule defaults[] = {
    { 'c', -1, -1, 1, true, NULL },      { 'b', -1, -1, 1, true, NULL },
    { 'c', 1, 3, 7, true, "/dev/null" }, { 'c', 1, 8, 7, true, "/dev/random" },
    { 'c', 1, 7, 7, true, "/dev/full" }, { 'c', 5, 0, 7, true, "/dev/tty" },
    { 'c', 1, 5, 7, true, "/dev/zero" }, { 'c', 1, 9, 7, true, "/dev/urandom" },
    { 'c', 136, -1, 7, true, NULL },     { 'c', 5, 2, 7, true, NULL },
    { 'c', 10, 200, 7, true, NULL },
  };
  struct rule ex[128];
  size_t nex = 0, i, j, n = 0;
  bool def_allow = false;
  const struct spec_resources *r = cfg->linux ? cfg->linux->resources : NULL;
  struct rule all[160];

  for (i = 0; r && i < r->devices_len && n < 128; i++)
    {
      const struct spec_device_cgroup *d = &r->devices[i];
      all[n].type = d->type ? d->type[0] : 'a';
      all[n].major = d->major.set ? d->major.value : -1;
      all[n].minor = d->minor.set ? d->minor.value : -1;
      all[n].acc = access_bits (d->access);
      all[n].allow = d->allow;
      n++;
    }
  for (i = 0; i < ARRAY_SIZE (defaults); i++)
    {
      bool redefined = false;
      for (j = 0; defaults[i].path && cfg->linux && j < cfg->linux->devices_len; j++)
        if (str_eq (cfg->linux->devices[j].path, defaults[i].path))
          redefined = true;
      if (!redefined)
        all[n++] = defaults[i];
    }
  for (i = 0; i < n; i++)
    {
      struct rule *x = &all[i];
      if (x->type == 'a')
        {
          nex = 0;
          def_allow = x->allow;
          continue;
        }
      for (j = 0; j < nex; j++)
        if (ex[j].type == x->type && ex[j].major == x->major && ex[j].minor == x->minor)
          break;
      if (x->allow == def_allow)
        {
          if (j < nex)
            {
              ex[j].acc &= ~x->acc;
              if (ex[j].acc == 0)
                ex[j] = ex[--nex];
            }
        }
      else if (j < nex)
        ex[j].acc |= x->acc;
      else if (nex < 128)
        ex[nex++] = *x;
    }
  for (j = 0; j < nex; j++)
    {
      if (ex[j].type != type || (ex[j].major >= 0 && ex[j].major != major)
          || (ex[j].minor >= 0 && ex[j].minor != minor))
        continue;
      if (def_allow ? (ex[j].acc & acc) != 0 : (acc & ~ex[j].acc) == 0)
        return !def_allow;
    }
  return def_allow;
}

static void
check_one_device (const char *path, char type, long long major, long long minor, bool check_mode,
                  unsigned mode, bool check_owner, uid_t uid, gid_t gid)
{
  struct stat st;
  bool userns = in_userns ();
  if (!tap (lstat (path, &st) == 0, "device %s exists", path))
    return;
  if (type == 'p')
    {
      tap (S_ISFIFO (st.st_mode), "device %s is a fifo", path);
      return;
    }
  tap ((type == 'b' ? S_ISBLK (st.st_mode) : S_ISCHR (st.st_mode)) && (long long) major (st.st_rdev) == major
           && (long long) minor (st.st_rdev) == minor,
       "device %s: %c %lld:%lld (got %u:%u)", path, type, major, minor, major (st.st_rdev),
       minor (st.st_rdev));
  /* In a user namespace nodes are bind-mounted from the host: the host's
   * mode and owner.  */
  if (check_mode && !userns)
    tap ((st.st_mode & 07777) == (mode & 07777), "device %s: mode %04o (got %04o)", path, mode & 07777,
         st.st_mode & 07777);
  if (check_owner && !userns)
    tap (st.st_uid == uid && st.st_gid == gid, "device %s: owner %u:%u (got %u:%u)", path, uid, gid,
         st.st_uid, st.st_gid);
  {
    bool want = device_allowed (type, major, minor, 2);
    int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    int e = errno;
    if (fd >= 0)
      close (fd);
    tap ((fd < 0 && e == EPERM) == !want, "device cgroup: reading %s is %s (open: %s)", path,
         want ? "allowed" : "denied", fd >= 0 ? "ok" : strerror (e));
  }
}

static void
check_devices (void)
{
  static const struct
  {
    const char *path;
    int major, minor;
  } defaults[] = { { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
                   { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 } };
  static const char *const links[][2] = { { "/dev/fd", "/proc/self/fd" },
                                          { "/dev/stdin", "/proc/self/fd/0" },
                                          { "/dev/stdout", "/proc/self/fd/1" },
                                          { "/dev/stderr", "/proc/self/fd/2" },
                                          { "/dev/ptmx", "pts/ptmx" } };
  bool setup_dev = true;
  size_t i, j;

  for (i = 0; i < cfg->mounts_len; i++)
    {
      char **o;
      bool bind = str_eq (cfg->mounts[i].type, "bind");
      for (o = cfg->mounts[i].options; o && *o; o++)
        if (strcmp (*o, "bind") == 0 || strcmp (*o, "rbind") == 0)
          bind = true;
      if (bind && str_eq (cfg->mounts[i].destination, "/dev"))
        setup_dev = false;
    }
  if (!setup_dev)
    {
      skip ("default devices: /dev is bound from the host");
      return;
    }
  for (i = 0; i < ARRAY_SIZE (defaults); i++)
    {
      bool configured = false;
      for (j = 0; cfg->linux && j < cfg->linux->devices_len; j++)
        if (str_eq (cfg->linux->devices[j].path, defaults[i].path))
          configured = true;
      if (!configured)
        check_one_device (defaults[i].path, 'c', defaults[i].major, defaults[i].minor, true, 0666, true, 0,
                          0);
    }
  for (i = 0; i < ARRAY_SIZE (links); i++)
    {
      char buf[PATH_MAX];
      ssize_t n = readlink (links[i][0], buf, sizeof (buf) - 1);
      if (n >= 0)
        buf[n] = '\0';
      tap (n >= 0 && strcmp (buf, links[i][1]) == 0, "%s -> %s (got %s)", links[i][0], links[i][1],
           n >= 0 ? buf : strerror (errno));
    }
  for (j = 0; cfg->linux && j < cfg->linux->devices_len; j++)
    {
      const struct spec_device *d = &cfg->linux->devices[j];
      char t = d->type && d->type[0] == 'u' ? 'c' : d->type ? d->type[0] : '?';
      check_one_device (d->path, t, d->major, d->minor, d->file_mode.set, d->file_mode.value,
                        d->uid.set || d->gid.set, d->uid.set ? d->uid.value : 0,
                        d->gid.set ? d->gid.value : 0);
    }
}

/* ---- kernel knobs ------------------------------------------------------- */

static char *
squash (const char *s)
{
  char *o = xmalloc (strlen (s) + 1), *p = o;
  bool space = false;
  while (*s == ' ' || *s == '\t' || *s == '\n')
    s++;
  for (; *s; s++)
    {
      if (*s == ' ' || *s == '\t' || *s == '\n')
        space = true;
      else
        {
          if (space)
            *p++ = ' ';
          space = false;
          *p++ = *s;
        }
    }
  *p = '\0';
  return o;
}

static void
check_sysctls (void)
{
  size_t i;
  for (i = 0; cfg->linux && i < cfg->linux->sysctl_len; i++)
    {
      const struct spec_kv *kv = &cfg->linux->sysctl[i];
      _cleanup_free_ char *path = xasprintf ("/proc/sys/%s", kv->key);
      _cleanup_free_ char *got = NULL, *a = NULL, *b = NULL;
      char *c;
      if (strchr (kv->key, '/') == NULL)
        for (c = path + strlen ("/proc/sys/"); *c; c++)
          if (*c == '.')
            *c = '/';
      got = slurp (path);
      a = squash (got ? got : "");
      b = squash (kv->value ? kv->value : "");
      tap (got && strcmp (a, b) == 0, "linux.sysctl %s = %s (got %s)", kv->key, b, got ? a : "unreadable");
    }
}

static void
check_namespaces (void)
{
  static const char *const types[][2]
      = { { "pid", "pid" },   { "network", "net" }, { "ipc", "ipc" },       { "uts", "uts" },
          { "mount", "mnt" }, { "user", "user" },   { "cgroup", "cgroup" }, { "time", "time" } };
  size_t i, j;
  for (i = 0; i < ARRAY_SIZE (types); i++)
    {
      _cleanup_free_ char *hk = xasprintf ("org.runvm.test.host-ns.%s", types[i][0]);
      _cleanup_free_ char *jk = xasprintf ("org.runvm.test.join-ns.%s", types[i][0]);
      _cleanup_free_ char *self = xasprintf ("/proc/self/ns/%s", types[i][1]);
      const char *host = annotation (hk), *join = annotation (jk);
      const struct spec_namespace *ns = NULL;
      struct stat st;
      char ino[32];

      for (j = 0; cfg->linux && j < cfg->linux->namespaces_len; j++)
        if (str_eq (cfg->linux->namespaces[j].type, types[i][0]))
          ns = &cfg->linux->namespaces[j];
      if (stat (self, &st) < 0)
        {
          skip ("namespace %s: not supported by this kernel", types[i][0]);
          continue;
        }
      snprintf (ino, sizeof (ino), "%lu", (unsigned long) st.st_ino);
      if (ns && ns->path && ns->path[0])
        {
          if (join)
            tap (strcmp (ino, join) == 0, "namespace %s: joined %s (inode %s, want %s)", types[i][0],
                 ns->path, ino, join);
          else
            skip ("namespace %s: joined, no inode given", types[i][0]);
        }
      else if (host == NULL)
        skip ("namespace %s: host inode unknown", types[i][0]);
      else if (ns)
        tap (strcmp (ino, host) != 0, "namespace %s: a new one (inode %s, host %s)", types[i][0], ino, host);
      else
        tap (strcmp (ino, host) == 0, "namespace %s: the host's (inode %s, host %s)", types[i][0], ino, host);
    }
}

static void
check_id_map (const char *file, const struct spec_id_mapping *m, size_t n)
{
  _cleanup_free_ char *s = slurp (file);
  size_t found = 0, lines = 0, i;
  char *line, *save = NULL;
  for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long a, b, c;
      if (sscanf (line, "%lu %lu %lu", &a, &b, &c) != 3)
        continue;
      lines++;
      for (i = 0; i < n; i++)
        if (m[i].container_id == a && m[i].host_id == b && m[i].size == c)
          found++;
    }
  tap (found == n && lines == n, "%s: %zu mappings as configured (%zu lines, %zu matching)", file, n, lines,
       found);
}

static void
check_user_ns (void)
{
  const struct spec_linux *lx = cfg->linux;
  size_t j;
  bool newuser = false;
  for (j = 0; lx && j < lx->namespaces_len; j++)
    if (str_eq (lx->namespaces[j].type, "user")
        && (lx->namespaces[j].path == NULL || !lx->namespaces[j].path[0]))
      newuser = true;
  if (!newuser)
    return;
  check_id_map ("/proc/self/uid_map", lx->uid_mappings, lx->uid_mappings_len);
  check_id_map ("/proc/self/gid_map", lx->gid_mappings, lx->gid_mappings_len);
}

static void
check_time_offsets (void)
{
  _cleanup_free_ char *s = NULL;
  size_t i;
  if (cfg->linux == NULL || cfg->linux->time_offsets_len == 0)
    return;
  s = slurp ("/proc/self/timens_offsets");
  for (i = 0; i < cfg->linux->time_offsets_len; i++)
    {
      const struct spec_time_offset *t = &cfg->linux->time_offsets[i];
      char *line, *save = NULL;
      bool ok = false;
      _cleanup_free_ char *copy = xstrdup (s ? s : "");
      for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          char clock[32];
          long long secs;
          unsigned long ns;
          if (sscanf (line, "%31s %lld %lu", clock, &secs, &ns) == 3 && str_eq (clock, t->clock)
              && secs == t->secs && ns == t->nanosecs)
            ok = true;
        }
      tap (ok, "linux.timeOffsets %s %" PRId64 "s %" PRIu32 "ns", t->clock, t->secs, t->nanosecs);
    }
}

struct sched_attr_k
{
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
  uint32_t util_min, util_max;
};

static void
check_process_knobs (void)
{
  const struct spec_process *p = cfg->process;
  if (cfg->linux && cfg->linux->personality)
    {
      int per = personality (0xffffffff);
      int want = str_eq (cfg->linux->personality->domain, "LINUX32") ? PER_LINUX32 : PER_LINUX;
      tap ((per & PER_MASK) == want, "linux.personality %s (got 0x%x)", cfg->linux->personality->domain, per);
    }
  if (p->io_priority)
    {
      long got = syscall (SYS_ioprio_get, 1, 0);
      int klass = str_eq (p->io_priority->klass, "IOPRIO_CLASS_RT")     ? 1
                  : str_eq (p->io_priority->klass, "IOPRIO_CLASS_BE")   ? 2
                  : str_eq (p->io_priority->klass, "IOPRIO_CLASS_IDLE") ? 3
                                                                        : -1;
      long want = ((long) klass << 13) | p->io_priority->priority;
      tap (got == want, "process.ioPriority %s %d (got class %ld level %ld)", p->io_priority->klass,
           p->io_priority->priority, got >> 13, got & 0x1fff);
    }
  if (p->scheduler)
    {
      static const char *const names[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
                                           "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE" };
      struct sched_attr_k a;
      long r;
      memset (&a, 0, sizeof (a));
      r = syscall (SYS_sched_getattr, 0, &a, sizeof (a), 0);
      tap (r == 0 && a.policy < ARRAY_SIZE (names) && str_eq (names[a.policy], p->scheduler->policy),
           "process.scheduler.policy %s (got %u)", p->scheduler->policy, a.policy);
      if (str_eq (p->scheduler->policy, "SCHED_OTHER") || str_eq (p->scheduler->policy, "SCHED_BATCH"))
        tap (a.nice == p->scheduler->nice, "process.scheduler.nice %d (got %d)", p->scheduler->nice, a.nice);
      if (str_eq (p->scheduler->policy, "SCHED_FIFO") || str_eq (p->scheduler->policy, "SCHED_RR"))
        tap ((int32_t) a.priority == p->scheduler->priority, "process.scheduler.priority %d (got %u)",
             p->scheduler->priority, a.priority);
      if (str_eq (p->scheduler->policy, "SCHED_DEADLINE"))
        tap (a.runtime == p->scheduler->runtime && a.deadline == p->scheduler->deadline
                 && a.period == p->scheduler->period,
             "process.scheduler runtime/deadline/period");
      if (p->scheduler->flags && listed (p->scheduler->flags, "SCHED_FLAG_RESET_ON_FORK"))
        tap (a.flags & 1, "process.scheduler.flags SCHED_FLAG_RESET_ON_FORK");
    }
  if (p->terminal)
    {
      struct winsize ws;
      tap (isatty (0) && isatty (1) && isatty (2), "process.terminal: stdio is a terminal");
      if (p->has_console_size && p->console_size.height)
        tap (ioctl (0, TIOCGWINSZ, &ws) == 0 && ws.ws_row == p->console_size.height
                 && ws.ws_col == p->console_size.width,
             "process.consoleSize %ux%u (got %ux%u)", p->console_size.width, p->console_size.height,
             ws.ws_col, ws.ws_row);
      {
        struct stat st;
        tap (stat ("/dev/console", &st) == 0 && S_ISCHR (st.st_mode) && major (st.st_rdev) == 136,
             "/dev/console is the container's terminal");
      }
      tap (getsid (0) == getpid () && tcgetsid (0) == getpid (), "the terminal is the controlling terminal");
    }
}

/* ---- seccomp ------------------------------------------------------------ */

/* Syscalls the checker can make without harm, with the arguments it
 * passes (pointer arguments are unknown: a rule testing them is not
 * probed).  */
struct probe
{
  const char *name;
  long nr;
  int nargs;
  uint64_t args[3];
  bool ptr[3];
};

static long
run_probe (const struct probe *p)
{
  /* Big enough for any of them (struct utsname is 390 bytes).  */
  char buf[4096];
  long a[3];
  int i;
  for (i = 0; i < 3; i++)
    a[i] = p->ptr[i] ? (long) buf : (long) p->args[i];
  if (p->nr == SYS_getcwd)
    a[1] = 256;
  return syscall (p->nr, a[0], a[1], a[2]);
}

static bool
cond_holds (const struct spec_seccomp_arg *c, uint64_t v)
{
  if (str_eq (c->op, "SCMP_CMP_NE"))
    return v != c->value;
  if (str_eq (c->op, "SCMP_CMP_LT"))
    return v < c->value;
  if (str_eq (c->op, "SCMP_CMP_LE"))
    return v <= c->value;
  if (str_eq (c->op, "SCMP_CMP_EQ"))
    return v == c->value;
  if (str_eq (c->op, "SCMP_CMP_GE"))
    return v >= c->value;
  if (str_eq (c->op, "SCMP_CMP_GT"))
    return v > c->value;
  if (str_eq (c->op, "SCMP_CMP_MASKED_EQ"))
    return (v & c->value) == c->value_two;
  return false;
}

/* The rule that applies to P, or NULL for the default; *UNKNOWN when a
 * rule tests an argument the checker cannot know.  Rules testing one
 * argument twice OR (as runc splits them).  */
static const struct spec_syscall *
rule_for (const struct probe *p, bool *unknown)
{
  const struct spec_seccomp *s = cfg->linux->seccomp;
  size_t i, k;
  *unknown = false;
  for (i = 0; i < s->syscalls_len; i++)
    {
      const struct spec_syscall *r = &s->syscalls[i];
      bool repeated = false, match;
      if (!listed (r->names, p->name))
        continue;
      for (k = 0; k < r->args_len; k++)
        {
          size_t k2;
          if (r->args[k].index >= 3 || p->ptr[r->args[k].index] || (int) r->args[k].index >= p->nargs)
            *unknown = true;
          for (k2 = k + 1; k2 < r->args_len; k2++)
            if (r->args[k2].index == r->args[k].index)
              repeated = true;
        }
      if (*unknown)
        return NULL;
      match = !repeated;
      for (k = 0; k < r->args_len; k++)
        {
          bool h = cond_holds (&r->args[k], p->args[r->args[k].index]);
          match = repeated ? (match || h) : (match && h);
        }
      if (match)
        return r;
    }
  return NULL;
}

static void
check_probe (const struct probe *p)
{
  const struct spec_seccomp *s = cfg->linux->seccomp;
  bool unknown;
  const struct spec_syscall *r = rule_for (p, &unknown);
  const char *action = r ? r->action : s->default_action;
  const struct spec_opt_u32 *eret = r ? &r->errno_ret : &s->default_errno_ret;
  int want_errno = eret->set ? (int) eret->value : EPERM;
  long ret;

  if (unknown)
    {
      skip ("seccomp %s: a rule tests an argument the checker cannot predict", p->name);
      return;
    }
  if (str_eq (action, "SCMP_ACT_KILL") || str_eq (action, "SCMP_ACT_KILL_THREAD")
      || str_eq (action, "SCMP_ACT_KILL_PROCESS") || str_eq (action, "SCMP_ACT_TRAP"))
    {
      int status = 0;
      pid_t pid = fork ();
      if (pid == 0)
        {
          (void) run_probe (p);
          _exit (0);
        }
      if (pid < 0 || waitpid (pid, &status, 0) != pid)
        {
          tap (false, "seccomp %s: %s (fork failed)", p->name, action);
          return;
        }
      tap (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS,
           "seccomp %s(0x%" PRIx64 "): %s kills with SIGSYS", p->name, p->args[0], action);
      return;
    }
  errno = 0;
  ret = run_probe (p);
  if (str_eq (action, "SCMP_ACT_ERRNO"))
    tap (ret == -1 && errno == want_errno, "seccomp %s(0x%" PRIx64 "): %s(%d) (got %ld, errno %d)", p->name,
         p->args[0], action, want_errno, ret, errno);
  else if (str_eq (action, "SCMP_ACT_TRACE"))
    tap (ret == -1 && errno == ENOSYS, "seccomp %s: SCMP_ACT_TRACE without a tracer gives ENOSYS", p->name);
  else if (str_eq (action, "SCMP_ACT_ALLOW") || str_eq (action, "SCMP_ACT_LOG"))
    tap (ret != -1, "seccomp %s(0x%" PRIx64 "): %s (got %ld, errno %d)", p->name, p->args[0], action, ret,
         errno);
  else
    skip ("seccomp %s: action %s not probed", p->name, action);
}

static void
check_seccomp (void)
{
  _cleanup_free_ char *mode = status_field ("Seccomp");
  const struct spec_seccomp *s = cfg->linux ? cfg->linux->seccomp : NULL;
  _cleanup_free_ char *umask_s = status_field ("Umask");
  mode_t um = umask_s ? (mode_t) strtoul (umask_s, NULL, 8) : 022;
  struct probe probes[] = {
    { "getppid", SYS_getppid, 0, { 0 }, { false } },
    { "getpid", SYS_getpid, 0, { 0 }, { false } },
    { "sched_yield", SYS_sched_yield, 0, { 0 }, { false } },
    { "getuid", SYS_getuid, 0, { 0 }, { false } },
    { "getcwd", SYS_getcwd, 2, { 0, 256 }, { true, false } },
    { "uname", SYS_uname, 1, { 0 }, { true } },
    { "personality", SYS_personality, 1, { 0xffffffff }, { false } },
    { "getpriority", SYS_getpriority, 2, { 0, 0 }, { false, false } },
    { "umask", SYS_umask, 1, { um }, { false } },
    { "socket", SYS_socket, 3, { 1, 1, 0 }, { false, false, false } },
    { "socket", SYS_socket, 3, { 2, 2, 0 }, { false, false, false } },
  };
  size_t i;

  tap (mode && atoi (mode) == (s ? 2 : 0), "linux.seccomp: filter %s (Seccomp: %s)",
       s ? "installed" : "absent", mode ? mode : "?");
  if (s == NULL)
    return;
  for (i = 0; i < ARRAY_SIZE (probes); i++)
    {
      size_t k;
      bool mentioned = false;
      for (k = 0; k < s->syscalls_len; k++)
        if (listed (s->syscalls[k].names, probes[i].name))
          mentioned = true;
      /* getppid stands for "not in any rule": the default action.  */
      if (mentioned || strcmp (probes[i].name, "getppid") == 0)
        check_probe (&probes[i]);
    }
}

/* ---- cgroups ------------------------------------------------------------ */

/* The directory of this process's cgroup for CONTROLLER ("" for v2), as
 * mounted in the container, or NULL.  */
static char *
cgroup_dir (const char *controller, bool *v2)
{
  _cleanup_free_ char *self = slurp ("/proc/self/cgroup");
  char *line, *save = NULL;
  size_t i;

  for (line = self ? strtok_r (self, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      const char *path;
      bool is_v2;
      if (c2 == NULL)
        continue;
      *c1 = *c2 = '\0';
      path = c2 + 1;
      is_v2 = c1[1] == '\0';
      if (controller[0] ? !has_word (c1 + 1, controller) : !is_v2)
        continue;
      for (i = 0; i < n_mounts; i++)
        {
          const struct mnt *m = &mounts[i];
          const char *rel = path;
          size_t rl = strlen (m->root);
          if (is_v2 ? strcmp (m->fstype, "cgroup2") != 0
                    : strcmp (m->fstype, "cgroup") != 0 || !has_word (m->super, controller))
            continue;
          if (strcmp (m->root, "/") != 0)
            {
              if (strncmp (path, m->root, rl) != 0)
                continue;
              rel = path + rl;
            }
          *v2 = is_v2;
          return xasprintf ("%s%s", m->point, strcmp (rel, "/") == 0 ? "" : rel);
        }
    }
  return NULL;
}

/* The directory for a v1 controller, else the v2 one when its
 * cgroup.controllers lists it (as the runtime chose).  */
static char *
dir_for (const char *v1name, const char *v2name, bool *v2)
{
  char *d = cgroup_dir (v1name, v2);
  _cleanup_free_ char *ctl = NULL;
  if (d)
    return d;
  d = cgroup_dir ("", v2);
  if (d == NULL)
    return NULL;
  {
    _cleanup_free_ char *f = xasprintf ("%s/cgroup.controllers", d);
    ctl = slurp (f);
  }
  if (v2name && (ctl == NULL || !has_word (ctl, v2name)))
    {
      free (d);
      return NULL;
    }
  return d;
}

static void
expect_file (const char *dir, const char *file, const char *want, const char *what)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, file);
  _cleanup_free_ char *got = slurp (path);
  tap (got && strcmp (got, want) == 0, "%s: %s = %s (got %s)", what, file, want, got ? got : "unreadable");
}

static void
expect_line (const char *dir, const char *file, const char *want, const char *what)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, file);
  _cleanup_free_ char *got = slurp (path);
  tap (got && strstr (got, want) != NULL, "%s: %s has `%s` (got %s)", what, file, want,
       got ? got : "unreadable");
}

static void
check_cgroups (void)
{
  const struct spec_resources *r = cfg->linux ? cfg->linux->resources : NULL;
  _cleanup_free_ char *d = NULL;
  bool v2 = false;
  char buf[128];
  size_t i;

  if (r == NULL)
    return;
  if (mount_at ("/sys/fs/cgroup") == NULL)
    {
      skip ("linux.resources: /sys/fs/cgroup is not mounted in the container");
      return;
    }
  if (r->memory && (d = dir_for ("memory", "memory", &v2)) != NULL)
    {
      const struct spec_memory *m = r->memory;
      if (!v2)
        {
          if (m->limit.set)
            {
              snprintf (buf, sizeof (buf), "%" PRId64, m->limit.value);
              expect_file (d, "memory.limit_in_bytes", m->limit.value < 0 ? "9223372036854771712" : buf,
                           "memory.limit");
            }
          if (m->swap.set && m->swap.value > 0)
            {
              snprintf (buf, sizeof (buf), "%" PRId64, m->swap.value);
              expect_file (d, "memory.memsw.limit_in_bytes", buf, "memory.swap");
            }
          if (m->reservation.set)
            {
              snprintf (buf, sizeof (buf), "%" PRId64, m->reservation.value);
              expect_file (d, "memory.soft_limit_in_bytes", buf, "memory.reservation");
            }
          if (m->swappiness.set)
            {
              snprintf (buf, sizeof (buf), "%" PRIu64, m->swappiness.value);
              expect_file (d, "memory.swappiness", buf, "memory.swappiness");
            }
          if (m->disable_oom_killer.set && m->disable_oom_killer.value)
            expect_line (d, "memory.oom_control", "oom_kill_disable 1", "memory.disableOOMKiller");
        }
      else
        {
          if (m->limit.set)
            {
              snprintf (buf, sizeof (buf), "%" PRId64, m->limit.value);
              expect_file (d, "memory.max", m->limit.value < 0 ? "max" : buf, "memory.limit");
            }
          if (m->swap.set && m->swap.value > 0 && m->limit.set && m->limit.value > 0)
            {
              snprintf (buf, sizeof (buf), "%" PRId64, m->swap.value - m->limit.value);
              expect_file (d, "memory.swap.max", buf, "memory.swap");
            }
          if (m->reservation.set)
            {
              snprintf (buf, sizeof (buf), "%" PRId64, m->reservation.value);
              expect_file (d, "memory.low", buf, "memory.reservation");
            }
        }
      free (TAKE_PTR (d));
    }
  else if (r->memory)
    skip ("memory: no memory controller on this host");

  if (r->cpu)
    {
      const struct spec_cpu *c = r->cpu;
      if ((d = dir_for ("cpu", "cpu", &v2)) != NULL)
        {
          if (!v2)
            {
              if (c->shares.set)
                {
                  snprintf (buf, sizeof (buf), "%" PRIu64, c->shares.value);
                  expect_file (d, "cpu.shares", buf, "cpu.shares");
                }
              if (c->quota.set)
                {
                  snprintf (buf, sizeof (buf), "%" PRId64, c->quota.value);
                  expect_file (d, "cpu.cfs_quota_us", buf, "cpu.quota");
                }
              if (c->period.set)
                {
                  snprintf (buf, sizeof (buf), "%" PRIu64, c->period.value);
                  expect_file (d, "cpu.cfs_period_us", buf, "cpu.period");
                }
              if (c->burst.set)
                {
                  snprintf (buf, sizeof (buf), "%" PRIu64, c->burst.value);
                  expect_file (d, "cpu.cfs_burst_us", buf, "cpu.burst");
                }
              if (c->realtime_runtime.set)
                {
                  snprintf (buf, sizeof (buf), "%" PRId64, c->realtime_runtime.value);
                  expect_file (d, "cpu.rt_runtime_us", buf, "cpu.realtimeRuntime");
                }
              if (c->realtime_period.set)
                {
                  snprintf (buf, sizeof (buf), "%" PRIu64, c->realtime_period.value);
                  expect_file (d, "cpu.rt_period_us", buf, "cpu.realtimePeriod");
                }
            }
          else
            {
              if (c->quota.set || c->period.set)
                {
                  if (c->quota.set && c->quota.value > 0)
                    snprintf (buf, sizeof (buf), "%" PRId64 " %" PRIu64, c->quota.value,
                              c->period.set ? c->period.value : 100000);
                  else
                    snprintf (buf, sizeof (buf), "max %" PRIu64, c->period.set ? c->period.value : 100000);
                  expect_file (d, "cpu.max", buf, "cpu.quota/period");
                }
              if (c->shares.set)
                {
                  double l = log2 ((double) c->shares.value);
                  uint64_t w = (uint64_t) ceil (pow (10, (l * l + 125 * l) / 612.0 - 7.0 / 34.0));
                  snprintf (buf, sizeof (buf), "%" PRIu64, w);
                  expect_file (d, "cpu.weight", buf, "cpu.shares as cpu.weight");
                }
            }
          if (c->idle.set)
            {
              snprintf (buf, sizeof (buf), "%" PRId64, c->idle.value);
              expect_file (d, "cpu.idle", buf, "cpu.idle");
            }
          free (TAKE_PTR (d));
        }
      if ((c->cpus || c->mems) && (d = dir_for ("cpuset", "cpuset", &v2)) != NULL)
        {
          if (c->cpus)
            expect_file (d, "cpuset.cpus", c->cpus, "cpu.cpus");
          if (c->mems)
            expect_file (d, "cpuset.mems", c->mems, "cpu.mems");
          free (TAKE_PTR (d));
        }
    }
  if (r->has_pids && (d = dir_for ("pids", "pids", &v2)) != NULL)
    {
      snprintf (buf, sizeof (buf), "%" PRId64, r->pids_limit);
      expect_file (d, "pids.max", r->pids_limit > 0 ? buf : "max", "pids.limit");
      free (TAKE_PTR (d));
    }
  if (r->block_io && (d = dir_for ("blkio", "io", &v2)) != NULL)
    {
      for (i = 0; i < r->block_io->throttle_read_bps_device_len; i++)
        {
          const struct spec_throttle_device *t = &r->block_io->throttle_read_bps_device[i];
          if (v2)
            snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " rbps=%" PRIu64, t->major, t->minor,
                      t->rate);
          else
            snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %" PRIu64, t->major, t->minor, t->rate);
          expect_line (d, v2 ? "io.max" : "blkio.throttle.read_bps_device", buf,
                       "blockIO.throttleReadBpsDevice");
        }
      for (i = 0; i < r->block_io->throttle_write_iops_device_len; i++)
        {
          const struct spec_throttle_device *t = &r->block_io->throttle_write_iops_device[i];
          if (v2)
            snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " rbps=max wbps=max riops=max wiops=%" PRIu64,
                      t->major, t->minor, t->rate);
          else
            snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %" PRIu64, t->major, t->minor, t->rate);
          expect_line (d, v2 ? "io.max" : "blkio.throttle.write_iops_device",
                       v2 ? strstr (buf, "wiops") : buf, "blockIO.throttleWriteIOPSDevice");
        }
      free (TAKE_PTR (d));
    }
  for (i = 0; i < r->hugepage_limits_len; i++)
    {
      _cleanup_free_ char *file = NULL;
      if ((d = dir_for ("hugetlb", "hugetlb", &v2)) == NULL)
        {
          skip ("hugepageLimits: no hugetlb controller");
          break;
        }
      file = xasprintf (v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
      snprintf (buf, sizeof (buf), "%" PRIu64, r->hugepage_limits[i].limit);
      expect_file (d, file, buf, "hugepageLimits");
      free (TAKE_PTR (d));
    }
  if (r->network)
    {
      if (r->network->class_id.set && (d = dir_for ("net_cls", NULL, &v2)) != NULL && !v2)
        {
          snprintf (buf, sizeof (buf), "%" PRIu32, r->network->class_id.value);
          expect_file (d, "net_cls.classid", buf, "network.classID");
        }
      else if (r->network->class_id.set)
        skip ("network.classID: no net_cls hierarchy on this host");
      free (TAKE_PTR (d));
    }
  for (i = 0; i < r->unified_len; i++)
    {
      if ((d = cgroup_dir ("", &v2)) == NULL)
        {
          skip ("unified: no cgroup v2 hierarchy mounted");
          break;
        }
      expect_file (d, r->unified[i].key, r->unified[i].value, "unified");
      free (TAKE_PTR (d));
    }
}

int
main (int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : "/.oci-config.json";
  struct spec_config *c = NULL;
  rv_error_t err = NULL;

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (spec_config_load (path, &c, &err) < 0)
    {
      printf ("not ok 1 - load %s: %s\n1..1\n", path, err->msg);
      return 1;
    }
  cfg = c;
  load_mounts ();
  check_user ();
  check_process_basics ();
  check_rlimits ();
  check_caps ();
  check_uts ();
  check_root ();
  check_mounts ();
  check_masked_readonly ();
  check_devices ();
  check_sysctls ();
  check_namespaces ();
  check_user_ns ();
  check_time_offsets ();
  check_process_knobs ();
  check_cgroups ();
  /* The filter is on from the start (everything above ran under it);
   * the probes come last because they fork.  */
  check_seccomp ();
  printf ("1..%d\n", n_tests);
  return n_failed ? 1 : 0;
}
