/* `runvm check`: what this host offers and what runvm will use.
 *
 * vm_check_collect probes the host with the given configuration (it runs
 * QEMU and virtiofsd for their versions); vm_check_report turns the facts
 * into the text shown to the user, naming for each missing piece the
 * package or make target that provides it.  The two are apart so that the
 * report can be tested with made-up facts.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vm/config.h"
#include "vm/hostinfo.h"

struct vm_check_facts
{
  const struct vm_config *config; /* borrowed */
  char *config_error;             /* the configuration did not load; config holds defaults */

  struct vm_kvm_info kvm;
  enum vm_accel accel; /* what the launcher would use; AUTO when it would fail */
  char *accel_error;
  uint32_t tsc_khz;
  enum vm_tsc_source tsc_source;

  bool vhost_vsock;
  char vhost_vsock_reason[160];

  char *qemu, *qemu_version, *qemu_error;
  bool qemu_microvm;
  char *virtiofsd, *virtiofsd_version, *virtiofsd_error;
  char *vsockd, *vsockd_error;
  char *agent, *agent_error;
  char *kernel, *initrd, *guest_error;

  enum vm_cgroup_layout cgroups;
  char *cgroup2_controllers; /* of the cgroup2 root, "" when none */
};

/* CONFIG is the loaded configuration (defaults when CONFIG_ERROR is set:
 * the error of loading it, copied).  */
void vm_check_collect (const struct vm_config *config, const char *config_error, struct vm_check_facts *ret);

/* The report; *RET_PROBLEMS gets the number of things that keep runvm from
 * starting a container.  */
char *vm_check_report (const struct vm_check_facts *facts, int *ret_problems);

void vm_check_facts_free (struct vm_check_facts *facts);
