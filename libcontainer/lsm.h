/* AppArmor and SELinux, as runc applies them.
 *
 * AppArmor: the profile is set for the next exec through
 * /proc/self/attr/apparmor/exec (or attr/exec).  runc writes it whenever a
 * profile is given, so on a kernel without AppArmor the write fails and
 * the container is not created; that is kept (an engine asking for
 * confinement must not silently get none).
 *
 * SELinux: a process label on a host where SELinux is disabled is refused
 * before anything starts ("selinux label is specified in config, but
 * selinux is disabled or not supported", runc's words).  The mount label
 * is added to the mounts' data as context="..." whether SELinux is on or
 * not, as runc does, so such a kernel refuses the mount.  */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "spec/config.h"

bool lc_lsm_apparmor_enabled (void);
bool lc_lsm_selinux_enabled (void);

/* Checks done in the parent.  */
int lc_lsm_check (const struct spec_process *p, rv_error_t *err);

/* In the child, before exec: the AppArmor profile, the SELinux exec label.  */
int lc_lsm_apply (const struct spec_process *p, rv_error_t *err);

/* DATA with context="MOUNT_LABEL" added, or NULL when there is no label.  */
char *lc_lsm_mount_data (const char *data, const char *mount_label);
