#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/mounts.h"
#include "libcontainer/path.h"

struct flag_word
{
  const char *name;
  bool clear;
  unsigned long flag;
};

/* mount(8)'s words, as runc maps them.  "acl" is not MS_POSIXACL (the
 * kernel ignores it from userspace); it goes to the data string.  */
static const struct flag_word flag_words[] = {
  { "async", true, MS_SYNCHRONOUS },
  { "atime", true, MS_NOATIME },
  { "bind", false, MS_BIND },
  { "defaults", false, 0 },
  { "dev", true, MS_NODEV },
  { "diratime", true, MS_NODIRATIME },
  { "dirsync", false, MS_DIRSYNC },
  { "exec", true, MS_NOEXEC },
  { "iversion", false, MS_I_VERSION },
  { "lazytime", false, MS_LAZYTIME },
  { "loud", true, MS_SILENT },
  { "mand", false, MS_MANDLOCK },
  { "noatime", false, MS_NOATIME },
  { "nodev", false, MS_NODEV },
  { "nodiratime", false, MS_NODIRATIME },
  { "noexec", false, MS_NOEXEC },
  { "noiversion", true, MS_I_VERSION },
  { "nolazytime", true, MS_LAZYTIME },
  { "nomand", true, MS_MANDLOCK },
  { "norelatime", true, MS_RELATIME },
  { "nostrictatime", true, MS_STRICTATIME },
  { "nosuid", false, MS_NOSUID },
  { "nosymfollow", false, MS_NOSYMFOLLOW },
  { "rbind", false, MS_BIND | MS_REC },
  { "relatime", false, MS_RELATIME },
  { "remount", false, MS_REMOUNT },
  { "ro", false, MS_RDONLY },
  { "rw", true, MS_RDONLY },
  { "silent", false, MS_SILENT },
  { "strictatime", false, MS_STRICTATIME },
  { "suid", true, MS_NOSUID },
  { "symfollow", true, MS_NOSYMFOLLOW },
  { "sync", false, MS_SYNCHRONOUS },
};

static const struct flag_word propagation_words[] = {
  { "private", false, MS_PRIVATE },       { "rprivate", false, MS_PRIVATE | MS_REC },
  { "shared", false, MS_SHARED },         { "rshared", false, MS_SHARED | MS_REC },
  { "slave", false, MS_SLAVE },           { "rslave", false, MS_SLAVE | MS_REC },
  { "unbindable", false, MS_UNBINDABLE }, { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

struct attr_word
{
  const char *name;
  bool clear;
  uint64_t attr;
};

static const struct attr_word attr_words[] = {
  { "rro", false, MOUNT_ATTR_RDONLY },
  { "rrw", true, MOUNT_ATTR_RDONLY },
  { "rnosuid", false, MOUNT_ATTR_NOSUID },
  { "rsuid", true, MOUNT_ATTR_NOSUID },
  { "rnodev", false, MOUNT_ATTR_NODEV },
  { "rdev", true, MOUNT_ATTR_NODEV },
  { "rnoexec", false, MOUNT_ATTR_NOEXEC },
  { "rexec", true, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", false, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", true, MOUNT_ATTR_NODIRATIME },
  { "rrelatime", false, MOUNT_ATTR_RELATIME },
  { "rnorelatime", true, MOUNT_ATTR_RELATIME },
  { "rnoatime", false, MOUNT_ATTR_NOATIME },
  { "ratime", true, MOUNT_ATTR_NOATIME },
  { "rstrictatime", false, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", true, MOUNT_ATTR_STRICTATIME },
  { "rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW },
};

static const struct flag_word *
find_flag (const struct flag_word *table, size_t n, const char *name)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      return &table[i];
  return NULL;
}

int
lc_mount_parse_propagation (const char *name, unsigned long *ret, rv_error_t *err)
{
  const struct flag_word *w = find_flag (propagation_words, ARRAY_SIZE (propagation_words), name);
  if (w == NULL)
    return rv_error_set (err, EINVAL, "unknown mount propagation `%s`", name);
  *ret = w->flag;
  return 0;
}

static void
data_append (char **data, const char *word)
{
  char *n;
  if (*data == NULL)
    {
      *data = xstrdup (word);
      return;
    }
  n = xasprintf ("%s,%s", *data, word);
  free (*data);
  *data = n;
}

/* The atime words select one mode (noatime, relatime, strictatime): the
 * last one given wins, the others are cleared, as mount(8) does.  */
#define ATIME_MODES (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

int
lc_mount_parse_options (char *const *options, struct lc_mount *m, rv_error_t *err)
{
  char *const *o;

  for (o = options; o && *o; o++)
    {
      const struct flag_word *w;
      size_t i;

      w = find_flag (flag_words, ARRAY_SIZE (flag_words), *o);
      if (w)
        {
          if (w->clear)
            {
              m->flags &= ~w->flag;
              m->clear |= w->flag;
            }
          else
            {
              if (w->flag & ATIME_MODES)
                {
                  m->flags &= ~ATIME_MODES;
                  m->clear &= ~w->flag;
                }
              m->flags |= w->flag;
              m->clear &= ~w->flag;
            }
          continue;
        }
      w = find_flag (propagation_words, ARRAY_SIZE (propagation_words), *o);
      if (w)
        {
          if (m->propagation_len == LC_MOUNT_MAX_PROPAGATION)
            return rv_error_set (err, EINVAL, "mount `%s`: too many propagation options",
                                 m->destination ? m->destination : "");
          m->propagation[m->propagation_len++] = w->flag;
          continue;
        }
      for (i = 0; i < ARRAY_SIZE (attr_words); i++)
        if (strcmp (attr_words[i].name, *o) == 0)
          break;
      if (i < ARRAY_SIZE (attr_words))
        {
          const struct attr_word *a = &attr_words[i];
          m->rec_attr = true;
          if (a->clear)
            {
              /* Clearing an atime mode means clearing the whole field.  */
              uint64_t bits = (a->attr == MOUNT_ATTR_RELATIME || a->attr == MOUNT_ATTR_NOATIME
                               || a->attr == MOUNT_ATTR_STRICTATIME)
                                  ? MOUNT_ATTR__ATIME
                                  : a->attr;
              m->attr_clr |= bits;
              m->attr_set &= ~a->attr;
            }
          else
            {
              if (a->attr == MOUNT_ATTR_RELATIME || a->attr == MOUNT_ATTR_NOATIME
                  || a->attr == MOUNT_ATTR_STRICTATIME)
                {
                  /* Setting an atime mode needs the whole field cleared.  */
                  m->attr_clr |= MOUNT_ATTR__ATIME;
                  m->attr_set &= ~MOUNT_ATTR__ATIME;
                }
              else
                m->attr_clr &= ~a->attr;
              m->attr_set |= a->attr;
            }
          continue;
        }
      if (strcmp (*o, "tmpcopyup") == 0)
        {
          m->copyup = true;
          continue;
        }
      if (strcmp (*o, "idmap") == 0 || strcmp (*o, "ridmap") == 0)
        {
          m->idmap = true;
          m->idmap_recursive = (*o)[0] == 'r';
          continue;
        }
      data_append (&m->data, *o);
    }
  return 0;
}

unsigned long
lc_mount_flags_from_statvfs (unsigned long st)
{
  static const struct
  {
    unsigned long st, ms;
  } map[] = {
    { ST_RDONLY, MS_RDONLY },     { ST_NOSUID, MS_NOSUID },
    { ST_NODEV, MS_NODEV },       { ST_NOEXEC, MS_NOEXEC },
    { ST_MANDLOCK, MS_MANDLOCK }, { ST_SYNCHRONOUS, MS_SYNCHRONOUS },
    { ST_NOATIME, MS_NOATIME },   { ST_NODIRATIME, MS_NODIRATIME },
    { ST_RELATIME, MS_RELATIME }, { 0x2000 /* ST_NOSYMFOLLOW */, MS_NOSYMFOLLOW },
  };
  unsigned long flags = 0;
  size_t i;

  for (i = 0; i < ARRAY_SIZE (map); i++)
    if ((st & map[i].st) == map[i].st)
      flags |= map[i].ms;
  /* No atime mode shown means strictatime (it has no ST_ bit).  */
  if ((flags & ATIME_MODES) == 0)
    flags |= MS_STRICTATIME;
  return flags;
}

static void
mount_clear (struct lc_mount *m)
{
  free (m->source);
  free (m->destination);
  free (m->type);
  free (m->data);
}

void
lc_mount_plan_free (struct lc_mount_plan *plan)
{
  size_t i;
  if (plan == NULL)
    return;
  for (i = 0; i < plan->len; i++)
    mount_clear (&plan->mounts[i]);
  free (plan->mounts);
  free (plan);
}

static int
build_mount (const struct spec_mount *sm, const char *bundle, struct lc_mount *m, rv_error_t *err)
{
  int ret;

  if (sm->destination == NULL || sm->destination[0] == '\0')
    return rv_error_set (err, EINVAL, "mount: empty destination");
  m->destination = lc_path_clean (sm->destination);
  ret = lc_mount_parse_options (sm->options, m, err);
  if (ret < 0)
    return rv_error_wrap (err, "mount `%s`", sm->destination);

  if (str_eq (sm->type, "bind"))
    m->flags |= MS_BIND;
  m->type = xstrdup (sm->type);
  if (m->flags & MS_BIND)
    {
      /* Any type given with bind/rbind is meaningless (mount(8) ignores it
       * too).  */
      m->kind = LC_MOUNT_BIND;
      if (sm->source == NULL || sm->source[0] == '\0')
        return rv_error_set (err, EINVAL, "mount `%s`: bind mount without a source", sm->destination);
      if (sm->source[0] == '/' || bundle == NULL)
        m->source = xstrdup (sm->source);
      else
        m->source = xasprintf ("%s/%s", bundle, sm->source);
    }
  else
    {
      if (sm->type == NULL || sm->type[0] == '\0')
        return rv_error_set (err, EINVAL, "mount `%s`: no type and not a bind mount", sm->destination);
      m->kind = str_eq (sm->type, "cgroup") ? LC_MOUNT_CGROUP : LC_MOUNT_FS;
      m->source = xstrdup (sm->source ? sm->source : sm->type);
      if (m->copyup && !str_eq (sm->type, "tmpfs"))
        return rv_error_set (err, EINVAL, "mount `%s`: tmpcopyup is only for tmpfs", sm->destination);
    }
  if (m->flags & MS_REMOUNT)
    return rv_error_set (err, EINVAL, "mount `%s`: `remount` is not supported for container mounts",
                         sm->destination);

  if (sm->uid_mappings_len > 0 || sm->gid_mappings_len > 0)
    m->idmap = true;
  if (m->idmap)
    {
      if (m->kind != LC_MOUNT_BIND)
        return rv_error_set (err, EINVAL, "mount `%s`: idmapped mounts need a bind mount", sm->destination);
      m->uid_mappings = sm->uid_mappings;
      m->uid_mappings_len = sm->uid_mappings_len;
      m->gid_mappings = sm->gid_mappings;
      m->gid_mappings_len = sm->gid_mappings_len;
    }
  return 0;
}

int
lc_mount_plan_build (const struct spec_config *config, const char *bundle, bool no_pivot,
                     struct lc_mount_plan **ret, rv_error_t *err)
{
  struct lc_mount_plan *plan = xmalloc0 (sizeof (*plan));
  const struct spec_linux *lx = config->linux;
  size_t i;
  int r;

  plan->mounts = xcalloc (config->mounts_len + 1, sizeof (struct lc_mount));
  plan->setup_dev = true;
  for (i = 0; i < config->mounts_len; i++)
    {
      struct lc_mount *m = &plan->mounts[plan->len++];
      r = build_mount (&config->mounts[i], bundle, m, err);
      if (r < 0)
        goto fail;
      if (m->kind == LC_MOUNT_BIND && strcmp (m->destination, "/dev") == 0)
        plan->setup_dev = false;
    }

  plan->root_propagation = MS_SLAVE | MS_REC;
  if (lx && lx->rootfs_propagation && lx->rootfs_propagation[0])
    {
      unsigned long p;
      r = lc_mount_parse_propagation (lx->rootfs_propagation, &p, err);
      if (r < 0)
        {
          r = rv_error_wrap (err, "linux.rootfsPropagation");
          goto fail;
        }
      if (no_pivot && (p & MS_PRIVATE))
        {
          r = rv_error_set (err, EINVAL, "rootfsPropagation of [r]private is not safe without pivot_root");
          goto fail;
        }
      plan->root_propagation = p;
      /* private and slave are in place from before the mounts; shared is
       * set before (as runc does) and again on the new root.  Unbindable
       * only at the very end: nothing below it could be bound otherwise,
       * not the rootfs onto itself, nor readonlyPaths (runc fails there).  */
      if (p & MS_UNBINDABLE)
        plan->root_propagation = MS_SLAVE | MS_REC;
      if ((p & (MS_PRIVATE | MS_SLAVE)) == 0)
        plan->root_propagation_after = p;
    }
  plan->readonly_root = config->root && config->root->readonly;
  if (lx)
    {
      plan->masked_paths = lx->masked_paths;
      plan->readonly_paths = lx->readonly_paths;
      plan->mount_label = lx->mount_label;
    }
  *ret = plan;
  return 0;

fail:
  lc_mount_plan_free (plan);
  return r;
}
