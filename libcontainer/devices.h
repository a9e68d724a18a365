/* Device nodes in the container's /dev: the defaults every container gets
 * (null, zero, full, random, urandom, tty) and linux.devices, made with
 * mknod (or bind-mounted from the host where mknod is not allowed, in a
 * user namespace); the /dev/fd, stdin, stdout, stderr, core and ptmx
 * links.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "spec/config.h"

struct lc_dev_node
{
  char *path; /* clean, absolute, in the container.  */
  char type;  /* 'c', 'b', 'p' ('u' is stored as 'c').  */
  int64_t major;
  int64_t minor;
  mode_t mode; /* permission bits.  */
  uid_t uid;
  gid_t gid;
};

struct lc_dev_list
{
  struct lc_dev_node *v;
  size_t len;
};

/* The defaults plus CONFIG's devices; a configured path replaces the
 * default of that path.  Validates types and paths.  */
int lc_devices_build (const struct spec_config *config, struct lc_dev_list *ret, rv_error_t *err);
void lc_devices_free (struct lc_dev_list *l);

/* Makes the nodes below ROOTFD.  BIND: bind-mount the host's node of the
 * same path instead of mknod (a user namespace cannot mknod).  mknod that
 * fails with EPERM falls back to the bind too.  */
int lc_devices_create (int rootfd, const struct lc_dev_list *l, bool bind, rv_error_t *err);

/* /dev/fd -> /proc/self/fd, /dev/std{in,out,err}, /dev/core (when the
 * host has /proc/kcore), /dev/ptmx -> pts/ptmx.  */
int lc_devices_links (int rootfd, rv_error_t *err);
