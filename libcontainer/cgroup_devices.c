/* Device access rules: the spec's linux.resources.devices list reduced to
 * what the v1 devices controller would hold after the same writes (a
 * default plus exceptions).  v1 writes that state; v2 compiles it into an
 * eBPF program (cgroup_bpf.c), so both behave the same.  */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/cgroup.h"

#define RWM (LC_DEV_ACC_READ | LC_DEV_ACC_WRITE | LC_DEV_ACC_MKNOD)

/* runc's AllowedDevices, in its order.  */
const struct lc_dev_rule lc_dev_default_rules[] = {
  { 'c', -1, -1, LC_DEV_ACC_MKNOD, true }, { 'b', -1, -1, LC_DEV_ACC_MKNOD, true },
  { 'c', 1, 3, RWM, true, "/dev/null" },   { 'c', 1, 8, RWM, true, "/dev/random" },
  { 'c', 1, 7, RWM, true, "/dev/full" },   { 'c', 5, 0, RWM, true, "/dev/tty" },
  { 'c', 1, 5, RWM, true, "/dev/zero" },   { 'c', 1, 9, RWM, true, "/dev/urandom" },
  { 'c', 136, -1, RWM, true, NULL }, /* pts */
  { 'c', 5, 2, RWM, true, NULL },    /* ptmx */
  { 'c', 10, 200, RWM, true, NULL }, /* net/tun */
};
const size_t lc_dev_default_rules_len = ARRAY_SIZE (lc_dev_default_rules);

static int
parse_access (const char *s, unsigned *ret)
{
  unsigned a = 0;
  if (s == NULL || s[0] == '\0')
    return -EINVAL;
  for (; *s; s++)
    {
      switch (*s)
        {
        case 'r':
          a |= LC_DEV_ACC_READ;
          break;
        case 'w':
          a |= LC_DEV_ACC_WRITE;
          break;
        case 'm':
          a |= LC_DEV_ACC_MKNOD;
          break;
        default:
          return -EINVAL;
        }
    }
  *ret = a;
  return 0;
}

int
lc_dev_rules_from_spec (const struct spec_device_cgroup *d, size_t n, struct lc_dev_rule **ret,
                        size_t *ret_len, rv_error_t *err)
{
  struct lc_dev_rule *rules = xcalloc (n + 1, sizeof (*rules));
  size_t i;

  for (i = 0; i < n; i++)
    {
      struct lc_dev_rule *r = &rules[i];
      const char *t = d[i].type ? d[i].type : "a";
      if (strcmp (t, "a") != 0 && strcmp (t, "c") != 0 && strcmp (t, "b") != 0)
        {
          free (rules);
          return rv_error_set (err, EINVAL, "linux.resources.devices[%zu]: invalid type `%s`", i, t);
        }
      r->type = t[0];
      r->major = d[i].major.set ? d[i].major.value : -1;
      r->minor = d[i].minor.set ? d[i].minor.value : -1;
      r->allow = d[i].allow;
      /* An absent access means all of it, as runc and crun read it.  */
      if (d[i].access == NULL || d[i].access[0] == '\0')
        r->access = RWM;
      else if (parse_access (d[i].access, &r->access) < 0)
        {
          free (rules);
          return rv_error_set (err, EINVAL, "linux.resources.devices[%zu]: invalid access `%s`", i,
                               d[i].access);
        }
    }
  *ret = rules;
  *ret_len = n;
  return 0;
}

void
lc_dev_state_clear (struct lc_dev_state *s)
{
  free (s->ex);
  s->ex = NULL;
  s->len = 0;
}

static bool
same_node (const struct lc_dev_rule *a, const struct lc_dev_rule *b)
{
  return a->type == b->type && a->major == b->major && a->minor == b->minor;
}

/* The kernel's dev_exception_add: merge into an identical entry.  */
static void
ex_add (struct lc_dev_state *s, const struct lc_dev_rule *r)
{
  size_t i;
  for (i = 0; i < s->len; i++)
    if (same_node (&s->ex[i], r))
      {
        s->ex[i].access |= r->access;
        return;
      }
  s->ex = xreallocarray (s->ex, s->len + 1, sizeof (*s->ex));
  s->ex[s->len] = *r;
  s->ex[s->len].allow = !s->default_allow;
  s->len++;
}

/* dev_exception_rm: take the access away from an identical entry.  */
static void
ex_rm (struct lc_dev_state *s, const struct lc_dev_rule *r)
{
  size_t i;
  for (i = 0; i < s->len; i++)
    if (same_node (&s->ex[i], r))
      {
        s->ex[i].access &= ~r->access;
        if (s->ex[i].access == 0)
          {
            memmove (&s->ex[i], &s->ex[i + 1], (s->len - i - 1) * sizeof (*s->ex));
            s->len--;
          }
        return;
      }
}

void
lc_dev_state_apply (struct lc_dev_state *s, const struct lc_dev_rule *rules, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      const struct lc_dev_rule *r = &rules[i];
      if (r->type == 'a')
        {
          /* "a" resets the list: everything allowed or denied.  */
          lc_dev_state_clear (s);
          s->default_allow = r->allow;
          continue;
        }
      if (r->allow == s->default_allow)
        ex_rm (s, r);
      else
        ex_add (s, r);
    }
}

/* As the v1 kernel matches: an exception that allows (default deny) must
 * cover every bit asked for; one that denies (default allow) takes effect
 * on any bit in common.  cgroup_bpf.c compiles the same test.  */
static bool
rule_matches (const struct lc_dev_rule *e, bool default_allow, char type, int64_t major, int64_t minor,
              unsigned access)
{
  if (e->type != type)
    return false;
  if (e->major != -1 && e->major != major)
    return false;
  if (e->minor != -1 && e->minor != minor)
    return false;
  if (default_allow)
    return (e->access & access) != 0;
  return (access & ~e->access) == 0;
}

bool
lc_dev_state_allows (const struct lc_dev_state *s, char type, int64_t major, int64_t minor, unsigned access)
{
  size_t i;
  for (i = 0; i < s->len; i++)
    if (rule_matches (&s->ex[i], s->default_allow, type, major, minor, access))
      return !s->default_allow;
  return s->default_allow;
}

char *
lc_dev_rule_string (const struct lc_dev_rule *r)
{
  char maj[24], min[24], acc[4];
  size_t n = 0;

  if (r->major < 0)
    snprintf (maj, sizeof (maj), "*");
  else
    snprintf (maj, sizeof (maj), "%" PRId64, r->major);
  if (r->minor < 0)
    snprintf (min, sizeof (min), "*");
  else
    snprintf (min, sizeof (min), "%" PRId64, r->minor);
  if (r->access & LC_DEV_ACC_READ)
    acc[n++] = 'r';
  if (r->access & LC_DEV_ACC_WRITE)
    acc[n++] = 'w';
  if (r->access & LC_DEV_ACC_MKNOD)
    acc[n++] = 'm';
  acc[n] = '\0';
  if (r->type == 'a')
    return xstrdup ("a");
  return xasprintf ("%c %s:%s %s", r->type, maj, min, acc);
}
