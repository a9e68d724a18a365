#!/usr/bin/env python3
"""Faults: what is left when a piece of a running container dies, and
whether `state` tells the truth about it and `delete` removes it all.

    faults.py [--runvm PATH] [--only NAME] [-v]

Each case starts a container in a VM (the qemu launcher), breaks it, then
checks: `state` says stopped (pid 0), no process of the container is left
(monitor, QEMU, virtiofsd, runvm-vsockd), `delete` succeeds, and nothing
is left: no state directory, no cgroup, no process, no mount of the state
directory.  Cases:

  kill-monitor     SIGKILL to the monitor (the container's PID)
  kill-qemu        SIGKILL to QEMU
  kill-virtiofsd   SIGKILL to virtiofsd
  guest-panic      the guest kernel panics (sysrq c from the workload)
  full-disk        the state directory's file system fills up while the
                   container runs; and create on the full file system fails
                   with a clear error and leaves nothing

and SIGKILL during `create` (the container's cgroupsPath below a cgroup
an engine made, which must stay):

  kill-create-hook     SIGKILL to `runvm create` while a createRuntime hook
                       runs (the host cgroup exists, no VM yet)
  kill-create-boot     SIGKILL to `runvm create` while the VM boots
  kill-monitor-boot    SIGKILL to the monitor while the VM boots: create
                       fails and leaves nothing
  kill-create-existing SIGKILL to `runvm create` while the VM boots, with
                       cgroupsPath naming the engine's cgroup itself:
                       delete leaves that cgroup in place

Output: TAP, then "faults: N passed, N failed".
"""

import argparse
import ctypes
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


class Failure(Exception):
    pass


def become_subreaper():
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)


def reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Suite:
    def __init__(self, runvm, verbose):
        self.runvm = runvm
        self.verbose = verbose
        self.passed = self.failed = 0
        self.n = 0
        self.dir = tempfile.mkdtemp(prefix="rvf.", dir="/tmp")
        self.bundle = os.path.join(self.dir, "bundle")
        rootfs = os.path.join(self.bundle, "rootfs")
        for d in ("bin", "proc", "dev", "sys", "tmp"):
            os.makedirs(os.path.join(rootfs, d))
        shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
        for a in ("sh", "sleep", "echo", "cat", "dd"):
            os.symlink("busybox", os.path.join(rootfs, "bin", a))

    def config(self, script, privileged=False, cgroups_path=None, hook=None):
        caps = ["CAP_KILL"] + (["CAP_SYS_ADMIN", "CAP_SYS_BOOT"] if privileged else [])
        c = {
            "ociVersion": "1.2.0",
            "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", script],
                        "env": ["PATH=/bin"], "cwd": "/",
                        "capabilities": {k: caps for k in ("bounding", "effective", "permitted")}},
            "root": {"path": "rootfs"},
            "hostname": "faults",
            "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
            "linux": {"namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]},
        }
        if not privileged:
            c["linux"]["readonlyPaths"] = ["/proc/sysrq-trigger"]
        if cgroups_path:
            c["linux"]["cgroupsPath"] = cgroups_path
        if hook:
            c["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", hook]}]}
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(c, f)

    def rv(self, root, *args, timeout=120):
        p = subprocess.run([self.runvm, "--root", root] + list(args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def state(self, root, cid):
        rc, out, err = self.rv(root, "state", cid)
        if rc != 0:
            return {"error": err.strip()}
        return json.loads(out)

    def start(self, root, cid, script, privileged=False):
        """run -d; returns the monitor's PID."""
        self.config(script, privileged)
        pid_file = os.path.join(self.dir, "pid")
        out = open(os.path.join(self.dir, "out." + cid), "w")
        p = subprocess.Popen([self.runvm, "--root", root, "run", "-d", "-b", self.bundle, "--pid-file", pid_file,
                              cid], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        if p.wait(timeout=180) != 0:
            out.close()
            raise Failure("run -d failed: " + open(out.name).read()[-500:])
        out.close()
        return int(open(pid_file).read())

    def children(self, pid):
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def child_named(self, pid, name):
        for c in self.children(pid):
            try:
                exe = os.readlink("/proc/%d/exe" % c)
            except OSError:
                continue
            if name in os.path.basename(exe):
                return c
        raise Failure("no %s among the monitor's children" % name)

    def processes_of(self, cid, root):
        """Processes whose command line names the container or its state."""
        found = []
        for d in glob.glob("/proc/[0-9]*"):
            try:
                with open(d + "/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
                with open(d + "/stat") as f:
                    st = f.read().split(")")[-1].split()[0]
            except OSError:
                continue
            if st == "Z":
                continue
            if ("runvm-" + cid) in cmd or (root + "/" + cid) in cmd or (" " + cid) in cmd and "runvm" in cmd:
                found.append("%s: %s" % (d[6:], cmd[:120]))
        return found

    def wait_gone(self, cid, root, seconds=15):
        deadline = time.time() + seconds
        while time.time() < deadline:
            reap_all()
            if not self.processes_of(cid, root):
                return []
            time.sleep(0.1)
        return self.processes_of(cid, root)

    def check_stopped_then_deleted(self, root, cid, cgroup):
        """CGROUP None: the container's cgroup is not runvm's to remove."""
        st = self.state(root, cid)
        if st.get("status") != "stopped" or st.get("pid") != 0:
            raise Failure("state after the fault: %s" % st)
        left = self.wait_gone(cid, root)
        if left:
            raise Failure("processes left after the fault: %s" % left)
        rc, out, err = self.rv(root, "delete", cid)
        if rc != 0:
            raise Failure("delete: %s" % err.strip())
        problems = []
        if os.path.exists(os.path.join(root, cid)):
            problems.append("state directory " + os.path.join(root, cid))
        if cgroup:
            problems += ["cgroup " + d for d in self.cgroup_dirs(cgroup)]
        with open("/proc/self/mountinfo") as f:
            for line in f:
                if os.path.join(root, cid) in line:
                    problems.append("mount " + line.split()[4])
        problems += self.processes_of(cid, root)
        if problems:
            raise Failure("left after delete: %s" % ", ".join(problems))
        st = self.state(root, cid)
        if "does not exist" not in st.get("error", ""):
            raise Failure("state after delete: %s" % st)

    def recorded(self, root, cid):
        """state.json as create wrote it (the monitor's PID while creating)."""
        with open(os.path.join(root, cid, "state.json")) as f:
            return json.load(f)

    def cgroup_dirs(self, cgroup):
        return [h + cgroup for h in glob.glob("/sys/fs/cgroup/*") + ["/sys/fs/cgroup"]
                if os.path.isdir(h + cgroup)]

    def engine_cgroup(self, name):
        """A cgroup made before the container, in every hierarchy, as an
        engine makes its parent slice."""
        path = "/%s-%d" % (name, os.getpid())
        for h in glob.glob("/sys/fs/cgroup/*") + ["/sys/fs/cgroup"]:
            if os.path.exists(os.path.join(h, "cgroup.procs")):
                os.makedirs(h + path, exist_ok=True)
                if os.path.exists(h + "/cpuset.cpus") and os.path.exists(h + path + "/cpuset.cpus"):
                    for f in ("cpuset.cpus", "cpuset.mems"):
                        with open(h + path + "/" + f, "w") as out:
                            out.write(open(h + "/" + f).read().strip() or "\n")
        return path

    def remove_engine_cgroup(self, path):
        for d in sorted(self.cgroup_dirs(path), key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass

    def create_bg(self, root, cid):
        out = open(os.path.join(self.dir, "out." + cid), "w")
        p = subprocess.Popen([self.runvm, "--root", root, "create", "-b", self.bundle, cid],
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        return p

    def wait_qemu(self, root, cid, creator):
        """The monitor's PID once QEMU runs under it (the VM boots)."""
        deadline = time.time() + 60
        while time.time() < deadline and creator.poll() is None:
            for monitor in self.children(creator.pid):
                for c in self.children(monitor):
                    try:
                        if "qemu" in os.path.basename(os.readlink("/proc/%d/exe" % c)):
                            # Well into the boot (the kernel's own, under
                            # TCG, takes seconds).
                            time.sleep(1.5)
                            return monitor
                    except OSError:
                        pass
            time.sleep(0.02)
        raise Failure("QEMU never started under the monitor (create: %s)" % creator.poll())

    def killed_create(self, root, cid, creator, cgroup, ours=True):
        creator.kill()
        creator.wait()
        rec = self.recorded(root, cid)
        if rec["runvm"].get("cgroupPath") != cgroup:
            raise Failure("recorded cgroup %s, not %s" % (rec["runvm"].get("cgroupPath"), cgroup))
        self.check_stopped_then_deleted(root, cid, cgroup if ours else None)

    def under_engine(self, fn):
        """A case whose container's cgroupsPath lies in a cgroup an engine
        made: FN(root, cid, engine) runs it; the engine's cgroup must
        outlive it."""
        def run(root, cid):
            engine = self.engine_cgroup("rvf-engine")
            try:
                fn(root, cid, engine)
                if not self.cgroup_dirs(engine):
                    raise Failure("the engine's cgroup %s was removed" % engine)
            finally:
                self.remove_engine_cgroup(engine)
        return run

    def kill_create_hook(self, root, cid, engine):
        ready = os.path.join(self.dir, "hook." + cid)
        cgroup = engine + "/" + cid
        self.config("true", cgroups_path=cgroup, hook="touch %s; sleep 30" % ready)
        creator = self.create_bg(root, cid)
        deadline = time.time() + 60
        while not os.path.exists(ready) and time.time() < deadline and creator.poll() is None:
            time.sleep(0.02)
        if not os.path.exists(ready):
            raise Failure("the hook never ran")
        if not self.cgroup_dirs(cgroup):
            raise Failure("no cgroup %s while the hook runs" % cgroup)
        self.killed_create(root, cid, creator, cgroup)

    def kill_create_boot(self, root, cid, engine):
        self.config("true", cgroups_path=engine + "/" + cid)
        creator = self.create_bg(root, cid)
        self.wait_qemu(root, cid, creator)
        self.killed_create(root, cid, creator, engine + "/" + cid)

    def kill_create_existing(self, root, cid, engine):
        # cgroupsPath names the engine's cgroup itself.
        self.config("true", cgroups_path=engine)
        creator = self.create_bg(root, cid)
        self.wait_qemu(root, cid, creator)
        self.killed_create(root, cid, creator, engine, ours=False)

    def kill_monitor_boot(self, root, cid, engine):
        cgroup = engine + "/" + cid
        self.config("true", cgroups_path=cgroup)
        creator = self.create_bg(root, cid)
        monitor = self.wait_qemu(root, cid, creator)
        os.kill(monitor, signal.SIGKILL)
        rc = creator.wait(timeout=60)
        out = open(os.path.join(self.dir, "out." + cid)).read()
        if rc == 0 or "killed by signal 9" not in out:
            raise Failure("create after its monitor was killed: rc %d, %s" % (rc, out.strip()))
        left = self.wait_gone(cid, root)
        problems = ["process " + p for p in left] + ["cgroup " + d for d in self.cgroup_dirs(cgroup)]
        if os.path.exists(os.path.join(root, cid)):
            problems.append("state directory")
        if problems:
            raise Failure("left after the failed create: %s" % ", ".join(problems))

    def case(self, name, fn):
        self.n += 1
        root = tempfile.mkdtemp(prefix="r.", dir=self.dir)
        cid = "f-%s-%d" % (name, os.getpid())
        t0 = time.time()
        try:
            fn(root, cid)
            self.passed += 1
            print("ok %d - %s (%.1fs)" % (self.n, name, time.time() - t0), flush=True)
        except (Failure, subprocess.TimeoutExpired, OSError, ValueError) as e:
            self.failed += 1
            print("not ok %d - %s: %s" % (self.n, name, str(e).replace("\n", "\\n")), flush=True)
            self.rv(root, "delete", "--force", cid)
            if self.verbose:
                for log in glob.glob(os.path.join(root, cid, "*.log")):
                    sys.stderr.write("== %s\n%s\n" % (log, open(log, errors="replace").read()[-2000:]))
        finally:
            subprocess.run(["umount", "-l", root], stderr=subprocess.DEVNULL)
            reap_all()

    # ---- the cases ---------------------------------------------------------

    def kill_monitor(self, root, cid):
        monitor = self.start(root, cid, "sleep 1000")
        qemu = self.child_named(monitor, "qemu")
        os.kill(monitor, signal.SIGKILL)
        deadline = time.time() + 10
        while time.time() < deadline and os.path.exists("/proc/%d/exe" % qemu):
            reap_all()
            time.sleep(0.05)
        if os.path.exists("/proc/%d/exe" % qemu):
            raise Failure("QEMU outlived the monitor")
        self.check_stopped_then_deleted(root, cid, "/" + cid)

    def kill_child(self, name):
        def run(root, cid):
            monitor = self.start(root, cid, "sleep 1000")
            os.kill(self.child_named(monitor, name), signal.SIGKILL)
            deadline = time.time() + 30
            while time.time() < deadline and os.path.exists("/proc/%d/exe" % monitor):
                reap_all()
                time.sleep(0.05)
            reap_all()
            if os.path.exists("/proc/%d/exe" % monitor):
                raise Failure("the monitor did not notice that %s died" % name)
            self.check_stopped_then_deleted(root, cid, "/" + cid)
        return run

    def guest_panic(self, root, cid):
        monitor = self.start(root, cid, "sleep 1; echo c > /proc/sysrq-trigger; sleep 1000", privileged=True)
        deadline = time.time() + 60
        while time.time() < deadline and os.path.exists("/proc/%d/exe" % monitor):
            reap_all()
            time.sleep(0.1)
        if os.path.exists("/proc/%d/exe" % monitor):
            raise Failure("the monitor did not notice the guest's panic")
        console = open(os.path.join(root, cid, "console.log"), errors="replace").read()
        if "Kernel panic" not in console and "sysrq" not in console.lower():
            raise Failure("no panic in the console log: %s" % console[-300:])
        self.check_stopped_then_deleted(root, cid, "/" + cid)

    def full_disk(self, root, cid):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "rvfaults", root], check=True)
        self.start(root, cid, "sleep 2; echo done")
        # Fill what is left while the workload runs; it then exits and its
        # monitor cannot record anything.
        filler = os.path.join(root, "filler")
        subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=64k"], stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.state(root, cid).get("status") == "stopped":
                break
            time.sleep(0.2)
        self.check_stopped_then_deleted(root, cid, "/" + cid)
        # create on the full file system: a clear error, nothing left.
        self.config("echo never")
        rc, out, err = self.rv(root, "create", "-b", self.bundle, cid)
        if rc == 0 or "No space left on device" not in err:
            raise Failure("create on a full disk: rc %d, %s" % (rc, err.strip()))
        if os.path.exists(os.path.join(root, cid)) or self.rv(root, "list", "-q")[1].strip():
            raise Failure("create on a full disk left state behind")
        os.unlink(filler)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runvm", default=os.path.join(os.environ.get("RUNVM_BUILDDIR", os.path.join(ROOT, "build")),
                                                    "bin", "runvm"))
    ap.add_argument("--only")
    ap.add_argument("-v", "--verbose", action="store_true")
    opts = ap.parse_args()
    become_subreaper()
    s = Suite(os.path.abspath(opts.runvm), opts.verbose)
    cases = [
        ("kill-monitor", s.kill_monitor),
        ("kill-qemu", s.kill_child("qemu")),
        ("kill-virtiofsd", s.kill_child("virtiofsd")),
        ("guest-panic", s.guest_panic),
        ("full-disk", s.full_disk),
        ("kill-create-hook", s.under_engine(s.kill_create_hook)),
        ("kill-create-boot", s.under_engine(s.kill_create_boot)),
        ("kill-monitor-boot", s.under_engine(s.kill_monitor_boot)),
        ("kill-create-existing", s.under_engine(s.kill_create_existing)),
    ]
    try:
        for name, fn in cases:
            if opts.only and opts.only not in name:
                continue
            s.case(name, fn)
    finally:
        shutil.rmtree(s.dir, ignore_errors=True)
    print("1..%d" % s.n)
    print("faults: %d passed, %d failed" % (s.passed, s.failed))
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
