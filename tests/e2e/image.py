"""The image every case runs: a root filesystem made of busybox-static.

Built once per run as a tar archive that podman and docker import; podman
then saves it as a docker archive that containerd imports.
"""

import os
import shutil
import tarfile

from harness import Failure, run

BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"]
INDEX_HTML = "runvm-e2e httpd answers\n"


def find_busybox():
    for path in BUSYBOX_CANDIDATES:
        if os.path.isfile(path):
            res = run(["file", "-L", path], timeout=30) if shutil.which("file") else None
            if res is None or "statically linked" in res.out or "static-pie" in res.out:
                return path
    raise Failure("no statically linked busybox (install busybox-static)")


def build_rootfs_tar(workdir):
    """Write <workdir>/busybox-rootfs.tar and return its path."""
    busybox = find_busybox()
    root = os.path.join(workdir, "rootfs")
    for d in ("bin", "etc", "tmp", "root", "proc", "sys", "dev", "var/www", "run"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    shutil.copy2(busybox, os.path.join(root, "bin", "busybox"))
    # Every applet as a symlink to /bin/busybox, as `busybox --install -s`
    # would make inside the root, without running anything there.
    applets = run([busybox, "--list"], timeout=30, check=True).out.split()
    for name in applets:
        if name != "busybox":
            link = os.path.join(root, "bin", name)
            if not os.path.lexists(link):
                os.symlink("/bin/busybox", link)
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    with open(os.path.join(root, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    with open(os.path.join(root, "var", "www", "index.html"), "w") as f:
        f.write(INDEX_HTML)
    tar = os.path.join(workdir, "busybox-rootfs.tar")
    with tarfile.open(tar, "w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(root)):
            t.add(os.path.join(root, name), arcname=name)
    shutil.rmtree(root)
    return tar


def build_docker_archive(rootfs_tar, workdir, ref):
    """Wrap the root filesystem tar in a one-layer `docker save` archive
    tagged ref, the format `ctr images import` reads."""
    import hashlib
    import io
    import json

    def sha256_file(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    layer = sha256_file(rootfs_tar)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2000-01-01T00:00:00Z",
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer]},
            "history": [{"created": "2000-01-01T00:00:00Z", "created_by": "tests/e2e/image.py"}],
        },
        sort_keys=True,
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps(
        [{"Config": config_name, "RepoTags": [ref], "Layers": [layer + "/layer.tar"]}]
    ).encode()
    out = os.path.join(workdir, "busybox-docker-archive.tar")

    def add_bytes(t, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        t.addfile(info, io.BytesIO(data))

    with tarfile.open(out, "w") as t:
        add_bytes(t, config_name, config)
        t.add(rootfs_tar, arcname=layer + "/layer.tar")
        add_bytes(t, "manifest.json", manifest)
    return out
