#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#include "common/utils.h"
#include "vm/hostinfo.h"

/* ---- KVM -------------------------------------------------------------- */

/* The flags of the first processor in a /proc/cpuinfo text.  */
static const char *
cpu_virt_flag (const char *cpuinfo)
{
  _cleanup_free_ char *data = NULL;
  rv_error_t err = NULL;
  char *line, *save = NULL;

  if (read_file (cpuinfo, 1 << 22, &data, NULL, &err) < 0)
    {
      rv_error_release (&err);
      return NULL;
    }
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *colon, *tok, *save2 = NULL;
      if (!str_has_prefix (line, "flags") || (colon = strchr (line, ':')) == NULL)
        continue;
      for (tok = strtok_r (colon + 1, " \t", &save2); tok; tok = strtok_r (NULL, " \t", &save2))
        {
          if (strcmp (tok, "vmx") == 0)
            return "vmx";
          if (strcmp (tok, "svm") == 0)
            return "svm";
        }
      return NULL;
    }
  return NULL;
}

void
vm_kvm_probe (const char *cpuinfo, const char *dev, struct vm_kvm_info *ret)
{
  struct vm_kvm_info k = { 0 };
  _cleanup_close_ int fd = -1;
  int version;

  if (cpuinfo == NULL)
    cpuinfo = "/proc/cpuinfo";
  if (dev == NULL)
    dev = "/dev/kvm";

  k.cpu_flag = cpu_virt_flag (cpuinfo);
  fd = open (dev, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    snprintf (k.reason, sizeof (k.reason), "%s: %s", dev, strerror (errno));
  else if ((version = ioctl (fd, KVM_GET_API_VERSION, 0)) != KVM_API_VERSION)
    snprintf (k.reason, sizeof (k.reason), "%s: KVM API version %d, not %d", dev, version, KVM_API_VERSION);
  else if (k.cpu_flag == NULL)
    snprintf (k.reason, sizeof (k.reason),
              "%s opens but the CPU does not advertise vmx or svm (a paravirtual KVM that boots only special "
              "kernels)",
              dev);
  else
    k.usable = true;
  *ret = k;
}

int
vm_accel_resolve (enum vm_accel wanted, const struct vm_kvm_info *kvm, enum vm_accel *ret, rv_error_t *err)
{
  switch (wanted)
    {
    case VM_ACCEL_AUTO:
      *ret = kvm->usable ? VM_ACCEL_KVM : VM_ACCEL_TCG;
      return 0;
    case VM_ACCEL_KVM:
      if (!kvm->usable)
        return rv_error_set (err, ENODEV, "accel kvm requested but KVM is not usable: %s", kvm->reason);
      *ret = VM_ACCEL_KVM;
      return 0;
    case VM_ACCEL_TCG:
      *ret = VM_ACCEL_TCG;
      return 0;
    }
  return rv_error_set (err, EINVAL, "invalid accel %d", (int) wanted);
}

/* ---- TSC -------------------------------------------------------------- */

const char *
vm_tsc_source_name (enum vm_tsc_source s)
{
  switch (s)
    {
    case VM_TSC_SYSFS:
      return "sysfs tsc_freq_khz";
    case VM_TSC_CPUID_HV:
      return "hypervisor CPUID leaf 0x40000010";
    case VM_TSC_CPUID_15H:
      return "CPUID leaf 0x15";
    case VM_TSC_MEASURED:
      return "measured against CLOCK_MONOTONIC_RAW";
    }
  return "unknown";
}

#if defined(__x86_64__) || defined(__i386__)
static uint32_t
tsc_from_cpuid (enum vm_tsc_source *ret_source)
{
  unsigned a, b, c, d, max;

  /* Hypervisors that publish timing information (KVM when asked, VMware)
   * give the rate in kHz directly.  */
  __cpuid (0x40000000, max, b, c, d);
  if (max >= 0x40000010 && max < 0x40010000)
    {
      __cpuid (0x40000010, a, b, c, d);
      if (a > 0)
        {
          *ret_source = VM_TSC_CPUID_HV;
          return a;
        }
    }
  __cpuid (0, max, b, c, d);
  if (max >= 0x15)
    {
      __cpuid_count (0x15, 0, a, b, c, d);
      if (a && b && c)
        {
          *ret_source = VM_TSC_CPUID_15H;
          return (uint32_t) ((uint64_t) c * b / a / 1000);
        }
    }
  return 0;
}

static int64_t
ns_of (const struct timespec *ts)
{
  return (int64_t) ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* One (time, tsc) pair read as close together as the scheduler allows: the
 * tightest of a few brackets.  */
static void
tsc_sample (int64_t *ret_ns, uint64_t *ret_tsc)
{
  int64_t best = INT64_MAX;
  int i;
  for (i = 0; i < 16; i++)
    {
      struct timespec a, b;
      uint64_t t;
      clock_gettime (CLOCK_MONOTONIC_RAW, &a);
      t = __rdtsc ();
      clock_gettime (CLOCK_MONOTONIC_RAW, &b);
      if (ns_of (&b) - ns_of (&a) < best)
        {
          best = ns_of (&b) - ns_of (&a);
          *ret_ns = ns_of (&a) + best / 2;
          *ret_tsc = t;
        }
    }
}

static uint32_t
tsc_measure (void)
{
  struct timespec pause = { 0, 20 * 1000 * 1000 };
  int64_t ns0, ns1;
  uint64_t tsc0, tsc1;

  tsc_sample (&ns0, &tsc0);
  while (nanosleep (&pause, &pause) < 0 && errno == EINTR)
    ;
  tsc_sample (&ns1, &tsc1);
  if (ns1 <= ns0 || tsc1 <= tsc0)
    return 0;
  return (uint32_t) (((double) (tsc1 - tsc0) * 1e6 / (double) (ns1 - ns0)) + 0.5);
}
#endif

int
vm_tsc_khz (uint32_t *ret_khz, enum vm_tsc_source *ret_source, rv_error_t *err)
{
  static uint32_t cached_khz;
  static enum vm_tsc_source cached_source;
  _cleanup_free_ char *data = NULL;
  enum vm_tsc_source source = 0;
  uint32_t khz = 0;
  rv_error_t tmp = NULL;
  uint64_t v;

  if (cached_khz)
    goto done;
  if (read_file ("/sys/devices/system/cpu/cpu0/tsc_freq_khz", 64, &data, NULL, &tmp) == 0)
    {
      data[strcspn (data, "\n")] = '\0';
      if (parse_u64 (data, &v) == 0 && v > 0 && v < UINT32_MAX)
        {
          khz = (uint32_t) v;
          source = VM_TSC_SYSFS;
        }
    }
  rv_error_release (&tmp);
#if defined(__x86_64__) || defined(__i386__)
  if (khz == 0)
    khz = tsc_from_cpuid (&source);
  if (khz == 0)
    {
      khz = tsc_measure ();
      source = VM_TSC_MEASURED;
    }
#endif
  if (khz == 0)
    return rv_error_set (err, ENOTSUP, "cannot determine the host's TSC rate");
  cached_khz = khz;
  cached_source = source;
done:
  *ret_khz = cached_khz;
  if (ret_source)
    *ret_source = cached_source;
  return 0;
}

/* ---- vsock ------------------------------------------------------------ */

bool
vm_vhost_vsock_usable (const char *dev, char *reason, size_t reason_size)
{
  int fd;
  if (dev == NULL)
    dev = "/dev/vhost-vsock";
  fd = open (dev, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      if (reason_size)
        snprintf (reason, reason_size, "%s: %s", dev, strerror (errno));
      return false;
    }
  (void) close (fd);
  if (reason_size)
    reason[0] = '\0';
  return true;
}

/* ---- cgroups ---------------------------------------------------------- */

enum vm_cgroup_layout
vm_cgroup_layout (const char *root)
{
  _cleanup_free_ char *unified = NULL;
  struct statfs st;

  if (root == NULL)
    root = "/sys/fs/cgroup";
  if (statfs (root, &st) < 0)
    return VM_CGROUP_UNKNOWN;
  if ((unsigned long) st.f_type == CGROUP2_SUPER_MAGIC)
    return VM_CGROUP_UNIFIED;
  if ((unsigned long) st.f_type != TMPFS_MAGIC)
    return VM_CGROUP_UNKNOWN;
  unified = xasprintf ("%s/unified", root);
  if (statfs (unified, &st) == 0 && (unsigned long) st.f_type == CGROUP2_SUPER_MAGIC)
    return VM_CGROUP_HYBRID;
  return VM_CGROUP_V1;
}

const char *
vm_cgroup_layout_name (enum vm_cgroup_layout l)
{
  switch (l)
    {
    case VM_CGROUP_V1:
      return "v1 (legacy)";
    case VM_CGROUP_HYBRID:
      return "hybrid (v1 controllers, cgroup2 at unified/)";
    case VM_CGROUP_UNIFIED:
      return "v2 (unified)";
    case VM_CGROUP_UNKNOWN:
      break;
    }
  return "unknown";
}
