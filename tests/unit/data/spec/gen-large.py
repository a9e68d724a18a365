#!/usr/bin/env python3
# Writes large.json: a config shaped like the ones Docker and Podman
# generate (many mounts and devices, a default-deny seccomp profile that
# allows every x86_64 system call by name, plus argument rules), to check
# that the parser copes with big documents quickly.  The system call names
# come from the kernel headers of the machine that runs this script.
#   tests/unit/data/spec/gen-large.py /usr/include/x86_64-linux-gnu/asm/unistd_64.h > large.json
import json
import re
import sys

names = []
with open(sys.argv[1]) as f:
    for line in f:
        m = re.match(r"#define __NR_(\w+) \d+", line)
        if m:
            names.append(m.group(1))

caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]

mounts = [
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["ro", "nosuid", "noexec", "nodev"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"]},
]
for f in ["resolv.conf", "hostname", "hosts"]:
    mounts.append({"destination": "/etc/" + f, "type": "bind",
                   "source": "/var/lib/docker/containers/0123456789abcdef/" + f, "options": ["rbind", "rprivate"]})
for i in range(200):
    mounts.append({"destination": "/volumes/v%03d" % i, "type": "bind",
                   "source": "/var/lib/docker/volumes/v%03d/_data" % i, "options": ["rbind", "rprivate", "rw"]})

devices = [{"allow": False, "access": "rwm"}]
for major, minor in [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (136, -1), (10, 200)]:
    devices.append({"allow": True, "type": "c", "major": major, "minor": minor, "access": "rwm"})

syscalls = [{"names": names, "action": "SCMP_ACT_ALLOW"}]
for value in [0, 8, 131072, 131080, 4294967295]:
    syscalls.append({"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                     "args": [{"index": 0, "value": value, "op": "SCMP_CMP_EQ"}]})
syscalls.append({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                 "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]})
syscalls.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})
syscalls.append({"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                 "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"},
                          {"index": 2, "value": 9, "op": "SCMP_CMP_EQ"}]})

config = {
    "ociVersion": "1.1.0",
    "process": {
        "user": {"uid": 0, "gid": 0, "additionalGids": [0, 1, 2, 3, 4, 6, 10, 11, 20, 26, 27]},
        "args": ["nginx", "-g", "daemon off;"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=0123456789ab"]
               + ["VAR_%d=value %d" % (i, i) for i in range(100)],
        "cwd": "/",
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "apparmorProfile": "docker-default",
        "oomScoreAdj": 0,
    },
    "root": {"path": "/var/lib/docker/overlay2/0123456789abcdef/merged"},
    "hostname": "0123456789ab",
    "mounts": mounts,
    "hooks": {"prestart": [{"path": "/usr/bin/dockerd", "args": ["libnetwork-setkey", "-exec-root=/var/run/docker",
                                                                  "0123456789abcdef", "fedcba9876543210"]}]},
    "annotations": {"org.opencontainers.image.%d" % i: "value %d" % i for i in range(50)},
    "linux": {
        "sysctl": {"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647"},
        "resources": {
            "devices": devices,
            "memory": {"limit": 1073741824, "swap": 2147483648, "disableOOMKiller": False},
            "cpu": {"shares": 512, "quota": 150000, "period": 100000},
            "pids": {"limit": 4096},
            "blockIO": {"weight": 0},
        },
        "cgroupsPath": "system.slice:docker:0123456789abcdef",
        "namespaces": [{"type": t} for t in ["mount", "network", "uts", "pid", "ipc", "cgroup"]],
        "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
                    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                    "syscalls": syscalls},
        "maskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                        "/sys/firmware", "/sys/devices/virtual/powercap"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
}
json.dump(config, sys.stdout, indent="\t")
sys.stdout.write("\n")
