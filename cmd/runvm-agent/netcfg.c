/* The `network` call: makes the guest's interfaces look like the
 * container's veth on the host (name, MAC, MTU, addresses), then adds its
 * routes.  rtnetlink through libnl-route-3.  */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "cmd/runvm-agent/agent.h"
#include "common/utils.h"
#include "vm/net_nl.h"

static int
nl_fail (rv_error_t *err, int nlerr, const char *what, const char *name)
{
  return net_nl_error (err, nlerr, "%s `%s`", what, name);
}

static int
open_rtnl (struct nl_sock **ret, rv_error_t *err)
{
  _cleanup_nl_sock_ struct nl_sock *sk = nl_socket_alloc ();
  int r;

  if (sk == NULL)
    return rv_error_set (err, ENOMEM, "netlink socket");
  r = nl_connect (sk, NETLINK_ROUTE);
  if (r < 0)
    return nl_fail (err, r, "connect", "rtnetlink");
  *ret = TAKE_PTR (sk);
  return 0;
}

static int
parse_mac (const char *s, struct nl_addr **ret, rv_error_t *err)
{
  struct nl_addr *a = NULL;
  if (nl_addr_parse (s, AF_LLC, &a) < 0 || nl_addr_get_len (a) != 6)
    {
      if (a)
        nl_addr_put (a);
      return rv_error_set (err, EINVAL, "invalid MAC address `%s`", s);
    }
  *ret = a;
  return 0;
}

static int
set_flags (struct nl_sock *sk, struct rtnl_link *link, bool up, const char *name, rv_error_t *err)
{
  _cleanup_nl_link_ struct rtnl_link *change = rtnl_link_alloc ();
  int r;

  if (up)
    rtnl_link_set_flags (change, IFF_UP);
  else
    rtnl_link_unset_flags (change, IFF_UP);
  r = rtnl_link_change (sk, link, change, 0);
  if (r < 0)
    return nl_fail (err, r, up ? "bring up" : "bring down", name);
  return 0;
}

int
netcfg_loopback_up (rv_error_t *err)
{
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_link_ struct rtnl_link *lo = NULL;
  int r;

  r = open_rtnl (&sk, err);
  if (r < 0)
    return r;
  r = rtnl_link_get_kernel (sk, 0, "lo", &lo);
  if (r < 0)
    return nl_fail (err, r, "find interface", "lo");
  return set_flags (sk, lo, true, "lo", err);
}

/* The link IF names, by name or by MAC address.  */
static int
find_link (struct nl_sock *sk, const struct agent_interface *itf, struct rtnl_link **ret, rv_error_t *err)
{
  _cleanup_nl_cache_ struct nl_cache *cache = NULL;
  _cleanup_nl_addr_ struct nl_addr *mac = NULL;
  struct nl_object *obj;
  int r;

  if (itf->device)
    {
      r = rtnl_link_get_kernel (sk, 0, itf->device, ret);
      if (r < 0)
        return rv_error_set (err, ENODEV, "no interface `%s`", itf->device);
      return 0;
    }
  r = parse_mac (itf->match_mac, &mac, err);
  if (r < 0)
    return r;
  r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &cache);
  if (r < 0)
    return nl_fail (err, r, "list", "interfaces");
  for (obj = nl_cache_get_first (cache); obj; obj = nl_cache_get_next (obj))
    {
      struct rtnl_link *link = (struct rtnl_link *) obj;
      struct nl_addr *a = rtnl_link_get_addr (link);
      if (a && nl_addr_cmp (a, mac) == 0)
        {
          nl_object_get (obj);
          *ret = link;
          return 0;
        }
    }
  return rv_error_set (err, ENODEV, "no interface with MAC address `%s`", itf->match_mac);
}

static int
add_address (struct nl_sock *sk, int ifindex, const char *ifname, const char *cidr, rv_error_t *err)
{
  _cleanup_rtnl_addr_ struct rtnl_addr *addr = rtnl_addr_alloc ();
  _cleanup_nl_addr_ struct nl_addr *local = NULL;
  int r;

  if (strchr (cidr, '/') == NULL || nl_addr_parse (cidr, AF_UNSPEC, &local) < 0
      || (nl_addr_get_family (local) != AF_INET && nl_addr_get_family (local) != AF_INET6))
    return rv_error_set (err, EINVAL, "invalid address `%s` for `%s`: expected ADDRESS/PREFIX", cidr, ifname);
  rtnl_addr_set_ifindex (addr, ifindex);
  r = rtnl_addr_set_local (addr, local);
  if (r < 0)
    return nl_fail (err, r, "address", cidr);
  rtnl_addr_set_prefixlen (addr, (int) nl_addr_get_prefixlen (local));
  /* The host side has done duplicate address detection for this address
   * already; waiting for it again would leave the address tentative.  */
  if (nl_addr_get_family (local) == AF_INET6)
    rtnl_addr_set_flags (addr, IFA_F_NODAD);
  r = rtnl_addr_add (sk, addr, NLM_F_REPLACE);
  if (r < 0)
    return rv_error_set (err, net_nl_errno (r), "add address `%s` to `%s`: %s", cidr, ifname,
                         nl_geterror (r));
  return 0;
}

static int
configure_interface (struct nl_sock *sk, const struct agent_interface *itf, rv_error_t *err)
{
  _cleanup_nl_link_ struct rtnl_link *link = NULL, *change = NULL;
  _cleanup_nl_addr_ struct nl_addr *mac = NULL;
  _cleanup_free_ char *name = NULL;
  bool changes = false;
  size_t i;
  int ifindex, r;

  if (itf->device == NULL && itf->match_mac == NULL)
    return rv_error_set (err, EINVAL, "interface: `device` or `match_mac` is required");
  r = find_link (sk, itf, &link, err);
  if (r < 0)
    return r;
  ifindex = rtnl_link_get_ifindex (link);
  name = xstrdup (rtnl_link_get_name (link));

  change = rtnl_link_alloc ();
  if (itf->name && strcmp (itf->name, name) != 0)
    {
      if (strlen (itf->name) >= IFNAMSIZ || strchr (itf->name, '/') || strchr (itf->name, ' '))
        return rv_error_set (err, EINVAL, "invalid interface name `%s`", itf->name);
      rtnl_link_set_name (change, itf->name);
      changes = true;
    }
  if (itf->mac)
    {
      r = parse_mac (itf->mac, &mac, err);
      if (r < 0)
        return r;
      rtnl_link_set_addr (change, mac);
      changes = true;
    }
  if (itf->mtu)
    {
      rtnl_link_set_mtu (change, itf->mtu);
      changes = true;
    }
  if (changes)
    {
      /* A name (and on many drivers the MAC) changes only while the link
       * is down.  */
      r = set_flags (sk, link, false, name, err);
      if (r < 0)
        return r;
      r = rtnl_link_change (sk, link, change, 0);
      if (r < 0)
        return nl_fail (err, r, "configure interface", name);
      if (itf->name)
        {
          free (name);
          name = xstrdup (itf->name);
        }
      rtnl_link_put (link);
      link = NULL;
      r = rtnl_link_get_kernel (sk, ifindex, NULL, &link);
      if (r < 0)
        return nl_fail (err, r, "find interface", name);
    }
  r = set_flags (sk, link, true, name, err);
  if (r < 0)
    return r;
  for (i = 0; itf->addresses && itf->addresses[i]; i++)
    {
      r = add_address (sk, ifindex, name, itf->addresses[i], err);
      if (r < 0)
        return r;
    }
  return 0;
}

/* The guest's kernel names its NICs eth0, eth1, ... in the order of the
 * VM's devices, which is the namespace's ifindex order, not the order of
 * the names they must get: the NIC that must become `eth1` may be called
 * `eth0` while the one that must become `eth0` is `eth1`.  So every NIC
 * found by MAC that changes name first gets a temporary name of its own,
 * `rvtmp<ifindex>`; the final renames then meet no name that another of
 * them still holds.  */
static int
rename_aside (struct nl_sock *sk, const struct agent_interface *itf, rv_error_t *err)
{
  _cleanup_nl_link_ struct rtnl_link *link = NULL, *change = NULL;
  _cleanup_free_ char *tmp = NULL;
  const char *name;
  int r;

  if (itf->device || itf->match_mac == NULL || itf->name == NULL)
    return 0;
  r = find_link (sk, itf, &link, err);
  if (r < 0)
    return r;
  name = rtnl_link_get_name (link);
  if (strcmp (name, itf->name) == 0)
    return 0;
  tmp = xasprintf ("rvtmp%d", rtnl_link_get_ifindex (link));
  r = set_flags (sk, link, false, name, err);
  if (r < 0)
    return r;
  change = rtnl_link_alloc ();
  rtnl_link_set_name (change, tmp);
  r = rtnl_link_change (sk, link, change, 0);
  if (r < 0)
    return nl_fail (err, r, "rename interface", name);
  return 0;
}

static int
add_route (struct nl_sock *sk, const struct agent_route *rt, rv_error_t *err)
{
  _cleanup_nl_route_ struct rtnl_route *route = rtnl_route_alloc ();
  _cleanup_nl_addr_ struct nl_addr *dst = NULL, *gw = NULL;
  struct rtnl_nexthop *nh;
  const char *dest = rt->dest;
  int family, r;
  unsigned ifindex = 0;

  if (strcmp (dest, "default") == 0)
    dest = "0.0.0.0/0";
  else if (strcmp (dest, "default6") == 0)
    dest = "::/0";
  if (nl_addr_parse (dest, AF_UNSPEC, &dst) < 0
      || (nl_addr_get_family (dst) != AF_INET && nl_addr_get_family (dst) != AF_INET6))
    return rv_error_set (err, EINVAL, "invalid route destination `%s`", rt->dest);
  family = nl_addr_get_family (dst);
  if (rt->gateway)
    {
      if (nl_addr_parse (rt->gateway, family, &gw) < 0 || nl_addr_get_family (gw) != family)
        return rv_error_set (err, EINVAL, "invalid gateway `%s` for route `%s`", rt->gateway, rt->dest);
    }
  if (rt->device)
    {
      ifindex = if_nametoindex (rt->device);
      if (ifindex == 0)
        return rv_error_set (err, ENODEV, "route `%s`: no interface `%s`", rt->dest, rt->device);
    }
  if (gw == NULL && ifindex == 0)
    return rv_error_set (err, EINVAL, "route `%s`: needs a gateway or a device", rt->dest);

  rtnl_route_set_family (route, (uint8_t) family);
  rtnl_route_set_dst (route, dst);
  rtnl_route_set_table (route, RT_TABLE_MAIN);
  rtnl_route_set_protocol (route, RTPROT_BOOT);
  rtnl_route_set_type (route, RTN_UNICAST);
  rtnl_route_set_scope (route, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  if (rt->metric)
    rtnl_route_set_priority (route, rt->metric);
  nh = rtnl_route_nh_alloc ();
  if (gw)
    rtnl_route_nh_set_gateway (nh, gw);
  if (ifindex)
    rtnl_route_nh_set_ifindex (nh, (int) ifindex);
  rtnl_route_add_nexthop (route, nh);

  r = rtnl_route_add (sk, route, NLM_F_REPLACE | NLM_F_CREATE);
  if (r < 0)
    return rv_error_set (err, net_nl_errno (r), "add route `%s`%s%s: %s", rt->dest, gw ? " via " : "",
                         gw ? rt->gateway : "", nl_geterror (r));
  return 0;
}

int
netcfg_apply (const struct agent_network_args *args, rv_error_t *err)
{
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  size_t i;
  int r;

  r = open_rtnl (&sk, err);
  if (r < 0)
    return rv_error_wrap (err, "network");
  r = netcfg_loopback_up (err);
  if (r < 0)
    return rv_error_wrap (err, "network");
  for (i = 0; i < args->interfaces_len; i++)
    {
      r = rename_aside (sk, &args->interfaces[i], err);
      if (r < 0)
        return rv_error_wrap (err, "network");
    }
  for (i = 0; i < args->interfaces_len; i++)
    {
      r = configure_interface (sk, &args->interfaces[i], err);
      if (r < 0)
        return rv_error_wrap (err, "network");
    }
  for (i = 0; i < args->routes_len; i++)
    {
      r = add_route (sk, &args->routes[i], err);
      if (r < 0)
        return rv_error_wrap (err, "network");
    }
  return 0;
}
