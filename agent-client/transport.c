#include <errno.h>
#include <string.h>

#include "agent-client/transport.h"
#include "common/utils.h"

char *
agent_transport_to_string (const struct agent_transport *t)
{
  switch (t->kind)
    {
    case AGENT_TRANSPORT_VSOCK:
      return xasprintf ("vsock:%u:%u", t->cid, t->port);
    case AGENT_TRANSPORT_HYBRID_VSOCK:
      return xasprintf ("hybrid:%s:%u", t->path, t->port);
    case AGENT_TRANSPORT_UNIX:
      return xasprintf ("unix:%s", t->path);
    default:
      return xstrdup ("invalid");
    }
}

static int
parse_u32 (const char *s, uint32_t *ret)
{
  uint64_t v;
  if (parse_u64 (s, &v) < 0 || v > UINT32_MAX)
    return -EINVAL;
  *ret = (uint32_t) v;
  return 0;
}

static int
set_path (struct agent_transport *t, const char *s, size_t len)
{
  if (len == 0 || len >= sizeof (t->path))
    return -EINVAL;
  memcpy (t->path, s, len);
  t->path[len] = '\0';
  return 0;
}

int
agent_transport_parse (const char *s, struct agent_transport *ret)
{
  struct agent_transport t = { 0 };
  const char *colon;

  if (str_has_prefix (s, "unix:"))
    {
      t.kind = AGENT_TRANSPORT_UNIX;
      if (set_path (&t, s + 5, strlen (s + 5)) < 0)
        return -EINVAL;
    }
  else if (str_has_prefix (s, "hybrid:"))
    {
      t.kind = AGENT_TRANSPORT_HYBRID_VSOCK;
      colon = strrchr (s + 7, ':');
      if (colon == NULL || set_path (&t, s + 7, (size_t) (colon - (s + 7))) < 0
          || parse_u32 (colon + 1, &t.port) < 0)
        return -EINVAL;
    }
  else if (str_has_prefix (s, "vsock:"))
    {
      _cleanup_free_ char *cid = NULL;
      t.kind = AGENT_TRANSPORT_VSOCK;
      colon = strchr (s + 6, ':');
      if (colon == NULL)
        return -EINVAL;
      cid = xstrndup (s + 6, (size_t) (colon - (s + 6)));
      if (parse_u32 (cid, &t.cid) < 0 || parse_u32 (colon + 1, &t.port) < 0)
        return -EINVAL;
    }
  else
    return -EINVAL;
  *ret = t;
  return 0;
}
