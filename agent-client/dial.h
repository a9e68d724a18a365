/* Reaching the agent's port (docs/ARCHITECTURE.md, "Transport to the
 * agent"): AF_VSOCK, hybrid vsock over a Unix socket, or a plain Unix
 * socket, behind one call.  */
#pragma once

#include "agent-client/transport.h"
#include "common/error.h"

/* Connects to the agent as T describes and returns the connected socket
 * (blocking, close-on-exec) in *RET_FD.
 *
 * While the guest is still booting the port refuses connections (vsock:
 * ECONNRESET; hybrid: the device closes the socket after `CONNECT`; Unix:
 * no socket file yet), so refusals are retried with a growing pause until
 * TIMEOUT_MS have passed; then the call fails with ETIMEDOUT, naming the
 * last refusal.  TIMEOUT_MS 0 makes one attempt; a negative value retries
 * forever.  A hybrid answer other than `OK <port>\n` fails at once
 * (EPROTO).
 *
 * The hybrid reply is read one byte at a time, so bytes the agent sends
 * right after it stay in the socket for the caller.  */
int agent_dial (const struct agent_transport *t, int timeout_ms, int *ret_fd, rv_error_t *err);

/* One attempt of agent_dial, its connect and hybrid handshake bounded by
 * TIMEOUT_MS (negative: none), for callers that retry on their own
 * schedule (the launchers, watching the VM while it boots): 1 with
 * *RET_FD connected, 0 when the port refused (the refusals agent_dial
 * retries), or a negative errno with ERR set (EPROTO: an unexpected
 * hybrid reply).  */
int agent_dial_once (const struct agent_transport *t, int timeout_ms, int *ret_fd, rv_error_t *err);

/* Waits for EVENTS on FD until DEADLINE (see below; -1: none): 0, or
 * -ETIMEDOUT, or -errno.  */
int agent_wait_fd (int fd, short events, long long deadline);

/* Monotonic clock in milliseconds, and the time left until DEADLINE (a
 * value of it; -1 means none) as a poll() timeout.  */
long long agent_now_ms (void);
int agent_ms_left (long long deadline);
