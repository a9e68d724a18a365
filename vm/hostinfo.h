/* What the host offers a VM: hardware virtualization, the TSC rate, kernel
 * vsock, the cgroup layout.  Each probe fills a small struct with the
 * answer and, where the answer is "no", the reason in words, so that the
 * launcher can decide and `runvm check` can explain the decision.  */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "vm/config.h"

struct vm_kvm_info
{
  bool usable;
  const char *cpu_flag; /* "vmx", "svm", or NULL */
  char reason[160];     /* why not usable, or "" */
};

/* KVM is usable when the CPU advertises vmx or svm (a paravirtual /dev/kvm
 * without them boots only special kernels), /dev/kvm opens read-write and
 * it speaks KVM API version 12.  CPUINFO and DEV are the files to read
 * (NULL: /proc/cpuinfo and /dev/kvm); tests point them elsewhere.  */
void vm_kvm_probe (const char *cpuinfo, const char *dev, struct vm_kvm_info *ret);

/* The accelerator to use for WANTED: AUTO becomes KVM or TCG after the
 * probe; KVM when it is not usable is an error that says why.  */
int vm_accel_resolve (enum vm_accel wanted, const struct vm_kvm_info *kvm, enum vm_accel *ret,
                      rv_error_t *err);

enum vm_tsc_source
{
  VM_TSC_SYSFS = 1, /* /sys/devices/system/cpu/cpu0/tsc_freq_khz */
  VM_TSC_CPUID_HV,  /* hypervisor leaf 0x40000010 */
  VM_TSC_CPUID_15H, /* crystal clock leaf 0x15 */
  VM_TSC_MEASURED,  /* rdtsc against CLOCK_MONOTONIC_RAW */
};

/* The host's TSC rate in kHz, which a TCG guest needs as tsc_early_khz=:
 * the guest reads the host's TSC, and calibrating it by emulated timers
 * hangs now and then.  The first call may take about 20 ms (measuring);
 * the result is cached for the process.  */
int vm_tsc_khz (uint32_t *ret_khz, enum vm_tsc_source *ret_source, rv_error_t *err);
const char *vm_tsc_source_name (enum vm_tsc_source s);

/* Whether /dev/vhost-vsock exists and opens read-write; REASON tells why
 * not.  DEV NULL means /dev/vhost-vsock.  */
bool vm_vhost_vsock_usable (const char *dev, char *reason, size_t reason_size);

enum vm_cgroup_layout
{
  VM_CGROUP_UNKNOWN = 0,
  VM_CGROUP_V1,      /* legacy: controllers on v1 hierarchies only */
  VM_CGROUP_HYBRID,  /* v1 controllers plus a cgroup2 mount at unified/ */
  VM_CGROUP_UNIFIED, /* cgroup2 at /sys/fs/cgroup */
};

/* The layout under ROOT (NULL: /sys/fs/cgroup).  */
enum vm_cgroup_layout vm_cgroup_layout (const char *root);
const char *vm_cgroup_layout_name (enum vm_cgroup_layout l);
