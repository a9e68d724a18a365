/* net_scan, net_agent_json and the namespace helpers, against private
 * network namespaces (tests/net/fixture.h).  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "common/utils.h"
#include "tests/net/fixture.h"
#include "vm/net.h"

static const struct net_route *
find_route (const struct net_config *c, int family, const char *dest, unsigned len)
{
  size_t i;

  for (i = 0; i < c->n_routes; i++)
    if (c->routes[i].family == family && strcmp (c->routes[i].dest, dest) == 0
        && c->routes[i].dest_prefixlen == len)
      return &c->routes[i];
  return NULL;
}

static struct net_config *
scan (int ns)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct net_config *c = NULL;
  int r = net_scan (ns, &c, &err);
  cr_assert_eq (r, 0, "net_scan: %s", err ? err->msg : "?");
  return c;
}

/* A container namespace as docker and podman leave it: eth0 with an IPv4
 * and an IPv6 address, default routes, and a few more routes.  */
Test (net_scan, lists_interface_addresses_and_routes)
{
  _cleanup_close_ int ctr = fx_netns_new (), host = fx_netns_new ();
  struct net_config *c;
  const struct net_interface *itf;
  const struct net_route *rt;
  size_t i;

  fx_veth (ctr, "eth0", "02:42:ac:11:00:05", 1450, host, "veth-h0");
  fx_addr (ctr, "eth0", "10.88.0.5/16");
  fx_addr (ctr, "eth0", "10.88.7.7/16"); /* a secondary */
  fx_addr (ctr, "eth0", "fd00:88::5/64");
  fx_addr (ctr, "eth0", "fe80::1234/64"); /* not derived from the MAC: kept */
  fx_route (ctr, "default", "10.88.0.1", "eth0", 0);
  fx_route (ctr, "192.168.50.0/24", "10.88.0.254", "eth0", 7);
  fx_route (ctr, "10.99.0.0/16", NULL, "eth0", 0);
  fx_route (ctr, "default6", "fd00:88::1", "eth0", 1024);
  fx_link_up (ctr, "lo");

  c = scan (ctr);
  cr_assert_not (c->no_netns);
  cr_assert_not (c->host_netns);
  cr_assert_eq (c->n_claimed, 0);
  cr_assert_eq (c->n_interfaces, 1);
  itf = &c->interfaces[0];
  cr_assert_str_eq (itf->name, "eth0");
  cr_assert_eq (itf->ifindex, fx_ifindex (ctr, "eth0"));
  cr_assert_str_eq (itf->mac, "02:42:ac:11:00:05");
  cr_assert_eq (itf->mtu, 1450);
  cr_assert_eq (itf->n_addrs, 4, "addresses: %zu", itf->n_addrs);
  cr_assert_eq (itf->addrs[0].family, AF_INET);
  cr_assert_str_eq (itf->addrs[0].addr, "10.88.0.5");
  cr_assert_eq (itf->addrs[0].prefixlen, 16);
  cr_assert_str_eq (itf->addrs[1].addr, "10.88.7.7");
  for (i = 2; i < 4; i++)
    cr_assert_eq (itf->addrs[i].family, AF_INET6);
  cr_assert (
      (strcmp (itf->addrs[2].addr, "fd00:88::5") == 0 && strcmp (itf->addrs[3].addr, "fe80::1234") == 0)
          || (strcmp (itf->addrs[3].addr, "fd00:88::5") == 0
              && strcmp (itf->addrs[2].addr, "fe80::1234") == 0),
      "IPv6: %s %s", itf->addrs[2].addr, itf->addrs[3].addr);
  cr_assert_eq (itf->addrs[2].prefixlen, 64);
  cr_assert_eq (itf->addrs[3].prefixlen, 64);

  /* The kernel's own routes (10.88.0.0/16, fd00:88::/64, fe80::/64) are
   * left to the guest's kernel.  */
  cr_assert_eq (c->n_routes, 4, "routes: %zu", c->n_routes);
  cr_assert_str_eq (c->routes[0].dest, "10.99.0.0", "on-link routes come first");
  rt = find_route (c, AF_INET, "10.99.0.0", 16);
  cr_assert_not_null (rt);
  cr_assert_str_eq (rt->gateway, "");
  cr_assert_str_eq (rt->device, "eth0");
  rt = find_route (c, AF_INET, "0.0.0.0", 0);
  cr_assert_not_null (rt);
  cr_assert_str_eq (rt->gateway, "10.88.0.1");
  cr_assert_str_eq (rt->device, "eth0");
  cr_assert_eq (rt->metric, 0);
  rt = find_route (c, AF_INET, "192.168.50.0", 24);
  cr_assert_not_null (rt);
  cr_assert_str_eq (rt->gateway, "10.88.0.254");
  cr_assert_eq (rt->metric, 7);
  rt = find_route (c, AF_INET6, "::", 0);
  cr_assert_not_null (rt);
  cr_assert_str_eq (rt->gateway, "fd00:88::1");
  cr_assert_eq (rt->metric, 1024);
  net_config_free (c);
}

Test (net_scan, skips_down_bridged_and_loopback_interfaces)
{
  _cleanup_close_ int ctr = fx_netns_new (), host = fx_netns_new ();
  struct net_config *c;

  fx_link_up (ctr, "lo");
  fx_veth (ctr, "eth0", NULL, 0, host, "veth-h0");
  fx_veth (ctr, "port0", NULL, 0, host, "veth-h1");
  fx_bridge (ctr, "br0", "port0");
  c = scan (ctr);
  cr_assert_eq (c->n_interfaces, 1);
  cr_assert_str_eq (c->interfaces[0].name, "eth0");
  net_config_free (c);
}

Test (net_scan, skips_interfaces_that_are_down)
{
  _cleanup_close_ int ctr = fx_netns_new (), host = fx_netns_new ();
  struct net_config *c;

  fx_veth (ctr, "eth0", NULL, 0, host, "veth-h0");
  fx_veth (ctr, "eth1", NULL, 0, host, "veth-h1");
  fx_link_down (ctr, "eth1");
  c = scan (ctr);
  cr_assert_eq (c->n_interfaces, 1);
  cr_assert_str_eq (c->interfaces[0].name, "eth0");
  cr_assert_eq (c->n_routes, 0);
  net_config_free (c);
}

Test (net_scan, loopback_only_namespace_is_empty)
{
  _cleanup_close_ int ns = fx_netns_new ();
  struct net_config *c;

  c = scan (ns);
  cr_assert_eq (c->n_interfaces, 0);
  cr_assert_eq (c->n_routes, 0);
  cr_assert_not (c->no_netns);
  cr_assert_not (c->host_netns);
  net_config_free (c);

  fx_link_up (ns, "lo");
  c = scan (ns);
  cr_assert_eq (c->n_interfaces, 0);
  cr_assert_eq (c->n_routes, 0);
  net_config_free (c);
}

Test (net_scan, no_namespace_is_empty_and_touches_nothing)
{
  struct net_config *c = scan (-1);
  cr_assert (c->no_netns);
  cr_assert_eq (c->n_interfaces, 0);
  cr_assert_eq (c->n_routes, 0);
  net_config_free (c);
}

/* The host's namespace: PID 1's where it can be read, else this process's
 * when it is the kernel's initial one.  */
static int
open_host_netns (void)
{
  int fd = open ("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
  struct stat st;

  if (fd >= 0)
    return fd;
  fd = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  cr_assert_geq (fd, 0);
  cr_assert_eq (fstat (fd, &st), 0);
  if (st.st_ino != 0xEFFFFFF9U)
    {
      close (fd);
      return -1;
    }
  return fd;
}

Test (net_scan, host_namespace_is_empty)
{
  _cleanup_close_ int fd = open_host_netns ();
  _cleanup_error_ rv_error_t err = NULL;
  struct net_config *c;
  bool host = false;

  if (fd < 0)
    cr_skip_test ("the host's network namespace cannot be told apart here");
  cr_assert_eq (net_netns_is_host (fd, &host, &err), 0);
  cr_assert (host);
  c = scan (fd);
  cr_assert (c->host_netns);
  cr_assert_eq (c->n_interfaces, 0);
  cr_assert_eq (c->n_routes, 0);
  net_config_free (c);
}

Test (net_netns, private_namespace_is_not_the_host)
{
  _cleanup_close_ int ns = fx_netns_new ();
  _cleanup_error_ rv_error_t err = NULL;
  bool host = true;

  cr_assert_eq (net_netns_is_host (ns, &host, &err), 0);
  cr_assert_not (host);
}

Test (net_netns, rejects_what_is_not_a_network_namespace)
{
  _cleanup_close_ int fd = open ("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int file = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  _cleanup_error_ rv_error_t err = NULL;
  struct net_config *c = NULL;
  bool host;

  cr_assert_geq (fd, 0);
  cr_assert_eq (net_netns_is_host (fd, &host, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "not a network namespace");
  cr_assert_lt (net_netns_is_host (file, &host, &err), 0);
  cr_assert_lt (net_scan (fd, &c, &err), 0);
  cr_assert_null (c);
  cr_assert (str_has_prefix (err->msg, "scan the container's network: "), "%s", err->msg);
}

struct where
{
  struct stat st;
};

static int
where_am_i (void *data, rv_error_t *err)
{
  struct where *w = data;
  if (stat ("/proc/thread-self/ns/net", &w->st) < 0)
    return rv_error_make (err, errno, "stat");
  return 0;
}

static int
fail_with_enoent (void *data, rv_error_t *err)
{
  (void) data;
  return rv_error_set (err, ENOENT, "nothing here");
}

Test (net_netns, runs_in_the_namespace_and_leaves_the_caller_alone)
{
  _cleanup_close_ int ns = fx_netns_new ();
  _cleanup_error_ rv_error_t err = NULL;
  struct stat target, before, after;
  struct where w;

  cr_assert_eq (fstat (ns, &target), 0);
  cr_assert_eq (stat ("/proc/thread-self/ns/net", &before), 0);
  cr_assert_eq (net_in_netns (ns, where_am_i, &w, &err), 0);
  cr_assert_eq (w.st.st_ino, target.st_ino);
  cr_assert_eq (stat ("/proc/thread-self/ns/net", &after), 0);
  cr_assert_eq (after.st_ino, before.st_ino);
  cr_assert_neq (after.st_ino, target.st_ino);

  cr_assert_eq (net_in_netns (ns, fail_with_enoent, NULL, &err), -ENOENT);
  cr_assert_str_eq (err->msg, "nothing here");
}

/* ---- the agent's description ------------------------------------------- */

Test (net_agent_json, matches_the_network_call)
{
  struct net_address a0[] = { { AF_INET, "10.88.0.5", 16 }, { AF_INET6, "fd00::5", 64 } };
  struct net_address a1[] = { { AF_INET, "192.168.1.2", 24 } };
  struct net_interface itf[] = {
    { .name = "eth0", .ifindex = 2, .mac = "02:42:ac:11:00:05", .mtu = 1500, .addrs = a0, .n_addrs = 2 },
    { .name = "net1", .ifindex = 3, .mac = "0a:00:00:00:00:01", .mtu = 9000, .addrs = a1, .n_addrs = 1 },
  };
  struct net_route rt[] = {
    { .family = AF_INET, .dest = "10.99.0.0", .dest_prefixlen = 16, .gateway = "", .device = "net1" },
    { .family = AF_INET, .dest = "0.0.0.0", .dest_prefixlen = 0, .gateway = "10.88.0.1", .device = "eth0" },
    { .family = AF_INET6,
      .dest = "::",
      .dest_prefixlen = 0,
      .gateway = "fd00::1",
      .device = "eth0",
      .metric = 1024 },
  };
  struct net_config c = { .interfaces = itf, .n_interfaces = 2, .routes = rt, .n_routes = 3 };
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *json = NULL;
  size_t len = 0;

  cr_assert_eq (net_agent_json (&c, &json, &len, &err), 0);
  cr_assert_eq (len, strlen (json));
  cr_assert_str_eq (json,
                    "{\"interfaces\":["
                    "{\"match_mac\":\"02:42:ac:11:00:05\",\"name\":\"eth0\",\"mtu\":1500,"
                    "\"addresses\":[\"10.88.0.5/16\",\"fd00::5/64\"]},"
                    "{\"match_mac\":\"0a:00:00:00:00:01\",\"name\":\"net1\",\"mtu\":9000,"
                    "\"addresses\":[\"192.168.1.2/24\"]}],"
                    "\"routes\":["
                    "{\"dest\":\"10.99.0.0/16\",\"device\":\"net1\",\"metric\":0},"
                    "{\"dest\":\"default\",\"gateway\":\"10.88.0.1\",\"device\":\"eth0\",\"metric\":0},"
                    "{\"dest\":\"default6\",\"gateway\":\"fd00::1\",\"device\":\"eth0\",\"metric\":1024}]}");
}

Test (net_agent_json, empty_config_configures_nothing)
{
  struct net_config c = { 0 };
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *json = NULL;

  cr_assert_eq (net_agent_json (&c, &json, NULL, &err), 0);
  cr_assert_str_eq (json, "{\"interfaces\":[],\"routes\":[]}");
}

/* What a scan gives is what the agent reads back.  */
Test (net_agent_json, from_a_scan)
{
  _cleanup_close_ int ctr = fx_netns_new (), host = fx_netns_new ();
  _cleanup_error_ rv_error_t err = NULL;
  _cleanup_free_ char *json = NULL;
  const char *ifaces_path[] = { "interfaces", NULL };
  const char *routes_path[] = { "routes", NULL };
  const char *mac_path[] = { "match_mac", NULL };
  const char *dest_path[] = { "dest", NULL };
  const char *gw_path[] = { "gateway", NULL };
  char errbuf[256];
  struct net_config *c;
  yajl_val tree, ifaces, routes, v;

  fx_veth (ctr, "eth0", "02:42:ac:11:00:07", 0, host, "veth-h0");
  fx_addr (ctr, "eth0", "172.17.0.7/16");
  fx_route (ctr, "default", "172.17.0.1", "eth0", 0);
  c = scan (ctr);
  cr_assert_eq (net_agent_json (c, &json, NULL, &err), 0);
  net_config_free (c);

  tree = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  cr_assert_not_null (tree, "%s", errbuf);
  ifaces = yajl_tree_get (tree, ifaces_path, yajl_t_array);
  routes = yajl_tree_get (tree, routes_path, yajl_t_array);
  cr_assert_not_null (ifaces);
  cr_assert_not_null (routes);
  cr_assert_eq (YAJL_GET_ARRAY (ifaces)->len, 1);
  v = yajl_tree_get (YAJL_GET_ARRAY (ifaces)->values[0], mac_path, yajl_t_string);
  cr_assert_str_eq (YAJL_GET_STRING (v), "02:42:ac:11:00:07");
  cr_assert_eq (YAJL_GET_ARRAY (routes)->len, 1);
  v = yajl_tree_get (YAJL_GET_ARRAY (routes)->values[0], dest_path, yajl_t_string);
  cr_assert_str_eq (YAJL_GET_STRING (v), "default");
  v = yajl_tree_get (YAJL_GET_ARRAY (routes)->values[0], gw_path, yajl_t_string);
  cr_assert_str_eq (YAJL_GET_STRING (v), "172.17.0.1");
  yajl_tree_free (tree);
}
