/* The mount plan: config.json's mounts, root, masked and readonly paths
 * turned into data first (this file), executed second (rootfs.c), the way
 * bubblewrap builds its SetupOp list before touching anything.
 *
 * Building the plan only parses and validates, so every error in the
 * mounts section is reported by lc_container_create before any process
 * exists.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "spec/config.h"

enum lc_mount_kind
{
  LC_MOUNT_FS = 0, /* a new filesystem: proc, sysfs, tmpfs, devpts, mqueue, overlay...  */
  LC_MOUNT_BIND,   /* bind or rbind of SOURCE.  */
  LC_MOUNT_CGROUP, /* type "cgroup": expanded from the host's hierarchies when mounted.  */
};

#define LC_MOUNT_MAX_PROPAGATION 8

struct lc_mount
{
  enum lc_mount_kind kind;
  char *source;        /* as given; for binds made absolute against the bundle.  */
  char *destination;   /* clean and absolute, inside the container.  */
  char *type;          /* filesystem type (LC_MOUNT_FS), else as given.  */
  unsigned long flags; /* MS_* to set (MS_BIND, MS_REC for binds).  */
  unsigned long clear; /* MS_* the options clear explicitly ("rw", "suid", ...).  */
  unsigned long propagation[LC_MOUNT_MAX_PROPAGATION]; /* MS_SHARED... in option order.  */
  size_t propagation_len;
  /* Recursive attributes (rro, rnosuid...), applied with mount_setattr.  */
  bool rec_attr;
  uint64_t attr_set;
  uint64_t attr_clr;
  char *data;  /* filesystem options, comma-separated, or NULL.  */
  bool copyup; /* tmpcopyup: the tmpfs starts with the directory's content.  */
  /* Idmapped mounts ("idmap", "ridmap", or mappings given).  */
  bool idmap;
  bool idmap_recursive;
  const struct spec_id_mapping *uid_mappings; /* borrowed from the config.  */
  size_t uid_mappings_len;
  const struct spec_id_mapping *gid_mappings;
  size_t gid_mappings_len;
};

struct lc_mount_plan
{
  struct lc_mount *mounts;
  size_t len;
  /* No bind mount on /dev: the default device nodes and links are made.  */
  bool setup_dev;
  /* MS_* propagation for "/" before the mounts (MS_SLAVE | MS_REC unless
   * rootfsPropagation says otherwise), and the one to set on the new root
   * after pivot_root (0: none).  */
  unsigned long root_propagation;
  unsigned long root_propagation_after;
  bool readonly_root;
  char **masked_paths;   /* borrowed.  */
  char **readonly_paths; /* borrowed.  */
  char *mount_label;     /* borrowed.  */
};

/* Parses OPTIONS (mount(8) words) into M's flags, propagation, recursive
 * attributes and data.  Unknown words go to the data string, in order.  */
int lc_mount_parse_options (char *const *options, struct lc_mount *m, rv_error_t *err);

/* Parses a rootfsPropagation value ("private", "rslave"...).  */
int lc_mount_parse_propagation (const char *name, unsigned long *ret, rv_error_t *err);

/* Builds the plan for CONFIG.  BUNDLE makes relative bind sources absolute
 * (NULL: the current directory).  NO_PIVOT refuses a [r]private root
 * propagation, which is unsafe without pivot_root (as runc does).  */
int lc_mount_plan_build (const struct spec_config *config, const char *bundle, bool no_pivot,
                         struct lc_mount_plan **ret, rv_error_t *err);

void lc_mount_plan_free (struct lc_mount_plan *plan);

/* The MS_* flags a mount line of /proc/self/mountinfo or statvfs shows,
 * from statvfs f_flag (ST_*), for re-applying locked flags.  */
unsigned long lc_mount_flags_from_statvfs (unsigned long st_flags);
