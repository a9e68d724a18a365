#!/bin/busybox sh
# /init of the guest image check-oci-guest boots: the OCI cases run with
# lc-run inside Debian's cloud kernel, on an initrd root (pivot_root cannot
# leave it), with a pure cgroup v2 hierarchy as the agent will mount it.
# Prints "ok"/"not ok" per case and "guest: N passed, N failed".
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t cgroup2 cgroup2 /sys/fs/cgroup
for m in $(cat /lib/modules/load 2>/dev/null); do insmod /lib/modules/$m; done
echo "guest: kernel $(uname -r), cgroup v2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
pass=0
fail=0
for d in /b/*; do
  name=${d#/b/}
  cp -a /rootfs-template "$d/rootfs"
  sh "$d/setup.sh"
  /lc-run run -b "$d" "g-$name" > /tmp/out 2>&1
  rc=$?
  if [ "$(cat "$d/expect")" = fail ]; then
    if [ $rc != 0 ]; then
      pass=$((pass + 1))
      echo "ok - $name: refused ($(tail -c 160 /tmp/out))"
    else
      fail=$((fail + 1))
      echo "not ok - $name: not refused"
    fi
  else
    good=$(grep -c '^ok ' /tmp/out)
    bad=$(grep -c '^not ok ' /tmp/out)
    if [ $rc = 0 ] && [ "$bad" = 0 ] && [ "$good" -gt 0 ]; then
      pass=$((pass + 1))
      echo "ok - $name: $good properties"
    else
      fail=$((fail + 1))
      echo "not ok - $name: exit $rc"
      grep -v '^ok ' /tmp/out | head -20
    fi
  fi
  if ls /sys/fs/cgroup | grep -q "^g-$name\$"; then
    fail=$((fail + 1))
    echo "not ok - $name: its cgroup is left"
  fi
done
echo "guest: $pass passed, $fail failed"
poweroff -f
