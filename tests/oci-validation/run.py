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
        for t, p in NS_PROC.items():
            if os.path.exists("/proc/self/ns/" + p):
                ann["org.runvm.test.host-ns." + t] = ino("/proc/self/ns/" + p)
        for ns in config.get("linux", {}).get("namespaces", []):
            if ns.get("path"):
                ann["org.runvm.test.join-ns." + ns["type"]] = ino(ns["path"])
        config["mounts"].append({"destination": "/.oci-config.json", "type": "bind",
                                 "source": os.path.join(bundle, "oci-config.json"), "options": ["bind", "ro"]})
        for f in ("config.json", "oci-config.json"):
            with open(os.path.join(bundle, f), "w") as out:
                json.dump(config, out, indent=2)

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
    if not opts.rootfs or not opts.runner:
        ap.error("--rootfs and --runner are needed to run cases")

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
