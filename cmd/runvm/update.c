#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/runvm/cli.h"
#include "common/utils.h"

/* The flags as runc takes them: numbers as strings, converted (with
 * runc's error messages) once parsing is done.  */
struct update_flags
{
  const char *resources;
  int blkio_weight;
  const char *cpu_period;
  const char *cpu_quota;
  const char *cpu_burst;
  const char *cpu_share;
  const char *cpu_rt_period;
  const char *cpu_rt_runtime;
  const char *cpuset_cpus;
  const char *cpuset_mems;
  const char *kernel_memory;
  const char *kernel_memory_tcp;
  const char *memory;
  const char *cpu_idle;
  const char *memory_reservation;
  const char *memory_swap;
  int pids_limit;
  const char *l3_cache_schema;
  const char *mem_bw_schema;
};

#define O(field) offsetof (struct update_flags, field)

static const struct cli_flag flags[] = {
  { "resources, r", CLI_STRING, O (resources), NULL,
    "path to the file containing the resources to update or '-' to read from the standard input\n"
    "\n"
    "The accepted format is the \"linux.resources\" object of config.json; values left out\n"
    "are not changed, for example:\n"
    "\n"
    "{\n"
    "  \"memory\": {\n"
    "    \"limit\": 0,\n"
    "    \"reservation\": 0,\n"
    "    \"swap\": 0\n"
    "  },\n"
    "  \"cpu\": {\n"
    "    \"shares\": 0,\n"
    "    \"quota\": 0,\n"
    "    \"period\": 0,\n"
    "    \"realtimeRuntime\": 0,\n"
    "    \"realtimePeriod\": 0,\n"
    "    \"cpus\": \"\",\n"
    "    \"mems\": \"\"\n"
    "  },\n"
    "  \"blockIO\": {\n"
    "    \"weight\": 0\n"
    "  }\n"
    "}\n"
    "\n"
    "Note: if data is to be read from a file or the standard input, all\n"
    "other options are ignored.\n",
    false },
  { "blkio-weight", CLI_INT, O (blkio_weight), "0", "Specifies per cgroup weight, range is from 10 to 1000",
    false },
  { "cpu-period", CLI_STRING, O (cpu_period), NULL,
    "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default", false },
  { "cpu-quota", CLI_STRING, O (cpu_quota), NULL,
    "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period", false },
  { "cpu-burst", CLI_STRING, O (cpu_burst), NULL,
    "CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for burst a given "
    "period",
    false },
  { "cpu-share", CLI_STRING, O (cpu_share), NULL, "CPU shares (relative weight vs. other containers)",
    false },
  { "cpu-rt-period", CLI_STRING, O (cpu_rt_period), NULL,
    "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default", false },
  { "cpu-rt-runtime", CLI_STRING, O (cpu_rt_runtime), NULL,
    "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period", false },
  { "cpuset-cpus", CLI_STRING, O (cpuset_cpus), NULL, "CPU(s) to use", false },
  { "cpuset-mems", CLI_STRING, O (cpuset_mems), NULL, "Memory node(s) to use", false },
  { "kernel-memory", CLI_STRING, O (kernel_memory), NULL, "(obsoleted; do not use)", true },
  { "kernel-memory-tcp", CLI_STRING, O (kernel_memory_tcp), NULL, "(obsoleted; do not use)", true },
  { "memory", CLI_STRING, O (memory), NULL, "Memory limit (in bytes)", false },
  { "cpu-idle", CLI_STRING, O (cpu_idle), NULL,
    "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE", false },
  { "memory-reservation", CLI_STRING, O (memory_reservation), NULL,
    "Memory reservation or soft_limit (in bytes)", false },
  { "memory-swap", CLI_STRING, O (memory_swap), NULL,
    "Total memory usage (memory + swap); set '-1' to enable unlimited swap", false },
  { "pids-limit", CLI_INT, O (pids_limit), "0", "Maximum number of pids allowed in the container", false },
  { "l3-cache-schema", CLI_STRING, O (l3_cache_schema), NULL, "The string of Intel RDT/CAT L3 cache schema",
    false },
  { "mem-bw-schema", CLI_STRING, O (mem_bw_schema), NULL,
    "The string of Intel RDT/MBA memory bandwidth schema", false },
  CLI_FLAGS_END,
};

/* go-units RAMInBytes: "512", "64k", "1.5GiB", "2 mb": binary multiples,
 * a fraction allowed, truncated to whole bytes.  */
static int
parse_ram (const char *s, int64_t *ret)
{
  static const char units[] = "kmgtp";
  const char *p = s, *num_end;
  _cleanup_free_ char *num = NULL;
  long double size, mul = 1;
  char *end;

  if (!isdigit ((unsigned char) *p))
    return -EINVAL;
  while (isdigit ((unsigned char) *p))
    p++;
  while (*p == '.' && isdigit ((unsigned char) p[1]))
    for (p++; isdigit ((unsigned char) *p); p++)
      ;
  num_end = p;
  if (*p == ' ')
    p++;
  if (*p && strchr (units, tolower ((unsigned char) *p)))
    {
      long k = strchr (units, tolower ((unsigned char) *p)) - units + 1;
      while (k-- > 0)
        mul *= 1024;
      p++;
    }
  if (*p == 'i' || *p == 'I')
    p++;
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p != '\0')
    return -EINVAL;
  num = xstrndup (s, (size_t) (num_end - s));
  errno = 0;
  size = strtold (num, &end);
  if (*end != '\0' || errno != 0)
    return -EINVAL;
  size *= mul;
  if (size >= 9223372036854775807.0L)
    return -ERANGE;
  *ret = (int64_t) size;
  return 0;
}

static int
set_u64 (const char *name, const char *val, struct spec_opt_u64 *dst, rv_error_t *err)
{
  uint64_t v;
  int r;

  if (val == NULL || *val == '\0')
    return 0;
  r = parse_u64 (val, &v);
  if (r < 0)
    return rv_error_set (err, EINVAL, "invalid value for %s: strconv.ParseUint: parsing \"%s\": %s", name,
                         val, r == -ERANGE ? "value out of range" : "invalid syntax");
  dst->set = true;
  dst->value = v;
  return 0;
}

static int
set_i64 (const char *name, const char *val, struct spec_opt_i64 *dst, rv_error_t *err)
{
  int64_t v;
  int r;

  if (val == NULL || *val == '\0')
    return 0;
  r = parse_i64 (val, &v);
  if (r < 0)
    return rv_error_set (err, EINVAL, "invalid value for %s: strconv.ParseInt: parsing \"%s\": %s", name, val,
                         r == -ERANGE ? "value out of range" : "invalid syntax");
  dst->set = true;
  dst->value = v;
  return 0;
}

static int
set_mem (const char *name, const char *val, struct spec_opt_i64 *dst, rv_error_t *err)
{
  int64_t v = -1;

  if (val == NULL || *val == '\0')
    return 0;
  if (strcmp (val, "-1") != 0 && parse_ram (val, &v) < 0)
    return rv_error_set (err, EINVAL, "invalid value for %s: invalid size: '%s'", name, val);
  dst->set = true;
  dst->value = v;
  return 0;
}

static int
action (struct cli_ctx *ctx, void *opts, rv_error_t *err)
{
  struct update_flags *f = opts;
  struct rt_update_opts o = { 0 };
  int ret;

  ret = cli_check_args (ctx, 1, CLI_EXACT_ARGS, err);
  if (ret < 0)
    return ret;
  o.id = ctx->argv[0];
  if (f->resources && *f->resources)
    o.resources = f->resources;
  else
    {
      if (f->blkio_weight != 0)
        {
          if (f->blkio_weight < 0 || f->blkio_weight > UINT16_MAX)
            return rv_error_set (err, EINVAL, "invalid value for blkio-weight: %d", f->blkio_weight);
          o.blkio_weight.set = true;
          o.blkio_weight.value = (uint32_t) f->blkio_weight;
        }
      o.cpuset_cpus = f->cpuset_cpus && *f->cpuset_cpus ? f->cpuset_cpus : NULL;
      o.cpuset_mems = f->cpuset_mems && *f->cpuset_mems ? f->cpuset_mems : NULL;
      if ((ret = set_u64 ("cpu-period", f->cpu_period, &o.cpu_period, err)) < 0
          || (ret = set_u64 ("cpu-rt-period", f->cpu_rt_period, &o.cpu_rt_period, err)) < 0
          || (ret = set_u64 ("cpu-share", f->cpu_share, &o.cpu_share, err)) < 0
          || (ret = set_u64 ("cpu-burst", f->cpu_burst, &o.cpu_burst, err)) < 0
          || (ret = set_i64 ("cpu-quota", f->cpu_quota, &o.cpu_quota, err)) < 0
          || (ret = set_i64 ("cpu-rt-runtime", f->cpu_rt_runtime, &o.cpu_rt_runtime, err)) < 0
          || (ret = set_i64 ("cpu-idle", f->cpu_idle, &o.cpu_idle, err)) < 0
          || (ret = set_mem ("memory", f->memory, &o.memory, err)) < 0
          || (ret = set_mem ("memory-swap", f->memory_swap, &o.memory_swap, err)) < 0
          || (ret = set_mem ("kernel-memory", f->kernel_memory, &o.kernel_memory, err)) < 0
          || (ret = set_mem ("kernel-memory-tcp", f->kernel_memory_tcp, &o.kernel_memory_tcp, err)) < 0
          || (ret = set_mem ("memory-reservation", f->memory_reservation, &o.memory_reservation, err)) < 0)
        return ret;
      if (cli_given (ctx, "pids-limit"))
        {
          o.pids_limit.set = true;
          o.pids_limit.value = f->pids_limit;
        }
    }
  o.l3_cache_schema = f->l3_cache_schema && *f->l3_cache_schema ? f->l3_cache_schema : NULL;
  o.mem_bw_schema = f->mem_bw_schema && *f->mem_bw_schema ? f->mem_bw_schema : NULL;
  ret = rt_update (ctx->global, &o, err);
  return ret < 0 ? ret : 0;
}

const struct cli_command cmd_update = {
  .name = "update",
  .usage = "update container resource constraints",
  .args_usage = "<container-id>",
  .description = "The update command changes the resource limits of a running container, both in\n"
                 "the container's cgroup inside its virtual machine and in the cgroup that holds\n"
                 "the virtual machine on the host.",
  .flags = flags,
  .opts_size = sizeof (struct update_flags),
  .action = action,
};
