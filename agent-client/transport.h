/* How the host reaches a guest agent (docs/ARCHITECTURE.md, "Transport to
 * the agent").  A VM launcher describes its transport with this struct;
 * agent-client dials it.  */
#pragma once

#include <stdint.h>

/* The agent's vsock port unless the launcher says otherwise.  */
#define AGENT_DEFAULT_PORT 1024

enum agent_transport_kind
{
  /* AF_VSOCK to (cid, port): the host has /dev/vhost-vsock.  */
  AGENT_TRANSPORT_VSOCK = 1,
  /* A Unix socket at path speaking the hybrid-vsock handshake
   * ("CONNECT <port>\n" -> "OK <hostport>\n"): runvm-vsockd, Firecracker,
   * Cloud Hypervisor.  */
  AGENT_TRANSPORT_HYBRID_VSOCK,
  /* A plain Unix socket at path: the agent runs as a host process (the
   * `host` launcher, tests).  port is unused.  */
  AGENT_TRANSPORT_UNIX,
};

struct agent_transport
{
  enum agent_transport_kind kind;
  uint32_t cid;
  uint32_t port;
  char path[108]; /* sizeof (sun_path).  */
};

/* "vsock:3:1024", "hybrid:/run/runvm/x/vsock.sock:1024", "unix:/path":
 * the form used in state.json and in debug logs.  Returns a new string.  */
char *agent_transport_to_string (const struct agent_transport *t);
/* The reverse; 0 or -EINVAL.  */
int agent_transport_parse (const char *s, struct agent_transport *ret);
