/* The host side of container networking (docs/networking.md).
 *
 * The engine (docker, podman, a CNI plugin) gives the container a network
 * namespace holding a configured veth.  The workload runs in a VM, so the
 * monitor, in this order:
 *
 *   net_scan      lists the interfaces of the namespace that the guest
 *                 should get (name, MAC, MTU, addresses) and the routes;
 *   net_attach    creates one tap per interface in that namespace and
 *                 joins tap and interface with tc: an ingress qdisc on
 *                 each and a u32 filter whose mirred action redirects every
 *                 frame to the other's egress (Kata's "tcfilter" model);
 *   net_qemu_nics gives the launcher one virtio-net device per tap;
 *   net_agent_json describes the interfaces and routes for the agent's
 *                 `network` call (agent-client/PROTOCOL.md), so that the
 *                 guest's interfaces look like the ones on the host;
 *   net_detach    removes taps, filters and qdiscs when the VM is gone;
 *   net_cleanup   does the same with no memory of net_attach, by runvm's
 *                 naming conventions alone (`delete` after a crash).
 *
 * Every function that looks at or changes a namespace takes NETNS_FD, an
 * open network namespace (/proc/<pid>/ns/net, /var/run/netns/<name>), and
 * does its work on a short-lived thread that has entered it with setns():
 * the caller's threads never change namespace, and sockets and taps made
 * on that thread belong to the namespace for good.
 *
 * NETNS_FD < 0 means that the container has no network namespace of its
 * own (the config has no `network` namespace: with runc it would share the
 * host's network).  A VM cannot share the host's stack, and taking over the
 * host's interfaces would cut the host off, so the guest then gets
 * loopback only, and nothing on the host is looked at or changed.  A
 * namespace that is the host's own (the namespace of PID 1, for a config
 * whose `path` names it) is treated the same way.
 *
 * Errors: negative errno and *ERR, as everywhere (docs/error_handling.md).
 * Output parameters are written on success only.  */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The conventions net_cleanup relies on, fixed here because a crashed
 * monitor leaves nothing else behind:
 *  - a tap is named "tap<N>_<interface>" (cut to IFNAMSIZ - 1 characters)
 *    and carries the interface alias "runvm:<interface>";
 *  - its filters sit on ingress qdiscs (parent ffff:) at priority
 *    NET_TC_PRIO, kind u32, protocol all.  */
#define NET_TC_PRIO          0x5256 /* "RV" */
#define NET_TAP_ALIAS_PREFIX "runvm:"
#define NET_MAC_STRLEN       18 /* "aa:bb:cc:dd:ee:ff" and NUL */

struct net_address
{
  int family;                  /* AF_INET or AF_INET6 */
  char addr[INET6_ADDRSTRLEN]; /* "10.88.0.5", "fd00::5" */
  unsigned prefixlen;
};

/* An interface the guest gets: an Ethernet interface of the namespace that
 * is up, is not loopback, is not enslaved to a bridge or bond, and is not
 * a tap of runvm's.  */
struct net_interface
{
  char name[IFNAMSIZ];
  int ifindex; /* in the container's namespace */
  char mac[NET_MAC_STRLEN];
  uint32_t mtu;
  /* IPv4 first, then IPv6, in the kernel's order (primary before
   * secondary).  Left out: addresses whose duplicate address detection
   * failed, and the IPv6 link-local address the guest's kernel derives
   * itself from the same MAC (EUI-64); other link-local addresses stay.  */
  struct net_address *addrs;
  size_t n_addrs;
};

/* A route of the main table through one of the interfaces.  Left out:
 * the routes the kernel makes itself (protocol `kernel`: the prefix route
 * of each address, IPv6 fe80::/64; the guest's kernel makes them again),
 * routes learnt from IPv6 router advertisements (the guest hears the same
 * advertisements), multipath routes, and routes that are not unicast or go
 * through an interface the guest does not get.  */
struct net_route
{
  int family; /* AF_INET or AF_INET6 */
  char dest[INET6_ADDRSTRLEN];
  unsigned dest_prefixlen;        /* 0: the default route */
  char gateway[INET6_ADDRSTRLEN]; /* "": on-link */
  char device[IFNAMSIZ];
  uint32_t metric;
};

struct net_config
{
  struct net_interface *interfaces; /* by ifindex */
  size_t n_interfaces;
  /* On-link routes first, so that every gateway is reachable when the
   * routes through it are added; then in the kernel's order.  */
  struct net_route *routes;
  size_t n_routes;
  /* Why the list is empty although the namespace may have interfaces.  */
  bool no_netns;   /* NETNS_FD < 0 */
  bool host_netns; /* the namespace is the host's own */
  /* Interfaces left out because another runvm VM already redirects them
   * (a second container joining a namespace: a podman pod, docker's
   * --network container:X).  The first VM keeps them.  */
  size_t n_claimed;
};

/* Lists what the guest should get.  NETNS_FD < 0 or the host's namespace
 * give an empty config (no_netns, host_netns), as does a namespace with
 * loopback only.  DNS is not part of it: engines bind-mount
 * /etc/resolv.conf (and /etc/hosts) into the container, and that file
 * reaches the guest with the other mounts.  Free *RET with
 * net_config_free.  */
int net_scan (int netns_fd, struct net_config **ret, rv_error_t *err);
void net_config_free (struct net_config *c); /* accepts NULL */

/* One interface joined to its tap.  */
struct net_link
{
  char ifname[IFNAMSIZ]; /* the container's interface */
  int ifindex;
  char tap[IFNAMSIZ];
  int tap_ifindex;
  int tap_fd;   /* /dev/net/tun, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, close-on-exec */
  int vhost_fd; /* /dev/vhost-net opened for it, -1 where there is none */
  char mac[NET_MAC_STRLEN];
  uint32_t mtu;
  bool created_qdisc; /* the interface's ingress qdisc was made by net_attach */
};

struct net_attachment
{
  struct net_link *links;
  size_t n_links;
};

/* Makes a tap for every interface of C in the namespace (the interfaces
 * keep their names, MACs and addresses: see docs/networking.md), sets it
 * up with the interface's MTU and no IPv6 address of its own, and adds
 * the two redirects.  A config without interfaces gives an empty
 * attachment and changes nothing.  Refuses (EPERM) to touch the host's
 * namespace, and (EBUSY) an interface that another VM redirects.  On
 * failure nothing that this call made is left.  Release *RET with
 * net_detach (or, for a crash test, net_attachment_free).  */
int net_attach (int netns_fd, const struct net_config *c, struct net_attachment **ret, rv_error_t *err);

/* Removes A's filters, the ingress qdiscs net_attach made, and the taps;
 * closes the fds and frees A, whatever happens.  Things already gone (a
 * tap that vanished with its last fd, a namespace being torn down) are
 * not errors.  Reports the first failure after trying everything.
 * Accepts NULL.  */
int net_detach (int netns_fd, struct net_attachment *a, rv_error_t *err);

/* Closes A's fds and frees it without touching the namespace (the tap
 * disappears once no process holds it; filters and qdiscs stay).  */
void net_attachment_free (struct net_attachment *a);

/* Crash-safe teardown by convention: deletes every tap of runvm's in the
 * namespace (even one a stray process still holds), every ingress filter
 * at NET_TC_PRIO, and each ingress qdisc that such a filter leaves empty.
 * Touches nothing else, so it is safe on any namespace and when there is
 * nothing to do.  *RET_REMOVED (may be NULL) gets the number of taps and
 * filters removed.  */
int net_cleanup (int netns_fd, size_t *ret_removed, rv_error_t *err);

/* ---- the launcher's side ------------------------------------------- */

/* One guest NIC.  The launcher adds, for each, in this order:
 *
 *   -netdev tap,id=<id>,fd=<tap_fd>[,vhost=on,vhostfd=<vhost_fd>]
 *   -device virtio-net-device,netdev=<id>,mac=<mac>,host_mtu=<mtu>
 *
 * (virtio-net-device is the virtio-mmio form that microvm takes; a PCI
 * machine would use virtio-net-pci with the same properties.)  The fds
 * belong to the attachment: the launcher passes them to QEMU by clearing
 * close-on-exec in the child (or dup'ing them there) and closes nothing.
 * vhost-net is used exactly when /dev/vhost-net could be opened; vhost=on
 * needs no vhostforce on virtio-mmio.  One queue per NIC: microvm's
 * virtio-mmio gives a device a single interrupt, so multiqueue would not
 * spread the work over vCPUs.  host_mtu tells the guest's driver the MTU
 * before the agent sets it.  The guest's NIC gets the interface's MAC, so
 * frames leave the veth with the MAC that the bridge, the firewall and the
 * engine expect.  */
struct net_qemu_nic
{
  char id[24]; /* "net0", "net1", ... */
  int tap_fd;
  int vhost_fd; /* -1: QEMU's own virtio-net backend */
  char mac[NET_MAC_STRLEN];
  uint32_t mtu;
};

/* The NICs of A, in A's order (free *RET with free()).  An empty
 * attachment gives *RET NULL and *RET_LEN 0.  */
void net_qemu_nics (const struct net_attachment *a, struct net_qemu_nic **ret, size_t *ret_len);

/* ---- the agent's side ---------------------------------------------- */

/* The `args` object of the agent's `network` call for C
 * (agent-client/PROTOCOL.md):
 *
 *   {"interfaces": [{"match_mac": "<mac>", "name": "<name>", "mtu": <mtu>,
 *                    "addresses": ["10.88.0.5/16", "fd00::5/64"]}, ...],
 *    "routes": [{"dest": "default" | "default6" | "<prefix>/<len>",
 *                "gateway": "<address>" (absent: on-link),
 *                "device": "<name>", "metric": <metric>}, ...]}
 *
 * The guest's NIC is found by the MAC it got from QEMU (the interface's),
 * then renamed to the interface's name.  NUL-terminated; free with
 * free().  */
int net_agent_json (const struct net_config *c, char **ret, size_t *ret_len, rv_error_t *err);

/* ---- namespaces ---------------------------------------------------- */

/* Runs FN (DATA, ERR) on a new thread that has entered NETNS_FD, waits for
 * it, and returns what FN returned.  NETNS_FD < 0 runs it on the new
 * thread in the caller's namespace.  */
int net_in_netns (int netns_fd, int (*fn) (void *data, rv_error_t *err), void *data, rv_error_t *err);

/* Whether NETNS_FD is the host's network namespace: the namespace of PID 1,
 * or, where /proc/1 cannot be read, the kernel's initial namespace when
 * its inode number is the fixed one that current kernels give it.  */
int net_netns_is_host (int netns_fd, bool *ret, rv_error_t *err);
