#include <criterion/criterion.h>
#include <errno.h>

#include "agent-client/transport.h"
#include "common/utils.h"

Test (transport, round_trips)
{
  const char *forms[] = { "vsock:3:1024", "hybrid:/run/runvm/a b/vsock.sock:1024", "unix:/tmp/agent.sock" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (forms); i++)
    {
      struct agent_transport t;
      _cleanup_free_ char *s = NULL;
      cr_assert_eq (agent_transport_parse (forms[i], &t), 0, "%s", forms[i]);
      s = agent_transport_to_string (&t);
      cr_assert_str_eq (s, forms[i]);
    }
}

Test (transport, rejects_malformed)
{
  const char *bad[]
      = { "", "vsock:3", "vsock:x:1", "vsock:3:4294967296", "hybrid:/p", "hybrid::1", "unix:", "tcp:1" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (bad); i++)
    {
      struct agent_transport t = { .kind = AGENT_TRANSPORT_UNIX, .path = "keep" };
      cr_assert_eq (agent_transport_parse (bad[i], &t), -EINVAL, "%s", bad[i]);
      cr_assert_str_eq (t.path, "keep");
    }
}
