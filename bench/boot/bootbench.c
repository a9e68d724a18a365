/* bootbench: times VM boots through the launcher API, split into phases.
 *
 *   bootbench --config FILE --runs N [--marker TEXT --bare] [--label NAME]
 *
 * Each run prepares, starts and waits for a fresh VM, then stops it (the
 * trivial init powers off by itself; an agent is asked to) and checks that
 * nothing is left.  The phases of a run:
 *
 *   vmm     launch until the guest kernel's clock starts: runvm's own
 *           checks, spawning QEMU and the helpers, QEMU's setup, firmware
 *           and the kernel's decompression
 *   kernel  the guest's clock from 0 until /init runs
 *   init    /init until ready: the marker printed, or the agent answering
 *
 * The guest reports its CLOCK_BOOTTIME on the console: runvm-testinit at
 * start ("start uptime=") and at the marker; the agent, in debug mode,
 * when it starts ("uptime=" on its first line).  The host times the
 * arrival of those lines and of readiness, so
 *   vmm = (arrival of the init's first line - launch) - its uptime,
 *   kernel = its uptime, init = ready - arrival of that line.
 * Prints one line per run and the medians.  */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "vm/launcher.h"
#include "vm/spawn.h"

struct run
{
  long long launch;
  long long init_seen; /* host ms when the init's first line arrived, 0 before */
  double init_uptime;  /* guest seconds at that line */
  long long ready;
};

static void
on_line (void *data, const char *source, const char *line, long long now)
{
  struct run *r = data;
  const char *u;
  if (r->init_seen || strcmp (source, "guest") != 0)
    return;
  u = strstr (line, "uptime=");
  if (u == NULL)
    return;
  r->init_uptime = strtod (u + strlen ("uptime="), NULL);
  r->init_seen = now;
}

static int
cmp_ll (const void *a, const void *b)
{
  long long x = *(const long long *) a, y = *(const long long *) b;
  return x < y ? -1 : x > y;
}

static long long
median (long long *v, int n)
{
  qsort (v, (size_t) n, sizeof (*v), cmp_ll);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool
nothing_left (const pid_t *pids, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (kill (pids[i], 0) == 0)
      return false;
  return true;
}

static int
one_run (const struct vm_config *config, const char *marker, bool bare, const char *state, struct run *r,
         rv_error_t *err)
{
  struct vm_params p = { .id = "bootbench", .state_dir = state, .config = config, .tap_fd = -1 };
  struct vm *vm = NULL;
  pid_t pids[8];
  size_t n;
  int ret;

  memset (r, 0, sizeof (*r));
  p.ready_marker = marker;
  p.bare = bare;
  p.on_console_line = on_line;
  p.on_console_line_data = r;
  r->launch = vm_now_ms ();
  ret = vm_prepare (&p, &vm, err);
  if (ret < 0)
    return ret;
  ret = vm_start (vm, err);
  if (ret == 0)
    ret = vm_wait_ready (vm, (int) config->boot_timeout_ms, err);
  r->ready = vm_now_ms ();
  n = vm_pids (vm, pids, ARRAY_SIZE (pids));
  if (ret == 0 && marker)
    ret = vm_stop (vm, (int) config->stop_timeout_ms, err);
  vm_free (vm);
  if (ret == 0 && !nothing_left (pids, n < ARRAY_SIZE (pids) ? n : ARRAY_SIZE (pids)))
    ret = rv_error_set (err, EBUSY, "a process of the VM is left");
  if (ret == 0 && r->init_seen == 0)
    ret = rv_error_set (
        err, EINVAL, "the guest printed no uptime= line; is it runvm-testinit, or the agent in debug mode?");
  return ret;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "config", required_argument, NULL, 'c' }, { "runs", required_argument, NULL, 'n' },
    { "marker", required_argument, NULL, 'm' }, { "bare", no_argument, NULL, 'b' },
    { "label", required_argument, NULL, 'l' },  { NULL, 0, NULL, 0 },
  };
  const char *config_path = NULL, *marker = NULL, *label = "boot";
  struct vm_config *config = NULL;
  char root[] = "/tmp/runvm-bootbench.XXXXXX";
  long long *total, *vmm, *kernel, *init;
  rv_error_t err = NULL;
  int runs = 5, opt, i;
  bool bare = false;

  setvbuf (stdout, NULL, _IOLBF, 0);
  while ((opt = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    switch (opt)
      {
      case 'c':
        config_path = optarg;
        break;
      case 'n':
        runs = atoi (optarg);
        break;
      case 'm':
        marker = optarg;
        break;
      case 'b':
        bare = true;
        break;
      case 'l':
        label = optarg;
        break;
      default:
        return 2;
      }
  if (config_path == NULL || runs < 1)
    {
      fprintf (stderr, "usage: bootbench --config FILE --runs N [--marker TEXT --bare] [--label NAME]\n");
      return 2;
    }
  if (vm_config_load (config_path, &config, &err) < 0)
    {
      fprintf (stderr, "bootbench: %s\n", err->msg);
      return 1;
    }
  if (mkdtemp (root) == NULL)
    return 1;

  total = xcalloc ((size_t) runs, sizeof (long long));
  vmm = xcalloc ((size_t) runs, sizeof (long long));
  kernel = xcalloc ((size_t) runs, sizeof (long long));
  init = xcalloc ((size_t) runs, sizeof (long long));
  for (i = 0; i < runs; i++)
    {
      _cleanup_free_ char *state = xasprintf ("%s/%d", root, i);
      _cleanup_free_ char *cmd = NULL;
      struct run r;

      (void) mkdir (state, 0700);
      if (one_run (config, marker, bare, state, &r, &err) < 0)
        {
          fprintf (stderr, "bootbench: %s: run %d: %s\n", label, i + 1, err->msg);
          return 1;
        }
      total[i] = r.ready - r.launch;
      kernel[i] = (long long) (r.init_uptime * 1000 + 0.5);
      vmm[i] = r.init_seen - r.launch - kernel[i];
      init[i] = r.ready - r.init_seen;
      printf ("%-8s run %2d: total %5lld ms = vmm %5lld + kernel %5lld + init %5lld\n", label, i + 1,
              total[i], vmm[i], kernel[i], init[i]);
      cmd = xasprintf ("rm -rf '%s'", state);
      (void) !system (cmd);
    }
  printf ("%-8s median: total %5lld ms = vmm %5lld + kernel %5lld + init %5lld  (%d runs)\n", label,
          median (total, runs), median (vmm, runs), median (kernel, runs), median (init, runs), runs);
  (void) rmdir (root);
  vm_config_free (config);
  return 0;
}
