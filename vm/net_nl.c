/* libnl-3 helpers shared by vm/net*.c.  */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netlink/errno.h>

#include "common/utils.h"
#include "vm/net.h"
#include "vm/net_nl.h"

int
net_nl_errno (int nlerr)
{
  switch (nlerr < 0 ? -nlerr : nlerr)
    {
    case NLE_EXIST:
      return EEXIST;
    case NLE_NODEV:
      return ENODEV;
    case NLE_PERM:
      return EPERM;
    case NLE_INVAL:
    case NLE_MISSING_ATTR:
      return EINVAL;
    case NLE_NOADDR:
      return EADDRNOTAVAIL;
    case NLE_OBJ_NOTFOUND:
      return ENOENT;
    case NLE_BUSY:
      return EBUSY;
    case NLE_RANGE:
      return ERANGE;
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_AF_NOSUPPORT:
      return EAFNOSUPPORT;
    case NLE_OPNOTSUPP:
      return EOPNOTSUPP;
    case NLE_AGAIN:
      return EAGAIN;
    case NLE_NOACCESS:
      return EACCES;
    default:
      return EIO;
    }
}

int
net_nl_error (rv_error_t *err, int nlerr, const char *fmt, ...)
{
  _cleanup_free_ char *what = NULL;
  va_list ap;

  va_start (ap, fmt);
  what = xvasprintf (fmt, ap);
  va_end (ap);
  return rv_error_set (err, net_nl_errno (nlerr), "%s: %s", what, nl_geterror (nlerr));
}

int
net_nl_open (struct nl_sock **ret, rv_error_t *err)
{
  _cleanup_nl_sock_ struct nl_sock *sk = nl_socket_alloc ();
  int r;

  if (sk == NULL)
    return rv_error_set (err, ENOMEM, "allocate a netlink socket");
  r = nl_connect (sk, NETLINK_ROUTE);
  if (r < 0)
    return net_nl_error (err, r, "connect to rtnetlink");
  *ret = TAKE_PTR (sk);
  return 0;
}

void
net_mac_format (const unsigned char *mac, char out[18])
{
  (void) snprintf (out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

bool
net_link_is_runvm_tap (struct rtnl_link *link)
{
  const char *kind = rtnl_link_get_type (link);
  const char *alias = rtnl_link_get_ifalias (link);

  return kind && strcmp (kind, "tun") == 0 && alias && str_has_prefix (alias, NET_TAP_ALIAS_PREFIX);
}

int
net_link_is_redirected (struct nl_sock *sk, int link_ifindex, bool *ret, rv_error_t *err)
{
  _cleanup_nl_cache_ struct nl_cache *filters = NULL;
  struct nl_object *obj;
  int r;

  r = rtnl_cls_alloc_cache (sk, link_ifindex, NET_INGRESS_PARENT, &filters);
  if (r < 0)
    return net_nl_error (err, r, "list the ingress filters of interface %d", link_ifindex);
  for (obj = nl_cache_get_first (filters); obj; obj = nl_cache_get_next (obj))
    if (rtnl_cls_get_prio ((struct rtnl_cls *) obj) == NET_TC_PRIO)
      {
        *ret = true;
        return 0;
      }
  *ret = false;
  return 0;
}
