/* net_attach, net_detach, net_cleanup: a tap per interface, joined to it
 * by two tc mirred redirects, made and removed with libnl-route-3.
 *
 *   interface ingress --u32 all--> mirred egress redirect --> tap  --> QEMU
 *   QEMU --> tap ingress --u32 all--> mirred egress redirect --> interface
 *
 * Every frame the interface receives leaves through the tap to the guest,
 * and every frame the guest sends leaves through the interface, so the
 * namespace's own stack never sees the container's traffic, and the
 * interface can keep its addresses (which engines and CNI plugins read
 * back) without answering ARP or neighbour solicitations in the guest's
 * place.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/if_ether.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/pkt_cls.h>
#include <netlink/route/action.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link/inet6.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utils.h"
#include "vm/net.h"
#include "vm/net_nl.h"

/* IN6_ADDR_GEN_MODE_NONE: no link-local address, so the tap sends no
 * duplicate address detection or router solicitation of its own to the
 * guest.  */
#define NET_ADDR_GEN_MODE_NONE 1

static void
link_init (struct net_link *l)
{
  memset (l, 0, sizeof (*l));
  l->tap_fd = -1;
  l->vhost_fd = -1;
}

static void
link_close (struct net_link *l)
{
  if (l->tap_fd >= 0)
    (void) close (l->tap_fd);
  if (l->vhost_fd >= 0)
    (void) close (l->vhost_fd);
  l->tap_fd = -1;
  l->vhost_fd = -1;
}

void
net_attachment_free (struct net_attachment *a)
{
  size_t i;

  if (a == NULL)
    return;
  for (i = 0; i < a->n_links; i++)
    link_close (&a->links[i]);
  free (a->links);
  free (a);
}

static void
cleanup_attachmentp (struct net_attachment **a)
{
  net_attachment_free (*a);
}
#define _cleanup_attachment_ __attribute__ ((cleanup (cleanup_attachmentp)))

/* "tap<N>_<ifname>", cut to fit IFNAMSIZ; the index keeps two cut names
 * apart.  */
static void
tap_name (size_t index, const char *ifname, char out[IFNAMSIZ])
{
  int n = snprintf (out, IFNAMSIZ, "tap%zu_", index);
  size_t room, len = strlen (ifname);

  if (n < 0 || (size_t) n >= IFNAMSIZ)
    {
      out[0] = '\0';
      return;
    }
  room = IFNAMSIZ - 1 - (size_t) n;
  if (len > room)
    len = room;
  memcpy (out + n, ifname, len);
  out[(size_t) n + len] = '\0';
}

/* ---- tc ------------------------------------------------------------- */

/* Adds the ingress qdisc of IFINDEX.  *RET_CREATED is false when the
 * interface had one already (made by someone else: it stays on detach).  */
static int
add_ingress_qdisc (struct nl_sock *sk, int ifindex, const char *name, bool *ret_created, rv_error_t *err)
{
  _cleanup_nl_qdisc_ struct rtnl_qdisc *q = rtnl_qdisc_alloc ();
  int r;

  if (q == NULL)
    return rv_error_set (err, ENOMEM, "allocate a qdisc");
  rtnl_tc_set_ifindex (TC_CAST (q), ifindex);
  rtnl_tc_set_parent (TC_CAST (q), TC_H_INGRESS);
  rtnl_tc_set_handle (TC_CAST (q), NET_INGRESS_PARENT);
  r = rtnl_tc_set_kind (TC_CAST (q), "ingress");
  if (r < 0)
    return net_nl_error (err, r, "ingress qdisc for `%s`", name);
  r = rtnl_qdisc_add (sk, q, NLM_F_CREATE | NLM_F_EXCL);
  if (r == -NLE_EXIST)
    {
      _cleanup_nl_cache_ struct nl_cache *qdiscs = NULL;
      _cleanup_nl_qdisc_ struct rtnl_qdisc *there = NULL;
      const char *kind;

      /* Filters can be shared with an ingress qdisc; a clsact qdisc (eBPF
       * dataplanes) takes its ingress filters elsewhere.  */
      r = rtnl_qdisc_alloc_cache (sk, &qdiscs);
      if (r < 0)
        return net_nl_error (err, r, "list the qdiscs");
      there = rtnl_qdisc_get_by_parent (qdiscs, ifindex, TC_H_INGRESS);
      kind = there ? rtnl_tc_get_kind (TC_CAST (there)) : NULL;
      if (kind == NULL || strcmp (kind, "ingress") != 0)
        return rv_error_set (err, EOPNOTSUPP,
                             "interface `%s` has a `%s` qdisc where runvm needs an ingress qdisc", name,
                             kind ? kind : "?");
      *ret_created = false;
      return 0;
    }
  if (r < 0)
    return net_nl_error (err, r, "add an ingress qdisc to `%s`", name);
  *ret_created = true;
  return 0;
}

/* On FROM's ingress: every frame (u32, match nothing at offset 0) is
 * redirected to TO's egress and taken from FROM (stolen).  */
static int
add_redirect (struct nl_sock *sk, int from, const char *from_name, int to, const char *to_name,
              rv_error_t *err)
{
  _cleanup_nl_cls_ struct rtnl_cls *cls = rtnl_cls_alloc ();
  struct rtnl_act *act = rtnl_act_alloc ();
  int r;

  if (cls == NULL || act == NULL)
    {
      if (act)
        rtnl_act_put (act);
      return rv_error_set (err, ENOMEM, "allocate a tc filter");
    }
  r = rtnl_tc_set_kind (TC_CAST (act), "mirred");
  if (r == 0)
    r = rtnl_mirred_set_action (act, TCA_EGRESS_REDIR);
  if (r == 0)
    r = rtnl_mirred_set_policy (act, TC_ACT_STOLEN);
  if (r == 0)
    r = rtnl_mirred_set_ifindex (act, (uint32_t) to);

  rtnl_tc_set_ifindex (TC_CAST (cls), from);
  rtnl_tc_set_parent (TC_CAST (cls), NET_INGRESS_PARENT);
  if (r == 0)
    r = rtnl_tc_set_kind (TC_CAST (cls), "u32");
  rtnl_cls_set_prio (cls, NET_TC_PRIO);
  rtnl_cls_set_protocol (cls, ETH_P_ALL);
  if (r == 0)
    r = rtnl_u32_add_key_uint32 (cls, 0, 0, 0, 0);
  if (r == 0)
    r = rtnl_u32_set_cls_terminal (cls);
  if (r == 0)
    r = rtnl_u32_add_action (cls, act); /* takes a reference of its own */
  rtnl_act_put (act);
  if (r < 0)
    return net_nl_error (err, r, "build the redirect from `%s` to `%s`", from_name, to_name);

  r = rtnl_cls_add (sk, cls, NLM_F_CREATE | NLM_F_EXCL);
  if (r < 0)
    return net_nl_error (err, r, "redirect `%s` to `%s`", from_name, to_name);
  return 0;
}

/* Deletes IFINDEX's ingress filters at NET_TC_PRIO, if any.  */
static int
remove_redirect (struct nl_sock *sk, int ifindex, bool *ret_removed, rv_error_t *err)
{
  _cleanup_nl_cls_ struct rtnl_cls *cls = NULL;
  bool present = false;
  int r;

  *ret_removed = false;
  r = net_link_is_redirected (sk, ifindex, &present, err);
  if (r < 0 || !present)
    return r;
  cls = rtnl_cls_alloc ();
  if (cls == NULL)
    return rv_error_set (err, ENOMEM, "allocate a tc filter");
  rtnl_tc_set_ifindex (TC_CAST (cls), ifindex);
  rtnl_tc_set_parent (TC_CAST (cls), NET_INGRESS_PARENT);
  r = rtnl_tc_set_kind (TC_CAST (cls), "u32");
  if (r < 0)
    return net_nl_error (err, r, "u32 filter");
  rtnl_cls_set_prio (cls, NET_TC_PRIO);
  rtnl_cls_set_protocol (cls, ETH_P_ALL);
  /* No handle: the whole priority goes, hash table and key alike.  */
  r = rtnl_cls_delete (sk, cls, 0);
  if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
    return net_nl_error (err, r, "remove the redirect of interface %d", ifindex);
  *ret_removed = r == 0;
  return 0;
}

/* Deletes IFINDEX's ingress qdisc; with ONLY_IF_EMPTY, only when no filter
 * is left on it.  */
static int
remove_ingress_qdisc (struct nl_sock *sk, int ifindex, bool only_if_empty, rv_error_t *err)
{
  _cleanup_nl_cache_ struct nl_cache *qdiscs = NULL, *filters = NULL;
  _cleanup_nl_qdisc_ struct rtnl_qdisc *q = NULL;
  const char *kind;
  int r;

  r = rtnl_qdisc_alloc_cache (sk, &qdiscs);
  if (r < 0)
    return net_nl_error (err, r, "list the qdiscs");
  q = rtnl_qdisc_get_by_parent (qdiscs, ifindex, TC_H_INGRESS);
  kind = q ? rtnl_tc_get_kind (TC_CAST (q)) : NULL;
  if (kind == NULL || strcmp (kind, "ingress") != 0)
    return 0;
  if (only_if_empty)
    {
      r = rtnl_cls_alloc_cache (sk, ifindex, NET_INGRESS_PARENT, &filters);
      if (r < 0)
        return net_nl_error (err, r, "list the ingress filters of interface %d", ifindex);
      if (nl_cache_nitems (filters) > 0)
        return 0;
    }
  r = rtnl_qdisc_delete (sk, q);
  if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV && r != -NLE_INVAL)
    return net_nl_error (err, r, "remove the ingress qdisc of interface %d", ifindex);
  return 0;
}

/* ---- taps ----------------------------------------------------------- */

static int
open_tap (const char *name, int *ret_fd, rv_error_t *err)
{
  _cleanup_close_ int fd = -1;
  struct ifreq ifr;

  fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return rv_error_make (err, errno, "open `/dev/net/tun`");
  memset (&ifr, 0, sizeof (ifr));
  memcpy (ifr.ifr_name, name, strlen (name) + 1);
  /* Not persistent: the tap goes with its last fd (the monitor's and
   * QEMU's), so a crash leaves at most the filters on the interface.
   * IFF_TUN_EXCL: never take over an existing device of that name.  */
  ifr.ifr_flags = (short) (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL);
  if (ioctl (fd, TUNSETIFF, &ifr) < 0)
    return rv_error_make (err, errno, "create tap `%s`", name);
  *ret_fd = TAKE_FD (fd);
  return 0;
}

/* MTU and the alias that marks it as runvm's, then no IPv6 address of
 * its own, then up.  */
static int
configure_tap (struct nl_sock *sk, struct net_link *l, rv_error_t *err)
{
  _cleanup_nl_link_ struct rtnl_link *tap = NULL, *change = NULL, *v6 = NULL, *up = NULL;
  _cleanup_free_ char *alias = xasprintf ("%s%s", NET_TAP_ALIAS_PREFIX, l->ifname);
  int r;

  r = rtnl_link_get_kernel (sk, 0, l->tap, &tap);
  if (r < 0)
    return net_nl_error (err, r, "find tap `%s`", l->tap);
  l->tap_ifindex = rtnl_link_get_ifindex (tap);

  change = rtnl_link_alloc ();
  rtnl_link_set_mtu (change, l->mtu);
  rtnl_link_set_ifalias (change, alias);
  r = rtnl_link_change (sk, tap, change, 0);
  if (r < 0)
    return net_nl_error (err, r, "set the MTU of tap `%s` to %u", l->tap, l->mtu);

  /* Without IPv6 in the namespace (ipv6.disable=1, disable_ipv6), there is
   * no address to keep off the tap.  */
  v6 = rtnl_link_alloc ();
  r = rtnl_link_inet6_set_addr_gen_mode (v6, NET_ADDR_GEN_MODE_NONE);
  if (r == 0)
    r = rtnl_link_change (sk, tap, v6, 0);
  if (r < 0)
    rv_debug ("network: tap `%s`: no IPv6 address generation mode: %s", l->tap, nl_geterror (r));

  up = rtnl_link_alloc ();
  rtnl_link_set_flags (up, IFF_UP);
  r = rtnl_link_change (sk, tap, up, 0);
  if (r < 0)
    return net_nl_error (err, r, "bring tap `%s` up", l->tap);
  return 0;
}

/* Deletes the tap IFINDEX if it is still runvm's tap NAME.  */
static int
remove_tap (struct nl_sock *sk, int ifindex, const char *name, rv_error_t *err)
{
  _cleanup_nl_link_ struct rtnl_link *tap = NULL;
  int r;

  r = rtnl_link_get_kernel (sk, ifindex, NULL, &tap);
  if (r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND)
    return 0;
  if (r < 0)
    return net_nl_error (err, r, "find tap `%s`", name);
  if (!net_link_is_runvm_tap (tap) || strcmp (rtnl_link_get_name (tap), name) != 0)
    return 0;
  r = rtnl_link_delete (sk, tap);
  if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
    return net_nl_error (err, r, "delete tap `%s`", name);
  return 0;
}

/* vhost-net when the host has it (a user's machine; not this project's CI
 * machines, nor most nested ones): QEMU then moves the frames in the
 * kernel.  Any failure means QEMU's own userspace backend.  */
static int
open_vhost_net (void)
{
  int fd = open ("/dev/vhost-net", O_RDWR | O_CLOEXEC);

  if (fd < 0)
    rv_debug ("network: no vhost-net (%s); QEMU moves the frames itself", strerror (errno));
  return fd;
}

/* ---- attach and detach ---------------------------------------------- */

/* Keeps the first failure (R, *TMP) in *RET and *FIRST; releases the
 * others.  */
static void
keep_first (int r, rv_error_t *tmp, int *ret, rv_error_t *first)
{
  if (r < 0 && *ret == 0)
    {
      *ret = r;
      *first = TAKE_PTR (*tmp);
    }
  rv_error_release (tmp);
}

static int
report_first (int ret, rv_error_t *first, rv_error_t *err)
{
  if (ret < 0)
    {
      rv_error_release (err);
      *err = TAKE_PTR (*first);
    }
  return ret;
}

/* Undoes what attach_one did for L, in reverse; keeps going after a
 * failure and reports the first.  */
static int
detach_one (struct nl_sock *sk, struct net_link *l, rv_error_t *err)
{
  _cleanup_error_ rv_error_t first = NULL;
  rv_error_t tmp = NULL;
  bool removed;
  int ret = 0;

  /* The interface's redirect first, so that no frame goes on towards a
   * tap that is about to go.  */
  if (l->ifindex > 0)
    keep_first (remove_redirect (sk, l->ifindex, &removed, &tmp), &tmp, &ret, &first);
  if (l->created_qdisc)
    keep_first (remove_ingress_qdisc (sk, l->ifindex, false, &tmp), &tmp, &ret, &first);
  /* The tap's own qdisc and filter go with it.  */
  if (l->tap_ifindex > 0)
    keep_first (remove_tap (sk, l->tap_ifindex, l->tap, &tmp), &tmp, &ret, &first);
  link_close (l);
  return report_first (ret, &first, err);
}

static int
attach_one (struct nl_sock *sk, size_t index, const struct net_interface *itf, struct net_link *l,
            rv_error_t *err)
{
  _cleanup_nl_link_ struct rtnl_link *link = NULL;
  bool created_tap_qdisc, busy;
  int r;

  /* The interface must still be the one net_scan saw.  */
  r = rtnl_link_get_kernel (sk, itf->ifindex, NULL, &link);
  if (r < 0)
    return net_nl_error (err, r, "find interface `%s`", itf->name);
  if (strcmp (rtnl_link_get_name (link), itf->name) != 0)
    return rv_error_set (err, ENODEV, "interface `%s` (index %d) is now called `%s`", itf->name, itf->ifindex,
                         rtnl_link_get_name (link));
  r = net_link_is_redirected (sk, itf->ifindex, &busy, err);
  if (r < 0)
    return r;
  if (busy)
    return rv_error_set (err, EBUSY, "interface `%s` is redirected to another VM already", itf->name);

  memcpy (l->ifname, itf->name, sizeof (l->ifname));
  l->ifindex = itf->ifindex;
  memcpy (l->mac, itf->mac, sizeof (l->mac));
  l->mtu = itf->mtu;
  tap_name (index, itf->name, l->tap);

  r = open_tap (l->tap, &l->tap_fd, err);
  if (r < 0)
    return r;
  r = configure_tap (sk, l, err);
  if (r < 0)
    return r;
  r = add_ingress_qdisc (sk, l->tap_ifindex, l->tap, &created_tap_qdisc, err);
  if (r < 0)
    return r;
  r = add_ingress_qdisc (sk, l->ifindex, l->ifname, &l->created_qdisc, err);
  if (r < 0)
    return r;
  r = add_redirect (sk, l->tap_ifindex, l->tap, l->ifindex, l->ifname, err);
  if (r < 0)
    return r;
  r = add_redirect (sk, l->ifindex, l->ifname, l->tap_ifindex, l->tap, err);
  if (r < 0)
    return r;
  l->vhost_fd = open_vhost_net ();
  return 0;
}

struct attach_call
{
  const struct net_config *config;
  struct net_attachment *a;
};

static int
attach_in_netns (void *data, rv_error_t *err)
{
  struct attach_call *call = data;
  struct net_attachment *a = call->a;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  size_t i;
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  for (i = 0; i < call->config->n_interfaces; i++)
    {
      struct net_link *l = &a->links[a->n_links++];

      link_init (l);
      r = attach_one (sk, i, &call->config->interfaces[i], l, err);
      if (r < 0)
        break;
    }
  if (r < 0)
    {
      /* Nothing this call made may stay.  */
      while (a->n_links > 0)
        {
          rv_error_t tmp = NULL;
          (void) detach_one (sk, &a->links[--a->n_links], &tmp);
          rv_error_release (&tmp);
        }
      return r;
    }
  return 0;
}

int
net_attach (int netns_fd, const struct net_config *c, struct net_attachment **ret, rv_error_t *err)
{
  _cleanup_attachment_ struct net_attachment *a = xmalloc0 (sizeof (*a));
  struct attach_call call = { .config = c, .a = a };
  bool host = false;
  int r;

  if (c->n_interfaces == 0)
    {
      *ret = TAKE_PTR (a);
      return 0;
    }
  if (netns_fd < 0)
    return rv_error_set (err, EINVAL, "attach the container's network: no network namespace");
  r = net_netns_is_host (netns_fd, &host, err);
  if (r < 0)
    return rv_error_wrap (err, "attach the container's network");
  if (host)
    return rv_error_set (err, EPERM,
                         "attach the container's network: refusing to redirect the host's own interfaces");

  a->links = xcalloc (c->n_interfaces, sizeof (*a->links));
  r = net_in_netns (netns_fd, attach_in_netns, &call, err);
  if (r < 0)
    return rv_error_wrap (err, "attach the container's network");
  *ret = TAKE_PTR (a);
  return 0;
}

static int
detach_in_netns (void *data, rv_error_t *err)
{
  struct net_attachment *a = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_error_ rv_error_t first = NULL;
  size_t i;
  int ret = 0, r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  for (i = 0; i < a->n_links; i++)
    {
      rv_error_t tmp = NULL;
      keep_first (detach_one (sk, &a->links[i], &tmp), &tmp, &ret, &first);
    }
  return report_first (ret, &first, err);
}

int
net_detach (int netns_fd, struct net_attachment *a, rv_error_t *err)
{
  int r = 0;

  /* A is freed whatever happens: after a failure there is nothing better
   * to do with it than net_cleanup, which needs no attachment.  */
  if (a != NULL && a->n_links > 0)
    {
      if (netns_fd < 0)
        r = rv_error_set (err, EINVAL, "detach the container's network: no network namespace");
      else
        {
          r = net_in_netns (netns_fd, detach_in_netns, a, err);
          if (r < 0)
            r = rv_error_wrap (err, "detach the container's network");
        }
    }
  net_attachment_free (a);
  return r;
}

/* ---- cleanup by convention ------------------------------------------ */

static int
cleanup_in_netns (void *data, rv_error_t *err)
{
  size_t *removed = data;
  _cleanup_nl_sock_ struct nl_sock *sk = NULL;
  _cleanup_nl_cache_ struct nl_cache *links = NULL, *left = NULL;
  struct nl_object *obj;
  int r;

  r = net_nl_open (&sk, err);
  if (r < 0)
    return r;
  r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &links);
  if (r < 0)
    return net_nl_error (err, r, "list the interfaces");

  /* Taps first: with them go their own qdiscs and filters, and the
   * interfaces' redirects stop having a target.  */
  for (obj = nl_cache_get_first (links); obj; obj = nl_cache_get_next (obj))
    {
      struct rtnl_link *link = (struct rtnl_link *) obj;

      if (!net_link_is_runvm_tap (link))
        continue;
      r = rtnl_link_delete (sk, link);
      if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
        return net_nl_error (err, r, "delete tap `%s`", rtnl_link_get_name (link));
      (*removed)++;
    }

  r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &left);
  if (r < 0)
    return net_nl_error (err, r, "list the interfaces");
  for (obj = nl_cache_get_first (left); obj; obj = nl_cache_get_next (obj))
    {
      int ifindex = rtnl_link_get_ifindex ((struct rtnl_link *) obj);
      bool gone = false;

      r = remove_redirect (sk, ifindex, &gone, err);
      if (r < 0)
        return r;
      if (!gone)
        continue;
      (*removed)++;
      /* Whoever made the qdisc, an empty ingress qdisc does nothing; one
       * that still holds someone else's filters stays.  */
      r = remove_ingress_qdisc (sk, ifindex, true, err);
      if (r < 0)
        return r;
    }
  return 0;
}

int
net_cleanup (int netns_fd, size_t *ret_removed, rv_error_t *err)
{
  size_t removed = 0;
  int r;

  if (netns_fd < 0)
    {
      if (ret_removed)
        *ret_removed = 0;
      return 0;
    }
  r = net_in_netns (netns_fd, cleanup_in_netns, &removed, err);
  if (r < 0)
    return rv_error_wrap (err, "clean up the container's network");
  if (ret_removed)
    *ret_removed = removed;
  return 0;
}

/* ---- the launcher's view -------------------------------------------- */

void
net_qemu_nics (const struct net_attachment *a, struct net_qemu_nic **ret, size_t *ret_len)
{
  struct net_qemu_nic *nics = NULL;
  size_t i;

  if (a != NULL && a->n_links > 0)
    {
      nics = xcalloc (a->n_links, sizeof (*nics));
      for (i = 0; i < a->n_links; i++)
        {
          (void) snprintf (nics[i].id, sizeof (nics[i].id), "net%zu", i);
          nics[i].tap_fd = a->links[i].tap_fd;
          nics[i].vhost_fd = a->links[i].vhost_fd;
          memcpy (nics[i].mac, a->links[i].mac, sizeof (nics[i].mac));
          nics[i].mtu = a->links[i].mtu;
        }
    }
  *ret = nics;
  *ret_len = a ? a->n_links : 0;
}
