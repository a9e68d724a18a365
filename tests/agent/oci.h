/* Bundles for the agent's container tests: a busybox rootfs and a
 * config.json like `runc spec` writes, trimmed.  */
#pragma once

#include <stdbool.h>

/* Makes DIR/rootfs with /bin/busybox and the applets the tests use.  */
void oci_make_rootfs (const char *dir);

/* config.json running `sh -c SCRIPT` with its own pid, network, ipc, uts,
 * mount and cgroup namespaces, hostname ID, the usual mounts, and the
 * cgroup CGROUP_PREFIX/ID.  */
char *oci_config (const char *id, const char *script, bool terminal, const char *cgroup_prefix);
/* The same with linux.resources.memory limit and swap (swap included) of
 * MEMORY_LIMIT bytes (0: none).  */
char *oci_config_limited (const char *id, const char *script, bool terminal, const char *cgroup_prefix,
                          long long memory_limit);

/* process.json for `sh -c SCRIPT`.  */
char *oci_process (const char *script, bool terminal);
