#!/usr/bin/env python3
"""The OCI validation suite: one container per case, the checker inside
compares what it sees with the config.json that created it.

    run.py --rootfs DIR --runner "CMD [ARGS]" [--filter SUBSTR] [--keep] [-v]

CMD is run as `CMD [--no-pivot] -b BUNDLE ID`, like `runc run`; the same
cases run with build/tests/oci/lc-run (libcontainer directly), runc, or
`runvm run` with any launcher.  Each case is cases/NAME.json:

  description   what it exercises
  config        merged over the base config (dicts merge, lists replace)
  mounts_append mounts added after the base ones
  args          the process args instead of the checker
  no_pivot      pass --no-pivot
  holders       namespaces of a helper process to join by path: {holder:net}
                in the config becomes /proc/PID/ns/net ({holder:pid} is the
                pid namespace of the holder's child)
  setup, teardown  shell commands ({bundle}, {rootfs} substituted)
  expect        "pass" (default) or "fail"
  error         text the runner's stderr must contain when failing
  files         {path in bundle: text it must contain} after the run
  skip_if       "apparmor", "selinux", "no-cgroup-v1-memory"...

Output: TAP, then "N passed, N failed".  After every case the suite checks
that nothing is left: no mount of the bundle, no process inside it, no
cgroup directory.

    run.py --rootfs DIR --cli "RUNTIME [GLOBAL FLAGS]" [--vm] ...

drives a runc-compatible command line through the whole lifecycle instead
of `run`: `create --pid-file` (the pid file names the process `state`
reports, which must be alive and in linux.cgroupsPath, whose values must
be the configured ones), `state` (created), `start`, the container's
process exits (its exit status is the workload's: the suite is a child
subreaper, so it reaps that process as engines do), `state` (stopped),
`delete`, `state` (gone).  The workload's output is create's stdout.
With --vm the runtime runs containers in VMs: the namespace checks that
compare with the host's namespaces are left out (the guest has its own),
and the cases in VM_SKIP are skipped with their reason.
"""

import argparse
import copy
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# What a VM cannot do, by case: reported as skipped with the reason.
VM_SKIP = {
    "cgroup-blkio": "throttles a host block device by major:minor; the guest has block devices of its own",
    "mounts-propagation": "mount propagation does not cross between the host and the VM",
    "ns-join": "a VM cannot join namespaces of the host",
    "ns-join-mount": "a VM cannot join namespaces of the host",
    "ns-join-user": "a VM cannot join namespaces of the host",
}

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap(pid, timeout):
    """Exit status (as a shell gives it) of PID, a child of ours (we are
    a subreaper), or None after TIMEOUT seconds; other children that exit
    meanwhile are reaped too."""
    deadline = time.time() + timeout
    while True:
        try:
            got, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return None
        if got == pid:
            return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        if got == 0:
            if time.time() > deadline:
                return None
            time.sleep(0.02)


def cgroup_dirs(path):
    """The directories of cgroup PATH in every hierarchy: {name: dir}."""
    out = {}
    for h in glob.glob("/sys/fs/cgroup/*") + ["/sys/fs/cgroup"]:
        d = h + path
        if os.path.exists(d + "/cgroup.procs"):
            out[os.path.basename(h) or "unified"] = d
    return out


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def host_cgroup_checks(config, pid, vm):
    """(ok, text) pairs: linux.cgroupsPath on the host holds the configured
    values and, for a VM, the container's process (the monitor)."""
    out = []
    path = config.get("linux", {}).get("cgroupsPath")
    res = config.get("linux", {}).get("resources", {})
    if not path or not path.startswith("/"):
        return out
    dirs = cgroup_dirs(path)
    out.append((bool(dirs), "host: cgroup %s exists (%s)" % (path, ", ".join(sorted(dirs)) or "nowhere")))
    if vm:
        holds = any(str(pid) in (read(d + "/cgroup.procs") or "").split() for d in dirs.values())
        out.append((holds, "host: cgroup %s holds the container's process %d" % (path, pid)))
    mem, cpu, pids = res.get("memory", {}), res.get("cpu", {}), res.get("pids", {})
    v1 = {
        ("memory", "memory.limit_in_bytes"): mem.get("limit"),
        ("memory", "memory.soft_limit_in_bytes"): mem.get("reservation"),
        ("memory", "memory.memsw.limit_in_bytes"): mem.get("swap"),
        ("cpu", "cpu.shares"): cpu.get("shares"),
        ("cpu", "cpu.cfs_quota_us"): cpu.get("quota"),
        ("cpu", "cpu.cfs_period_us"): cpu.get("period"),
        ("pids", "pids.max"): pids.get("limit"),
        ("cpuset", "cpuset.cpus"): cpu.get("cpus"),
    }
    for (ctl, f), want in v1.items():
        if want is None:
            continue
        d = next((dirs[k] for k in dirs if ctl in k.split(",")), None)
        if d is None and "unified" in dirs and ctl in (read("/sys/fs/cgroup/cgroup.controllers") or "").split():
            d = dirs["unified"]
            f = {"memory.limit_in_bytes": "memory.max", "memory.soft_limit_in_bytes": "memory.low",
                 "pids.max": "pids.max", "cpuset.cpus": "cpuset.cpus"}.get(f)
        if d is None or f is None:
            continue
        got = read(d + "/" + f)
        if f == "pids.max" and want == -1:
            want = "max"
        out.append((got == str(want), "host: %s/%s = %s (got %s)" % (path, f, want, got)))
    return out

BASE = {
    "ociVersion": "1.2.0",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": ["/checker", "/.oci-config.json"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
        "cwd": "/",
        "capabilities": {
            "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        },
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": False},
    "hostname": "oci",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ],
    "linux": {
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        "namespaces": [{"type": t} for t in ["pid", "network", "ipc", "uts", "mount", "cgroup"]],
        "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                        "/proc/scsi"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
}

NS_PROC = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt", "user": "user",
           "cgroup": "cgroup", "time": "time"}


def merge(base, patch):
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = merge(base.get(k), v)
        return out
    return copy.deepcopy(patch)


def substitute(obj, subs):
    if isinstance(obj, str):
        # A whole "{name}" of a number stays a number (device majors...).
        if obj.startswith("{") and obj.endswith("}") and isinstance(subs.get(obj[1:-1]), int):
            return subs[obj[1:-1]]
        for k, v in subs.items():
            obj = obj.replace("{" + k + "}", str(v))
        return obj
    if isinstance(obj, list):
        return [substitute(x, subs) for x in obj]
    if isinstance(obj, dict):
        return {k: substitute(v, subs) for k, v in obj.items()}
    return obj


def ino(path):
    return str(os.stat(path).st_ino)


def lsm_enabled(name):
    if name == "apparmor":
        try:
            return open("/sys/module/apparmor/parameters/enabled").read().startswith("Y")
        except OSError:
            return False
    if name == "selinux":
        return os.path.exists("/sys/fs/selinux/enforce")
    return False


class Holder:
    """A process in new namespaces, for cases that join them by path."""

    def __init__(self, kinds):
        flags = {"net": "--net", "uts": "--uts", "ipc": "--ipc", "mnt": "--mount", "pid": "--pid",
                 "cgroup": "--cgroup", "time": "--time", "user": "--user"}
        args = ["unshare"] + [flags[k] for k in kinds]
        if "pid" in kinds:
            args += ["--fork"]
        if "user" in kinds:
            args += ["--map-root-user"]
        self.proc = subprocess.Popen(args + ["sleep", "1000"], start_new_session=True)
        self.pid = self.inner = self.proc.pid
        # Ready when the (innermost) process shows namespaces other than
        # ours for every kind: a time namespace only takes effect at the
        # exec of sleep.  With --fork the sleep is the holder's child.
        mine = {k: os.stat("/proc/self/ns/" + k).st_ino for k in kinds}
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                if "pid" in kinds:
                    kids = open("/proc/%d/task/%d/children" % (self.pid, self.pid)).read().split()
                    self.inner = int(kids[0]) if kids else self.pid
                if (self.inner != self.pid or "pid" not in kinds) and all(
                        os.stat("/proc/%d/ns/%s" % (self.inner, k)).st_ino != mine[k] for k in kinds):
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.02)

    def path(self, kind):
        return "/proc/%d/ns/%s" % (self.inner, kind)

    def stop(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()


def leftovers(bundle, config):
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if bundle in line:
                found.append("mount: " + line.split()[4])
    for d in glob.glob("/proc/[0-9]*"):
        for what in ("root", "cwd"):
            try:
                if os.readlink(d + "/" + what).startswith(bundle):
                    found.append("process %s (%s)" % (d[6:], what))
            except OSError:
                pass
    cg = config.get("linux", {}).get("cgroupsPath")
    if cg and cg.startswith("/"):
        for h in glob.glob("/sys/fs/cgroup/*") + ["/sys/fs/cgroup"]:
            if os.path.isdir(h + cg) and os.path.exists(h + cg + "/cgroup.procs"):
                found.append("cgroup " + h + cg)
    return found


def run_case(name, case, opts, counter):
    lines = []

    def emit(ok, text):
        counter[0 if ok else 1] += 1
        lines.append("%s %d - %s: %s" % ("ok" if ok else "not ok", counter[0] + counter[1], name,
                                        text.replace("\n", "\\n")))

    skip = case.get("skip_if")
    if opts.vm and name in VM_SKIP:
        counter[0] += 1
        return ["ok %d - %s # SKIP in a VM: %s" % (counter[0] + counter[1], name, VM_SKIP[name])]
    if skip in ("apparmor", "selinux") and lsm_enabled(skip):
        counter[0] += 1
        return ["ok %d - %s # SKIP %s is enabled on this host" % (counter[0] + counter[1], name, skip)]
    if skip == "no-v1-memory" and not os.path.exists("/sys/fs/cgroup/memory/cgroup.procs"):
        counter[0] += 1
        return ["ok %d - %s # SKIP no cgroup v1 memory hierarchy" % (counter[0] + counter[1], name)]
    if skip == "no-v2-memory":
        try:
            ctl = open("/sys/fs/cgroup/cgroup.controllers").read().split()
        except OSError:
            ctl = []
        if "memory" not in ctl:
            counter[0] += 1
            return ["ok %d - %s # SKIP no cgroup v2 memory controller" % (counter[0] + counter[1], name)]
    tmpdev = os.stat(opts.tmp or tempfile.gettempdir()).st_dev
    if skip == "no-block-device" and os.major(tmpdev) == 0:
        counter[0] += 1
        return ["ok %d - %s # SKIP the bundle is not on a block device" % (counter[0] + counter[1], name)]

    bundle = tempfile.mkdtemp(prefix="oci-%s-" % name, dir=opts.tmp)
    os.chmod(bundle, 0o755)
    rootfs = os.path.join(bundle, "rootfs")
    shutil.copytree(opts.rootfs, rootfs, symlinks=True)
    cid = "oci-%s-%d" % (name, os.getpid())
    holder = Holder(case["holders"]) if case.get("holders") else None
    subs = {"bundle": bundle, "rootfs": rootfs, "id": cid, "blkmajor": os.major(tmpdev),
            "blkminor": os.minor(tmpdev)}
    if holder:
        for k in case["holders"]:
            subs["holder:" + k] = holder.path(k)
    try:
        for cmd in case.get("setup", []):
            subprocess.run(substitute(cmd, subs), shell=True, check=True)
        config = merge(copy.deepcopy(BASE), case.get("config", {}))
        config["mounts"] = config.get("mounts", []) + case.get("mounts_append", [])
        config.setdefault("linux", {})["cgroupsPath"] = "/" + cid
        if "args" in case:
            config["process"]["args"] = case["args"]
        config = substitute(config, subs)
        ann = config.setdefault("annotations", {})
        # A VM's namespaces are the guest's: nothing to compare with ours.
        for t, p in NS_PROC.items():
            if os.path.exists("/proc/self/ns/" + p) and not opts.vm:
                ann["org.runvm.test.host-ns." + t] = ino("/proc/self/ns/" + p)
        for ns in config.get("linux", {}).get("namespaces", []):
            if ns.get("path") and not opts.vm:
                ann["org.runvm.test.join-ns." + ns["type"]] = ino(ns["path"])
        config["mounts"].append({"destination": "/.oci-config.json", "type": "bind",
                                 "source": os.path.join(bundle, "oci-config.json"), "options": ["bind", "ro"]})
        for f in ("config.json", "oci-config.json"):
            with open(os.path.join(bundle, f), "w") as out:
                json.dump(config, out, indent=2)

        if opts.cli:
            out, err, rc = lifecycle(opts, case, config, bundle, cid, emit)
        else:
            cmd = opts.runner.split() + (["--no-pivot"] if case.get("no_pivot") else []) + ["-b", bundle, cid]
            try:
                p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=opts.timeout)
                out = p.stdout.decode(errors="replace").replace("\r", "")
                err = p.stderr.decode(errors="replace").replace("\r", "")
                rc = p.returncode
            except subprocess.TimeoutExpired:
                out, err, rc = "", "timed out", -1
        if opts.verbose:
            sys.stderr.write("== %s: rc=%d\n%s%s\n" % (name, rc, out, err))

        if case.get("expect", "pass") == "fail":
            emit(rc != 0, "the runtime refuses it (exit %d)" % rc)
            want = case.get("error")
            if want:
                emit(want in err or want in out, "the error says `%s` (got: %s)" % (want, err.strip()[-300:]))
        else:
            tap = [l for l in out.splitlines() if re.match(r"^(not )?ok \d+ - ", l)]
            if "args" in case:
                emit(rc == case.get("exit", 0), "the workload exits %d (got %d): %s" % (case.get("exit", 0), rc,
                                                                                          (out + err).strip()[-300:]))
            else:
                if not tap:
                    emit(False, "no checker output (exit %d): %s" % (rc, (out + err).strip()[-500:]))
                for l in tap:
                    m = re.match(r"^(not )?ok \d+ - (.*)$", l)
                    emit(m.group(1) is None, m.group(2))
                if tap and rc != 0 and all(l.startswith("ok") for l in tap):
                    emit(False, "the checker passed but the runtime exited %d: %s" % (rc, err.strip()[-300:]))
        for path, text in case.get("files", {}).items():
            try:
                content = open(os.path.join(bundle, path)).read()
            except OSError as e:
                content = "(unreadable: %s)" % e
            emit(substitute(text, subs) in content, "%s has `%s` (got %r)" % (path, text, content[-300:]))
        # The case's own host mounts go first, then anything left is ours.
        for cmd in case.get("teardown", []):
            subprocess.run(substitute(cmd, subs), shell=True)
        case["teardown"] = []
        # Give the kernel a moment to finish tearing down what died.
        left = leftovers(bundle, config)
        if left:
            time.sleep(0.5)
            left = leftovers(bundle, config)
        emit(not left, "nothing left behind" + (": " + ", ".join(left) if left else ""))
    finally:
        for cmd in case.get("teardown", []):
            subprocess.run(substitute(cmd, subs), shell=True)
        if holder:
            holder.stop()
        if not opts.keep:
            subprocess.run(["rm", "-rf", bundle])
    return lines


class ConsoleSocket:
    """--console-socket: receives the pty master the runtime sends (its
    name as the message, the fd as SCM_RIGHTS) and reads it until the
    other side is gone."""

    def __init__(self, path):
        import socket
        import threading
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(300)
        self.buf = []
        self.name = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        import socket
        try:
            conn, _ = self.sock.accept()
            msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
            conn.close()
        except OSError:
            return
        if not fds:
            return
        self.name = msg.decode(errors="replace")
        master = fds[0]
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            self.buf.append(data)
        os.close(master)

    def output(self):
        self.thread.join(timeout=10)
        return b"".join(self.buf).decode(errors="replace")

    def close(self):
        self.sock.close()


def lifecycle(opts, case, config, bundle, cid, emit):
    """The case through create, state, start, exit, state, delete (see the
    module's docstring).  Returns (stdout, stderr, status) as `run` would
    give them: the workload's output and exit status, or the error of the
    verb that failed."""
    rt = opts.cli.split()
    work = tempfile.mkdtemp(prefix="lc-", dir=opts.tmp)
    pid_file = os.path.join(work, "pid")
    out_path, err_path = os.path.join(work, "out"), os.path.join(work, "err")

    def verb(*args):
        p = subprocess.run(rt + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=opts.timeout)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def state():
        rc, o, e = verb("state", cid)
        try:
            return json.loads(o) if rc == 0 else {"error": e.strip()}
        except ValueError:
            return {"error": "not JSON: " + o}

    def collected(rc, extra=""):
        o = (read(out_path) or "") + (console.output() if console else "")
        e = (read(err_path) or "") + extra
        return o.replace("\r", ""), e.replace("\r", ""), rc

    console = None
    if config.get("process", {}).get("terminal"):
        console = ConsoleSocket(os.path.join(work, "console.sock"))
    try:
        create = rt + ["create", "--pid-file", pid_file] + (["--no-pivot"] if case.get("no_pivot") else []) + (
            ["--console-socket", console.path] if console else []) + ["-b", bundle, cid]
        # The workload's stdio is create's, kept by the container's process:
        # files, so that waiting for create does not wait for the workload.
        with open(out_path, "w") as o, open(err_path, "w") as e:
            p = subprocess.Popen(create, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
            rc = reap(p.pid, opts.timeout)
            p.returncode = rc
        if rc != 0:
            left = [c for c in (verb("list", "-q")[1].split()) if c == cid]
            emit(not left and not os.path.exists(pid_file),
                 "a failed create leaves no state and no pid file (%s)" % (left or "none"))
            return collected(rc if rc is not None else -1)

        pid = int(read(pid_file) or 0)
        st = state()
        emit(st.get("status") == "created" and st.get("pid") == pid and pid > 0,
             "state after create: created, pid %d as the pid file (got %s)" % (pid, st))
        for ok, text in host_cgroup_checks(config, pid, opts.vm):
            emit(ok, text)

        rc, o, e = verb("start", cid)
        if rc != 0:
            verb("delete", "--force", cid)
            reap(pid, 30)
            return collected(rc, e)
        status = reap(pid, opts.timeout)
        if status is None:
            verb("kill", cid, "KILL")
            status = reap(pid, 30)
            emit(False, "the container's process did not exit in time")
        st = state()
        emit(st.get("status") == "stopped", "state after exit: stopped (got %s)" % st.get("status", st))
        rc, o, e = verb("delete", cid)
        emit(rc == 0, "delete after exit (%s)" % e.strip())
        st = state()
        emit("does not exist" in st.get("error", ""), "state after delete: does not exist (got %s)" % st)
        return collected(status)
    finally:
        if console:
            console.close()
        shutil.rmtree(work, ignore_errors=True)
        if cid in verb("list", "-q")[1].split():
            verb("delete", "--force", cid)


def emit_bundles(opts):
    """Writes the cases as bundles for a guest to run without Python:
    DIR/NAME/{config.json,oci-config.json,expect,setup.sh}, paths as the
    guest sees them (/b/NAME).  Cases that need the host (holders, host
    mounts) are left out unless they say how to set up in the guest."""
    names = []
    for path in sorted(glob.glob(os.path.join(opts.cases, "*.json"))):
        name = os.path.basename(path)[:-5]
        if opts.filter and not any(f in name for f in opts.filter.split(",")):
            continue
        case = json.load(open(path))
        if case.get("holders") or (case.get("setup") and "guest_setup" not in case) or case.get("skip_if") in (
                "no-v1-memory", "no-block-device", "apparmor", "selinux"):
            continue
        bundle = "/b/" + name
        subs = {"bundle": bundle, "rootfs": bundle + "/rootfs", "id": "g-" + name}
        config = merge(copy.deepcopy(BASE), case.get("config", {}))
        config["mounts"] = config.get("mounts", []) + case.get("mounts_append", [])
        config.setdefault("linux", {})["cgroupsPath"] = "/g-" + name
        if "args" in case:
            config["process"]["args"] = case["args"]
        config = substitute(config, subs)
        config["mounts"].append({"destination": "/.oci-config.json", "type": "bind",
                                 "source": bundle + "/oci-config.json", "options": ["bind", "ro"]})
        d = os.path.join(opts.emit, name)
        os.makedirs(d, exist_ok=True)
        for f in ("config.json", "oci-config.json"):
            with open(os.path.join(d, f), "w") as out:
                json.dump(config, out)
        with open(os.path.join(d, "expect"), "w") as out:
            out.write(case.get("expect", "pass") + "\n")
        with open(os.path.join(d, "setup.sh"), "w") as out:
            out.write("\n".join(substitute(c, subs) for c in case.get("guest_setup", [])) + "\n")
        names.append(name)
    print(" ".join(names))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootfs")
    ap.add_argument("--runner")
    ap.add_argument("--cli", help="a runc-compatible runtime and its global flags, driven through create, state, "
                    "start, delete instead of `run`")
    ap.add_argument("--vm", action="store_true", help="the runtime runs each container in a VM")
    ap.add_argument("--emit", help="write the cases as bundles for a guest into this directory, run nothing")
    ap.add_argument("--cases", default=os.path.join(HERE, "cases"))
    ap.add_argument("--filter", default="", help="comma-separated parts of case names")
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    opts = ap.parse_args()
    if opts.emit:
        return emit_bundles(opts)
    if not opts.rootfs or not (opts.runner or opts.cli):
        ap.error("--rootfs and --runner (or --cli) are needed to run cases")
    if opts.cli:
        become_subreaper()

    counter = [0, 0]
    for path in sorted(glob.glob(os.path.join(opts.cases, "*.json"))):
        name = os.path.basename(path)[:-5]
        if opts.filter and not any(f in name for f in opts.filter.split(",")):
            continue
        with open(path) as f:
            case = json.load(f)
        for line in run_case(name, case, opts, counter):
            print(line, flush=True)
    print("1..%d" % (counter[0] + counter[1]))
    print("oci-validation: %d passed, %d failed" % (counter[0], counter[1]))
    return 1 if counter[1] else 0


if __name__ == "__main__":
    sys.exit(main())
