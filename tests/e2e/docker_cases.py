"""dockerd driving the runtime under test.

One dockerd runs for the whole engine with everything under <workdir>/dk:
--data-root, --exec-root, --pidfile, its API socket (-H unix://...), an
empty --config-file, and the runtime registered with --add-runtime and made
the --default-runtime.  dockerd starts a containerd of its own under the
exec root.  Container cgroups go under /rve2e-docker.

When a networking case is selected dockerd attaches containers to a bridge
the suite creates (rve2e-dk0, 10.213.8.0/24) with iptables on, and gets
--dns/--dns-search/--dns-opt to check in the container; otherwise it runs
with --bridge none --iptables=false.  Cases that do not test networking
run with --network none either way.  dockerd leaves its DOCKER* chains and
the bridge's MASQUERADE rule when it stops; the host checks remove those
and fail on any rule that names a container.

dockerd keeps the runtime's state in <exec-root>/runtime-runc/moby (for
every runc-compatible runtime, whatever its name).
"""

import glob
import json
import os
import time

import hoststate
import image
from engine import T_CMD, T_QUICK, T_START, Engine, ensure_no_link, expect_netns_clean, free_port, hold_netns, http_get_poll, registry
from harness import Failure, Proc, expect_eq, expect_in, expect_rc, poll, run

IMAGE = "rve2e-busybox:latest"
BRIDGE = "rve2e-dk0"
SUBNET = "10.213.8.0/24"
BRIDGE_ADDR = "10.213.8.1/24"
DNS_SERVER = "192.0.2.53"
DNS_SEARCH = "dk.e2e.example"
DNS_OPTION = "ndots:3"
CGROUP_PARENT = "rve2e-docker"
RESERVED_NAMES = ("runc", "io.containerd.runc.v2", "io.containerd.runtime.v1.linux")

CASES = []
case = registry("docker", CASES)

OUT_ERR_EXIT = "echo to-stdout; echo to-stderr >&2; exit 3"
TRAPS = 'trap "echo got-USR1" USR1; trap "echo got-TERM; exit 42" TERM; echo ready; while :; do sleep 0.1; done'


def docker_client():
    # The client that came with dockerd speaks its API version.
    return "/usr/bin/docker" if os.access("/usr/bin/docker", os.X_OK) else "docker"


class Docker(Engine):
    name = "docker"
    short = "dk"
    binaries = ("dockerd", "docker", "containerd", "containerd-shim-runc-v2")
    bridges = (BRIDGE,)
    subnets = (SUBNET,)

    def setup(self):
        d = self.dir
        self.daemon = None
        self.bridge_made = False
        self.sock = os.path.join(d, "docker.sock")
        self.exec_root = os.path.join(d, "x")
        self.client = docker_client()
        self.rt_name = self.rt.name if self.rt.name not in RESERVED_NAMES else "e2e-" + self.rt.name
        os.makedirs(os.path.join(d, "cli"), exist_ok=True)
        with open(os.path.join(d, "daemon.json"), "w") as f:
            f.write("{}\n")
        self.env = dict(os.environ, DOCKER_HOST="unix://" + self.sock, DOCKER_CONFIG=os.path.join(d, "cli"))
        self.net = any(c.net for c in self.selected)
        argv = [
            "dockerd",
            "--config-file", os.path.join(d, "daemon.json"),
            "--data-root", os.path.join(d, "data"),
            "--exec-root", self.exec_root,
            "--pidfile", os.path.join(d, "docker.pid"),
            "-H", "unix://" + self.sock,
            "--add-runtime", "%s=%s" % (self.rt_name, self.rt.path),
            "--default-runtime", self.rt_name,
            "--cgroup-parent", CGROUP_PARENT,
            "--storage-driver", "overlay2",
        ]  # fmt: skip
        if self.net:
            ensure_no_link(BRIDGE)
            run(["ip", "link", "add", BRIDGE, "type", "bridge"], timeout=30, check=True)
            self.bridge_made = True
            run(["ip", "addr", "add", BRIDGE_ADDR, "dev", BRIDGE], timeout=30, check=True)
            run(["ip", "link", "set", BRIDGE, "up"], timeout=30, check=True)
            argv += ["--bridge", BRIDGE, "--iptables=true"]
            argv += ["--dns", DNS_SERVER, "--dns-search", DNS_SEARCH, "--dns-opt", DNS_OPTION]
        else:
            argv += ["--bridge", "none", "--iptables=false", "--ip-masq=false", "--ip-forward=false"]
        self.daemon = self.start_daemon(
            argv, "dockerd.log", lambda: os.path.exists(self.sock) and self.docker(["version"], timeout=10).rc == 0
        )
        info = json.loads(self.docker(["info", "--format", "{{json .}}"], timeout=T_QUICK, check=True).out)
        if info.get("DefaultRuntime") != self.rt_name:
            raise Failure("dockerd's default runtime is %s, expected %s" % (info.get("DefaultRuntime"), self.rt_name))
        self.docker(["import", "--change", 'CMD ["/bin/sh"]', self.suite.rootfs_tar, IMAGE], timeout=T_QUICK, check=True)

    def docker(self, args, timeout=T_CMD, input=None, check=False):
        return run([self.client] + list(args), timeout=timeout, input=input, env=self.env, check=check)

    def spawn(self, args):
        return Proc([self.client] + list(args), env=self.env)

    def cidfile(self):
        path = os.path.join(self.dir, "cid", self.unique("cid"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
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
        res = self.docker(["run", "-d", "--network", network] + self.cidfile() + list(args))
        expect_rc(res, 0)
        return self.track(res.out.strip().splitlines()[-1])

    def logs(self, cid):
        res = self.docker(["logs", cid], timeout=T_QUICK)
        expect_rc(res, 0)
        return res

    def wait_log(self, cid, text, timeout=T_START):
        return poll("%r in the logs of %s" % (text, cid[:12]), lambda: text in self.logs(cid).out, timeout)

    def inspect(self, cid, fmt):
        res = self.docker(["inspect", "--format", fmt, cid], timeout=T_QUICK)
        expect_rc(res, 0)
        return res.out.strip()

    def leftover_containers(self):
        self.collect_ids()
        res = self.docker(["ps", "-a", "--format", "{{.ID}} {{.Names}} {{.Status}}"], timeout=T_QUICK)
        return [line for line in res.out.splitlines() if line.strip()]

    def remove_leftovers(self):
        ids = self.docker(["ps", "-a", "-q"], timeout=T_QUICK).out.split()
        if ids:
            self.docker(["rm", "-f"] + ids)

    def runtime_roots(self):
        return sorted(glob.glob(os.path.join(self.exec_root, "runtime-*", "moby")))

    def cgroup_parents(self):
        return [CGROUP_PARENT]

    def teardown(self):
        leaks = []
        if self.daemon is not None:
            left = self.leftover_containers()
            if left:
                leaks.append("dockerd still has containers: " + "; ".join(left))
                self.remove_leftovers()
            leaks += self.stop_daemon(self.daemon, "dockerd", timeout=60)
        if self.bridge_made:
            run(["ip", "link", "del", BRIDGE], timeout=30)
        for path in hoststate.remove_cgroup_parent(CGROUP_PARENT):
            leaks.append("cgroup left: " + path)
        return leaks


@case("run-exit-code", "docker run --rm: stdout and stderr kept apart, exit code 3")
def run_exit_code(k):
    name = k.unique()
    res = k.docker(["run", "--rm", "--name", name, "--network", "none"] + k.cidfile() + [IMAGE, "sh", "-c", OUT_ERR_EXIT])
    expect_rc(res, 3)
    expect_eq("stdout", res.out, "to-stdout\n")
    expect_in("stderr", "to-stderr", res.err)


@case("run-killed", "docker kill: docker run --rm of the killed workload exits 137")
def run_killed(k):
    name = k.unique()
    proc = k.spawn(["run", "--rm", "--name", name, "--network", "none"] + k.cidfile() + [IMAGE, "sh", "-c", "echo ready; exec sleep 1000"])
    try:
        proc.wait_output("ready", T_START)
        expect_rc(k.docker(["kill", name], timeout=T_QUICK), 0)
        rc = proc.finish(T_CMD)
    finally:
        proc.kill()
    expect_eq("exit status of docker run", rc, 137)


@case("detached-lifecycle", "-d: logs apart, exec (plain, stdin, exit code), kill -s USR1 reaches a trap, stop keeps the SIGTERM handler's exit code, rm")
def detached_lifecycle(k):
    cid = k.start_detached([IMAGE, "sh", "-c", "echo to-stdout; echo to-stderr >&2; " + TRAPS])
    k.wait_log(cid, "ready")
    logs = k.logs(cid)
    expect_in("docker logs stdout", "to-stdout", logs.out)
    expect_in("docker logs stderr", "to-stderr", logs.err)
    res = k.docker(["exec", cid, "echo", "exec-output"])
    expect_rc(res, 0)
    expect_eq("exec stdout", res.out, "exec-output\n")
    expect_rc(k.docker(["exec", cid, "sh", "-c", "exit 7"]), 7)
    res = k.docker(["exec", "-i", cid, "sh", "-c", "cat; echo eof-seen"], input="line-one\n")
    expect_rc(res, 0)
    expect_eq("exec -i stdout (stdin copied, then EOF)", res.out, "line-one\neof-seen\n")
    expect_rc(k.docker(["kill", "-s", "USR1", cid], timeout=T_QUICK), 0)
    k.wait_log(cid, "got-USR1", timeout=60)
    expect_eq("State.Running after USR1", k.inspect(cid, "{{.State.Running}}"), "true")
    start = time.monotonic()
    expect_rc(k.docker(["stop", "-t", "60", cid]), 0)
    if time.monotonic() - start > 50:
        raise Failure("stop waited for its timeout: SIGTERM did not reach the trap")
    expect_eq("exit code", k.inspect(cid, "{{.State.ExitCode}}"), "42")
    expect_in("logs", "got-TERM", k.logs(cid).out)
    expect_rc(k.docker(["rm", cid], timeout=T_QUICK), 0)


@case("net-httpd-dns", "bridge network (private bridge): httpd reachable from the host (address and published port) and from a second container; dockerd's DNS settings; runvm's tap and tc filter in its netns while it runs, none after rm", net=True)
def net_httpd(k):
    port = free_port()
    cid = k.start_detached(["-p", "127.0.0.1:%d:80" % port, IMAGE, "httpd", "-f", "-p", "80", "-h", "/var/www"], network="bridge")
    addr = k.inspect(cid, "{{.NetworkSettings.IPAddress}}")
    if not addr.startswith(SUBNET.rsplit(".", 1)[0] + "."):
        raise Failure("container address %r is not in %s" % (addr, SUBNET))
    hold = hold_netns(k, cid)
    try:
        expect_eq("from the host, by address", http_get_poll("http://%s/" % addr, T_START), image.INDEX_HTML)
        expect_eq("from the host, published port", http_get_poll("http://127.0.0.1:%d/" % port, 30), image.INDEX_HTML)
        name = k.unique()
        res = k.docker(["run", "--rm", "--name", name] + k.cidfile() + [IMAGE, "timeout", "60", "wget", "-q", "-O", "-", "http://%s/" % addr])
        expect_rc(res, 0)
        expect_eq("from a second container", res.out, image.INDEX_HTML)
        res = k.docker(["exec", cid, "cat", "/etc/resolv.conf"])
        expect_rc(res, 0)
        for want in ("nameserver " + DNS_SERVER, "search " + DNS_SEARCH, "options " + DNS_OPTION):
            expect_in("/etc/resolv.conf", want, res.out)
        expect_rc(k.docker(["rm", "-f", cid]), 0)
        expect_netns_clean(hold)
    finally:
        hold.close()
