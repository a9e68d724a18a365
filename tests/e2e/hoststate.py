"""What the engines can leave behind on the host, and how to compare it.

A Snapshot records network links, named network namespaces, iptables
rules and a few directories engines create outside their configured
roots.  leaks() compares two snapshots; the suite takes one before any
engine starts and compares after each engine and at the end.

Engines leave some things behind by design even when every container was
removed correctly: dockerd keeps its DOCKER* chains and the bridge's NAT
rule after it stops, netavark keeps its NETAVARK_FORWARD and
NETAVARK-HOSTPORT-* chains.  Those are engine scaffolding, not leaks of
the runtime under test; the suite removes them (only those that name the
suite's own chains, bridges and subnets) and says so.  A rule that names
a single container (its address, its id) is a leak.
"""

import ipaddress
import json
import os
import re
import shlex

from harness import run

# Chains the engines under test create.
ENGINE_CHAIN_RX = re.compile(r"^(DOCKER|NETAVARK)")
IPV4_RX = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(/\d{1,2})?\b")
CONTAINER_ID_RX = re.compile(r"\b[0-9a-f]{64}\b")


# ---------------------------------------------------------------------------
# Collectors


def links():
    """name -> kind ('bridge', 'veth', ... or '' for plain devices)."""
    res = run(["ip", "-d", "-j", "link", "show"], timeout=30, check=True)
    out = {}
    for link in json.loads(res.out or "[]"):
        out[link["ifname"]] = (link.get("linkinfo") or {}).get("info_kind") or ""
    return out


def netns():
    try:
        return set(os.listdir("/run/netns"))
    except FileNotFoundError:
        return set()


def unescape_mount(field):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mounts():
    """Mount points of this mount namespace, in mount order."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split(" ")
            points.append(unescape_mount(fields[4]))
    return points


def mounts_under(prefixes):
    prefixes = [p.rstrip("/") for p in prefixes if p]
    return [m for m in mounts() if any(m == p or m.startswith(p + "/") for p in prefixes)]


def processes():
    """pid -> (ppid, state, cmdline) for every process."""
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2 :].split()
        procs[int(d)] = (int(rest[1]), rest[0], cmd or stat[stat.index("(") : stat.rindex(")") + 1])
    return procs


def descendants(root):
    """Live (non-zombie) descendants of pid root: [(pid, cmdline)]."""
    procs = processes()
    children = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    out = []
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        ppid, state, cmd = procs[pid]
        if state != "Z":
            out.append((pid, cmd))
        todo.extend(children.get(pid, []))
    return sorted(out)


def processes_mentioning(needles, exclude=()):
    """Live processes whose command line contains any of the strings."""
    needles = [n for n in needles if n]
    out = []
    for pid, (_, state, cmd) in processes().items():
        if state == "Z" or pid in exclude or pid == os.getpid():
            continue
        if any(n in cmd for n in needles):
            out.append((pid, cmd))
    return sorted(out)


def cgroup_hierarchies():
    """Mount points of every cgroup hierarchy (v1 controllers and v2)."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            if post.split(" ")[0] in ("cgroup", "cgroup2"):
                out.append(unescape_mount(pre.split(" ")[4]))
    return sorted(set(out))


def cgroup_children(parent):
    """Child cgroups of /parent in every hierarchy, as 'hierarchy/parent/child'."""
    out = []
    for h in cgroup_hierarchies():
        base = os.path.join(h, parent.strip("/"))
        try:
            for e in os.scandir(base):
                if e.is_dir(follow_symlinks=False):
                    out.append(os.path.join(base, e.name))
        except (FileNotFoundError, NotADirectoryError):
            pass
    return sorted(out)


def remove_cgroup_tree(path):
    """rmdir a cgroup and its children, deepest first; return what stayed."""
    stayed = []
    if not os.path.isdir(path):
        return stayed
    for dirpath, _, _ in os.walk(path, topdown=False):
        try:
            os.rmdir(dirpath)
        except OSError as e:
            stayed.append("%s (%s)" % (dirpath, e.strerror))
    return stayed


def remove_cgroup_parent(parent):
    """Remove /parent (which must hold no cgroup by now) in every
    hierarchy; return what stayed."""
    stayed = []
    for h in cgroup_hierarchies():
        stayed += remove_cgroup_tree(os.path.join(h, parent.strip("/")))
    return stayed


# ---------------------------------------------------------------------------
# runvm's taps and tc redirects in a container's network namespace
# (docs/networking.md: taps are tun devices `tap<N>_<if>` with the alias
# `runvm:<if>`; filters are ingress u32 filters at priority 0x5256).

RUNVM_TC_PREF = 0x5256
RUNVM_TAP_RX = re.compile(r"^tap\d+_")


class NetnsHold:
    """A container's network namespace held open by an fd of ours, so that
    it can still be looked at after the engine removed the container and
    its name for the namespace: what runvm made there must be gone by
    then, whoever removes the namespace later."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self.path = "/proc/%d/fd/%d" % (os.getpid(), self.fd)

    def same_as(self, path):
        a, b = os.fstat(self.fd), os.stat(path)
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def runvm_net(ns_path):
    """runvm's traces in the network namespace at ns_path:
    {"taps": [name], "filters": ["dev: line"], "qdiscs": [dev with an
    ingress qdisc]}, each empty when there are none."""
    enter = ["nsenter", "--net=" + ns_path]
    res = run(enter + ["ip", "-d", "-j", "link", "show"], timeout=30, check=True)
    out = {"taps": [], "filters": [], "qdiscs": []}
    for link in json.loads(res.out or "[]"):
        name = link["ifname"]
        kind = (link.get("linkinfo") or {}).get("info_kind") or ""
        if kind == "tun" and (RUNVM_TAP_RX.match(name) or (link.get("ifalias") or "").startswith("runvm:")):
            out["taps"].append(name)
            continue
        if name == "lo":
            continue
        res = run(enter + ["tc", "filter", "show", "dev", name, "ingress"], timeout=30, check=True)
        for line in res.out.splitlines():
            if re.search(r"\bpref %d\b" % RUNVM_TC_PREF, line):
                out["filters"].append("%s: %s" % (name, line.strip()))
                break
        res = run(enter + ["tc", "qdisc", "show", "dev", name], timeout=30, check=True)
        if re.search(r"^qdisc ingress ", res.out, re.M):
            out["qdiscs"].append(name)
    return out


def describe_runvm_net(found):
    parts = []
    for key in ("taps", "qdiscs", "filters"):
        if found[key]:
            parts.append("%s %s" % (key, ", ".join(found[key])))
    return "; ".join(parts) or "none"


# ---------------------------------------------------------------------------
# iptables


def parse_iptables(text):
    """iptables-save text -> {table: {'chains': {name: policy}, 'rules': [line]}}.

    Counters are dropped so that two dumps of the same rules compare equal."""
    tables = {}
    cur = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            cur = tables.setdefault(line[1:], {"chains": {}, "rules": []})
        elif line == "COMMIT":
            cur = None
        elif line.startswith(":") and cur is not None:
            parts = line[1:].split()
            cur["chains"][parts[0]] = parts[1] if len(parts) > 1 else "-"
        elif line.startswith("-A ") and cur is not None:
            cur["rules"].append(line)
    return tables


def iptables_dumps():
    """{'iptables': parsed, 'ip6tables': parsed} for the tools present."""
    out = {}
    for tool in ("iptables", "ip6tables"):
        try:
            res = run([tool + "-save"], timeout=30)
        except FileNotFoundError:
            continue
        if res.rc == 0:
            out[tool] = parse_iptables(res.out)
    return out


def diff_iptables(before, after):
    """What after adds to before: {table: {'chains': [..], 'rules': [..]}},
    and what it lost: same shape."""
    added, lost = {}, {}
    for table in sorted(set(before) | set(after)):
        b = before.get(table, {"chains": {}, "rules": []})
        a = after.get(table, {"chains": {}, "rules": []})
        remaining = list(b["rules"])
        new_rules = []
        for r in a["rules"]:
            if r in remaining:
                remaining.remove(r)
            else:
                new_rules.append(r)
        new_chains = [c for c in a["chains"] if c not in b["chains"]]
        policy = ["%s %s -> %s" % (c, b["chains"][c], p) for c, p in a["chains"].items() if c in b["chains"] and b["chains"][c] != p]
        if new_rules or new_chains or policy:
            added[table] = {"chains": new_chains, "rules": new_rules, "policy": policy}
        gone_chains = [c for c in b["chains"] if c not in a["chains"]]
        if remaining or gone_chains:
            lost[table] = {"chains": gone_chains, "rules": remaining}
    return added, lost


def rule_chain_and_target(rule):
    words = shlex.split(rule)
    chain = words[1] if len(words) > 1 else ""
    target = ""
    for i, w in enumerate(words):
        if w in ("-j", "-g", "--jump", "--goto") and i + 1 < len(words):
            target = words[i + 1]
    return chain, target


class Scope:
    """What belongs to this suite: its bridges and subnets."""

    def __init__(self, bridges=(), subnets=()):
        self.bridges = list(bridges)
        self.subnets = [ipaddress.ip_network(s) for s in subnets]

    def names_us(self, text):
        if any(re.search(r"(^|[\s!])%s(\s|$)" % re.escape(b), text) for b in self.bridges):
            return True
        return any(self._ours(ip) for ip, _ in IPV4_RX.findall(text))

    def _ours(self, ip):
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self.subnets)

    def names_a_container(self, text):
        """A rule naming one container: an address of ours that is not a
        network, gateway or broadcast address, or a container id."""
        if CONTAINER_ID_RX.search(text):
            return True
        for ip, _ in IPV4_RX.findall(text):
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                continue
            for net in self.subnets:
                if addr in net and addr not in (net.network_address, net.network_address + 1, net.broadcast_address):
                    return True
        return False


def classify_iptables(added, scope):
    """Split added rules into (leaks, scaffolding, foreign) lists of
    (tool, table, kind, text); kind is 'rule', 'chain' or 'policy'."""
    leaks, scaffolding, foreign = [], [], []
    for tool, tables in added.items():
        for table, d in tables.items():
            for chain in d["chains"]:
                item = (tool, table, "chain", chain)
                (scaffolding if ENGINE_CHAIN_RX.match(chain) else foreign).append(item)
            for rule in d["rules"]:
                item = (tool, table, "rule", rule)
                chain, target = rule_chain_and_target(rule)
                if scope.names_a_container(rule):
                    leaks.append(item)
                elif ENGINE_CHAIN_RX.match(chain) or ENGINE_CHAIN_RX.match(target) or scope.names_us(rule):
                    scaffolding.append(item)
                else:
                    foreign.append(item)
            for p in d.get("policy", []):
                foreign.append((tool, table, "policy", p))
    return leaks, scaffolding, foreign


def removal_commands(items):
    """iptables argv lists that delete the given rules and chains: rules
    first (jumps into a chain go before the chain), then flush every chain,
    then delete them."""
    cmds = []
    rules = [i for i in items if i[2] == "rule"]
    chains = [i for i in items if i[2] == "chain"]
    for tool, table, _, rule in reversed(rules):
        words = shlex.split(rule)
        cmds.append([tool, "-w", "-t", table, "-D"] + words[1:])
    for tool, table, _, chain in chains:
        cmds.append([tool, "-w", "-t", table, "-F", chain])
    for tool, table, _, chain in chains:
        cmds.append([tool, "-w", "-t", table, "-X", chain])
    return cmds


# ---------------------------------------------------------------------------
# Snapshots

# Directories engines create outside their configured roots (socket and
# plugin directories whose paths are compiled in).
ENGINE_DIRS = ["/run/containerd/s", "/run/containerd/fifo", "/run/containerd", "/run/docker/plugins", "/run/docker"]


class Snapshot:
    def __init__(self):
        self.mounts = set(mounts())
        self.links = links()
        self.netns = netns()
        self.iptables = iptables_dumps()
        self.dirs = {d for d in ENGINE_DIRS if os.path.isdir(d)}


def describe_items(items):
    return ["%s -t %s %s %s" % (tool, table, kind, text) for tool, table, kind, text in items]


def scaffolding_mount(m, watch):
    """Why mount point M is an engine's own and no leak, or None.

    - /run/netns mounted on itself: netavark (podman) and `ip netns` make
      the directory a shared mount the first time they create a named
      namespace, so that the namespaces bound there propagate; they never
      unmount it.  Only its entries (checked apart) can be leaks.
    - a watched engine directory mounted on itself, as dockerd does with
      its data root when the mount under it is not shared (a host whose /
      is private, such as a chroot or a container): dockerd bind-mounts
      the root on itself, makes it shared and unmounts it at shutdown
      only when its exec root still holds its marker."""
    if m == "/run/netns" and not os.listdir(m):
        return "netavark and ip netns make it a shared mount and leave it"
    for w in watch:
        if m == os.path.join(w, "dk", "data") and os.path.isdir(os.path.join(m, "overlay2")):
            return "dockerd's data root, made a shared mount of its own"
    return None


def compare(base, scope, watch=(), clean=True):
    """Compare the host with base; remove engine scaffolding and empty
    engine directories that base did not have.  watch lists directories
    under which no new mount may stay.  Returns (leaks, notes): leaks fail
    the suite, notes are printed."""
    leaks, notes = [], []
    now = Snapshot()

    for m in mounts_under(list(watch) + ["/run/netns"] + ENGINE_DIRS):
        if m in base.mounts:
            continue
        why = scaffolding_mount(m, watch)
        if why is None:
            leaks.append("mount left: " + m)
        elif clean:
            res = run(["umount", m], timeout=30)
            if res.rc != 0:
                leaks.append("could not unmount %s: %s" % (m, res.describe()))
            else:
                notes.append("removed engine scaffolding: mount %s (%s)" % (m, why))

    for name, kind in sorted(now.links.items()):
        if name not in base.links and kind in ("bridge", "veth"):
            leaks.append("network link %s (%s) was not there before" % (name, kind))
    for ns in sorted(now.netns - base.netns):
        leaks.append("network namespace /run/netns/%s was not there before" % ns)

    added = {}
    for tool in now.iptables:
        a, lost = diff_iptables(base.iptables.get(tool, {}), now.iptables[tool])
        if a:
            added[tool] = a
        for table, d in lost.items():
            for r in d["rules"]:
                notes.append("%s -t %s: rule gone since the start: %s" % (tool, table, r))
            for c in d["chains"]:
                notes.append("%s -t %s: chain gone since the start: %s" % (tool, table, c))
    ipt_leaks, scaffolding, foreign = classify_iptables(added, scope)
    for line in describe_items(ipt_leaks):
        leaks.append("iptables rule naming a container: " + line)
    for line in describe_items(foreign):
        notes.append("iptables change not made by this suite's engines, left alone: " + line)
    if clean and (ipt_leaks or scaffolding):
        for line in describe_items(scaffolding):
            notes.append("removed engine scaffolding: " + line)
        for cmd in removal_commands(ipt_leaks + scaffolding):
            res = run(cmd, timeout=30)
            if res.rc != 0:
                leaks.append("could not remove: " + res.describe())

    for d in ENGINE_DIRS:  # deepest first
        if d in base.dirs or not os.path.isdir(d):
            continue
        entries = os.listdir(d)
        if entries:
            leaks.append("%s holds %s" % (d, ", ".join(sorted(entries))))
        elif clean:
            os.rmdir(d)
            notes.append("removed the empty %s the engines created" % d)
    return leaks, notes
