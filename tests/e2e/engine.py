"""What every engine suite shares: case registration, per-case bookkeeping
and the checks run after each case."""

import os
import shutil
import signal
import socket
import time
import urllib.request

import hoststate
from harness import Failure, Proc, run

# Deadlines, generous enough for a runtime that boots a VM under TCG on a
# loaded machine; they only bound how long a failing case takes.
T_START = 120  # a container to come up (output seen, port answering)
T_CMD = 180  # one engine command (run to completion, stop, rm)
T_QUICK = 60  # engine commands that do not start a container


class Case:
    def __init__(self, engine, slug, title, fn, needs=(), net=False):
        self.engine = engine
        self.slug = slug
        self.title = title
        self.fn = fn
        self.needs = tuple(needs)
        self.net = net

    @property
    def id(self):
        return "%s/%s" % (self.engine, self.slug)


def registry(engine, cases):
    """A decorator that appends cases of engine to the list cases."""

    def case(slug, title, needs=(), net=False):
        def wrap(fn):
            cases.append(Case(engine, slug, title, fn, needs, net))
            return fn

        return wrap

    return case


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode(errors="replace")


def http_get_poll(url, timeout):
    """The body once the URL answers, or Failure."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            return http_get(url)
        except OSError as e:
            last = e
            time.sleep(0.5)
    raise Failure("%s did not answer within %ss (last error: %s)" % (url, timeout, last))


def hold_netns(eng, cid):
    """The running container's network namespace, held open (a
    hoststate.NetnsHold), after checking runvm's part in it: with runvm a
    tap, an ingress qdisc and runvm's filter on the engine's interface;
    with another runtime none of them.  The namespace is the engine's
    sandbox key when it names one, and must then be the namespace of the
    container's PID (runvm's monitor sits in it)."""
    key = eng.inspect(cid, "{{.NetworkSettings.SandboxKey}}")
    pid = eng.inspect(cid, "{{.State.Pid}}")
    by_pid = "/proc/%s/ns/net" % pid
    hold = hoststate.NetnsHold(key if key and os.path.exists(key) else by_pid)
    try:
        if not hold.same_as(by_pid):
            raise Failure("the container's PID %s is not in its sandbox's network namespace %s" % (pid, key))
        found = hoststate.runvm_net(hold.path)
        if eng.rt.kind == "runvm":
            missing = [k for k in ("taps", "qdiscs", "filters") if not found[k]]
            if missing:
                raise Failure("while the container runs, its network namespace lacks runvm's %s (it has: %s)"
                              % (", ".join(missing), hoststate.describe_runvm_net(found)))
        elif any(found.values()):
            raise Failure("runvm's traces with runtime %s: %s" % (eng.rt.kind, hoststate.describe_runvm_net(found)))
    except BaseException:
        hold.close()
        raise
    return hold


def expect_netns_clean(hold, timeout=15):
    """After the container is removed: no tap, ingress qdisc or runvm
    filter left in its namespace (held open by HOLD).  QEMU may still be
    on its way out when the engine returns: its tap goes with it."""
    found = None
    deadline = time.monotonic() + timeout
    while True:
        found = hoststate.runvm_net(hold.path)
        if not any(found.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    if any(found.values()):
        raise Failure("left in the container's network namespace after rm: " + hoststate.describe_runvm_net(found))


class Engine:
    """One engine, configured and (for daemons) started once per run.

    Subclasses fill setup(), the per-case lists of what to check, and
    teardown().  Paths live under suite.workdir/<short>, short so that the
    runtime's socket paths under the engine's roots stay usable."""

    name = "?"
    short = "?"
    binaries = ()
    bridges = ()
    subnets = ()
    # How long a process naming a finished case may take to go away.
    settle = 10

    def __init__(self, suite):
        self.suite = suite
        self.rt = suite.runtime
        self.dir = os.path.join(suite.workdir, self.short)
        self.case_ids = []
        self.seq = 0

    def missing(self):
        return [b for b in self.binaries if shutil.which(b) is None]

    def unique(self, what="c"):
        self.seq += 1
        return "rve2e-%s-%d-%d" % (what, os.getpid() % 100000, self.seq)

    def begin_case(self, case):
        self.case_ids = []

    def track(self, cid):
        cid = cid.strip()
        if cid and cid not in self.case_ids:
            self.case_ids.append(cid)
        return cid

    # What a case leaves behind.  Each returns a list of descriptions.
    def leftover_containers(self):
        return []

    def remove_leftovers(self):
        pass

    def runtime_roots(self):
        """Roots whose runtime state must not hold this case's containers;
        None stands for the runtime's default root."""
        return []

    def cgroup_parents(self):
        return []

    def end_case(self):
        """What the case left behind, as a list of descriptions.  What is
        found is also removed (best effort) so the next case starts clean."""
        problems = []
        left = self.leftover_containers()
        if left:
            problems.append("the engine still lists: " + ", ".join(left))
            self.remove_leftovers()
        self.suite.all_ids.update(self.case_ids)
        for root in self.runtime_roots():
            try:
                ids = self.rt.list_ids(root)
            except Failure as e:
                problems.append(str(e))
                continue
            mine = [i for i in ids if root is not None or i in self.case_ids]
            if mine:
                problems.append(
                    "the runtime still has state in %s for: %s" % (root or "its default root", ", ".join(mine))
                )
                for i in mine:
                    self.rt.force_delete(i, root)
        # Give a process that is on its way out (a shim, conmon) a moment.
        deadline = time.monotonic() + self.settle
        while True:
            procs = hoststate.processes_mentioning(self.case_ids)
            if not procs or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        for pid, cmd in procs:
            problems.append("process left: %d %s" % (pid, cmd[:300]))
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for parent in self.cgroup_parents():
            left = {}
            for path in hoststate.cgroup_children(parent):
                name = os.path.basename(path)
                if self.owns_cgroup(parent, name):
                    left.setdefault(name, []).append(os.path.basename(os.path.dirname(os.path.dirname(path))))
                    hoststate.remove_cgroup_tree(path)
            for name, hier in sorted(left.items()):
                problems.append("cgroup left: /%s/%s (in %s)" % (parent, name, ", ".join(sorted(hier))))
        return problems

    def owns_cgroup(self, parent, child):
        """Whether the child cgroup of parent counts as this case's."""
        return True

    # Engine lifecycle.
    def setup(self):
        raise NotImplementedError

    def teardown(self):
        """Stop what setup started; return a list of leaks."""
        return []

    # Helpers for daemons.
    def start_daemon(self, argv, logname, ready, timeout=60):
        """Start a daemon with its output in <dir>/<logname>; wait until
        ready() is true."""
        log = os.open(os.path.join(self.dir, logname), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        try:
            proc = Proc(argv, stdout_fd=log, stderr_fd=log)
        finally:
            os.close(log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.running():
                raise Failure("%s exited with %s at start; see %s" % (argv[0], proc.returncode, self.log_tail(logname)))
            if ready():
                return proc
            time.sleep(0.2)
        # SIGTERM first, so that it stops what it started.
        self.stop_daemon(proc, argv[0])
        raise Failure("%s not ready within %ss; %s" % (argv[0], timeout, self.log_tail(logname)))

    def stop_daemon(self, proc, what, timeout=30):
        """SIGTERM, then SIGKILL after timeout; returns a list of problems."""
        if proc is None or not proc.running():
            return []
        proc.signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while proc.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        if proc.running():
            proc.kill()
            return ["%s did not stop within %ss of SIGTERM (killed)" % (what, timeout)]
        return []

    def log_tail(self, logname, lines=15):
        path = os.path.join(self.dir, logname)
        try:
            with open(path, errors="replace") as f:
                tail = f.read().splitlines()[-lines:]
        except OSError:
            return path
        return "%s ends with:\n  %s" % (path, "\n  ".join(tail))


def ensure_no_link(name):
    res = run(["ip", "link", "show", name], timeout=30)
    if res.rc == 0:
        raise Failure(
            "network link %s exists already (left by an earlier run?); remove it with `ip link del %s`" % (name, name)
        )
