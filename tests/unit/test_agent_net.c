/* The `network` call, run by the agent as a host process inside a network
 * namespace of the test's own (criterion runs each test in a process of
 * its own), on a veth pair standing in for the guest's virtio-net.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "common/utils.h"
#include "tests/agent/plain_backend.h"

static struct test_agent ta;

static void
setup (void)
{
  struct nl_sock *sk;
  struct rtnl_link *v0 = NULL, *change;
  struct nl_addr *mac = NULL;

  if (unshare (CLONE_NEWNET) < 0)
    cr_skip_test ("no network namespace: %s", strerror (errno));
  sk = nl_socket_alloc ();
  cr_assert_eq (nl_connect (sk, NETLINK_ROUTE), 0);
  cr_assert_eq (rtnl_link_veth_add (sk, "v0", "v1", getpid ()), 0);
  cr_assert_eq (rtnl_link_get_kernel (sk, 0, "v0", &v0), 0);
  change = rtnl_link_alloc ();
  cr_assert_eq (nl_addr_parse ("02:00:00:00:00:05", AF_LLC, &mac), 0);
  rtnl_link_set_addr (change, mac);
  cr_assert_eq (rtnl_link_change (sk, v0, change, 0), 0);
  nl_addr_put (mac);
  rtnl_link_put (change);
  rtnl_link_put (v0);
  nl_socket_free (sk);
  test_agent_start (&ta, &plain_backend);
}

static void
teardown (void)
{
  test_agent_stop (&ta);
}

TestSuite (agent_net, .init = setup, .fini = teardown, .timeout = 30);

/* Output of an `ip` command in this namespace.  */
static char *
ip (const char *args)
{
  _cleanup_free_ char *cmd = xasprintf ("ip %s 2>&1", args);
  FILE *f = popen (cmd, "r");
  char *out = NULL;
  rv_error_t err = NULL;

  cr_assert_not_null (f);
  cr_assert_eq (read_fd (fileno (f), 1 << 20, &out, NULL, &err), 0);
  pclose (f);
  return out;
}

static void
has (const char *args, const char *want)
{
  _cleanup_free_ char *out = ip (args);
  cr_assert (strstr (out, want) != NULL, "`ip %s` lacks `%s`:\n%s", args, want, out);
}

Test (agent_net, configures_interface_addresses_and_routes)
{
  char *addrs[] = { (char *) "10.1.2.3/24", (char *) "fd00::5/64", NULL };
  struct agent_interface itf = {
    .match_mac = (char *) "02:00:00:00:00:05",
    .name = (char *) "eth0",
    .mac = (char *) "02:00:00:00:00:06",
    .mtu = 1400,
    .addresses = addrs,
  };
  struct agent_route routes[] = {
    { .dest = (char *) "default", .gateway = (char *) "10.1.2.1", .metric = 5 },
    { .dest = (char *) "default6", .gateway = (char *) "fd00::1" },
    { .dest = (char *) "192.168.7.0/24", .device = (char *) "eth0" },
  };
  struct agent_network_args args = { &itf, 1, routes, 3 };
  struct agent_conn *c = test_connect (&ta);
  rv_error_t err = NULL;

  cr_assert_eq (agent_network (c, &args, &err), 0, "%s", err ? err->msg : "");
  has ("link show lo", "UP");
  has ("link show eth0", "mtu 1400");
  has ("link show eth0", "link/ether 02:00:00:00:00:06");
  has ("link show eth0", ",UP");
  has ("-4 addr show dev eth0", "inet 10.1.2.3/24");
  has ("-6 addr show dev eth0", "inet6 fd00::5/64");
  has ("-4 route", "default via 10.1.2.1 dev eth0 metric 5");
  has ("-4 route", "192.168.7.0/24 dev eth0 scope link");
  has ("-6 route", "default via fd00::1 dev eth0");

  /* Again, now by name: what exists is replaced, nothing fails.  */
  itf.match_mac = NULL;
  itf.device = (char *) "eth0";
  itf.name = NULL;
  itf.mac = NULL;
  cr_assert_eq (agent_network (c, &args, &err), 0, "%s", err ? err->msg : "");
  agent_conn_free (c);
}

/* The guest names its NICs in device order, which need not be the order
 * of the names they must get: two NICs that swap names both get them.  */
Test (agent_net, swapped_names)
{
  struct agent_interface itfs[] = {
    { .match_mac = (char *) "02:00:00:00:00:05", .name = (char *) "v1", .mtu = 1400 },
    { .match_mac = (char *) "02:00:00:00:00:07", .name = (char *) "v0", .mtu = 1300 },
  };
  struct agent_network_args args = { itfs, 2, NULL, 0 };
  struct agent_conn *c = test_connect (&ta);
  rv_error_t err = NULL;

  free (ip ("link set v1 address 02:00:00:00:00:07"));
  cr_assert_eq (agent_network (c, &args, &err), 0, "%s", err ? err->msg : "");
  has ("link show v1", "link/ether 02:00:00:00:00:05");
  has ("link show v1", "mtu 1400");
  has ("link show v0", "link/ether 02:00:00:00:00:07");
  has ("link show v0", "mtu 1300");
  /* Again: nothing to rename, nothing fails.  */
  cr_assert_eq (agent_network (c, &args, &err), 0, "%s", err ? err->msg : "");
  has ("link show v1", ",UP");
  agent_conn_free (c);
}

/* The arguments as vm/net_agent.c writes them.  */
Test (agent_net, arguments_as_json_text)
{
  const char *args = "{\"interfaces\":[{\"match_mac\":\"02:00:00:00:00:05\",\"name\":\"eth7\",\"mtu\":1500,"
                     "\"addresses\":[\"192.168.50.2/24\"]}],\"routes\":[{\"dest\":\"default\","
                     "\"gateway\":\"192.168.50.1\",\"device\":\"eth7\",\"metric\":0}]}";
  struct agent_conn *c = test_connect (&ta);
  rv_error_t err = NULL;

  cr_assert_eq (agent_call_json (c, AGENT_CALL_NETWORK, args, NULL, 5000, &err), 0, "%s",
                err ? err->msg : "");
  has ("-4 addr show dev eth7", "inet 192.168.50.2/24");
  has ("-4 route", "default via 192.168.50.1 dev eth7");
  /* Checked before it is sent.  */
  cr_assert_eq (agent_call_json (c, AGENT_CALL_NETWORK, "{\"routes\":[{\"dest\":5}]}", NULL, 5000, &err),
                -EINVAL);
  cr_assert_str_eq (err->msg, "network.routes[0].dest: expected a string");
  rv_error_release (&err);
  cr_assert_eq (agent_call_json (c, AGENT_CALL_NETWORK, "{", NULL, 5000, &err), -EBADMSG);
  rv_error_release (&err);
  agent_conn_free (c);
}

Test (agent_net, errors_name_the_interface)
{
  struct agent_interface nomac = { .match_mac = (char *) "02:00:00:00:00:99" };
  struct agent_interface badaddr
      = { .device = (char *) "v0", .addresses = (char *[]){ (char *) "10.0.0.1", NULL } };
  struct agent_interface noname = { .device = (char *) "nope0" };
  struct agent_route badroute = { .dest = (char *) "default" };
  struct agent_conn *c = test_connect (&ta);
  rv_error_t err = NULL;

  cr_assert_eq (agent_network (c, &(struct agent_network_args){ &nomac, 1, NULL, 0 }, &err), -ENODEV);
  cr_assert_str_eq (err->msg, "network: no interface with MAC address `02:00:00:00:00:99`");
  rv_error_release (&err);
  cr_assert_eq (agent_network (c, &(struct agent_network_args){ &noname, 1, NULL, 0 }, &err), -ENODEV);
  cr_assert_str_eq (err->msg, "network: no interface `nope0`");
  rv_error_release (&err);
  cr_assert_eq (agent_network (c, &(struct agent_network_args){ &badaddr, 1, NULL, 0 }, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "network: invalid address `10.0.0.1` for `v0`: expected ADDRESS/PREFIX");
  rv_error_release (&err);
  cr_assert_eq (agent_network (c, &(struct agent_network_args){ NULL, 0, &badroute, 1 }, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "network: route `default`: needs a gateway or a device");
  rv_error_release (&err);
  agent_conn_free (c);
}
