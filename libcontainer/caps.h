/* Capabilities: the five sets of process.capabilities, parsed in the
 * parent (names checked once, before any process exists) and applied in
 * the child with libcap-ng.
 *
 * Order in the child (as runc's finalizeNamespace):
 *   lc_caps_apply_bounding   (needs CAP_SETPCAP: before the user changes)
 *   PR_SET_KEEPCAPS, setgroups/setresgid/setresuid, PR_SET_KEEPCAPS off
 *   lc_caps_apply            (effective, permitted, inheritable, ambient)  */
#pragma once

#include <stdint.h>

#include "common/error.h"
#include "spec/config.h"

enum lc_cap_set
{
  LC_CAP_BOUNDING = 0,
  LC_CAP_EFFECTIVE,
  LC_CAP_INHERITABLE,
  LC_CAP_PERMITTED,
  LC_CAP_AMBIENT,
  LC_CAP_SETS,
};

struct lc_caps
{
  uint64_t set[LC_CAP_SETS];
};

/* Names as the spec writes them ("CAP_SYS_ADMIN").  Unknown names and
 * capabilities this kernel does not have are ignored, as runc ignores them
 * (with a debug line).  NULL CAPS gives empty sets: a process without a
 * capabilities object has none.  */
int lc_caps_parse (const struct spec_capabilities *caps, struct lc_caps *ret, rv_error_t *err);

/* The number of a capability name, or -1.  */
int lc_cap_from_name (const char *name);

/* The highest capability this kernel knows.  */
int lc_cap_last (void);

int lc_caps_apply_bounding (const struct lc_caps *caps, rv_error_t *err);
int lc_caps_apply (const struct lc_caps *caps, rv_error_t *err);
