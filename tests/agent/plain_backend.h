/* Helpers for the agent's tests: a backend of plain processes, and an
 * agent run in a child process on a private Unix socket.  */
#pragma once

#include <sys/types.h>

#include "agent-client/agent.h"
#include "cmd/runvm-agent/agent.h"

extern const struct agent_backend plain_backend;

struct test_agent
{
  char dir[64];
  struct agent_transport t;
  pid_t pid;
};

/* Serves with BACKEND (NULL: none) in a forked child.  */
void test_agent_start (struct test_agent *ta, const struct agent_backend *backend);
/* Runs $RUNVM_BUILDDIR/bin/runvm-agent with EXTRA (NULL-terminated, may be
 * NULL) after --listen.  */
void test_agent_start_binary (struct test_agent *ta, char *const *extra);
/* Kills the agent if it still runs, reaps it, removes its directory;
 * returns its wait status.  */
int test_agent_stop (struct test_agent *ta);
/* Waits up to TIMEOUT_MS for the agent to exit by itself; its wait status
 * or -1.  */
int test_agent_wait_exit (struct test_agent *ta, int timeout_ms);

struct agent_conn *test_connect (struct test_agent *ta);
int test_attach (struct test_agent *ta, const char *ctr, const char *exec_id, enum agent_stream s);

/* Reads FD to end of file; returns the bytes (NUL-terminated).  */
char *test_read_all (int fd, size_t *ret_len);
