/* The client of the guest agent: what every CLI verb and the monitor use
 * (agent-client/PROTOCOL.md).
 *
 *   struct agent_conn *c;
 *   agent_connect (&transport, 5000, &c, err);       dial + version handshake
 *   agent_create (c, &args, &pid, err);              typed calls
 *   agent_attach (&transport, 5000, "ctr", NULL, AGENT_STREAM_STDOUT, &fd, err);
 *   agent_start (c, "ctr", err);
 *   agent_wait (c, "ctr", NULL, -1, &exit, err);
 *   agent_conn_free (c);
 *
 * Every call returns 0 or a negative errno value and fills *ERR; when the
 * agent answered with an error, *ERR holds the agent's errno and message
 * unchanged, so an error raised in the guest reaches the user intact.
 *
 * Every call is bounded by the connection's timeout (agent_conn_set_timeout,
 * default AGENT_CALL_TIMEOUT_MS), except those that take their own.  After a
 * timeout the connection stays usable: a late reply is recognised by its
 * request id and dropped.  Calls may be pipelined with agent_call_send and
 * agent_call_recv: a reply that arrives while another is awaited is kept
 * for its own recv.  The object is not thread-safe; a monitor that blocks
 * in `wait` while it forwards signals uses two connections (or polls
 * agent_conn_fd).  */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent-client/dial.h"
#include "agent-client/msg.h"
#include "agent-client/transport.h"
#include "common/error.h"

#define AGENT_CALL_TIMEOUT_MS 30000

struct agent_conn;

/* Dials T (see agent_dial; TIMEOUT_MS bounds dialling and the handshake)
 * and agrees on a protocol version.  */
int agent_connect (const struct agent_transport *t, int timeout_ms, struct agent_conn **ret, rv_error_t *err);
/* The same over a socket already connected to the agent; FD is taken
 * (closed on failure too).  */
int agent_connect_fd (int fd, int timeout_ms, struct agent_conn **ret, rv_error_t *err);
void agent_conn_free (struct agent_conn *c);

void agent_conn_set_timeout (struct agent_conn *c, int timeout_ms);
uint32_t agent_conn_version (const struct agent_conn *c);
/* The agent's own version string, from the handshake.  */
const char *agent_conn_agent (const struct agent_conn *c);
int agent_conn_fd (const struct agent_conn *c);

/* Opens a stream of a process: a new connection to the agent that carries
 * the process's raw bytes after the attach reply (PROTOCOL.md, "Streams").
 * EXEC_ID NULL means the container's init.  Returns a blocking,
 * close-on-exec socket: write stdin to it and shutdown(SHUT_WR) for EOF;
 * read stdout, stderr or tty from it until end of file.  */
int agent_attach (const struct agent_transport *t, int timeout_ms, const char *container, const char *exec_id,
                  enum agent_stream stream, int *ret_fd, rv_error_t *err);
/* The same over a socket already connected to the agent (taken).  */
int agent_attach_fd (int fd, int timeout_ms, const char *container, const char *exec_id,
                     enum agent_stream stream, int *ret_fd, rv_error_t *err);

/* Any call: sends ARGS (the call's args struct, NULL for {}) and decodes
 * the result into RET_RESULT (the call's result struct, or NULL to drop
 * it; release with agent_result_clear).  TIMEOUT_MS < 0 waits forever.  */
int agent_call (struct agent_conn *c, enum agent_call call, const void *args, void *ret_result,
                int timeout_ms, rv_error_t *err);
void agent_result_clear (enum agent_call call, void *result);
/* agent_call with the arguments as JSON text (an object, as PROTOCOL.md
 * describes them): checked against the call's schema before anything is
 * sent, so a wrong field fails here with EINVAL.  vm/net_agent.c's
 * `network` arguments go this way.  */
int agent_call_json (struct agent_conn *c, enum agent_call call, const char *args_json, void *ret_result,
                     int timeout_ms, rv_error_t *err);

/* The two halves of agent_call, for callers that poll agent_conn_fd:
 * send returns the request id; recv waits for that id's reply.  */
int agent_call_send (struct agent_conn *c, enum agent_call call, const void *args, uint64_t *ret_id,
                     int timeout_ms, rv_error_t *err);
int agent_call_recv (struct agent_conn *c, enum agent_call call, uint64_t id, void *ret_result,
                     int timeout_ms, rv_error_t *err);

/* ---- typed calls ------------------------------------------------------ */

int agent_create (struct agent_conn *c, const struct agent_create_args *args, pid_t *ret_pid,
                  rv_error_t *err);
int agent_start (struct agent_conn *c, const char *container, rv_error_t *err);
int agent_exec (struct agent_conn *c, const struct agent_exec_args *args, pid_t *ret_pid, rv_error_t *err);
/* SIG to the process (EXEC_ID NULL: the init), or with ALL to every
 * process of the container.  */
int agent_signal (struct agent_conn *c, const char *container, const char *exec_id, int sig, bool all,
                  rv_error_t *err);
/* Waits until the process has exited and its output streams are drained.
 * TIMEOUT_MS < 0 waits forever.  */
int agent_wait (struct agent_conn *c, const char *container, const char *exec_id, int timeout_ms,
                struct agent_exit_result *ret, rv_error_t *err);
int agent_resize (struct agent_conn *c, const char *container, const char *exec_id, unsigned rows,
                  unsigned cols, rv_error_t *err);
int agent_close_stdin (struct agent_conn *c, const char *container, const char *exec_id, rv_error_t *err);
int agent_ps (struct agent_conn *c, const char *container, pid_t **ret, size_t *ret_len, rv_error_t *err);
/* runc's `events --stats` data as JSON text.  */
int agent_stats (struct agent_conn *c, const char *container, char **ret_json, rv_error_t *err);
int agent_pause (struct agent_conn *c, const char *container, rv_error_t *err);
int agent_resume (struct agent_conn *c, const char *container, rv_error_t *err);
/* RESOURCES_JSON: a linux.resources object.  */
int agent_update (struct agent_conn *c, const char *container, const char *resources_json, rv_error_t *err);
int agent_destroy (struct agent_conn *c, const char *container, rv_error_t *err);
/* Release *RET with agent_result_clear (AGENT_CALL_STATE, ret).  */
int agent_state (struct agent_conn *c, const char *container, struct agent_state_result *ret,
                 rv_error_t *err);
int agent_network (struct agent_conn *c, const struct agent_network_args *args, rv_error_t *err);
/* Release *RET with agent_result_clear (AGENT_CALL_INFO, ret).  */
int agent_info (struct agent_conn *c, struct agent_info_result *ret, rv_error_t *err);
/* Events with seq > SINCE; waits up to WAIT_MS for the first one (0:
 * answers at once, possibly with none).  Release *RET with
 * agent_result_clear (AGENT_CALL_EVENTS, ret).  */
int agent_events (struct agent_conn *c, uint64_t since, int wait_ms, struct agent_events_result *ret,
                  rv_error_t *err);
/* Asks the agent to stop: in a guest it powers the VM off.  The reply
 * comes before it does.  */
int agent_shutdown (struct agent_conn *c, rv_error_t *err);
