/* Executing the mount plan (mounts.h) in the container's mount namespace,
 * in this order (the init runs these steps; container.c numbers them):
 *
 *   lc_rootfs_prepare       "/" slave (or rootfsPropagation), the rootfs's
 *                           parent mount private, the rootfs bound on itself
 *   lc_rootfs_mount_all     config.json's mounts in order, each target
 *                           resolved inside the rootfs (path.h)
 *   (devices, hooks)
 *   lc_rootfs_pivot         pivot_root, or MS_MOVE + chroot for --no-pivot
 *   lc_rootfs_finalize      read-only remounts delayed until /dev and the
 *                           tmpfs mounts were filled, read-only root
 *   (sysctls)
 *   lc_rootfs_protect       readonlyPaths, then maskedPaths
 *   lc_rootfs_root_propagation  rootfsPropagation shared or unbindable on
 *                           the new root (private and slave were set first)  */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "libcontainer/cgroup.h"
#include "libcontainer/mounts.h"

struct lc_rootfs_ctx
{
  const char *rootfs; /* absolute path, as the init sees it before pivot.  */
  int rootfd;         /* O_PATH fd of the rootfs mount (after prepare).  */
  const struct lc_mount_plan *plan;
  struct lc_cgroup *cgroup; /* the container's cgroup, for "cgroup" mounts (may be NULL).  */
  const int *mount_fds;     /* per plan entry: a detached idmapped mount from the parent, or -1.  */
  bool cgroupns;            /* the container has a cgroup namespace of its own.  */
};

int lc_rootfs_prepare (struct lc_rootfs_ctx *ctx, rv_error_t *err);

/* In the parent (which can see the sources and owns them): the detached,
 * idmapped clone of M's source, mapped through USERNS_FD.  */
int lc_rootfs_idmapped_tree (const struct lc_mount *m, int userns_fd, int *ret_fd, rv_error_t *err);
int lc_rootfs_mount_all (struct lc_rootfs_ctx *ctx, rv_error_t *err);
int lc_rootfs_pivot (struct lc_rootfs_ctx *ctx, bool no_pivot, rv_error_t *err);
int lc_rootfs_finalize (const struct lc_mount_plan *plan, rv_error_t *err);
int lc_rootfs_protect (const struct lc_mount_plan *plan, rv_error_t *err);
int lc_rootfs_root_propagation (const struct lc_mount_plan *plan, rv_error_t *err);

/* Replaces fds 0-2 that are the host's /dev/null with the container's
 * (after pivot: nothing of the host stays reachable through them).  */
int lc_rootfs_reopen_devnull (rv_error_t *err);
