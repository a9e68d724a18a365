/* vmboot: boots one VM through the launcher API and reports, for the
 * end-to-end tests in tests/vm/run and by hand.
 *
 *   vmboot --state DIR [--config FILE] [--marker TEXT] [--bare]
 *          [--timeout MS] [--stop-timeout MS] [--kill] [--exec CMD]
 *          [--run-config FILE]
 *
 * Prepares, starts and waits for readiness (the marker on the console, or
 * the agent answering), prints "ready <ms>".  With an agent it prints what
 * the guest is (`info`); with --run-config it then runs a container from
 * that config.json on the rootfs DIR/shared/rootfs (prepared by the
 * caller, as the monitor would bind-mount it), printing its standard
 * output and exit code; then asks the agent to shut down.  Then it waits
 * for the guest to power off (vm_stop) or, with --kill, kills it.  --exec
 * runs the shell command CMD first, with the VM's processes in $VM_PIDS
 * (bench/mem measures them so), and implies --kill.  Every error is
 * printed as "error: <message>" and exits 1.  Before exiting it checks
 * that none of the VM's processes is left and says so.  */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utils.h"
#include "vm/launcher.h"
#include "vm/spawn.h"

static int
fail (rv_error_t *err)
{
  printf ("error: %s\n", (*err)->msg);
  rv_error_release (err);
  return 1;
}

static void
print_line (void *data, const char *source, const char *line, long long now)
{
  long long start = *(long long *) data;
  if (getenv ("VMBOOT_VERBOSE"))
    printf ("%7lld ms [%s] %s\n", now - start, source, line);
}

/* After the VM is gone, none of its PIDs may be alive.  */
static int
check_gone (const pid_t *pids, size_t n)
{
  size_t i;
  int left = 0;
  for (i = 0; i < n; i++)
    if (kill (pids[i], 0) == 0 || errno != ESRCH)
      {
        printf ("leftover: pid %d still exists\n", (int) pids[i]);
        left++;
      }
  if (left == 0)
    printf ("no process left\n");
  return left ? 1 : 0;
}

/* Runs container c1 from the config.json at CONFIG_PATH and prints its
 * standard output line by line and its exit code.  */
static int
run_container (struct vm *vm, struct agent_conn *c, const char *config_path)
{
  struct agent_create_args args = { .container = (char *) "c1",
                                    .rootfs = (char *) "/run/runvm/shared/rootfs",
                                    .bundle = (char *) "/run/runvm/shared",
                                    .stdio = { false, true, false },
                                    .no_runtime_hooks = true };
  _cleanup_free_ char *config = NULL, *out = NULL;
  struct agent_exit_result ex = { 0 };
  struct agent_transport t;
  _cleanup_close_ int o = -1;
  rv_error_t err = NULL;
  char *line, *save = NULL;

  if (read_file (config_path, 1 << 20, &config, NULL, &err) < 0 || vm_transport (vm, &t, &err) < 0)
    return -fail (&err);
  args.config = config;
  if (agent_create (c, &args, NULL, &err) < 0
      || agent_attach (&t, 30000, "c1", NULL, AGENT_STREAM_STDOUT, &o, &err) < 0
      || agent_start (c, "c1", &err) < 0 || read_fd (o, 1 << 20, &out, NULL, &err) < 0
      || agent_wait (c, "c1", NULL, 60000, &ex, &err) < 0 || agent_destroy (c, "c1", &err) < 0)
    return -fail (&err);
  for (line = strtok_r (out, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    printf ("container stdout: %s\n", line);
  printf ("container exit: %d\n", ex.exit_code);
  return 0;
}

static int
talk (struct vm *vm, struct agent_conn *c, const char *run_config)
{
  struct agent_info_result info = { 0 };
  rv_error_t err = NULL;

  if (agent_info (c, &info, &err) < 0)
    return -fail (&err);
  printf ("guest: kernel %s, %u CPU, %llu MiB, pid1 %s, uptime %llu ms\n", info.kernel, info.cpus,
          (unsigned long long) (info.mem_total >> 20), info.pid1 ? "yes" : "no",
          (unsigned long long) info.uptime_ms);
  agent_result_clear (AGENT_CALL_INFO, &info);
  if (run_config)
    return run_container (vm, c, run_config);
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "state", required_argument, NULL, 's' },
    { "config", required_argument, NULL, 'c' },
    { "marker", required_argument, NULL, 'm' },
    { "bare", no_argument, NULL, 'b' },
    { "timeout", required_argument, NULL, 't' },
    { "stop-timeout", required_argument, NULL, 'T' },
    { "kill", no_argument, NULL, 'k' },
    { "exec", required_argument, NULL, 'e' },
    { "run-config", required_argument, NULL, 'r' },
    { NULL, 0, NULL, 0 },
  };
  struct vm_params params = { 0 };
  struct vm_config *config = NULL;
  const char *config_path = NULL, *exec_cmd = NULL, *run_config = NULL;
  struct agent_conn *agent = NULL;
  struct vm *vm = NULL;
  rv_error_t err = NULL;
  int timeout = -1, stop_timeout = 10000, opt, rc;
  bool do_kill = false;
  long long start;
  pid_t pids[8];
  size_t npids;

  setvbuf (stdout, NULL, _IOLBF, 0);
  while ((opt = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    switch (opt)
      {
      case 's':
        params.state_dir = optarg;
        break;
      case 'c':
        config_path = optarg;
        break;
      case 'm':
        params.ready_marker = optarg;
        break;
      case 'b':
        params.bare = true;
        break;
      case 't':
        timeout = atoi (optarg);
        break;
      case 'T':
        stop_timeout = atoi (optarg);
        break;
      case 'k':
        do_kill = true;
        break;
      case 'e':
        exec_cmd = optarg;
        do_kill = true;
        break;
      case 'r':
        run_config = optarg;
        break;
      default:
        return 2;
      }
  if (params.state_dir == NULL)
    {
      fprintf (stderr, "usage: vmboot --state DIR [--config FILE] [--marker TEXT] [--bare] [--timeout MS]\n");
      return 2;
    }

  if (vm_config_load (config_path, &config, &err) < 0)
    return fail (&err);
  params.id = "vmboot";
  params.config = config;
  start = vm_now_ms ();
  params.on_console_line = print_line;
  params.on_console_line_data = &start;
  if (timeout < 0)
    timeout = (int) config->boot_timeout_ms;

  if (vm_prepare (&params, &vm, &err) < 0)
    {
      vm_config_free (config);
      return fail (&err) | check_gone (pids, 0);
    }
  printf ("launcher: %s\n", vm_describe (vm));
  if (vm_start (vm, &err) < 0)
    {
      vm_free (vm);
      vm_config_free (config);
      return fail (&err) | check_gone (pids, 0);
    }
  npids = vm_pids (vm, pids, ARRAY_SIZE (pids));
  if (npids > ARRAY_SIZE (pids))
    npids = ARRAY_SIZE (pids);
  if (vm_wait_ready (vm, timeout, &err) < 0)
    {
      rc = fail (&err);
      vm_free (vm);
      vm_config_free (config);
      return rc | check_gone (pids, npids);
    }
  printf ("ready %lld ms\n", vm_now_ms () - start);

  rc = 0;
  agent = vm_take_agent (vm);
  if (agent && talk (vm, agent, run_config) < 0)
    rc = 1;
  if (exec_cmd)
    {
      _cleanup_free_ char *list = xstrdup ("");
      size_t i;
      for (i = 0; i < npids; i++)
        {
          char *n = xasprintf ("%s%s%d", list, i ? " " : "", (int) pids[i]);
          free (list);
          list = n;
        }
      setenv ("VM_PIDS", list, 1);
      if (system (exec_cmd) != 0)
        rc = 1;
    }
  if (agent && !do_kill && agent_shutdown (agent, &err) < 0)
    rc = fail (&err);
  agent_conn_free (agent);
  if (do_kill)
    {
      vm_kill (vm);
      printf ("killed\n");
    }
  else if (vm_stop (vm, stop_timeout, &err) < 0)
    rc = fail (&err);
  else
    printf ("stopped %lld ms\n", vm_now_ms () - start);
  vm_free (vm);
  vm_config_free (config);
  return rc | check_gone (pids, npids);
}
