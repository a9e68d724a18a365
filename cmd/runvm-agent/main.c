/* runvm-agent: serves the agent protocol (agent-client/PROTOCOL.md).
 *
 * As the guest's PID 1 (no arguments; the kernel runs it as /init) it sets
 * the guest up and listens on vsock port runvm.port= (default 1024).  As a
 * host process (the `host` launcher, tests):
 *
 *   runvm-agent --listen unix:/run/runvm/ID/agent.sock [--debug] [--exit-with-parent]
 *
 * it serves until `shutdown` or SIGTERM; with --exit-with-parent it also
 * stops when the process that started it exits.  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/runvm-agent/agent.h"
#include "common/log.h"
#include "common/utils.h"

#include "version.h"

static void
usage (FILE *out)
{
  fprintf (out, "usage: runvm-agent [--listen unix:PATH|vsock:PORT] [--debug] [--exit-with-parent]\n"
                "Serves the runvm agent protocol.  Without --listen it runs as a guest's PID 1.\n");
}

static const struct agent_backend *
backend (void)
{
  return &agent_backend_libcontainer;
}

static int __attribute__ ((noreturn)) run_pid1 (void)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct pid1_config cfg;
  struct agent_options opts = { .backend = backend (), .pid1 = true };
  _cleanup_free_ char *listen = NULL;

  pid1_setup (&cfg);
  listen = xasprintf ("vsock:%u", cfg.port);
  opts.listen = listen;
  if (agent_serve (&opts, &err) < 0)
    rv_log (RV_LOG_FATAL, "%s", err->msg);
  pid1_poweroff ();
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "listen", required_argument, NULL, 'l' },
    { "debug", no_argument, NULL, 'd' },
    { "exit-with-parent", no_argument, NULL, 'p' },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  _cleanup_error_ rv_error_t err = NULL;
  struct agent_options opts = { .backend = backend () };
  bool debug = false;
  int c;

  if (getpid () == 1)
    run_pid1 ();

  while ((c = getopt_long (argc, argv, "l:dph", longopts, NULL)) != -1)
    switch (c)
      {
      case 'l':
        opts.listen = optarg;
        break;
      case 'd':
        debug = true;
        break;
      case 'p':
        opts.exit_with_parent = true;
        break;
      case 'v':
        printf ("runvm-agent version %s\ncommit: %s\n", RUNVM_VERSION, RUNVM_COMMIT);
        return 0;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 2;
      }
  if (optind < argc || opts.listen == NULL)
    {
      usage (stderr);
      return 2;
    }
  rv_log_setup (STDERR_FILENO, RV_LOG_FORMAT_TEXT, debug ? RV_LOG_DEBUG : RV_LOG_WARNING);
  if (agent_serve (&opts, &err) < 0)
    {
      rv_log (RV_LOG_ERROR, "%s", err->msg);
      return 1;
    }
  return 0;
}
