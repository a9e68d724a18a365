/* Namespaces: which ones a container gets new (clone flags) and which it
 * joins (setns on an fd opened from linux.namespaces[].path, opened in
 * the parent so that a bad path is reported before anything runs); user
 * namespace id maps; time namespace offsets.  */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "spec/config.h"

#define LC_NS_KINDS 8

struct lc_ns_join
{
  int flag; /* CLONE_NEW*.  */
  int fd;
  char *path;
};

struct lc_ns_plan
{
  unsigned long clone_flags; /* new namespaces, except time (clone cannot: unshare).  */
  bool new_time;
  bool new_user;
  bool has_mount;                      /* new or joined: a mount namespace to build the rootfs in.  */
  bool has_user;                       /* new or joined.  */
  struct lc_ns_join join[LC_NS_KINDS]; /* user first.  */
  size_t join_len;
};

/* The entry of TYPE in linux.namespaces, or NULL.  */
const struct spec_namespace *lc_ns_find (const struct spec_config *config, const char *type);

/* CLONE_NEW* for a spec type ("pid", "network", ...), or 0.  */
int lc_ns_flag (const char *type);
/* The /proc/<pid>/ns/ entry for a flag ("pid", "net", ...).  */
const char *lc_ns_proc_name (int flag);

int lc_ns_prepare (const struct spec_config *config, struct lc_ns_plan *ret, rv_error_t *err);
void lc_ns_plan_clear (struct lc_ns_plan *p);

/* In the helper, before the clone: joins the namespaces (user first) and
 * unshares the time namespace with its offsets.  */
int lc_ns_join_all (const struct lc_ns_plan *p, const struct spec_linux *lx, rv_error_t *err);

/* In the parent: uid_map and gid_map of PID.  */
int lc_ns_write_id_maps (pid_t pid, const struct spec_linux *lx, rv_error_t *err);

/* Whether the calling process runs in a user namespace other than the
 * initial one (mknod is denied there).  */
bool lc_ns_in_userns (void);

/* clone(2) as fork(2) with FLAGS (new namespaces, CLONE_PARENT...): the
 * child returns 0 on the copied stack.  */
pid_t lc_ns_clone (unsigned long flags);
