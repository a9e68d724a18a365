/* libnl-3 helpers for vm/net*.c and the agent's network call
 * (cmd/runvm-agent/netcfg.c): scope-bound cleanup of libnl objects and
 * libnl error codes turned into rv_error_t.  */
#pragma once

#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/route.h>

#include "common/error.h"

/* The parent of filters on an ingress qdisc: its handle, ffff:.  */
#define NET_INGRESS_PARENT 0xFFFF0000U

static inline void
net_nl_sock_freep (struct nl_sock **s)
{
  if (*s)
    nl_socket_free (*s);
}
static inline void
net_nl_cache_freep (struct nl_cache **c)
{
  if (*c)
    nl_cache_free (*c);
}
static inline void
net_nl_link_putp (struct rtnl_link **l)
{
  if (*l)
    rtnl_link_put (*l);
}
static inline void
net_nl_addr_putp (struct nl_addr **a)
{
  if (*a)
    nl_addr_put (*a);
}
static inline void
net_nl_qdisc_putp (struct rtnl_qdisc **q)
{
  if (*q)
    rtnl_qdisc_put (*q);
}
static inline void
net_nl_cls_putp (struct rtnl_cls **c)
{
  if (*c)
    rtnl_cls_put (*c);
}

static inline void
net_nl_rtnl_addr_putp (struct rtnl_addr **a)
{
  if (*a)
    rtnl_addr_put (*a);
}
static inline void
net_nl_route_putp (struct rtnl_route **r)
{
  if (*r)
    rtnl_route_put (*r);
}

#define _cleanup_nl_sock_   __attribute__ ((cleanup (net_nl_sock_freep)))
#define _cleanup_nl_cache_  __attribute__ ((cleanup (net_nl_cache_freep)))
#define _cleanup_nl_link_   __attribute__ ((cleanup (net_nl_link_putp)))
#define _cleanup_nl_addr_   __attribute__ ((cleanup (net_nl_addr_putp)))
#define _cleanup_nl_qdisc_  __attribute__ ((cleanup (net_nl_qdisc_putp)))
#define _cleanup_nl_cls_    __attribute__ ((cleanup (net_nl_cls_putp)))
#define _cleanup_rtnl_addr_ __attribute__ ((cleanup (net_nl_rtnl_addr_putp)))
#define _cleanup_nl_route_  __attribute__ ((cleanup (net_nl_route_putp)))

/* The errno value closest to the libnl error NLERR (negative or not).  */
int net_nl_errno (int nlerr);

/* Records "FMT: <libnl's message>" with the matching errno.  Returns the
 * negative errno.  */
int net_nl_error (rv_error_t *err, int nlerr, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* A connected NETLINK_ROUTE socket in the calling thread's namespace.  */
int net_nl_open (struct nl_sock **ret, rv_error_t *err);

/* Formats a 6-byte MAC address as "aa:bb:cc:dd:ee:ff".  */
void net_mac_format (const unsigned char *mac, char out[18]);

/* Whether LINK is a tap of runvm's: a tun device whose alias starts with
 * NET_TAP_ALIAS_PREFIX.  */
bool net_link_is_runvm_tap (struct rtnl_link *link);

/* Whether LINK_IFINDEX has an ingress filter at NET_TC_PRIO (a redirect of
 * runvm's).  */
int net_link_is_redirected (struct nl_sock *sk, int link_ifindex, bool *ret, rv_error_t *err);
