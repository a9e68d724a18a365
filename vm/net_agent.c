/* net_agent_json: the container's interfaces and routes as the `args` of
 * the agent's `network` call (agent-client/PROTOCOL.md).  */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <yajl/yajl_gen.h>

#include "common/utils.h"
#include "vm/net.h"

static void
cleanup_genp (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}

static yajl_gen_status
put_str (yajl_gen g, const char *s)
{
  return yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static yajl_gen_status
put_key_str (yajl_gen g, const char *key, const char *value)
{
  yajl_gen_status st = put_str (g, key);
  return st == yajl_gen_status_ok ? put_str (g, value) : st;
}

static yajl_gen_status
put_key_u32 (yajl_gen g, const char *key, uint32_t value)
{
  yajl_gen_status st = put_str (g, key);
  return st == yajl_gen_status_ok ? yajl_gen_integer (g, value) : st;
}

static yajl_gen_status
gen_interface (yajl_gen g, const struct net_interface *itf)
{
  yajl_gen_status st;
  size_t i;

  st = yajl_gen_map_open (g);
  if (st == yajl_gen_status_ok)
    st = put_key_str (g, "match_mac", itf->mac);
  if (st == yajl_gen_status_ok)
    st = put_key_str (g, "name", itf->name);
  if (st == yajl_gen_status_ok)
    st = put_key_u32 (g, "mtu", itf->mtu);
  if (st == yajl_gen_status_ok)
    st = put_str (g, "addresses");
  if (st == yajl_gen_status_ok)
    st = yajl_gen_array_open (g);
  for (i = 0; st == yajl_gen_status_ok && i < itf->n_addrs; i++)
    {
      _cleanup_free_ char *cidr = xasprintf ("%s/%u", itf->addrs[i].addr, itf->addrs[i].prefixlen);
      st = put_str (g, cidr);
    }
  if (st == yajl_gen_status_ok)
    st = yajl_gen_array_close (g);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_map_close (g);
  return st;
}

static yajl_gen_status
gen_route (yajl_gen g, const struct net_route *rt)
{
  _cleanup_free_ char *dest = NULL;
  yajl_gen_status st;

  if (rt->dest_prefixlen == 0)
    dest = xstrdup (rt->family == AF_INET6 ? "default6" : "default");
  else
    dest = xasprintf ("%s/%u", rt->dest, rt->dest_prefixlen);

  st = yajl_gen_map_open (g);
  if (st == yajl_gen_status_ok)
    st = put_key_str (g, "dest", dest);
  if (st == yajl_gen_status_ok && rt->gateway[0] != '\0')
    st = put_key_str (g, "gateway", rt->gateway);
  if (st == yajl_gen_status_ok)
    st = put_key_str (g, "device", rt->device);
  if (st == yajl_gen_status_ok)
    st = put_key_u32 (g, "metric", rt->metric);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_map_close (g);
  return st;
}

int
net_agent_json (const struct net_config *c, char **ret, size_t *ret_len, rv_error_t *err)
{
  __attribute__ ((cleanup (cleanup_genp))) yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_status st;
  const unsigned char *buf;
  size_t len, i;

  if (g == NULL)
    return rv_error_set (err, ENOMEM, "allocate a JSON generator");
  st = yajl_gen_map_open (g);
  if (st == yajl_gen_status_ok)
    st = put_str (g, "interfaces");
  if (st == yajl_gen_status_ok)
    st = yajl_gen_array_open (g);
  for (i = 0; st == yajl_gen_status_ok && i < c->n_interfaces; i++)
    st = gen_interface (g, &c->interfaces[i]);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_array_close (g);
  if (st == yajl_gen_status_ok)
    st = put_str (g, "routes");
  if (st == yajl_gen_status_ok)
    st = yajl_gen_array_open (g);
  for (i = 0; st == yajl_gen_status_ok && i < c->n_routes; i++)
    st = gen_route (g, &c->routes[i]);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_array_close (g);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_map_close (g);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_get_buf (g, &buf, &len);
  if (st != yajl_gen_status_ok)
    return rv_error_set (err, EINVAL, "describe the network for the agent: JSON generator status %d",
                         (int) st);

  *ret = xstrndup ((const char *) buf, len);
  if (ret_len)
    *ret_len = len;
  return 0;
}
