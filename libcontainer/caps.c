#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/utils.h"
#include "libcontainer/caps.h"

int
lc_cap_last (void)
{
  static int last = -1;
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ rv_error_t tmp = NULL;
  int v;

  if (last >= 0)
    return last;
  if (read_file ("/proc/sys/kernel/cap_last_cap", 64, &s, NULL, &tmp) == 0)
    {
      s[strcspn (s, "\n")] = '\0';
      if (parse_int (s, &v) == 0 && v > 0 && v < 64)
        last = v;
    }
  if (last < 0)
    last = CAP_LAST_CAP;
  return last;
}

int
lc_cap_from_name (const char *name)
{
  char lower[64];
  size_t i;

  if (strncasecmp (name, "CAP_", 4) != 0)
    return -1;
  name += 4;
  for (i = 0; name[i] && i < sizeof (lower) - 1; i++)
    lower[i] = (char) tolower ((unsigned char) name[i]);
  lower[i] = '\0';
  return capng_name_to_capability (lower);
}

static void
parse_set (char **names, uint64_t *ret)
{
  char **n;
  for (n = names; n && *n; n++)
    {
      int c = lc_cap_from_name (*n);
      if (c < 0 || c > lc_cap_last ())
        {
          rv_debug ("ignoring unknown or unavailable capability %s", *n);
          continue;
        }
      *ret |= 1ULL << c;
    }
}

int
lc_caps_parse (const struct spec_capabilities *caps, struct lc_caps *ret, rv_error_t *err)
{
  struct lc_caps c = { { 0 } };

  (void) err;
  if (caps)
    {
      parse_set (caps->bounding, &c.set[LC_CAP_BOUNDING]);
      parse_set (caps->effective, &c.set[LC_CAP_EFFECTIVE]);
      parse_set (caps->inheritable, &c.set[LC_CAP_INHERITABLE]);
      parse_set (caps->permitted, &c.set[LC_CAP_PERMITTED]);
      parse_set (caps->ambient, &c.set[LC_CAP_AMBIENT]);
    }
  *ret = c;
  return 0;
}

/* libcap-ng keeps its state per thread and fills the capget header with
 * the thread id of the first call; after clone(2) without fork's atfork
 * hooks that id is the parent's.  Pid 0 means "this thread" to the
 * kernel.  */
static void
capng_reset (capng_select_t set)
{
  capng_clear (set);
  capng_setpid (0);
}

int
lc_caps_apply_bounding (const struct lc_caps *caps, rv_error_t *err)
{
  int last = lc_cap_last (), i;

  capng_reset (CAPNG_SELECT_BOUNDS);
  for (i = 0; i <= last; i++)
    if (caps->set[LC_CAP_BOUNDING] & (1ULL << i))
      capng_update (CAPNG_ADD, CAPNG_BOUNDING_SET, (unsigned) i);
  (void) capng_apply (CAPNG_SELECT_BOUNDS);
  /* libcap-ng skips the drop when its view of the process (read from
   * /proc, which may show another pid namespace here) lacks CAP_SETPCAP.
   * The bounding set is a security boundary: check it and finish by hand.  */
  for (i = 0; i <= last; i++)
    {
      if (caps->set[LC_CAP_BOUNDING] & (1ULL << i))
        continue;
      if (prctl (PR_CAPBSET_READ, i, 0, 0, 0) == 1 && prctl (PR_CAPBSET_DROP, i, 0, 0, 0) < 0)
        return rv_error_make (err, errno, "drop capability %d from the bounding set", i);
    }
  return 0;
}

int
lc_caps_apply (const struct lc_caps *caps, rv_error_t *err)
{
  int last = lc_cap_last (), i;

  capng_reset (CAPNG_SELECT_CAPS);
  for (i = 0; i <= last; i++)
    {
      uint64_t bit = 1ULL << i;
      if (caps->set[LC_CAP_EFFECTIVE] & bit)
        capng_update (CAPNG_ADD, CAPNG_EFFECTIVE, (unsigned) i);
      if (caps->set[LC_CAP_PERMITTED] & bit)
        capng_update (CAPNG_ADD, CAPNG_PERMITTED, (unsigned) i);
      if (caps->set[LC_CAP_INHERITABLE] & bit)
        capng_update (CAPNG_ADD, CAPNG_INHERITABLE, (unsigned) i);
    }
  if (capng_apply (CAPNG_SELECT_CAPS) < 0)
    return rv_error_make (err, errno ? errno : EPERM, "set capabilities (capset)");

  /* Ambient: cleared, then raised one by one.  One that is not both
   * permitted and inheritable cannot be raised; runc only warns then (its
   * own `runc spec` asks for such ones), so do we, at debug level.  */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return rv_error_make (err, errno, "clear the ambient capabilities");
  for (i = 0; i <= last; i++)
    if (caps->set[LC_CAP_AMBIENT] & (1ULL << i))
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
        rv_debug ("cannot raise ambient capability %d: %s", i, strerror (errno));
  return 0;
}
