"""containerd (through ctr) driving the runtime under test.

A containerd of our own runs for the whole engine: config.toml under
<workdir>/ctd puts root, state, temp and the gRPC/ttrpc sockets there and
drops the CRI plugin.  Containers run in the namespace "rve2e", so their
cgroups are /rve2e/<id>.  The runc shim (io.containerd.runc.v2) gets the
runtime as its BinaryName (`ctr run --runc-binary`) and a root of its own
(`--runc-root`); the shim always passes --root, --log and --log-format
json, and deletes with `delete` then `delete --force`.  The legacy v1 shim
takes the runtime from config.toml instead.

containerd 1.6 puts shim sockets in /run/containerd/s whatever its
configuration says; the host checks expect that directory empty (and
remove it when it was not there before).
"""

import os

import hoststate
from engine import T_CMD, T_QUICK, T_START, Engine, registry
from harness import Failure, Proc, expect_eq, expect_in, expect_rc, run

IMAGE = "localhost/rve2e-busybox:latest"
NAMESPACE = "rve2e"
V2 = "io.containerd.runc.v2"
V1 = "io.containerd.runtime.v1.linux"

CASES = []
case = registry("containerd", CASES)

OUT_ERR_EXIT = "echo to-stdout; echo to-stderr >&2; exit 3"
TRAPS = 'trap "echo got-USR1" USR1; trap "echo got-TERM; exit 42" TERM; echo ready; while :; do sleep 0.1; done'


class Containerd(Engine):
    name = "containerd"
    short = "ctd"
    binaries = ("containerd", "ctr", "containerd-shim-runc-v2")

    def setup(self):
        d = self.dir
        self.sock = os.path.join(d, "c.sock")
        self.runc_root = os.path.join(d, "rr")
        self.v1_root = os.path.join(d, "v1root")
        self.fifo = os.path.join(d, "fifo")
        for sub in ("root", "state", "tmp", "rr", "v1root", "fifo"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        config = os.path.join(d, "config.toml")
        with open(config, "w") as f:
            f.write(
                "\n".join(
                    [
                        "version = 2",
                        'root = "%s"' % os.path.join(d, "root"),
                        'state = "%s"' % os.path.join(d, "state"),
                        'temp = "%s"' % os.path.join(d, "tmp"),
                        "disabled_plugins = [%s]"
                        % ", ".join(
                            '"%s"' % p
                            for p in (
                                "io.containerd.grpc.v1.cri",
                                "io.containerd.snapshotter.v1.aufs",
                                "io.containerd.snapshotter.v1.btrfs",
                                "io.containerd.snapshotter.v1.devmapper",
                                "io.containerd.snapshotter.v1.zfs",
                                "io.containerd.tracing.processor.v1.otlp",
                                "io.containerd.internal.v1.tracing",
                            )
                        ),
                        "[grpc]",
                        '  address = "%s"' % self.sock,
                        "[ttrpc]",
                        '  address = "%s.ttrpc"' % self.sock,
                        '[plugins."io.containerd.runtime.v1.linux"]',
                        '  runtime = "%s"' % self.rt.path,
                        '  runtime_root = "%s"' % self.v1_root,
                        "",
                    ]
                )
            )
        self.daemon = self.start_daemon(
            ["containerd", "--config", config, "--log-level", "info"],
            "containerd.log",
            lambda: os.path.exists(self.sock) and self.ctr(["version"], timeout=10).rc == 0,
        )
        plugins = self.ctr(["plugins", "ls"], timeout=T_QUICK, check=True).out
        self.have_v1 = any(
            line.split()[:2] == ["io.containerd.runtime.v1", "linux"] and line.split()[-1] == "ok"
            for line in plugins.splitlines()
            if line.strip()
        )
        self.ctr(["images", "import", self.suite.docker_archive], timeout=T_QUICK, check=True)

    def ctr(self, args, timeout=T_CMD, input=None, check=False):
        return run(["ctr", "--address", self.sock, "--namespace", NAMESPACE] + list(args), timeout=timeout, input=input, check=check)

    def spawn(self, args):
        return Proc(["ctr", "--address", self.sock, "--namespace", NAMESPACE] + list(args))

    def runc_opts(self):
        return ["--runc-binary", self.rt.path, "--runc-root", self.runc_root, "--fifo-dir", self.fifo]

    def new_id(self):
        return self.track(self.unique("ctr"))

    def leftover_containers(self):
        res = self.ctr(["containers", "list", "-q"], timeout=T_QUICK)
        return res.out.split()

    def remove_leftovers(self):
        for cid in self.leftover_containers():
            self.ctr(["task", "kill", "-s", "SIGKILL", cid], timeout=T_QUICK)
            self.ctr(["task", "delete", "-f", cid], timeout=T_QUICK)
            self.ctr(["containers", "delete", cid], timeout=T_QUICK)

    def runtime_roots(self):
        return [os.path.join(self.runc_root, NAMESPACE), os.path.join(self.v1_root, NAMESPACE)]

    def cgroup_parents(self):
        return [NAMESPACE]

    def teardown(self):
        leaks = []
        if getattr(self, "daemon", None) is not None:
            left = self.leftover_containers()
            if left:
                leaks.append("containerd still has containers: " + " ".join(left))
                self.remove_leftovers()
            leaks += self.stop_daemon(self.daemon, "containerd")
        for path in hoststate.remove_cgroup_parent(NAMESPACE):
            leaks.append("cgroup left: " + path)
        return leaks


@case("run-exit-code", "ctr run --runc-binary: stdout and stderr kept apart, exit code 3")
def run_exit_code(c):
    res = c.ctr(["run", "--rm"] + c.runc_opts() + [IMAGE, c.new_id(), "sh", "-c", OUT_ERR_EXIT])
    expect_rc(res, 3)
    expect_eq("stdout", res.out, "to-stdout\n")
    expect_in("stderr", "to-stderr", res.err)


@case("runc-v2-lifecycle", "--runtime io.containerd.runc.v2 + BinaryName: exec, a trapped signal, SIGTERM's exit code")
def runc_v2_lifecycle(c):
    cid = c.new_id()
    proc = c.spawn(["run", "--rm", "--runtime", V2] + c.runc_opts() + [IMAGE, cid, "sh", "-c", TRAPS])
    try:
        proc.wait_output("ready", T_START)
        res = c.ctr(["task", "exec", "--fifo-dir", c.fifo, "--exec-id", "e2e-exec", cid, "sh", "-c", "echo in-exec; exit 5"])
        expect_rc(res, 5)
        expect_eq("exec stdout", res.out, "in-exec\n")
        expect_rc(c.ctr(["task", "kill", "-s", "SIGUSR1", cid], timeout=T_QUICK), 0)
        proc.wait_output("got-USR1", 60)
        tasks = c.ctr(["task", "list"], timeout=T_QUICK, check=True).out
        if not any(line.split()[:1] == [cid] and "RUNNING" in line for line in tasks.splitlines()):
            raise Failure("task not RUNNING after SIGUSR1:\n" + tasks)
        expect_rc(c.ctr(["task", "kill", "-s", "SIGTERM", cid], timeout=T_QUICK), 0)
        rc = proc.finish(T_CMD)
    finally:
        proc.kill()
    expect_in("ctr run output", "got-TERM", proc.out)
    expect_eq("exit status of ctr run", rc, 42)


@case("run-killed", "ctr task kill -s SIGKILL: ctr run exits 137")
def run_killed(c):
    cid = c.new_id()
    proc = c.spawn(["run", "--rm"] + c.runc_opts() + [IMAGE, cid, "sh", "-c", "echo ready; exec sleep 1000"])
    try:
        proc.wait_output("ready", T_START)
        expect_rc(c.ctr(["task", "kill", "-s", "SIGKILL", cid], timeout=T_QUICK), 0)
        rc = proc.finish(T_CMD)
    finally:
        proc.kill()
    expect_eq("exit status of ctr run", rc, 137)


@case("v1-shim", "legacy shim io.containerd.runtime.v1.linux, runtime from config.toml: output and exit code")
def v1_shim(c):
    if not c.have_v1:
        raise Failure("containerd did not load the io.containerd.runtime.v1.linux plugin; see " + c.log_tail("containerd.log"))
    res = c.ctr(["run", "--rm", "--runtime", V1, "--fifo-dir", c.fifo, IMAGE, c.new_id(), "sh", "-c", OUT_ERR_EXIT])
    expect_rc(res, 3)
    expect_eq("stdout", res.out, "to-stdout\n")
    expect_in("stderr", "to-stderr", res.err)

