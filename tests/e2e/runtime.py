"""The OCI runtime under test: what it is, what it can do here, and what
state it keeps."""

import json
import os
import resource

from harness import Failure, run

CAP_SYS_RESOURCE = 24

# podman's default RLIMIT_NOFILE for containers (and RLIMIT_NPROC where the
# host allows it).
PODMAN_DEFAULT_NOFILE = 1048576


def cap_effective(cap):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) & (1 << cap))
    return False


def hybrid_v2_controllers():
    """Controllers on the cgroup2 hierarchy of a hybrid layout, or ''."""
    try:
        st = os.statvfs("/sys/fs/cgroup/unified")
    except OSError:
        return ""
    del st
    try:
        with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
            return f.read().strip()
    except OSError:
        return ""


class Runtime:
    """A runc-compatible binary.  path is what engines are given (a wrapper
    when one is needed), binary the runtime itself."""

    def __init__(self, binary, workdir, hybrid_workaround=True):
        self.binary = os.path.abspath(binary)
        if not os.access(self.binary, os.X_OK):
            raise Failure("runtime %s is not an executable file" % self.binary)
        res = run([self.binary, "--version"], timeout=30)
        if res.rc != 0:
            raise Failure("runtime does not answer --version: " + res.describe())
        self.version = res.out.strip().splitlines()[0] if res.out.strip() else "?"
        first = self.version.split()[0] if self.version.split() else ""
        self.kind = first if first in ("runvm", "runc", "crun") else os.path.basename(self.binary)
        self.name = os.path.basename(self.binary)
        self.path = self.binary
        # runc, crun and runvm keep state in /run/<name> unless given --root.
        self.default_root = "/run/" + self.kind if self.kind in ("runvm", "runc", "crun") else None
        self.notes = []
        self.probe_root = os.path.join(workdir, "probe-root")
        self.caps = {}
        self._probe_caps()
        if self.kind == "crun" and hybrid_workaround:
            controllers = hybrid_v2_controllers()
            if controllers:
                self.path = self._crun_wrapper(workdir, controllers)

    def is_vm_runtime(self):
        if self.kind == "runvm":
            return True
        res = run([self.binary, "features"], timeout=30)
        if res.rc == 0:
            try:
                ann = json.loads(res.out).get("annotations") or {}
            except ValueError:
                return False
            return "io.runvm.version" in ann
        return False

    def _probe_caps(self):
        vm = self.is_vm_runtime()
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if vm:
            self.caps["rlimits-above-host"] = (True, "rlimits are applied inside the guest")
        elif hard == resource.RLIM_INFINITY or hard >= PODMAN_DEFAULT_NOFILE:
            self.caps["rlimits-above-host"] = (True, "the host's hard RLIMIT_NOFILE is high enough")
        elif cap_effective(CAP_SYS_RESOURCE):
            self.caps["rlimits-above-host"] = (True, "this process has CAP_SYS_RESOURCE")
        else:
            self.caps["rlimits-above-host"] = (
                False,
                "%s sets rlimits on the host, whose hard RLIMIT_NOFILE is %d (< %d), and the host lacks "
                "CAP_SYS_RESOURCE" % (self.name, hard, PODMAN_DEFAULT_NOFILE),
            )
        os.makedirs(self.probe_root, exist_ok=True)
        res = run([self.binary, "--cgroup-manager", "cgroupfs", "--root", self.probe_root, "list"], timeout=30)
        if res.rc == 0:
            self.caps["cgroup-manager-flag"] = (True, "accepts --cgroup-manager")
        else:
            self.caps["cgroup-manager-flag"] = (
                False,
                "%s does not accept the global option --cgroup-manager (podman passes it to runtimes listed in "
                "runtime_supports_nocgroup)" % self.name,
            )

    def has(self, cap):
        return self.caps.get(cap, (False, "unknown capability " + cap))

    def _crun_wrapper(self, workdir, controllers):
        # crun refuses every container on a hybrid cgroup layout whose
        # cgroup2 hierarchy has controllers ("cgroups in hybrid mode not
        # supported"); runc and runvm do not.  So that crun can serve as a
        # reference here, it runs in a mount namespace of its own in which
        # unified/cgroup.controllers reads empty.  The pid stays the same
        # (unshare and sh exec), so engines see crun itself.
        bindir = os.path.join(workdir, "bin")
        os.makedirs(bindir, exist_ok=True)
        wrapper = os.path.join(bindir, self.name)
        with open(wrapper, "w") as f:
            f.write(
                "#!/bin/sh\n"
                "# Written by tests/e2e/run: hide cgroup2 controllers (%s) from crun.\n"
                "exec unshare -m sh -c 'mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers "
                '&& exec "$0" "$@"\' %s "$@"\n' % (controllers, self.binary)
            )
        os.chmod(wrapper, 0o755)
        self.notes.append(
            "crun refuses hybrid cgroups with controllers on cgroup2 (here: %s); engines run it through %s, "
            "which hides them (--no-crun-workaround to disable)" % (controllers, wrapper)
        )
        return wrapper

    def list_ids(self, root=None):
        """Ids of the containers the runtime keeps in root (its default root
        when None)."""
        if root is not None and not os.path.isdir(root):
            return []
        argv = [self.binary]
        if root is not None:
            argv += ["--root", root]
        res = run(argv + ["list", "--format", "json"], timeout=60)
        if res.rc != 0:
            raise Failure("cannot list the runtime's state: " + res.describe())
        try:
            doc = json.loads(res.out or "null")
        except ValueError:
            raise Failure("`list --format json` printed no JSON: " + res.describe())
        return [c.get("id") for c in (doc or [])]

    def force_delete(self, cid, root=None):
        argv = [self.binary] + (["--root", root] if root else []) + ["delete", "--force", cid]
        return run(argv, timeout=120)

    def state(self, cid, root=None):
        argv = [self.binary] + (["--root", root] if root else []) + ["state", cid]
        res = run(argv, timeout=60)
        if res.rc != 0:
            raise Failure(res.describe())
        return json.loads(res.out)
