"""Test tooling for container networking (tests/net/cli, bench/net/run):
network namespaces and veth pairs made with `ip`, as an engine makes them,
with names and subnets unique to the run.  runvm itself never runs `ip`
or `tc`; only the tests and the benchmark do.
"""

import json
import os
import socket
import subprocess
import time


class Failure(Exception):
    pass


def sh(argv, check=True, timeout=60, input=None):
    p = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       stdin=None if input is not None else subprocess.DEVNULL)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    if check and p.returncode != 0:
        raise Failure("%s: exit %d: %s" % (" ".join(argv), p.returncode, (err or out).strip()[-400:]))
    return p.returncode, out, err


def ip(*args, check=True):
    return sh(["ip"] + list(args), check=check)[1]


# ---- the host side: namespaces, veths, subnets --------------------------

class Subnets:
    """10.231.X.0/24 and fd00:231:X::/64 with an X no address of the root
    namespace uses (another run of this suite, in a chroot beside us, may
    hold some)."""

    def __init__(self):
        self.taken = set()
        self.next = os.getpid() % 200

    def get(self):
        used = ip("-4", "-o", "addr", "show")
        for _ in range(250):
            x = 1 + self.next % 250
            self.next += 1
            if x in self.taken or (" 10.231.%d." % x) in used:
                continue
            self.taken.add(x)
            return x
        raise Failure("no free subnet in 10.231.0.0/16")


class Veth:
    """One veth: host end HOST in the root namespace (10.231.X.1,
    fd00:231:X::1, no DAD), peer named IFNAME in the namespace NETNS (or in
    the root namespace when NETNS is None, for a hook to move)."""

    def __init__(self, host, peer, x, ifname="eth0", mtu=1500):
        self.host, self.peer, self.x, self.ifname, self.mtu = host, peer, x, ifname, mtu
        self.v4_host, self.v4_peer = "10.231.%d.1" % x, "10.231.%d.2" % x
        self.v6_host, self.v6_peer = "fd00:231:%d::1" % x, "fd00:231:%d::2" % x
        self.mac = None

    def create(self, netns=None, configure=True, default_route=True):
        ip("link", "add", self.host, "mtu", str(self.mtu), "type", "veth", "peer", "name", self.peer, "mtu",
           str(self.mtu))
        ip("addr", "add", self.v4_host + "/24", "dev", self.host)
        ip("-6", "addr", "add", self.v6_host + "/64", "dev", self.host, "nodad")
        ip("link", "set", self.host, "up")
        self.mac = json.loads(ip("-j", "link", "show", self.peer))[0]["address"]
        if netns is not None:
            ip("link", "set", self.peer, "netns", netns)
            if configure:
                for cmd in self.configure_cmds(default_route):
                    ip("-n", netns, *cmd)

    def configure_cmds(self, default_route=True):
        """The `ip` arguments that configure the peer inside its namespace
        (the engine's part)."""
        cmds = [("link", "set", self.peer, "name", self.ifname),
                ("addr", "add", self.v4_peer + "/24", "dev", self.ifname),
                ("-6", "addr", "add", self.v6_peer + "/64", "dev", self.ifname),
                ("link", "set", self.ifname, "up")]
        if default_route:
            cmds += [("route", "add", "default", "via", self.v4_host, "dev", self.ifname),
                     ("-6", "route", "add", "default", "via", self.v6_host, "dev", self.ifname)]
        return cmds

    def remove(self):
        sh(["ip", "link", "del", self.host], check=False)


class Netns:
    def __init__(self, name, create=True):
        self.name = name
        self.path = "/var/run/netns/" + name
        if create:
            ip("netns", "add", name)

    def ip(self, *args, check=True):
        return sh(["ip", "-n", self.name] + list(args), check=check)[1]

    def tc(self, *args):
        return sh(["tc", "-n", self.name] + list(args))[1]

    def remove(self):
        sh(["ip", "netns", "del", self.name], check=False)


# ---- TCP ----------------------------------------------------------------

def connect_retry(addr, port, deadline):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    last = None
    while time.time() < deadline:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect((addr, port))
            return s
        except OSError as e:
            last = e
            s.close()
            time.sleep(0.3)
    raise Failure("connect to %s port %d: %s" % (addr, port, last))


def recv_all(s):
    chunks = []
    while True:
        b = s.recv(1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)
