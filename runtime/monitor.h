/* The monitor: the container's process on the host (docs/lifecycle.md).
 *
 * `runvm create` forks it, records its PID and says "R" on SYNC_FD (a
 * SOCK_SEQPACKET socket); the monitor starts only then (a create killed
 * before leaves a record that names it).  Then create waits for one
 * message:
 *
 *   "C<launcher> <transport>"
 *                        created: the container waits in the guest for
 *                        `start`; TRANSPORT (agent_transport_to_string,
 *                        a socket path relative to the state directory
 *                        when it lies there) reaches its agent
 *   "E<errno> <message>" the monitor failed and has undone what it made
 *                        except its cgroup (it cannot remove the cgroup
 *                        it is in); it exits right after.
 *
 * After "C" it waits for "A" from the creator: the container is recorded
 * and its pid file written.  Until "C" the monitor dies with its creator
 * (PR_SET_PDEATHSIG); after it, end of file instead of "A" (the creator
 * died or failed) makes it undo its part and exit.  So a create killed at
 * any moment leaves no monitor going on alone, only what `delete`
 * removes from the record.
 *
 * After "C" it relays stdio, forwards signals, waits for the workload,
 * records its exit status, stops the VM and exits with that status.  */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "spec/config.h"

struct rt_monitor_args
{
  const struct rt_global *g;
  const char *id;
  const char *bundle;    /* absolute */
  const char *state_dir; /* <root>/<id> */
  const struct spec_config *config;
  const char *config_text; /* the bundle's config.json as read, for hooks' sake */
  const char *host_cgroup; /* NULL: none */
  const char *console_socket;
  bool no_pivot;
  bool no_new_keyring;
  /* process.terminal without a console socket (`runvm run` in the
   * foreground): the monitor's own stdin and stdout are the terminal.  */
  bool own_terminal;
  int sync_fd;
  int lock_fd;   /* the creator's state lock: closed first thing */
  pid_t creator; /* the monitor dies with it until the creator's "A" */
};

/* Runs the monitor in the calling (just forked) process.  Never returns.  */
void rt_monitor_main (const struct rt_monitor_args *a) __attribute__ ((noreturn));

/* The status a monitor exits with when the VM went away without the
 * workload's exit status (QEMU or a helper killed, a guest kernel panic):
 * what an init killed by SIGKILL gives.  */
#define RT_EXIT_VM_GONE (128 + 9)
