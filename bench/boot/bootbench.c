/* bootbench: launch-to-ready time of runvm's VM, next to the floor.
 *
 *   bootbench --floor CONFIG --runvm CONFIG [--runs N]
 *
 * Alternates, N times: a floor run (the same kernel booting a trivial
 * /init, runvm-testinit, on a bare VM: QEMU and the console only, ready
 * when the init prints its marker) and a runvm run (the full VM: virtiofsd,
 * runvm-vsockd or kernel vsock, the agent as /init, ready when the agent
 * has answered the version handshake).  Each VM is then stopped (the
 * trivial init powers off by itself, the agent is asked to) and checked to
 * have left no process.
 *
 * The phases:
 *   vmm     launch until the guest kernel's clock starts: runvm's checks,
 *           spawning QEMU and the helpers, QEMU's setup, firmware and the
 *           kernel's decompression
 *   kernel  the guest's clock from 0 until /init runs
 *   init    /init until ready (the trivial init: its marker; runvm: the
 *           agent's setup, module loading, mounts, listening, handshake)
 *
 * The guest's clock comes from the guest: the trivial init prints its
 * CLOCK_BOOTTIME when it starts; the agent reports its uptime in `info`,
 * asked right after the handshake (the call's own time is taken off).  The
 * agent does not say when it started, so a runvm run's kernel phase is the
 * paired floor run's, the same kernel on the same command line: its init
 * phase is then the rest of the guest's uptime.  */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-client/agent.h"
#include "common/utils.h"
#include "vm/launcher.h"
#include "vm/spawn.h"

#define MARKER "RUNVM-TESTINIT-READY"

struct run
{
  long long total, vmm, kernel, init;
};

struct line_seen
{
  long long at;  /* host ms when the init's first line arrived, 0 before */
  double uptime; /* guest seconds on that line */
};

static void
on_line (void *data, const char *source, const char *line, long long now)
{
  struct line_seen *s = data;
  const char *u;
  if (s->at || strcmp (source, "guest") != 0 || (u = strstr (line, "uptime=")) == NULL)
    return;
  s->uptime = strtod (u + strlen ("uptime="), NULL);
  s->at = now;
}

static bool
nothing_left (struct vm *vm)
{
  pid_t pids[8];
  size_t n = vm_pids (vm, pids, ARRAY_SIZE (pids)), i;
  for (i = 0; i < n && i < ARRAY_SIZE (pids); i++)
    if (kill (pids[i], 0) == 0)
      return false;
  return true;
}

static int
boot (const struct vm_config *config, bool floor, const char *state, long long floor_kernel, struct run *r,
      rv_error_t *err)
{
  struct vm_params p = { .id = "bootbench", .state_dir = state, .config = config };
  struct line_seen seen = { 0 };
  struct agent_info_result info = { 0 };
  struct agent_conn *agent = NULL;
  struct vm *vm = NULL;
  long long launch, ready, asked;
  pid_t pids[8];
  size_t npids;
  int ret;

  if (floor)
    {
      p.ready_marker = MARKER;
      p.bare = true;
    }
  p.on_console_line = on_line;
  p.on_console_line_data = &seen;
  launch = vm_now_ms ();
  ret = vm_prepare (&p, &vm, err);
  if (ret < 0)
    return ret;
  ret = vm_start (vm, err);
  if (ret == 0)
    ret = vm_wait_ready (vm, (int) config->boot_timeout_ms, err);
  ready = vm_now_ms ();
  npids = vm_pids (vm, pids, ARRAY_SIZE (pids));
  if (ret == 0 && !floor)
    {
      agent = vm_take_agent (vm);
      asked = vm_now_ms ();
      ret = agent_info (agent, &info, err);
      if (ret == 0)
        {
          /* The uptime at ready: what info said, less the time since.  */
          long long uptime = (long long) info.uptime_ms - (vm_now_ms () - ready) + (vm_now_ms () - asked) / 2;
          r->total = ready - launch;
          r->vmm = r->total - uptime;
          r->kernel = floor_kernel;
          r->init = uptime - floor_kernel;
          ret = agent_shutdown (agent, err);
        }
      agent_result_clear (AGENT_CALL_INFO, &info);
      agent_conn_free (agent);
    }
  else if (ret == 0)
    {
      if (seen.at == 0)
        ret = rv_error_set (err, EINVAL, "the trivial init printed no uptime");
      r->total = ready - launch;
      r->kernel = (long long) (seen.uptime * 1000 + 0.5);
      r->vmm = seen.at - launch - r->kernel;
      r->init = ready - seen.at;
    }
  if (ret == 0)
    ret = vm_stop (vm, (int) config->stop_timeout_ms, err);
  if (ret == 0 && !nothing_left (vm))
    ret = rv_error_set (err, EBUSY, "a process of the VM is left");
  vm_free (vm);
  (void) npids;
  return ret;
}

static int
cmp_ll (const void *a, const void *b)
{
  long long x = *(const long long *) a, y = *(const long long *) b;
  return x < y ? -1 : x > y;
}

/* The median of field OFF over N runs.  */
static long long
median (const struct run *runs, int n, size_t off)
{
  long long *v = xcalloc ((size_t) n, sizeof (*v)), m;
  int i;
  for (i = 0; i < n; i++)
    v[i] = *(const long long *) ((const char *) &runs[i] + off);
  qsort (v, (size_t) n, sizeof (*v), cmp_ll);
  m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  free (v);
  return m;
}

static void
print_run (const char *label, int i, const struct run *r)
{
  printf ("%-6s %5d  %7lld  %7lld  %7lld  %7lld\n", label, i, r->total, r->vmm, r->kernel, r->init);
}

static void
print_median (const char *label, const struct run *runs, int n)
{
  printf ("%-6s %5s  %7lld  %7lld  %7lld  %7lld\n", label, "med",
          median (runs, n, offsetof (struct run, total)), median (runs, n, offsetof (struct run, vmm)),
          median (runs, n, offsetof (struct run, kernel)), median (runs, n, offsetof (struct run, init)));
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "floor", required_argument, NULL, 'f' },
    { "runvm", required_argument, NULL, 'r' },
    { "runs", required_argument, NULL, 'n' },
    { NULL, 0, NULL, 0 },
  };
  const char *floor_path = NULL, *runvm_path = NULL;
  struct vm_config *floor_cfg = NULL, *runvm_cfg = NULL;
  char root[] = "/tmp/runvm-bootbench.XXXXXX";
  struct run *floor, *runvm;
  rv_error_t err = NULL;
  int runs = 5, opt, i;
  long long f, v;

  setvbuf (stdout, NULL, _IOLBF, 0);
  while ((opt = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    switch (opt)
      {
      case 'f':
        floor_path = optarg;
        break;
      case 'r':
        runvm_path = optarg;
        break;
      case 'n':
        runs = atoi (optarg);
        break;
      default:
        return 2;
      }
  if (floor_path == NULL || runvm_path == NULL || runs < 1)
    {
      fprintf (stderr, "usage: bootbench --floor CONFIG --runvm CONFIG [--runs N]\n");
      return 2;
    }
  if (vm_config_load (floor_path, &floor_cfg, &err) < 0 || vm_config_load (runvm_path, &runvm_cfg, &err) < 0)
    {
      fprintf (stderr, "bootbench: %s\n", err->msg);
      return 1;
    }
  if (mkdtemp (root) == NULL)
    return 1;

  floor = xcalloc ((size_t) runs, sizeof (*floor));
  runvm = xcalloc ((size_t) runs, sizeof (*runvm));
  printf ("%-6s %5s  %7s  %7s  %7s  %7s   (ms)\n", "", "run", "total", "vmm", "kernel", "init");
  for (i = 0; i < runs; i++)
    {
      _cleanup_free_ char *s1 = xasprintf ("%s/floor%d", root, i), *s2 = xasprintf ("%s/runvm%d", root, i);
      _cleanup_free_ char *cmd = xasprintf ("rm -rf '%s' '%s'", s1, s2);

      (void) mkdir (s1, 0700);
      (void) mkdir (s2, 0700);
      if (boot (floor_cfg, true, s1, 0, &floor[i], &err) < 0)
        {
          fprintf (stderr, "bootbench: floor run %d: %s\n", i + 1, err->msg);
          return 1;
        }
      print_run ("floor", i + 1, &floor[i]);
      if (boot (runvm_cfg, false, s2, floor[i].kernel, &runvm[i], &err) < 0)
        {
          fprintf (stderr, "bootbench: runvm run %d: %s\n", i + 1, err->msg);
          return 1;
        }
      print_run ("runvm", i + 1, &runvm[i]);
      (void) !system (cmd);
    }
  print_median ("floor", floor, runs);
  print_median ("runvm", runvm, runs);
  f = median (floor, runs, offsetof (struct run, total));
  v = median (runs > 0 ? runvm : runvm, runs, offsetof (struct run, total));
  printf ("runvm / floor: %.2f (runvm adds %lld ms, %.0f%%)\n", (double) v / (double) f, v - f,
          100.0 * (double) (v - f) / (double) f);
  (void) rmdir (root);
  free (floor);
  free (runvm);
  vm_config_free (floor_cfg);
  vm_config_free (runvm_cfg);
  return 0;
}
