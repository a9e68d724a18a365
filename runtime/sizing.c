/* The guest's vCPUs and memory from the container's resources
 * (docs/lifecycle.md, "Guest size").  */
#include <stdlib.h>
#include <string.h>

#include "runtime/rt_impl.h"

uint32_t
rt_cpuset_count (const char *list)
{
  const char *p = list;
  uint32_t n = 0;

  if (list == NULL)
    return 0;
  while (*p)
    {
      char *end;
      unsigned long a = strtoul (p, &end, 10), b;
      if (end == p)
        return 0;
      b = a;
      p = end;
      if (*p == '-')
        {
          p++;
          b = strtoul (p, &end, 10);
          if (end == p || b < a)
            return 0;
          p = end;
        }
      n += (uint32_t) (b - a + 1);
      if (*p == ',')
        p++;
      else if (*p != '\0' && *p != '\n')
        return 0;
      else
        break;
    }
  return n;
}

void
rt_guest_size (const struct spec_resources *res, const struct vm_config *c, bool tcg, uint32_t host_cpus,
               bool vcpus_fixed, bool memory_fixed, struct rt_guest_size *ret)
{
  const struct spec_cpu *cpu = res ? res->cpu : NULL;
  const struct spec_memory *mem = res ? res->memory : NULL;
  uint32_t vcpus = c->vcpus, mb = c->memory_mb, max_cpus;

  if (!vcpus_fixed && cpu)
    {
      if (cpu->quota.set && cpu->quota.value > 0 && cpu->period.set && cpu->period.value > 0)
        {
          uint64_t q = (uint64_t) cpu->quota.value, p = cpu->period.value;
          uint64_t n = (q + p - 1) / p;
          vcpus = n > UINT32_MAX ? UINT32_MAX : (uint32_t) n;
        }
      else if (rt_cpuset_count (cpu->cpus) > 0)
        vcpus = rt_cpuset_count (cpu->cpus);
    }
  max_cpus = host_cpus > 0 ? host_cpus : 1;
  if (c->max_vcpus > 0 && c->max_vcpus < max_cpus)
    max_cpus = c->max_vcpus;
  if (!vcpus_fixed && vcpus > max_cpus)
    vcpus = max_cpus;
  if (vcpus < 1)
    vcpus = 1;

  if (!memory_fixed && mem && mem->limit.set && mem->limit.value > 0)
    {
      uint64_t limit_mb = (uint64_t) mem->limit.value >> 20;
      uint64_t overhead = RT_VMM_OVERHEAD_MB + (tcg ? c->tb_size_mb : 0);
      uint64_t want = limit_mb > overhead ? limit_mb - overhead : 0;
      if (want < RT_GUEST_MEMORY_FLOOR_MB)
        want = RT_GUEST_MEMORY_FLOOR_MB;
      if (c->max_memory_mb > 0 && want > c->max_memory_mb)
        want = c->max_memory_mb;
      mb = (uint32_t) want;
    }
  ret->vcpus = vcpus;
  ret->memory_mb = mb;
}
