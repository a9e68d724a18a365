/* The `info` call: what the guest is (kernel, uptime, memory, CPUs).  */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cmd/runvm-agent/agent.h"
#include "common/utils.h"

#include "version.h"

/* MemAvailable from /proc/meminfo (kB there), or 0 when it cannot be
 * read: the kernel's own estimate beats anything sysinfo() can give.  */
static uint64_t
mem_available (void)
{
  _cleanup_fclose_ FILE *f = fopen ("/proc/meminfo", "re");
  char line[256];
  unsigned long long kb;

  if (f == NULL)
    return 0;
  while (fgets (line, sizeof (line), f))
    if (sscanf (line, "MemAvailable: %llu kB", &kb) == 1)
      return (uint64_t) kb * 1024;
  return 0;
}

int
agent_info_collect (struct agent *a, struct agent_info_result *ret, rv_error_t *err)
{
  struct utsname u;
  struct sysinfo si;
  struct timespec ts;
  struct list *it, *tmp;
  char host[256];
  long cpus;
  uint32_t n = 0;

  if (uname (&u) < 0)
    return rv_error_make (err, errno, "uname");
  if (sysinfo (&si) < 0)
    return rv_error_make (err, errno, "sysinfo");
  if (gethostname (host, sizeof (host)) < 0)
    host[0] = '\0';
  host[sizeof (host) - 1] = '\0';
  clock_gettime (CLOCK_BOOTTIME, &ts);
  cpus = sysconf (_SC_NPROCESSORS_ONLN);
  list_for_each_safe (it, tmp, &a->ctrs) n++;

  ret->agent = xstrdup (RUNVM_VERSION);
  ret->kernel = xstrdup (u.release);
  ret->machine = xstrdup (u.machine);
  ret->hostname = xstrdup (host);
  ret->uptime_ms = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
  ret->mem_total = (uint64_t) si.totalram * si.mem_unit;
  ret->mem_free = (uint64_t) si.freeram * si.mem_unit;
  ret->mem_available = mem_available ();
  ret->cpus = cpus > 0 ? (uint32_t) cpus : 1;
  ret->containers = n;
  ret->pid1 = a->pid1;
  return 0;
}
