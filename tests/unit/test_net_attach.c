/* net_attach, net_detach, net_cleanup and net_qemu_nics against private
 * network namespaces: a "container" namespace holding eth0 (and eth1),
 * whose veth peers sit in a "host" namespace.  The test plays the guest:
 * it writes frames into the tap fd as QEMU would and reads what the tap
 * delivers.  */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "tests/net/fixture.h"
#include "vm/net.h"

#define VNET_HDR_LEN 10     /* struct virtio_net_hdr: the tap's default */
#define ETH_P_TEST   0x88b5 /* IEEE 802 local experimental */
#define CTR_MAC      "02:42:ac:11:00:05"
#define CTR_MAC1     "02:42:ac:12:00:05"

struct env
{
  int ctr, host;
};

/* eth0 (CTR_MAC, MTU 1450, 10.88.0.5/16) <-> veth-h0 (10.88.0.1/16), and
 * with TWO eth1 (CTR_MAC1, MTU 9000) <-> veth-h1.  */
static struct env
env_new (bool two)
{
  struct env e = { fx_netns_new (), fx_netns_new () };

  fx_link_up (e.ctr, "lo");
  fx_veth (e.ctr, "eth0", CTR_MAC, 1450, e.host, "veth-h0");
  fx_addr (e.ctr, "eth0", "10.88.0.5/16");
  fx_addr (e.host, "veth-h0", "10.88.0.1/16");
  fx_route (e.ctr, "default", "10.88.0.1", "eth0", 0);
  if (two)
    {
      fx_veth (e.ctr, "eth1", CTR_MAC1, 9000, e.host, "veth-h1");
      fx_addr (e.ctr, "eth1", "10.89.0.5/16");
    }
  return e;
}

static void
env_free (struct env *e)
{
  close (e->ctr);
  close (e->host);
}

static struct net_config *
scan (int ns)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct net_config *c = NULL;
  cr_assert_eq (net_scan (ns, &c, &err), 0, "net_scan: %s", err ? err->msg : "?");
  return c;
}

static struct net_attachment *
attach (int ns, const struct net_config *c)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct net_attachment *a = NULL;
  cr_assert_eq (net_attach (ns, c, &a, &err), 0, "net_attach: %s", err ? err->msg : "?");
  cr_assert_not_null (a);
  return a;
}

static void
detach (int ns, struct net_attachment *a)
{
  _cleanup_error_ rv_error_t err = NULL;
  cr_assert_eq (net_detach (ns, a, &err), 0, "net_detach: %s", err ? err->msg : "?");
}

static size_t
cleanup (int ns)
{
  _cleanup_error_ rv_error_t err = NULL;
  size_t removed = 99;
  cr_assert_eq (net_cleanup (ns, &removed, &err), 0, "net_cleanup: %s", err ? err->msg : "?");
  return removed;
}

/* Nothing of runvm's is left around IFNAME in NS.  */
static void
assert_clean (int ns, const char *ifname, const char *tap)
{
  cr_assert_not (fx_link_exists (ns, tap), "tap `%s` is left", tap);
  cr_assert_not (fx_has_ingress_qdisc (ns, ifname), "ingress qdisc on `%s` is left", ifname);
  cr_assert_eq (fx_ingress_filters (ns, ifname, 0), 0, "filters on `%s` are left", ifname);
}

/* ---- frames --------------------------------------------------------- */

static size_t
test_frame (unsigned char *buf, const char *dst, const char *src, const char *payload)
{
  size_t len = strlen (payload);

  fx_mac_parse (dst, buf);
  fx_mac_parse (src, buf + 6);
  buf[12] = ETH_P_TEST >> 8;
  buf[13] = ETH_P_TEST & 0xff;
  memcpy (buf + ETH_HLEN, payload, len);
  return ETH_HLEN + len;
}

static bool
match_payload (const unsigned char *f, size_t len, void *data)
{
  const char *payload = data;
  size_t plen = strlen (payload);
  return f[12] == (ETH_P_TEST >> 8) && f[13] == (ETH_P_TEST & 0xff) && len >= ETH_HLEN + plen
         && memcmp (f + ETH_HLEN, payload, plen) == 0;
}

static void
tap_write (int tap_fd, const unsigned char *frame, size_t len)
{
  unsigned char buf[2048];

  memset (buf, 0, VNET_HDR_LEN);
  memcpy (buf + VNET_HDR_LEN, frame, len);
  cr_assert_eq (write (tap_fd, buf, VNET_HDR_LEN + len), (ssize_t) (VNET_HDR_LEN + len),
                "write to the tap: %s", strerror (errno));
}

/* ARP over Ethernet for IPv4, as RFC 826 lays it out.  */
struct arp_ipv4
{
  unsigned char eth_dst[6], eth_src[6];
  uint16_t ethertype, htype, ptype;
  uint8_t hlen, plen;
  uint16_t op;
  unsigned char sha[6], spa[4], tha[6], tpa[4];
} __attribute__ ((packed));

struct arp_match
{
  uint16_t op;
  const char *tpa; /* target protocol address, NULL: any */
  const char *spa; /* sender protocol address, NULL: any */
};

static bool
match_arp (const unsigned char *f, size_t len, void *data)
{
  const struct arp_match *m = data;
  struct arp_ipv4 a;
  struct in_addr ip;

  if (len < sizeof (a))
    return false;
  memcpy (&a, f, sizeof (a));
  if (ntohs (a.ethertype) != ETH_P_ARP || ntohs (a.op) != m->op)
    return false;
  if (m->tpa && (inet_pton (AF_INET, m->tpa, &ip) != 1 || memcmp (a.tpa, &ip, 4) != 0))
    return false;
  if (m->spa && (inet_pton (AF_INET, m->spa, &ip) != 1 || memcmp (a.spa, &ip, 4) != 0))
    return false;
  return true;
}

struct udp_match
{
  uint16_t port;
  const char *payload;
};

static bool
match_udp (const unsigned char *f, size_t len, void *data)
{
  const struct udp_match *m = data;
  struct iphdr ip;
  struct udphdr udp;
  size_t off, plen = strlen (m->payload);

  if (len < ETH_HLEN + sizeof (ip) || f[12] != 0x08 || f[13] != 0x00)
    return false;
  memcpy (&ip, f + ETH_HLEN, sizeof (ip));
  if (ip.protocol != IPPROTO_UDP)
    return false;
  off = ETH_HLEN + ip.ihl * 4u;
  if (len < off + sizeof (udp) + plen)
    return false;
  memcpy (&udp, f + off, sizeof (udp));
  return ntohs (udp.dest) == m->port && memcmp (f + off + sizeof (udp), m->payload, plen) == 0;
}

/* ---- tests ---------------------------------------------------------- */

static void
assert_link_attached (struct env *e, const struct net_link *l, const char *ifname, const char *tap,
                      uint32_t mtu, const char *mac)
{
  char alias[256], kind[32], want_alias[64];
  unsigned flags;
  uint32_t tap_mtu;
  struct ifreq ifr;

  cr_assert_str_eq (l->ifname, ifname);
  cr_assert_eq (l->ifindex, fx_ifindex (e->ctr, ifname));
  cr_assert_str_eq (l->tap, tap);
  cr_assert_eq (l->tap_ifindex, fx_ifindex (e->ctr, tap));
  cr_assert_str_eq (l->mac, mac);
  cr_assert_eq (l->mtu, mtu);
  cr_assert (l->created_qdisc);

  fx_link_info (e->ctr, tap, &tap_mtu, &flags, alias, kind);
  (void) snprintf (want_alias, sizeof (want_alias), "runvm:%s", ifname);
  cr_assert_eq (tap_mtu, mtu);
  cr_assert (flags & IFF_UP);
  cr_assert_str_eq (alias, want_alias);
  cr_assert_str_eq (kind, "tun");
  cr_assert_eq (fx_addr_count (e->ctr, tap, AF_UNSPEC), 0, "the tap has an address of its own");
  cr_assert_eq (fx_addr_count (e->ctr, ifname, AF_INET), 1, "the interface keeps its address");

  memset (&ifr, 0, sizeof (ifr));
  cr_assert_eq (ioctl (l->tap_fd, TUNGETIFF, &ifr), 0);
  cr_assert_str_eq (ifr.ifr_name, tap);
  cr_assert_eq (ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
  cr_assert (fcntl (l->tap_fd, F_GETFD) & FD_CLOEXEC);
  if (access ("/dev/vhost-net", F_OK) == 0)
    cr_assert_geq (l->vhost_fd, 0);
  else
    cr_assert_eq (l->vhost_fd, -1);

  cr_assert (fx_has_ingress_qdisc (e->ctr, ifname));
  cr_assert (fx_has_ingress_qdisc (e->ctr, tap));
  cr_assert_eq (fx_redirect_target (e->ctr, ifname, NET_TC_PRIO), l->tap_ifindex);
  cr_assert_eq (fx_redirect_target (e->ctr, tap, NET_TC_PRIO), l->ifindex);
}

Test (net_attach, makes_taps_qdiscs_and_filters)
{
  struct env e = env_new (true);
  struct net_config *c = scan (e.ctr);
  struct net_attachment *a;
  struct net_qemu_nic *nics;
  size_t n;

  cr_assert_eq (c->n_interfaces, 2);
  a = attach (e.ctr, c);
  cr_assert_eq (a->n_links, 2);
  assert_link_attached (&e, &a->links[0], "eth0", "tap0_eth0", 1450, CTR_MAC);
  assert_link_attached (&e, &a->links[1], "eth1", "tap1_eth1", 9000, CTR_MAC1);

  net_qemu_nics (a, &nics, &n);
  cr_assert_eq (n, 2);
  cr_assert_str_eq (nics[0].id, "net0");
  cr_assert_str_eq (nics[1].id, "net1");
  cr_assert_eq (nics[0].tap_fd, a->links[0].tap_fd);
  cr_assert_eq (nics[1].tap_fd, a->links[1].tap_fd);
  cr_assert_eq (nics[0].vhost_fd, a->links[0].vhost_fd);
  cr_assert_str_eq (nics[0].mac, CTR_MAC);
  cr_assert_str_eq (nics[1].mac, CTR_MAC1);
  cr_assert_eq (nics[0].mtu, 1450);
  cr_assert_eq (nics[1].mtu, 9000);
  free (nics);

  detach (e.ctr, a);
  assert_clean (e.ctr, "eth0", "tap0_eth0");
  assert_clean (e.ctr, "eth1", "tap1_eth1");
  net_config_free (c);
  env_free (&e);
}

Test (net_attach, redirects_frames_both_ways_per_interface)
{
  struct env e = env_new (true);
  struct net_config *c = scan (e.ctr);
  struct net_attachment *a = attach (e.ctr, c);
  _cleanup_close_ int h0 = fx_packet_socket (e.host, "veth-h0");
  _cleanup_close_ int h1 = fx_packet_socket (e.host, "veth-h1");
  unsigned char frame[256], got[256];
  char h0_mac[18], h1_mac[18];
  size_t len;

  fx_link_mac (e.host, "veth-h0", h0_mac);
  fx_link_mac (e.host, "veth-h1", h1_mac);

  /* Guest -> host: what QEMU writes into tap0 leaves through eth0 and
   * arrives at its peer, and only there.  */
  len = test_frame (frame, h0_mac, CTR_MAC, "guest-to-host-0");
  tap_write (a->links[0].tap_fd, frame, len);
  cr_assert_eq (fx_read_frame (h0, 0, 3000, match_payload, "guest-to-host-0", got, sizeof (got)), (long) len);
  cr_assert_eq (memcmp (got, frame, len), 0);
  cr_assert_eq (fx_read_frame (h1, 0, 300, match_payload, "guest-to-host-0", got, sizeof (got)), -1);

  len = test_frame (frame, h1_mac, CTR_MAC1, "guest-to-host-1");
  tap_write (a->links[1].tap_fd, frame, len);
  cr_assert_eq (fx_read_frame (h1, 0, 3000, match_payload, "guest-to-host-1", got, sizeof (got)), (long) len);

  /* Host -> guest: what arrives at eth1 is read from tap1, not tap0.  */
  len = test_frame (frame, CTR_MAC1, h1_mac, "host-to-guest-1");
  cr_assert_eq (write (h1, frame, len), (ssize_t) len);
  cr_assert_eq (fx_read_frame (a->links[1].tap_fd, VNET_HDR_LEN, 3000, match_payload, "host-to-guest-1", got,
                               sizeof (got)),
                (long) len);
  cr_assert_eq (memcmp (got, frame, len), 0);
  cr_assert_eq (fx_read_frame (a->links[0].tap_fd, VNET_HDR_LEN, 300, match_payload, "host-to-guest-1", got,
                               sizeof (got)),
                -1);

  len = test_frame (frame, CTR_MAC, h0_mac, "host-to-guest-0");
  cr_assert_eq (write (h0, frame, len), (ssize_t) len);
  cr_assert_eq (fx_read_frame (a->links[0].tap_fd, VNET_HDR_LEN, 3000, match_payload, "host-to-guest-0", got,
                               sizeof (got)),
                (long) len);

  detach (e.ctr, a);
  net_config_free (c);
  env_free (&e);
}

/* The host resolves the container's address and sends it a datagram; the
 * "guest" behind the tap answers the ARP request with the interface's MAC
 * and gets the datagram.  The namespace's own stack, which still holds the
 * address, never sees the request and never answers it.  */
Test (net_attach, guest_takes_the_interface_place)
{
  struct env e = env_new (false);
  struct net_config *c = scan (e.ctr);
  struct net_attachment *a = attach (e.ctr, c);
  _cleanup_close_ int watch = fx_packet_socket (e.host, "veth-h0");
  _cleanup_close_ int udp = fx_udp_socket (e.host, NULL, 0);
  int tap = a->links[0].tap_fd;
  struct arp_match request = { .op = 1, .tpa = "10.88.0.5" }, reply = { .op = 2, .spa = "10.88.0.5" };
  struct udp_match datagram = { .port = 4789, .payload = "hello, guest" };
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (4789) };
  unsigned char got[2048];
  struct arp_ipv4 req, ans;
  long n;

  inet_pton (AF_INET, "10.88.0.5", &to.sin_addr);
  cr_assert_eq (
      sendto (udp, datagram.payload, strlen (datagram.payload), 0, (struct sockaddr *) &to, sizeof (to)),
      (ssize_t) strlen (datagram.payload));

  n = fx_read_frame (tap, VNET_HDR_LEN, 5000, match_arp, &request, got, sizeof (got));
  cr_assert_geq (n, (long) sizeof (req), "no ARP request reached the tap");
  memcpy (&req, got, sizeof (req));

  memset (&ans, 0, sizeof (ans));
  memcpy (ans.eth_dst, req.sha, 6);
  fx_mac_parse (CTR_MAC, ans.eth_src);
  ans.ethertype = htons (ETH_P_ARP);
  ans.htype = htons (1);
  ans.ptype = htons (ETH_P_IP);
  ans.hlen = 6;
  ans.plen = 4;
  ans.op = htons (2);
  memcpy (ans.sha, ans.eth_src, 6);
  memcpy (ans.spa, req.tpa, 4);
  memcpy (ans.tha, req.sha, 6);
  memcpy (ans.tpa, req.spa, 4);
  tap_write (tap, (unsigned char *) &ans, sizeof (ans));

  n = fx_read_frame (tap, VNET_HDR_LEN, 5000, match_udp, &datagram, got, sizeof (got));
  cr_assert_gt (n, 0, "the datagram did not follow the ARP reply");
  {
    unsigned char mac[6];
    fx_mac_parse (CTR_MAC, mac);
    cr_assert_eq (memcmp (got, mac, 6), 0, "the datagram is not for the interface's MAC");
  }

  /* On the wire: our answer, and no other.  */
  cr_assert_gt (fx_read_frame (watch, 0, 2000, match_arp, &reply, got, sizeof (got)), 0);
  cr_assert_eq (fx_read_frame (watch, 0, 1000, match_arp, &reply, got, sizeof (got)), -1,
                "the namespace's stack answered ARP as well");

  detach (e.ctr, a);
  net_config_free (c);
  env_free (&e);
}

static void
assert_namespace_gets_traffic (struct env *e, uint16_t port)
{
  _cleanup_close_ int server = fx_udp_socket (e->ctr, "10.88.0.5", port);
  _cleanup_close_ int client = fx_udp_socket (e->host, NULL, 0);
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (port) };
  struct pollfd p = { .fd = server, .events = POLLIN };
  char buf[64];
  int i;

  inet_pton (AF_INET, "10.88.0.5", &to.sin_addr);
  /* A few tries: the first datagram may wait for ARP.  */
  for (i = 0; i < 10; i++)
    {
      cr_assert_eq (sendto (client, "back", 4, 0, (struct sockaddr *) &to, sizeof (to)), 4);
      if (poll (&p, 1, 500) == 1)
        break;
    }
  cr_assert_eq (recv (server, buf, sizeof (buf), 0), 4, "the namespace's stack gets no traffic");
}

Test (net_detach, gives_the_interface_back)
{
  struct env e = env_new (false);
  struct net_config *c = scan (e.ctr);
  size_t links = fx_link_count (e.ctr);

  detach (e.ctr, attach (e.ctr, c));
  assert_clean (e.ctr, "eth0", "tap0_eth0");
  cr_assert_eq (fx_link_count (e.ctr), links);
  cr_assert_eq (fx_addr_count (e.ctr, "eth0", AF_INET), 1);
  assert_namespace_gets_traffic (&e, 5000);
  cr_assert_eq (cleanup (e.ctr), 0, "nothing was left for net_cleanup");
  net_config_free (c);
  env_free (&e);
}

/* An ingress qdisc and filter that were there before (a CNI plugin's)
 * stay, through detach and through crash cleanup alike.  */
Test (net_detach, keeps_someone_elses_qdisc_and_filters)
{
  struct env e = env_new (false);
  struct net_config *c = scan (e.ctr);
  struct net_attachment *a;
  _cleanup_close_ int h0 = fx_packet_socket (e.host, "veth-h0");
  unsigned char frame[256], got[256];
  char h0_mac[18];
  size_t len, theirs;

  fx_foreign_filter (e.ctr, "eth0", 1);
  theirs = fx_ingress_filters (e.ctr, "eth0", 1);
  cr_assert_gt (theirs, 0);

  a = attach (e.ctr, c);
  cr_assert_not (a->links[0].created_qdisc);
  fx_link_mac (e.host, "veth-h0", h0_mac);
  len = test_frame (frame, CTR_MAC, h0_mac, "through-their-qdisc");
  cr_assert_eq (write (h0, frame, len), (ssize_t) len);
  cr_assert_gt (fx_read_frame (a->links[0].tap_fd, VNET_HDR_LEN, 3000, match_payload, "through-their-qdisc",
                               got, sizeof (got)),
                0);
  detach (e.ctr, a);
  cr_assert (fx_has_ingress_qdisc (e.ctr, "eth0"));
  cr_assert_eq (fx_ingress_filters (e.ctr, "eth0", 1), theirs);
  cr_assert_eq (fx_ingress_filters (e.ctr, "eth0", NET_TC_PRIO), 0);

  a = attach (e.ctr, c);
  net_attachment_free (a); /* the monitor crashes */
  cr_assert_eq (cleanup (e.ctr), 1);
  cr_assert (fx_has_ingress_qdisc (e.ctr, "eth0"));
  cr_assert_eq (fx_ingress_filters (e.ctr, "eth0", 1), theirs);
  cr_assert_eq (fx_ingress_filters (e.ctr, "eth0", NET_TC_PRIO), 0);
  net_config_free (c);
  env_free (&e);
}

/* The monitor and QEMU die: the taps go with their fds, the interface's
 * redirect stays and swallows its traffic until delete runs net_cleanup,
 * which finds it with no memory of the attachment.  */
Test (net_cleanup, after_a_crash)
{
  struct env e = env_new (true);
  struct net_config *c = scan (e.ctr);

  net_attachment_free (attach (e.ctr, c));
  cr_assert_not (fx_link_exists (e.ctr, "tap0_eth0"));
  cr_assert_not (fx_link_exists (e.ctr, "tap1_eth1"));
  cr_assert_gt (fx_ingress_filters (e.ctr, "eth0", NET_TC_PRIO), 0);
  cr_assert_gt (fx_ingress_filters (e.ctr, "eth1", NET_TC_PRIO), 0);

  cr_assert_eq (cleanup (e.ctr), 2);
  assert_clean (e.ctr, "eth0", "tap0_eth0");
  assert_clean (e.ctr, "eth1", "tap1_eth1");
  assert_namespace_gets_traffic (&e, 5001);
  cr_assert_eq (cleanup (e.ctr), 0);
  net_config_free (c);
  env_free (&e);
}

/* A process that outlived the monitor still holds a tap: net_cleanup
 * deletes it anyway.  */
Test (net_cleanup, removes_a_tap_still_held)
{
  struct env e = env_new (false);
  struct net_config *c = scan (e.ctr);
  struct net_attachment *a = attach (e.ctr, c);
  _cleanup_close_ int held = dup (a->links[0].tap_fd);

  cr_assert_geq (held, 0);
  net_attachment_free (a);
  cr_assert (fx_link_exists (e.ctr, "tap0_eth0"));
  cr_assert_eq (cleanup (e.ctr), 2);
  assert_clean (e.ctr, "eth0", "tap0_eth0");
  net_config_free (c);
  env_free (&e);
}

Test (net_attach, loopback_only_namespace_changes_nothing)
{
  _cleanup_close_ int ns = fx_netns_new ();
  struct net_config *c = scan (ns);
  struct net_attachment *a;
  struct net_qemu_nic *nics = (void *) 1;
  size_t links = fx_link_count (ns), n = 99;

  a = attach (ns, c);
  cr_assert_eq (a->n_links, 0);
  cr_assert_eq (fx_link_count (ns), links);
  net_qemu_nics (a, &nics, &n);
  cr_assert_null (nics);
  cr_assert_eq (n, 0);
  detach (ns, a);
  cr_assert_eq (cleanup (ns), 0);
  net_config_free (c);

  /* No namespace at all: the same, and nothing is entered.  */
  c = scan (-1);
  a = attach (-1, c);
  cr_assert_eq (a->n_links, 0);
  detach (-1, a);
  cr_assert_eq (cleanup (-1), 0);
  net_config_free (c);
}

Test (net_attach, refuses_the_host_and_a_missing_namespace)
{
  struct net_interface itf = { .name = "eth0", .ifindex = 2, .mac = CTR_MAC, .mtu = 1500 };
  struct net_config c = { .interfaces = &itf, .n_interfaces = 1 };
  _cleanup_error_ rv_error_t err = NULL;
  struct net_attachment *a = NULL;
  int host = open ("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);

  cr_assert_eq (net_attach (-1, &c, &a, &err), -EINVAL);
  cr_assert_null (a);
  if (host < 0)
    {
      struct stat st;
      host = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
      if (fstat (host, &st) < 0 || st.st_ino != 0xEFFFFFF9U)
        {
          close (host);
          cr_skip_test ("the host's network namespace cannot be told apart here");
        }
    }
  cr_assert_eq (net_attach (host, &c, &a, &err), -EPERM);
  cr_assert_null (a);
  cr_assert (strstr (err->msg, "host") != NULL, "%s", err->msg);
  close (host);
}

/* A failure on the second interface undoes the first.  */
Test (net_attach, failure_leaves_nothing)
{
  struct env e = env_new (false);
  struct net_config *c = scan (e.ctr);
  _cleanup_error_ rv_error_t err = NULL;
  struct net_attachment *a = NULL;
  size_t links = fx_link_count (e.ctr);

  c->interfaces = xreallocarray (c->interfaces, 2, sizeof (*c->interfaces));
  memset (&c->interfaces[1], 0, sizeof (c->interfaces[1]));
  memcpy (c->interfaces[1].name, "ghost0", 7);
  c->interfaces[1].ifindex = 9999;
  memcpy (c->interfaces[1].mac, CTR_MAC1, sizeof (CTR_MAC1));
  c->interfaces[1].mtu = 1500;
  c->n_interfaces = 2;

  cr_assert_eq (net_attach (e.ctr, c, &a, &err), -ENODEV);
  cr_assert_null (a);
  cr_assert (strstr (err->msg, "`ghost0`") != NULL, "%s", err->msg);
  assert_clean (e.ctr, "eth0", "tap0_eth0");
  cr_assert_eq (fx_link_count (e.ctr), links);
  net_config_free (c);
  env_free (&e);
}

/* A second VM in the same namespace (a pod's second container) gets
 * nothing, and the first keeps its interface.  */
Test (net_attach, an_interface_serves_one_vm)
{
  struct env e = env_new (false);
  struct net_config *c = scan (e.ctr), *again;
  struct net_attachment *a = attach (e.ctr, c), *b = NULL;
  _cleanup_error_ rv_error_t err = NULL;

  again = scan (e.ctr);
  cr_assert_eq (again->n_interfaces, 0);
  cr_assert_eq (again->n_claimed, 1);
  net_config_free (again);

  cr_assert_eq (net_attach (e.ctr, c, &b, &err), -EBUSY);
  cr_assert_null (b);
  cr_assert_eq (fx_redirect_target (e.ctr, "eth0", NET_TC_PRIO), a->links[0].tap_ifindex);
  detach (e.ctr, a);
  assert_clean (e.ctr, "eth0", "tap0_eth0");
  net_config_free (c);
  env_free (&e);
}

Test (net_attach, cuts_long_names_to_fit)
{
  _cleanup_close_ int ctr = fx_netns_new (), host = fx_netns_new ();
  struct net_config *c;
  struct net_attachment *a;
  uint32_t mtu;
  unsigned flags;
  char alias[256], kind[32];

  fx_veth (ctr, "abcdefghijklmno", NULL, 0, host, "veth-h0");
  c = scan (ctr);
  a = attach (ctr, c);
  cr_assert_str_eq (a->links[0].tap, "tap0_abcdefghij");
  fx_link_info (ctr, "tap0_abcdefghij", &mtu, &flags, alias, kind);
  cr_assert_str_eq (alias, "runvm:abcdefghijklmno");
  detach (ctr, a);
  assert_clean (ctr, "abcdefghijklmno", "tap0_abcdefghij");
  net_config_free (c);
}

/* A clsact qdisc (eBPF-based plugins) is not supported: attach says so
 * and leaves nothing.  */
Test (net_attach, clsact_is_refused_cleanly)
{
  struct env e = env_new (false);
  struct net_config *c = scan (e.ctr);
  _cleanup_error_ rv_error_t err = NULL;
  struct net_attachment *a = NULL;

  fx_clsact (e.ctr, "eth0");
  cr_assert_eq (net_attach (e.ctr, c, &a, &err), -EOPNOTSUPP);
  cr_assert_null (a);
  cr_assert_str_eq (err->msg,
                    "attach the container's network: interface `eth0` has a `clsact` qdisc where runvm "
                    "needs an ingress qdisc");
  cr_assert_not (fx_link_exists (e.ctr, "tap0_eth0"));
  cr_assert_eq (fx_ingress_filters (e.ctr, "eth0", NET_TC_PRIO), 0);
  net_config_free (c);
  env_free (&e);
}
