"""podman driving the runtime under test.

podman is configured entirely by files under <workdir>/pm: containers.conf
(via CONTAINERS_CONF) declares the runtime by absolute path twice, once
under a name listed in runtime_supports_json and runtime_supports_nocgroup
and once under a name listed in neither, because podman passes
`--log-format=json --log FILE` and `--cgroup-manager` only to the former;
storage.conf (via CONTAINERS_STORAGE_CONF) puts graphroot and runroot there;
the network config directory holds one bridge network with a bridge name
and subnet of its own, made the default network.

podman does not pass --root to the runtime, so the runtime keeps its state
in its default root; the checks after each case look there for the
case's container ids only.  (`--runtime-flag root=...` would isolate it,
but podman's cleanup process does not pass runtime flags and so leaves
the state behind.)
"""

import hashlib
import json
import os
import time

import image
from engine import T_CMD, T_QUICK, T_START, Engine, ensure_no_link, expect_netns_clean, free_port, hold_netns, http_get_poll, registry
from harness import Failure, Proc, PtySession, expect_eq, expect_in, expect_rc, poll, run

IMAGE = "localhost/rve2e-busybox:latest"
NETWORK = "rve2e"
BRIDGE = "rve2e-pm0"
SUBNET = "10.213.7.0/24"
GATEWAY = "10.213.7.1"
DNS_SERVER = "192.0.2.54"
DNS_SEARCH = "pm.e2e.example"
DNS_OPTION = "ndots:4"

CASES = []
case = registry("podman", CASES)


def toml_list(items):
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


class Podman(Engine):
    name = "podman"
    short = "pm"
    binaries = ("podman", "conmon")
    bridges = (BRIDGE,)
    subnets = (SUBNET,)

    def setup(self):
        ensure_no_link(BRIDGE)
        for d in ("root", "run", "tmp", "networks", "volumes"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        self.rt_json = self.rt.name
        self.rt_plain = self.rt.name + "-nojson"
        with open(os.path.join(self.dir, "storage.conf"), "w") as f:
            f.write(
                '[storage]\ndriver = "overlay"\nrunroot = "%s"\ngraphroot = "%s"\n'
                % (os.path.join(self.dir, "run"), os.path.join(self.dir, "root"))
            )
        self.write_network()
        # Without CAP_SYS_RESOURCE, runc and crun cannot give a container
        # more than the host's hard limits; podman's defaults ask for more.
        # Only the case about those defaults uses them then.
        self.conf = os.path.join(self.dir, "containers.conf")
        self.conf_defaults = os.path.join(self.dir, "containers-default-ulimits.conf")
        ok, _ = self.rt.has("rlimits-above-host")
        self.ulimits = [] if ok else host_ulimits()
        self.write_conf(self.conf, self.ulimits)
        self.write_conf(self.conf_defaults, [])
        self.env = dict(os.environ)
        self.env["CONTAINERS_CONF"] = self.conf
        self.env["CONTAINERS_STORAGE_CONF"] = os.path.join(self.dir, "storage.conf")
        self.env_defaults = dict(self.env, CONTAINERS_CONF=self.conf_defaults)

        info = self.podman(["info", "--format", "json"], timeout=T_QUICK, check=True)
        host = json.loads(info.out)["host"]
        got = host.get("ociRuntime", {}).get("path")
        if got != self.rt.path:
            raise Failure("podman uses runtime %s, expected %s" % (got, self.rt.path))
        if host.get("networkBackend") != "netavark":
            raise Failure("podman's network backend is %s, expected netavark" % host.get("networkBackend"))
        self.podman(
            ["import", "--change", "CMD=/bin/sh", self.suite.rootfs_tar, IMAGE], timeout=T_QUICK, check=True
        )

    def write_network(self):
        # podman 4.3 cannot name the bridge at `network create`; write the
        # netavark network definition directly.
        net = {
            "name": NETWORK,
            "id": hashlib.sha256(NETWORK.encode()).hexdigest(),
            "driver": "bridge",
            "network_interface": BRIDGE,
            "created": "2000-01-01T00:00:00Z",
            "subnets": [{"subnet": SUBNET, "gateway": GATEWAY}],
            "ipv6_enabled": False,
            "internal": False,
            "dns_enabled": False,
            "ipam_options": {"driver": "host-local"},
        }
        with open(os.path.join(self.dir, "networks", NETWORK + ".json"), "w") as f:
            json.dump(net, f, indent=1)

    def write_conf(self, path, ulimits):
        d = self.dir
        text = [
            "[containers]",
            "dns_servers = %s" % toml_list([DNS_SERVER]),
            "dns_searches = %s" % toml_list([DNS_SEARCH]),
            "dns_options = %s" % toml_list([DNS_OPTION]),
        ]
        if ulimits:
            text.append("default_ulimits = %s" % toml_list(ulimits))
        text += [
            "",
            "[network]",
            'network_backend = "netavark"',
            "network_config_dir = %s" % json.dumps(os.path.join(d, "networks")),
            "default_network = %s" % json.dumps(NETWORK),
            "",
            "[engine]",
            "runtime = %s" % json.dumps(self.rt_json),
            'cgroup_manager = "cgroupfs"',
            'events_logger = "file"',
            "events_logfile_path = %s" % json.dumps(os.path.join(d, "events.log")),
            "tmp_dir = %s" % json.dumps(os.path.join(d, "tmp")),
            "volume_path = %s" % json.dumps(os.path.join(d, "volumes")),
            "runtime_supports_json = %s" % toml_list([self.rt_json]),
            "runtime_supports_nocgroup = %s" % toml_list([self.rt_json]),
            "",
            "[engine.runtimes]",
            "%s = %s" % (json.dumps(self.rt_json), toml_list([self.rt.path])),
            "%s = %s" % (json.dumps(self.rt_plain), toml_list([self.rt.path])),
            "",
        ]
        with open(path, "w") as f:
            f.write("\n".join(text))

    # Commands.  The configuration files already say all of this; the
    # flags are there as a user of an isolated podman would give them.
    def argv(self, args):
        return [
            "podman",
            "--root", os.path.join(self.dir, "root"),
            "--runroot", os.path.join(self.dir, "run"),
            "--cgroup-manager", "cgroupfs",
        ] + list(args)  # fmt: skip

    def podman(self, args, timeout=T_CMD, input=None, env=None, check=False):
        return run(self.argv(args), timeout=timeout, input=input, env=env or self.env, check=check)

    def spawn(self, args, env=None):
        return Proc(self.argv(args), env=env or self.env)

    def cidfile(self):
        path = os.path.join(self.dir, "tmp", "%s.cid" % self.unique("cid"))
        self.cidfiles.append(path)
        return ["--cidfile", path]

    def begin_case(self, case):
        super().begin_case(case)
        self.cidfiles = []

    def collect_ids(self):
        for path in self.cidfiles:
            try:
                with open(path) as f:
                    self.track(f.read())
            except OSError:
                pass

    def start_detached(self, args, network="none"):
        res = self.podman(["run", "-d", "--network", network] + self.cidfile() + list(args), timeout=T_CMD)
        expect_rc(res, 0)
        return self.track(res.out.strip().splitlines()[-1])

    def logs(self, cid):
        res = self.podman(["logs", cid], timeout=T_QUICK)
        expect_rc(res, 0)
        return res

    def wait_log(self, cid, text, timeout=T_START):
        return poll("%r in the logs of %s" % (text, cid[:12]), lambda: text in self.logs(cid).out, timeout)

    def inspect(self, cid, fmt):
        res = self.podman(["inspect", "--format", fmt, cid], timeout=T_QUICK)
        expect_rc(res, 0)
        return res.out.strip()

    # Bookkeeping.
    def leftover_containers(self):
        self.collect_ids()
        res = self.podman(["ps", "-a", "--format", "{{.ID}} {{.Names}} {{.Status}}"], timeout=T_QUICK)
        return [line for line in res.out.splitlines() if line.strip()]

    def remove_leftovers(self):
        self.podman(["rm", "-a", "-f", "-t", "0"], timeout=T_CMD)

    def runtime_roots(self):
        self.collect_ids()
        return [None]

    def cgroup_parents(self):
        return ["libpod_parent"]

    def owns_cgroup(self, parent, child):
        return any(cid in child for cid in self.case_ids)

    def teardown(self):
        leaks = []
        res = self.podman(["ps", "-a", "-q"], timeout=T_QUICK)
        if res.out.strip():
            leaks.append("podman still has containers: " + " ".join(res.out.split()))
            self.podman(["rm", "-a", "-f", "-t", "0"], timeout=T_CMD)
        return leaks


def host_ulimits():
    """ulimits podman can hand to a runtime that sets rlimits on this host:
    the hard limits its children inherit (podman lowers RLIMIT_NPROC to
    kernel.pid_max)."""
    import resource

    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            pid_max = int(f.read())
        if nproc == resource.RLIM_INFINITY or nproc > pid_max:
            nproc = pid_max
    except OSError:
        pass
    return ["nofile=%d:%d" % (nofile, nofile), "nproc=%d:%d" % (nproc, nproc)]


# ---------------------------------------------------------------------------
# Cases

OUT_ERR_EXIT = "echo to-stdout; echo to-stderr >&2; exit 3"


@case("run-exit-code", "run --rm: stdout and stderr kept apart, exit code 3")
def run_exit_code(p):
    res = p.podman(["run", "--rm", "--network", "none"] + p.cidfile() + [IMAGE, "sh", "-c", OUT_ERR_EXIT])
    expect_rc(res, 3)
    expect_eq("stdout", res.out, "to-stdout\n")
    expect_in("stderr", "to-stderr", res.err)


@case("run-killed", "run --rm: the workload killed by SIGKILL (podman kill) makes podman run exit 137")
def run_killed(p):
    name = p.unique()
    proc = p.spawn(["run", "--rm", "--name", name, "--network", "none"] + p.cidfile() + [IMAGE, "sh", "-c", "echo ready; exec sleep 1000"])
    try:
        proc.wait_output("ready", T_START)
        expect_rc(p.podman(["kill", name], timeout=T_QUICK), 0)
        rc = proc.finish(T_CMD)
    finally:
        proc.kill()
    expect_eq("exit status of podman run", rc, 137)


@case("run-missing-executable", "run: a missing executable exits 127 and the error names it")
def run_missing(p):
    res = p.podman(["run", "--rm", "--network", "none"] + p.cidfile() + [IMAGE, "/no/such/program"])
    expect_rc(res, 127)
    expect_in("podman's error", "/no/such/program", res.err)


@case("run-not-executable", "run: a file that is not executable exits 126")
def run_not_executable(p):
    res = p.podman(["run", "--rm", "--network", "none"] + p.cidfile() + [IMAGE, "/etc/passwd"])
    expect_rc(res, 126)


@case("nojson-run", "runtime not in runtime_supports_json: run --rm output and exit code, missing executable 127")
def nojson_run(p):
    base = ["run", "--rm", "--runtime", p.rt_plain, "--network", "none"]
    res = p.podman(base + p.cidfile() + [IMAGE, "sh", "-c", OUT_ERR_EXIT])
    expect_rc(res, 3)
    expect_eq("stdout", res.out, "to-stdout\n")
    expect_in("stderr", "to-stderr", res.err)
    res = p.podman(base + p.cidfile() + [IMAGE, "/no/such/program"])
    expect_rc(res, 127)
    expect_in("podman's error", "/no/such/program", res.err)


@case("run-tty", "run -it: a real terminal; typed input reaches the shell, a resize shows in `stty size`, exit code")
def run_tty(p):
    sess = PtySession(p.argv(["run", "-it", "--rm", "--network", "none"] + p.cidfile() + [IMAGE, "sh"]), env=p.env, rows=24, cols=80)
    try:
        sess.expect(r"# $|# ", T_START)
        sess.send("stty size\r")
        sess.expect(r"\b24 80\b", 30)
        sess.resize(40, 132)

        def resized():
            sess.send("stty size\r")
            try:
                return sess.expect(r"\b40 132\b", 3)
            except Failure:
                return None

        poll("the new window size inside the container", resized, 30, interval=0)
        sess.send('read line; echo "got:$line"\r')
        sess.send("typed-input\r")
        sess.expect(r"got:typed-input", 30)
        sess.send("exit 5\r")
        rc = sess.wait(T_CMD)
    finally:
        sess.close()
    expect_eq("exit status of podman run -it", rc, 5)


@case("detached-exec-rm", "-d: logs keep stdout and stderr apart; exec plain, with stdin, exit code, missing executable, -it; rm -f while running")
def detached_exec_rm(p):
    cid = p.start_detached([IMAGE, "sh", "-c", "echo to-stdout; echo to-stderr >&2; exec sleep 1000"])
    p.wait_log(cid, "to-stdout")
    logs = p.logs(cid)
    expect_in("podman logs stdout", "to-stdout", logs.out)
    expect_in("podman logs stderr", "to-stderr", logs.err)
    if "to-stderr" in logs.out:
        raise Failure("stderr of the container came out on stdout of podman logs: %r" % logs.out)

    res = p.podman(["exec", cid, "echo", "exec-output"])
    expect_rc(res, 0)
    expect_eq("exec stdout", res.out, "exec-output\n")
    expect_rc(p.podman(["exec", cid, "sh", "-c", "exit 7"]), 7)
    res = p.podman(["exec", cid, "/no/such/program"])
    expect_rc(res, 127)
    expect_in("podman's error", "/no/such/program", res.err)
    res = p.podman(["exec", "-i", cid, "sh", "-c", "cat; echo eof-seen"], input="line-one\nline-two\n")
    expect_rc(res, 0)
    expect_eq("exec -i stdout (stdin copied, then EOF)", res.out, "line-one\nline-two\neof-seen\n")

    sess = PtySession(p.argv(["exec", "-it", cid, "sh", "-c", "stty size; tty; exit 4"]), env=p.env, rows=30, cols=100)
    try:
        sess.expect(r"\b30 100\b", T_START)
        sess.expect(r"/dev/pts/\d+", 30)
        rc = sess.wait(T_CMD)
    finally:
        sess.close()
    expect_eq("exit status of podman exec -it", rc, 4)

    res = p.podman(["rm", "-f", "-t", "2", cid])
    expect_rc(res, 0)
    res = p.podman(["container", "exists", cid], timeout=T_QUICK)
    expect_eq("`podman container exists` after rm -f", res.rc, 1)


TRAPS = 'trap "echo got-USR1" USR1; trap "echo got-TERM; exit 42" TERM; echo ready; while :; do sleep 0.1; done'


@case("kill-and-stop", "kill -s USR1 reaches the workload's trap; stop sends SIGTERM and keeps the handler's exit code")
def kill_and_stop(p):
    cid = p.start_detached([IMAGE, "sh", "-c", TRAPS])
    p.wait_log(cid, "ready")
    expect_rc(p.podman(["kill", "-s", "USR1", cid], timeout=T_QUICK), 0)
    p.wait_log(cid, "got-USR1", timeout=60)
    expect_eq("State.Running after USR1", p.inspect(cid, "{{.State.Running}}"), "true")
    start = time.monotonic()
    expect_rc(p.podman(["stop", "-t", "60", cid]), 0)
    took = time.monotonic() - start
    if took > 50:
        raise Failure("stop took %.1fs: SIGTERM did not reach the trap, the kill after the timeout did" % took)
    expect_eq("exit code", p.inspect(cid, "{{.State.ExitCode}}"), "42")
    expect_in("logs", "got-TERM", p.logs(cid).out)
    expect_rc(p.podman(["rm", cid], timeout=T_QUICK), 0)


@case("stop-timeout", "stop -t 3: a workload that ignores SIGTERM is killed after the timeout (exit 137)")
def stop_timeout(p):
    cid = p.start_detached([IMAGE, "sh", "-c", 'trap "" TERM; echo ready; while :; do sleep 0.1; done'])
    p.wait_log(cid, "ready")
    start = time.monotonic()
    expect_rc(p.podman(["stop", "-t", "3", cid]), 0)
    took = time.monotonic() - start
    if took < 2.5:
        raise Failure("stop returned after %.1fs; the workload ignores SIGTERM, so it should take the 3s timeout" % took)
    expect_eq("exit code", p.inspect(cid, "{{.State.ExitCode}}"), "137")
    expect_rc(p.podman(["rm", cid], timeout=T_QUICK), 0)


def ticks(p, cid):
    return p.logs(cid).out.count("tick ")


@case("pause-unpause", "pause freezes the workload (its counter stops), unpause resumes it")
def pause_unpause(p):
    cid = p.start_detached([IMAGE, "sh", "-c", 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'])
    poll("the counter to advance", lambda: ticks(p, cid) >= 3, T_START)
    expect_rc(p.podman(["pause", cid], timeout=T_QUICK), 0)
    expect_eq("podman status", p.inspect(cid, "{{.State.Status}}"), "paused")
    expect_eq("runtime status", p.rt.state(cid).get("status"), "paused")
    time.sleep(1)  # output already written may still be on its way
    n1 = ticks(p, cid)
    time.sleep(2)
    n2 = ticks(p, cid)
    if n2 != n1:
        raise Failure("the counter advanced from %d to %d while paused" % (n1, n2))
    expect_rc(p.podman(["unpause", cid], timeout=T_QUICK), 0)
    poll("the counter to advance after unpause", lambda: ticks(p, cid) > n2, 60)
    expect_eq("podman status", p.inspect(cid, "{{.State.Status}}"), "running")
    expect_rc(p.podman(["rm", "-f", "-t", "0", cid]), 0)


@case("default-ulimits", "podman's default ulimits (RLIMIT_NOFILE 1048576) are what the workload gets", needs=("rlimits-above-host",))
def default_ulimits(p):
    env = p.env_defaults
    res = p.podman(["create", "--network", "none"] + p.cidfile() + [IMAGE, "sh", "-c",
                   "echo nofile $(ulimit -S -n) $(ulimit -H -n); echo nproc $(ulimit -S -u) $(ulimit -H -u)"], env=env)
    expect_rc(res, 0)
    cid = p.track(res.out.strip().splitlines()[-1])
    want = {}
    for u in json.loads(p.podman(["inspect", "--format", "{{json .HostConfig.Ulimits}}", cid], env=env, check=True).out) or []:
        want[u["Name"]] = (u["Soft"], u["Hard"])
    if "RLIMIT_NOFILE" not in want:
        raise Failure("podman set no RLIMIT_NOFILE: %r" % want)
    res = p.podman(["start", "-a", cid], env=env)
    p.podman(["rm", "-f", "-t", "0", cid], env=env)
    expect_rc(res, 0)
    got = {}
    for line in res.out.splitlines():
        words = line.split()
        if len(words) == 3:
            got[words[0]] = (words[1], words[2])
    expect_eq("nofile (soft, hard)", got.get("nofile"), tuple(str(v) for v in want["RLIMIT_NOFILE"]))
    if "RLIMIT_NPROC" in want:
        expect_eq("nproc (soft, hard)", got.get("nproc"), tuple(str(v) for v in want["RLIMIT_NPROC"]))
    if want["RLIMIT_NOFILE"][1] < 1048576:
        raise Failure("podman asked for nofile %r, not its default 1048576" % (want["RLIMIT_NOFILE"],))


@case("cgroups-disabled", "--cgroups=disabled: podman passes --cgroup-manager disabled (runtime_supports_nocgroup)", needs=("cgroup-manager-flag",))
def cgroups_disabled(p):
    res = p.podman(["run", "--rm", "--cgroups=disabled", "--network", "none"] + p.cidfile() + [IMAGE, "sh", "-c", "echo no-cgroups; exit 6"])
    expect_rc(res, 6)
    expect_eq("stdout", res.out, "no-cgroups\n")


@case("net-httpd-dns", "bridge network: httpd reachable from the host (address and published port) and from a second container; DNS from containers.conf; runvm's tap and tc filter in its netns while it runs, none after rm", net=True)
def net_httpd(p):
    port = free_port()
    cid = p.start_detached(["-p", "127.0.0.1:%d:80" % port, IMAGE, "httpd", "-f", "-p", "80", "-h", "/var/www"], network=NETWORK)
    nets = json.loads(p.inspect(cid, "{{json .NetworkSettings.Networks}}"))
    addr = (nets.get(NETWORK) or {}).get("IPAddress", "")
    if not addr.startswith(SUBNET.rsplit(".", 1)[0] + "."):
        raise Failure("container address %r is not in %s" % (addr, SUBNET))
    hold = hold_netns(p, cid)
    try:
        expect_eq("from the host, by address", http_get_poll("http://%s/" % addr, T_START), image.INDEX_HTML)
        expect_eq("from the host, published port", http_get_poll("http://127.0.0.1:%d/" % port, 30), image.INDEX_HTML)
        res = p.podman(["run", "--rm"] + p.cidfile() + [IMAGE, "timeout", "60", "wget", "-q", "-O", "-", "http://%s/" % addr])
        expect_rc(res, 0)
        expect_eq("from a second container", res.out, image.INDEX_HTML)
        res = p.podman(["exec", cid, "cat", "/etc/resolv.conf"])
        expect_rc(res, 0)
        for want in ("nameserver " + DNS_SERVER, "search " + DNS_SEARCH, "options " + DNS_OPTION):
            expect_in("/etc/resolv.conf", want, res.out)
        expect_rc(p.podman(["rm", "-f", "-t", "0", cid]), 0)
        expect_netns_clean(hold)
    finally:
        hold.close()
