/* net_scan: what the guest should see of the container's network
 * namespace, read with rtnetlink dumps (links, addresses, routes).  */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "common/log.h"
#include "common/utils.h"
#include "vm/net.h"
#include "vm/net_nl.h"

void
net_config_free (struct net_config *c)
{
  size_t i;

  if (c == NULL)
    return;
  for (i = 0; i < c->n_interfaces; i++)
    free (c->interfaces[i].addrs);
  free (c->interfaces);
  free (c->routes);
  free (c);
}

static int
compare_ifindex (const void *a, const void *b)
{
  const struct net_interface *x = a, *y = b;
  return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static struct net_interface *
find_interface (struct net_config *c, int ifindex)
{
  size_t i;

  for (i = 0; i < c->n_interfaces; i++)
    if (c->interfaces[i].ifindex == ifindex)
      return &c->interfaces[i];
  return NULL;
}

/* Writes the text form of A (an IPv4 or IPv6 address of FAMILY) into OUT.
 * False when A is not one.  */
static bool
addr_to_text (struct nl_addr *a, int family, char out[INET6_ADDRSTRLEN])
{
  size_t want = family == AF_INET ? 4 : 16;

  if (a == NULL || nl_addr_get_family (a) != family || nl_addr_get_len (a) != want)
    return false;
  return inet_ntop (family, nl_addr_get_binary_addr (a), out, INET6_ADDRSTRLEN) != NULL;
}

/* Kinds of Ethernet devices the guest cannot stand in for: a bridge
 * forwards between its ports in this namespace, and a VLAN device's
 * frames arrive tagged on its parent.  */
static bool
kind_is_skipped (const char *kind)
{
  return kind && (strcmp (kind, "bridge") == 0 || strcmp (kind, "vlan") == 0);
}

static int
scan_links (struct nl_sock *sk, struct nl_cache *links, struct net_config *c, rv_error_t *err)
{
  struct nl_object *obj;
  int r;

  for (obj = nl_cache_get_first (links); obj; obj = nl_cache_get_next (obj))
    {
      struct rtnl_link *link = (struct rtnl_link *) obj;
      unsigned flags = rtnl_link_get_flags (link);
      struct nl_addr *mac = rtnl_link_get_addr (link);
      const char *name = rtnl_link_get_name (link);
      struct net_interface *itf;
      bool claimed;

      if ((flags & IFF_LOOPBACK) || !(flags & IFF_UP) || rtnl_link_get_arptype (link) != ARPHRD_ETHER)
        continue;
      if (rtnl_link_get_master (link) > 0 || kind_is_skipped (rtnl_link_get_type (link))
          || net_link_is_runvm_tap (link))
        continue;
      if (name == NULL || strlen (name) >= IFNAMSIZ || mac == NULL || nl_addr_get_len (mac) != 6)
        continue;

      r = net_link_is_redirected (sk, rtnl_link_get_ifindex (link), &claimed, err);
      if (r < 0)
        return r;
      if (claimed)
        {
          rv_debug ("network: `%s` is redirected by another VM already; left out", name);
          c->n_claimed++;
          continue;
        }

      c->interfaces = xreallocarray (c->interfaces, c->n_interfaces + 1, sizeof (*c->interfaces));
      itf = &c->interfaces[c->n_interfaces++];
      memset (itf, 0, sizeof (*itf));
      (void) snprintf (itf->name, sizeof (itf->name), "%s", name);
      itf->ifindex = rtnl_link_get_ifindex (link);
      net_mac_format (nl_addr_get_binary_addr (mac), itf->mac);
      itf->mtu = rtnl_link_get_mtu (link);
    }
  if (c->n_interfaces > 1)
    qsort (c->interfaces, c->n_interfaces, sizeof (*c->interfaces), compare_ifindex);
  return 0;
}

/* Whether A (16 bytes) is fe80::/64 with the modified EUI-64 interface
 * identifier of MAC: the address the guest's kernel derives itself.  */
static bool
is_eui64_link_local (const unsigned char *a, const char *mac_text)
{
  static const unsigned char prefix[8] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0 };
  unsigned m[6];
  unsigned char id[8];

  if (memcmp (a, prefix, 8) != 0)
    return false;
  if (sscanf (mac_text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
    return false;
  id[0] = (unsigned char) (m[0] ^ 0x02);
  id[1] = (unsigned char) m[1];
  id[2] = (unsigned char) m[2];
  id[3] = 0xff;
  id[4] = 0xfe;
  id[5] = (unsigned char) m[3];
  id[6] = (unsigned char) m[4];
  id[7] = (unsigned char) m[5];
  return memcmp (a + 8, id, 8) == 0;
}

static void
scan_family_addresses (struct nl_cache *addrs, struct net_config *c, int family)
{
  struct nl_object *obj;

  for (obj = nl_cache_get_first (addrs); obj; obj = nl_cache_get_next (obj))
    {
      struct rtnl_addr *addr = (struct rtnl_addr *) obj;
      struct net_interface *itf = find_interface (c, rtnl_addr_get_ifindex (addr));
      struct nl_addr *local = rtnl_addr_get_local (addr);
      struct net_address *out;
      char text[INET6_ADDRSTRLEN];

      if (itf == NULL || rtnl_addr_get_family (addr) != family)
        continue;
      if ((rtnl_addr_get_flags (addr) & IFA_F_DADFAILED) || rtnl_addr_get_scope (addr) == RT_SCOPE_HOST)
        continue;
      if (!addr_to_text (local, family, text))
        continue;
      if (family == AF_INET6 && is_eui64_link_local (nl_addr_get_binary_addr (local), itf->mac))
        continue;

      itf->addrs = xreallocarray (itf->addrs, itf->n_addrs + 1, sizeof (*itf->addrs));
      out = &itf->addrs[itf->n_addrs++];
      memset (out, 0, sizeof (*out));
      out->family = family;
      memcpy (out->addr, text, sizeof (out->addr));
      out->prefixlen = (unsigned) rtnl_addr_get_prefixlen (addr);
    }
}

/* Fills OUT from ROUTE when the guest should get it.  */
static bool
route_from_kernel (struct rtnl_route *route, struct net_config *c, struct net_route *out)
{
  int family = rtnl_route_get_family (route);
  struct net_interface *itf;
  struct rtnl_nexthop *nh;
  struct nl_addr *dst, *gw;
  unsigned char protocol = rtnl_route_get_protocol (route);

  if (family != AF_INET && family != AF_INET6)
    return false;
  if (rtnl_route_get_table (route) != RT_TABLE_MAIN || rtnl_route_get_type (route) != RTN_UNICAST)
    return false;
  if (protocol == RTPROT_KERNEL || protocol == RTPROT_RA)
    return false;
  if (rtnl_route_get_nnexthops (route) != 1)
    return false;
  nh = rtnl_route_nexthop_n (route, 0);
  itf = find_interface (c, rtnl_route_nh_get_ifindex (nh));
  if (itf == NULL)
    return false;

  memset (out, 0, sizeof (*out));
  out->family = family;
  dst = rtnl_route_get_dst (route);
  out->dest_prefixlen = dst ? nl_addr_get_prefixlen (dst) : 0;
  if (out->dest_prefixlen == 0)
    (void) snprintf (out->dest, sizeof (out->dest), "%s", family == AF_INET ? "0.0.0.0" : "::");
  else if (!addr_to_text (dst, family, out->dest))
    return false;
  gw = rtnl_route_nh_get_gateway (nh);
  if (gw && !addr_to_text (gw, family, out->gateway))
    return false;
  memcpy (out->device, itf->name, sizeof (out->device));
  out->metric = rtnl_route_get_priority (route);
  return true;
}

static void
scan_routes (struct nl_cache *routes, struct net_config *c)
{
  int pass;

  /* Two passes: on-link routes, then routes through a gateway.  */
  for (pass = 0; pass < 2; pass++)
    {
      struct nl_object *obj;

      for (obj = nl_cache_get_first (routes); obj; obj = nl_cache_get_next (obj))
        {
          struct net_route r;

          if (!route_from_kernel ((struct rtnl_route *) obj, c, &r))
            continue;
          if ((r.gateway[0] != '\0') != (pass == 1))
            continue;
          c->routes = xreallocarray (c->routes, c->n_routes + 1, sizeof (*c->routes));
          c->routes[c->n_routes++] = r;
        }
    }
}

static int
scan_in_netns (void *data, rv_error_t *err)
{
  struct net_config *c = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_cache_ struct nl_cache *links = NULL, *addrs = NULL, *routes = NULL;
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &links);
  if (r < 0)
    return net_nl_error (err, r, "list the interfaces");
  r = rtnl_addr_alloc_cache (sk, &addrs);
  if (r < 0)
    return net_nl_error (err, r, "list the addresses");
  r = rtnl_route_alloc_cache (sk, AF_UNSPEC, 0, &routes);
  if (r < 0)
    return net_nl_error (err, r, "list the routes");

  r = scan_links (sk, links, c, err);
  if (r < 0)
    return r;
  scan_family_addresses (addrs, c, AF_INET);
  scan_family_addresses (addrs, c, AF_INET6);
  scan_routes (routes, c);
  return 0;
}

static void
cleanup_configp (struct net_config **c)
{
  net_config_free (*c);
}

int
net_scan (int netns_fd, struct net_config **ret, rv_error_t *err)
{
  __attribute__ ((cleanup (cleanup_configp))) struct net_config *c = xmalloc0 (sizeof (*c));
  bool host = false;
  int r;

  if (netns_fd < 0)
    c->no_netns = true;
  else
    {
      r = net_netns_is_host (netns_fd, &host, err);
      if (r < 0)
        return rv_error_wrap (err, "scan the container's network");
      c->host_netns = host;
    }
  if (!c->no_netns && !c->host_netns)
    {
      r = net_in_netns (netns_fd, scan_in_netns, c, err);
      if (r < 0)
        return rv_error_wrap (err, "scan the container's network");
    }
  *ret = TAKE_PTR (c);
  return 0;
}
