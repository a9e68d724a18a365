/* Cgroups: the layout of the host's hierarchies and the container's
 * directories in them.
 *
 * A layout lists the mounted hierarchies: cgroup v1 ones (one or more
 * controllers, or a name= hierarchy like systemd's), and the cgroup v2
 * one (at /sys/fs/cgroup on a v2 host, at /sys/fs/cgroup/unified on a
 * hybrid host like systemd's "hybrid" mode).  Each resource group of the
 * spec is written where its controller lives: a v1 hierarchy that has it,
 * else the v2 one.  So a hybrid host gets memory from v1 and hugetlb from
 * v2 when that is how it is set up; crun refuses such hosts, runvm must
 * not.
 *
 * lc_cg_layout_detect reads the real host (libcgroup for the controller
 * mounts, mountinfo for what libcgroup 2.0 leaves out: a v2 mount without
 * controllers and name= hierarchies).  Tests build a layout by hand over
 * temporary directories, so the v1 and v2 writers run without touching
 * the host.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "libcontainer/libcontainer.h"

enum lc_cg_mode
{
  LC_CG_MODE_V1 = 1,     /* only v1 hierarchies.  */
  LC_CG_MODE_HYBRID = 2, /* v1 hierarchies plus a v2 mount beside them.  */
  LC_CG_MODE_V2 = 3,     /* one v2 hierarchy.  */
};

struct lc_cg_hierarchy
{
  int version;        /* 1 or 2.  */
  char *mountpoint;   /* where it is mounted, e.g. /sys/fs/cgroup/memory.  */
  char *mount_root;   /* the cgroup the mount shows as its root ("/" usually).  */
  char **controllers; /* v1: "cpu", "cpuacct", "name=systemd"; v2: cgroup.controllers.  */
  char *own;          /* the calling process's cgroup in it (from /proc/self/cgroup).  */
};

struct lc_cg_layout
{
  enum lc_cg_mode mode;
  struct lc_cg_hierarchy *h;
  size_t len;
};

int lc_cg_layout_detect (struct lc_cg_layout **ret, rv_error_t *err);
/* An empty layout, then hierarchies added by hand (tests).  */
struct lc_cg_layout *lc_cg_layout_new (void);
void lc_cg_layout_add (struct lc_cg_layout *l, int version, const char *mountpoint, const char *own,
                       const char *const *controllers);
void lc_cg_layout_free (struct lc_cg_layout *l);
/* The v2 hierarchy or NULL.  */
const struct lc_cg_hierarchy *lc_cg_layout_unified (const struct lc_cg_layout *l);

/* One directory of the container's cgroup: in one hierarchy.  */
struct lc_cg_dir
{
  const struct lc_cg_hierarchy *h;
  char *path;     /* absolute path on the host.  */
  char *rel;      /* the cgroup path inside the hierarchy ("/runvm/id").  */
  char **created; /* directories this object made, parents first.  */
};

struct lc_cgroup
{
  struct lc_cg_layout *layout;
  bool own_layout;
  char *path; /* as asked.  */
  struct lc_cg_dir *dirs;
  size_t len;
};

/* Like lc_cgroup_create / lc_cgroup_open with an explicit LAYOUT (borrowed;
 * it must outlive the cgroup).  */
int lc_cgroup_create_in (struct lc_cg_layout *layout, const char *path,
                         const struct spec_resources *resources, pid_t pid, struct lc_cgroup **ret,
                         rv_error_t *err);
int lc_cgroup_open_in (struct lc_cg_layout *layout, const char *path, struct lc_cgroup **ret,
                       rv_error_t *err);

/* The directory holding CONTROLLER ("memory", "cpu", "io"/"blkio"...):
 * the v1 one that has it, else the v2 one when its cgroup.controllers
 * lists it.  NULL when no hierarchy offers it.  */
struct lc_cg_dir *lc_cgroup_dir_for (struct lc_cgroup *cg, const char *controller);
/* The v2 directory, or NULL.  */
struct lc_cg_dir *lc_cgroup_v2_dir (struct lc_cgroup *cg);

/* Applies RESOURCES as given (devices rules included when present).  */
int lc_cgroup_apply (struct lc_cgroup *cg, const struct spec_resources *r, rv_error_t *err);

/* Writers per version (cgroup_v1.c, cgroup_v2.c).  Each applies the
 * groups whose controller lives in DIR.  */
int lc_cg_v1_apply (struct lc_cgroup *cg, const struct spec_resources *r, rv_error_t *err);
int lc_cg_v2_apply (struct lc_cgroup *cg, struct lc_cg_dir *dir, const struct spec_resources *r, bool v2_host,
                    rv_error_t *err);
int lc_cg_v1_freeze (struct lc_cg_dir *dir, bool frozen, rv_error_t *err);
int lc_cg_v2_freeze (struct lc_cg_dir *dir, bool frozen, rv_error_t *err);
/* Enables in the subtree_control of every ancestor of DIR the controllers
 * the parent offers (v2 only delegates what a parent enables).  */
int lc_cg_v2_enable_controllers (struct lc_cg_dir *dir, rv_error_t *err);

/* Stats into a yajl generator (cgroup_stats.c).  */
int lc_cg_stats_json (struct lc_cgroup *cg, char **ret, rv_error_t *err);

/* hugetlb.<size>.LIMIT for each hugepage limit, and the reservation's
 * hugetlb.<size>.rsvd.LIMIT where the kernel has it (LIMIT:
 * "limit_in_bytes" on v1, "max" on v2).  */
int lc_cg_write_hugetlb (const char *dir, const struct spec_resources *res, const char *limit,
                         rv_error_t *err);

/* rdma.max lines (the same format on v1 and v2).  */
int lc_cg_write_rdma (const char *dir, const struct spec_resources *res, rv_error_t *err);
/* runc's conversions of v1-shaped values for v2.  */
uint64_t lc_cg_shares_to_weight (uint64_t shares);
uint64_t lc_cg_blkio_to_io_weight (uint64_t weight);

/* Small file helpers over a cgroup directory.  */
int lc_cg_write (const char *dir, const char *file, const char *value, rv_error_t *err);
int lc_cg_writef (const char *dir, const char *file, rv_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* Reads FILE (trailing newline removed).  */
int lc_cg_read (const char *dir, const char *file, char **ret, rv_error_t *err);
bool lc_cg_exists (const char *dir, const char *file);

/* ---- devices: the rule emulator shared by v1 and the v2 eBPF program ---- */

enum
{
  LC_DEV_ACC_MKNOD = 1,
  LC_DEV_ACC_READ = 2,
  LC_DEV_ACC_WRITE = 4,
};

struct lc_dev_rule
{
  char type;       /* 'a', 'c', 'b'.  */
  int64_t major;   /* -1: any.  */
  int64_t minor;   /* -1: any.  */
  unsigned access; /* LC_DEV_ACC_*.  */
  bool allow;
  const char *path; /* of a default device node, or NULL.  */
};

/* The effect of a rule list, as the v1 kernel computes it: a default and
 * exceptions that do the opposite.  Rules apply in order on top of "deny
 * everything".  */
struct lc_dev_state
{
  bool default_allow;
  struct lc_dev_rule *ex;
  size_t len;
};

int lc_dev_rules_from_spec (const struct spec_device_cgroup *d, size_t n, struct lc_dev_rule **ret,
                            size_t *ret_len, rv_error_t *err);
void lc_dev_state_apply (struct lc_dev_state *s, const struct lc_dev_rule *rules, size_t n);
/* Whether the state lets ACCESS to TYPE MAJOR:MINOR through.  */
bool lc_dev_state_allows (const struct lc_dev_state *s, char type, int64_t major, int64_t minor,
                          unsigned access);
void lc_dev_state_clear (struct lc_dev_state *s);
/* "c 1:3 rwm" for a rule.  */
char *lc_dev_rule_string (const struct lc_dev_rule *r);

/* runc's default device rules (null, zero, full, tty, random, urandom,
 * ptmx, pts, tun, mknod of any), appended after the config's rules for a
 * container, except those of a default node that linux.devices redefines
 * (runc drops them too: the config's own rules then decide).  */
extern const struct lc_dev_rule lc_dev_default_rules[];
extern const size_t lc_dev_default_rules_len;

/* cgroup_bpf.c: builds the BPF_PROG_TYPE_CGROUP_DEVICE program for STATE
 * (exposed for tests), loads it, attaches it to the v2 directory DIRFD,
 * then detaches every other device program found there, so the switch
 * never leaves a moment without a filter (as runc does).  */
int lc_bpf_devices_build (const struct lc_dev_state *s, void **ret_insns, size_t *ret_count);
int lc_bpf_devices_apply (int dirfd, const struct lc_dev_state *s, rv_error_t *err);
