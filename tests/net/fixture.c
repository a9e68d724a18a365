/* Network fixtures for the net tests (tests/net/fixture.h).  The work in a
 * namespace runs through net_in_netns on a thread of its own, which
 * returns an error; the assertions are made back on the test's thread.  */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/utils.h"
#include "tests/net/fixture.h"
#include "vm/net.h"
#include "vm/net_nl.h"

/* Runs FN in NS and fails the test with its message if it fails.  */
#define FX_RUN(ns, fn, data, what)                                                                           \
  do                                                                                                         \
    {                                                                                                        \
      _cleanup_error_ rv_error_t _e = NULL;                                                                  \
      int _r = net_in_netns ((ns), (fn), (data), &_e);                                                       \
      cr_assert_geq (_r, 0, "%s: %s", (what), _e ? _e->msg : "?");                                           \
    }                                                                                                        \
  while (0)

/* ---- namespaces --------------------------------------------------------- */

static int
do_netns_new (void *data, rv_error_t *err)
{
  int *fd = data;

  if (unshare (CLONE_NEWNET) < 0)
    return rv_error_make (err, errno, "unshare a network namespace");
  *fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return rv_error_make (err, errno, "open the new namespace");
  return 0;
}

int
fx_netns_new (void)
{
  _cleanup_error_ rv_error_t err = NULL;
  int fd = -1;

  if (net_in_netns (-1, do_netns_new, &fd, &err) < 0)
    {
      if (err->status == EPERM)
        cr_skip_test ("needs CAP_SYS_ADMIN and CAP_NET_ADMIN: %s", err->msg);
      cr_assert_fail ("new network namespace: %s", err->msg);
    }
  return fd;
}

/* ---- links -------------------------------------------------------------- */

struct veth_args
{
  const char *name, *mac, *peer;
  uint32_t mtu;
  int peer_ns;
};

static int
do_veth (void *data, rv_error_t *err)
{
  struct veth_args *a = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_addr_ struct nl_addr *mac = NULL;
  struct rtnl_link *link, *peer;
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  link = rtnl_link_veth_alloc ();
  peer = rtnl_link_veth_get_peer (link);
  rtnl_link_set_name (link, a->name);
  rtnl_link_set_name (peer, a->peer);
  rtnl_link_set_ns_fd (peer, a->peer_ns);
  if (a->mtu)
    {
      rtnl_link_set_mtu (link, a->mtu);
      rtnl_link_set_mtu (peer, a->mtu);
    }
  if (a->mac)
    {
      r = nl_addr_parse (a->mac, AF_LLC, &mac);
      if (r == 0)
        rtnl_link_set_addr (link, mac);
    }
  if (r == 0)
    r = rtnl_link_add (sk, link, NLM_F_CREATE | NLM_F_EXCL);
  rtnl_link_put (peer);
  rtnl_link_veth_release (link);
  if (r < 0)
    return net_nl_error (err, r, "add veth `%s`", a->name);
  return 0;
}

void
fx_veth (int ns, const char *name, const char *mac, uint32_t mtu, int peer_ns, const char *peer)
{
  struct veth_args a = { .name = name, .mac = mac, .peer = peer, .mtu = mtu, .peer_ns = peer_ns };
  FX_RUN (ns, do_veth, &a, "veth pair");
  /* Flags at creation make veth fail with EINVAL: up afterwards.  */
  fx_link_up (ns, name);
  fx_link_up (peer_ns, peer);
}

struct updown_args
{
  const char *name;
  bool up;
};

static int
do_link_updown (void *data, rv_error_t *err)
{
  struct updown_args *a = data;
  const char *name = a->name;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_link_ struct rtnl_link *link = NULL, *change = NULL;
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  r = rtnl_link_get_kernel (sk, 0, name, &link);
  if (r < 0)
    return net_nl_error (err, r, "find `%s`", name);
  change = rtnl_link_alloc ();
  if (a->up)
    rtnl_link_set_flags (change, IFF_UP);
  else
    rtnl_link_unset_flags (change, IFF_UP);
  r = rtnl_link_change (sk, link, change, 0);
  if (r < 0)
    return net_nl_error (err, r, "bring `%s` %s", name, a->up ? "up" : "down");
  return 0;
}

void
fx_link_up (int ns, const char *name)
{
  struct updown_args a = { .name = name, .up = true };
  FX_RUN (ns, do_link_updown, &a, "link up");
}

void
fx_link_down (int ns, const char *name)
{
  struct updown_args a = { .name = name, .up = false };
  FX_RUN (ns, do_link_updown, &a, "link down");
}

struct bridge_args
{
  const char *br, *port;
};

static int
do_bridge (void *data, rv_error_t *err)
{
  struct bridge_args *a = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_link_ struct rtnl_link *br = rtnl_link_bridge_alloc (), *made = NULL, *port = NULL;
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  rtnl_link_set_name (br, a->br);
  rtnl_link_set_flags (br, IFF_UP);
  r = rtnl_link_add (sk, br, NLM_F_CREATE | NLM_F_EXCL);
  if (r < 0)
    return net_nl_error (err, r, "add bridge `%s`", a->br);
  r = rtnl_link_get_kernel (sk, 0, a->br, &made);
  if (r == 0)
    r = rtnl_link_get_kernel (sk, 0, a->port, &port);
  if (r == 0)
    r = rtnl_link_enslave (sk, made, port);
  if (r < 0)
    return net_nl_error (err, r, "enslave `%s` to `%s`", a->port, a->br);
  return 0;
}

void
fx_bridge (int ns, const char *br, const char *port)
{
  struct bridge_args a = { .br = br, .port = port };
  FX_RUN (ns, do_bridge, &a, "bridge");
  fx_link_up (ns, br);
}

/* ---- addresses and routes ----------------------------------------------- */

struct addr_args
{
  const char *ifname, *cidr;
};

static int
do_addr (void *data, rv_error_t *err)
{
  struct addr_args *a = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_addr_ struct nl_addr *local = NULL;
  struct rtnl_addr *addr = rtnl_addr_alloc ();
  int r;

  r = net_nl_open (&sk, err);
  if (r == 0)
    r = nl_addr_parse (a->cidr, AF_UNSPEC, &local) < 0 ? -EINVAL : 0;
  if (r == 0)
    {
      rtnl_addr_set_ifindex (addr, (int) if_nametoindex (a->ifname));
      rtnl_addr_set_local (addr, local);
      rtnl_addr_set_prefixlen (addr, (int) nl_addr_get_prefixlen (local));
      if (nl_addr_get_family (local) == AF_INET6)
        rtnl_addr_set_flags (addr, IFA_F_NODAD);
      r = rtnl_addr_add (sk, addr, 0);
    }
  rtnl_addr_put (addr);
  if (r < 0)
    return rv_error_set (err, EINVAL, "add `%s` to `%s`: %s", a->cidr, a->ifname, nl_geterror (r));
  return 0;
}

void
fx_addr (int ns, const char *ifname, const char *cidr)
{
  struct addr_args a = { .ifname = ifname, .cidr = cidr };
  FX_RUN (ns, do_addr, &a, "address");
}

struct route_args
{
  const char *dest, *gw, *ifname;
  uint32_t metric;
};

static int
do_route (void *data, rv_error_t *err)
{
  struct route_args *a = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_addr_ struct nl_addr *dst = NULL, *gw = NULL;
  struct rtnl_route *route = rtnl_route_alloc ();
  struct rtnl_nexthop *nh = rtnl_route_nh_alloc ();
  const char *dest = a->dest;
  int r;

  if (strcmp (dest, "default") == 0)
    dest = "0.0.0.0/0";
  else if (strcmp (dest, "default6") == 0)
    dest = "::/0";
  r = net_nl_open (&sk, err);
  if (r == 0)
    r = nl_addr_parse (dest, AF_UNSPEC, &dst);
  if (r == 0 && a->gw)
    r = nl_addr_parse (a->gw, nl_addr_get_family (dst), &gw);
  if (r == 0)
    {
      rtnl_route_set_family (route, (uint8_t) nl_addr_get_family (dst));
      rtnl_route_set_dst (route, dst);
      rtnl_route_set_table (route, RT_TABLE_MAIN);
      rtnl_route_set_protocol (route, RTPROT_STATIC);
      rtnl_route_set_scope (route, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
      if (a->metric)
        rtnl_route_set_priority (route, a->metric);
      if (gw)
        rtnl_route_nh_set_gateway (nh, gw);
      rtnl_route_nh_set_ifindex (nh, (int) if_nametoindex (a->ifname));
      rtnl_route_add_nexthop (route, nh);
      nh = NULL;
      r = rtnl_route_add (sk, route, NLM_F_CREATE | NLM_F_EXCL);
    }
  if (nh)
    rtnl_route_nh_free (nh);
  rtnl_route_put (route);
  if (r < 0)
    return rv_error_set (err, EINVAL, "add route `%s`: %s", a->dest, nl_geterror (r));
  return 0;
}

void
fx_route (int ns, const char *dest, const char *gw, const char *ifname, uint32_t metric)
{
  struct route_args a = { .dest = dest, .gw = gw, .ifname = ifname, .metric = metric };
  FX_RUN (ns, do_route, &a, "route");
}

/* ---- probes ------------------------------------------------------------- */

struct info_args
{
  const char *name;
  bool found;
  int ifindex;
  uint32_t mtu;
  unsigned flags;
  char alias[256];
  char kind[32];
  char mac[18];
  size_t count; /* links */
};

static int
do_info (void *data, rv_error_t *err)
{
  struct info_args *a = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_cache_ struct nl_cache *links = NULL;
  struct rtnl_link *link;
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &links);
  if (r < 0)
    return net_nl_error (err, r, "list links");
  a->count = (size_t) nl_cache_nitems (links);
  if (a->name == NULL)
    return 0;
  link = rtnl_link_get_by_name (links, a->name);
  if (link == NULL)
    return 0;
  a->found = true;
  a->ifindex = rtnl_link_get_ifindex (link);
  a->mtu = rtnl_link_get_mtu (link);
  a->flags = rtnl_link_get_flags (link);
  (void) snprintf (a->alias, sizeof (a->alias), "%s", rtnl_link_get_ifalias (link) ?: "");
  (void) snprintf (a->kind, sizeof (a->kind), "%s", rtnl_link_get_type (link) ?: "");
  if (rtnl_link_get_addr (link) && nl_addr_get_len (rtnl_link_get_addr (link)) == 6)
    net_mac_format (nl_addr_get_binary_addr (rtnl_link_get_addr (link)), a->mac);
  rtnl_link_put (link);
  return 0;
}

static struct info_args
info (int ns, const char *name)
{
  struct info_args a;
  memset (&a, 0, sizeof (a));
  a.name = name;
  FX_RUN (ns, do_info, &a, "link info");
  return a;
}

int
fx_ifindex (int ns, const char *name)
{
  return info (ns, name).ifindex;
}

bool
fx_link_exists (int ns, const char *name)
{
  return info (ns, name).found;
}

size_t
fx_link_count (int ns)
{
  return info (ns, NULL).count;
}

void
fx_link_mac (int ns, const char *name, char out[18])
{
  struct info_args a = info (ns, name);
  cr_assert (a.found, "no link `%s`", name);
  memcpy (out, a.mac, 18);
}

void
fx_link_info (int ns, const char *name, uint32_t *mtu, unsigned *flags, char alias[256], char kind[32])
{
  struct info_args a = info (ns, name);
  cr_assert (a.found, "no link `%s`", name);
  *mtu = a.mtu;
  *flags = a.flags;
  memcpy (alias, a.alias, sizeof (a.alias));
  memcpy (kind, a.kind, sizeof (a.kind));
}

struct addr_count_args
{
  const char *name;
  int family;
  size_t count;
};

static int
do_addr_count (void *data, rv_error_t *err)
{
  struct addr_count_args *a = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_cache_ struct nl_cache *addrs = NULL;
  struct nl_object *obj;
  int ifindex = (int) if_nametoindex (a->name);
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  r = rtnl_addr_alloc_cache (sk, &addrs);
  if (r < 0)
    return net_nl_error (err, r, "list addresses");
  for (obj = nl_cache_get_first (addrs); obj; obj = nl_cache_get_next (obj))
    {
      struct rtnl_addr *addr = (struct rtnl_addr *) obj;
      if (rtnl_addr_get_ifindex (addr) == ifindex
          && (a->family == AF_UNSPEC || rtnl_addr_get_family (addr) == a->family))
        a->count++;
    }
  return 0;
}

size_t
fx_addr_count (int ns, const char *name, int family)
{
  struct addr_count_args a = { .name = name, .family = family, .count = 0 };
  FX_RUN (ns, do_addr_count, &a, "count addresses");
  return a.count;
}

struct tc_args
{
  const char *name;
  uint16_t prio;
  bool qdisc;
  size_t filters;
  int target;
};

static int
do_tc (void *data, rv_error_t *err)
{
  struct tc_args *a = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_cache_ struct nl_cache *qdiscs = NULL, *filters = NULL;
  struct rtnl_qdisc *q;
  struct nl_object *obj;
  int ifindex = (int) if_nametoindex (a->name);
  int r;

  if (ifindex == 0)
    return rv_error_make (err, errno, "no interface `%s`", a->name);
  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  r = rtnl_qdisc_alloc_cache (sk, &qdiscs);
  if (r < 0)
    return net_nl_error (err, r, "list qdiscs");
  q = rtnl_qdisc_get_by_parent (qdiscs, ifindex, TC_H_INGRESS);
  a->qdisc = q && strcmp (rtnl_tc_get_kind (TC_CAST (q)), "ingress") == 0;
  if (q)
    rtnl_qdisc_put (q);
  r = rtnl_cls_alloc_cache (sk, ifindex, NET_INGRESS_PARENT, &filters);
  if (r < 0)
    return net_nl_error (err, r, "list filters");
  for (obj = nl_cache_get_first (filters); obj; obj = nl_cache_get_next (obj))
    {
      struct rtnl_cls *cls = (struct rtnl_cls *) obj;
      struct rtnl_act *act;

      if (a->prio && rtnl_cls_get_prio (cls) != a->prio)
        continue;
      a->filters++;
      if (strcmp (rtnl_tc_get_kind (TC_CAST (cls)), "u32") != 0)
        continue;
      act = rtnl_u32_get_action (cls);
      if (act && strcmp (rtnl_tc_get_kind (TC_CAST (act)), "mirred") == 0
          && rtnl_mirred_get_action (act) == TCA_EGRESS_REDIR)
        a->target = (int) rtnl_mirred_get_ifindex (act);
    }
  return 0;
}

static struct tc_args
tc (int ns, const char *name, uint16_t prio)
{
  struct tc_args a;
  memset (&a, 0, sizeof (a));
  a.name = name;
  a.prio = prio;
  FX_RUN (ns, do_tc, &a, "tc");
  return a;
}

bool
fx_has_ingress_qdisc (int ns, const char *name)
{
  return tc (ns, name, 0).qdisc;
}

size_t
fx_ingress_filters (int ns, const char *name, uint16_t prio)
{
  return tc (ns, name, prio).filters;
}

int
fx_redirect_target (int ns, const char *name, uint16_t prio)
{
  return tc (ns, name, prio).target;
}

static int
do_foreign_filter (void *data, rv_error_t *err)
{
  struct tc_args *a = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_qdisc_ struct rtnl_qdisc *q = rtnl_qdisc_alloc ();
  _cleanup_nl_cls_ struct rtnl_cls *cls = rtnl_cls_alloc ();
  int ifindex = (int) if_nametoindex (a->name);
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  rtnl_tc_set_ifindex (TC_CAST (q), ifindex);
  rtnl_tc_set_parent (TC_CAST (q), TC_H_INGRESS);
  rtnl_tc_set_handle (TC_CAST (q), NET_INGRESS_PARENT);
  rtnl_tc_set_kind (TC_CAST (q), "ingress");
  r = rtnl_qdisc_add (sk, q, NLM_F_CREATE);

  /* A plain classifier with a class id and no action (the kernel may have
   * no action but mirred): the first four bytes of the network header
   * equal to 0xdeadbeef never happen in these tests.  */
  rtnl_tc_set_ifindex (TC_CAST (cls), ifindex);
  rtnl_tc_set_parent (TC_CAST (cls), NET_INGRESS_PARENT);
  rtnl_tc_set_kind (TC_CAST (cls), "u32");
  rtnl_cls_set_prio (cls, a->prio);
  rtnl_cls_set_protocol (cls, ETH_P_ALL);
  rtnl_u32_add_key_uint32 (cls, htonl (0xdeadbeef), 0xffffffff, 0, 0);
  rtnl_u32_set_classid (cls, TC_HANDLE (1, 1));
  if (r == 0)
    r = rtnl_cls_add (sk, cls, NLM_F_CREATE | NLM_F_EXCL);
  if (r < 0)
    return net_nl_error (err, r, "foreign filter on `%s`", a->name);
  return 0;
}

static int
do_clsact (void *data, rv_error_t *err)
{
  const char *name = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_qdisc_ struct rtnl_qdisc *q = rtnl_qdisc_alloc ();
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  rtnl_tc_set_ifindex (TC_CAST (q), (int) if_nametoindex (name));
  rtnl_tc_set_parent (TC_CAST (q), TC_H_CLSACT);
  rtnl_tc_set_handle (TC_CAST (q), NET_INGRESS_PARENT);
  rtnl_tc_set_kind (TC_CAST (q), "clsact");
  r = rtnl_qdisc_add (sk, q, NLM_F_CREATE | NLM_F_EXCL);
  if (r < 0)
    return net_nl_error (err, r, "clsact qdisc on `%s`", name);
  return 0;
}

void
fx_clsact (int ns, const char *name)
{
  FX_RUN (ns, do_clsact, (void *) name, "clsact");
}

void
fx_foreign_filter (int ns, const char *name, uint16_t prio)
{
  struct tc_args a;
  memset (&a, 0, sizeof (a));
  a.name = name;
  a.prio = prio;
  FX_RUN (ns, do_foreign_filter, &a, "foreign filter");
}

/* ---- sockets ------------------------------------------------------------ */

struct sock_args
{
  const char *name, *addr;
  uint16_t port;
  int fd;
};

static int
do_packet_socket (void *data, rv_error_t *err)
{
  struct sock_args *a = data;
  struct sockaddr_ll sll;
  int fd;

  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons (ETH_P_ALL));
  if (fd < 0)
    return rv_error_make (err, errno, "packet socket");
  memset (&sll, 0, sizeof (sll));
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons (ETH_P_ALL);
  sll.sll_ifindex = (int) if_nametoindex (a->name);
  if (sll.sll_ifindex == 0 || bind (fd, (struct sockaddr *) &sll, sizeof (sll)) < 0)
    {
      int saved = errno;
      close (fd);
      return rv_error_make (err, saved, "bind a packet socket to `%s`", a->name);
    }
  a->fd = fd;
  return 0;
}

int
fx_packet_socket (int ns, const char *name)
{
  struct sock_args a = { .name = name, .fd = -1 };
  FX_RUN (ns, do_packet_socket, &a, "packet socket");
  return a.fd;
}

static int
do_udp_socket (void *data, rv_error_t *err)
{
  struct sock_args *a = data;
  struct sockaddr_in sin;
  int fd;

  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return rv_error_make (err, errno, "udp socket");
  memset (&sin, 0, sizeof (sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons (a->port);
  if (a->addr)
    inet_pton (AF_INET, a->addr, &sin.sin_addr);
  if (bind (fd, (struct sockaddr *) &sin, sizeof (sin)) < 0)
    {
      int saved = errno;
      close (fd);
      return rv_error_make (err, saved, "bind udp socket");
    }
  a->fd = fd;
  return 0;
}

int
fx_udp_socket (int ns, const char *addr, uint16_t port)
{
  struct sock_args a = { .addr = addr, .port = port, .fd = -1 };
  FX_RUN (ns, do_udp_socket, &a, "udp socket");
  return a.fd;
}

static long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

long
fx_read_frame (int fd, size_t skip, int timeout_ms, fx_frame_match match, void *data, unsigned char *out,
               size_t cap)
{
  long deadline = now_ms () + timeout_ms;
  unsigned char buf[70000];

  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      long left = deadline - now_ms ();
      ssize_t n;

      if (left <= 0)
        return -1;
      if (poll (&p, 1, (int) left) <= 0)
        continue;
      n = read (fd, buf, sizeof (buf));
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      cr_assert_geq (n, 0, "read a frame: %s", strerror (errno));
      if ((size_t) n < skip + ETH_HLEN)
        continue;
      if (!match (buf + skip, (size_t) n - skip, data))
        continue;
      n -= (ssize_t) skip;
      memcpy (out, buf + skip, (size_t) n < cap ? (size_t) n : cap);
      return n;
    }
}

void
fx_mac_parse (const char *text, unsigned char out[6])
{
  unsigned m[6];
  int i;

  cr_assert_eq (sscanf (text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]), 6);
  for (i = 0; i < 6; i++)
    out[i] = (unsigned char) m[i];
}
