# The OCI validation suite (tests/oci-validation/): a static checker runs as
# each container's process and compares what it sees with the config.json
# that made it.  The runner is a parameter: lc-run (libcontainer directly)
# by default; `make check-oci OCI_RUNNER="runc run"` checks the checker
# against runc, and the same cases later run with `runvm run`.
OCI_B := $(B)/tests/oci
OCI_RUNNER ?= $(abspath $(OCI_B))/lc-run run
OCI_FILTER ?=
DEPS += busybox-static python3 util-linux

# Static, so any rootfs runs it: the spec parser and the helpers it uses,
# yajl and libcap-ng from their static archives.
$(OCI_B)/checker: tests/oci-validation/checker.c $(call libfile,spec) $(call libfile,common) $(B)/gen/version.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(filter-out -fPIE,$(ALL_CFLAGS)) -static -o $@ $< \
		$(call libfile,spec) $(call libfile,common) -l:libyajl_s.a -l:libcap-ng.a -lm

$(OCI_B)/lc-run: $(B)/obj/tests/oci-validation/lc-run.o $(LIB_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LINK_LIBS) $(PKG_LIBS)

# busybox and the checker: enough for every case.
$(OCI_B)/rootfs/.stamp: $(OCI_B)/checker
	rm -rf $(OCI_B)/rootfs
	mkdir -p $(OCI_B)/rootfs/bin $(OCI_B)/rootfs/etc $(OCI_B)/rootfs/proc $(OCI_B)/rootfs/sys \
		$(OCI_B)/rootfs/dev $(OCI_B)/rootfs/tmp $(OCI_B)/rootfs/root
	cp /bin/busybox $(OCI_B)/rootfs/bin/busybox
	for c in $$($(OCI_B)/rootfs/bin/busybox --list); do \
		[ "$$c" = busybox ] || ln -sf busybox $(OCI_B)/rootfs/bin/$$c; done
	cp $(OCI_B)/checker $(OCI_B)/rootfs/checker
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' > $(OCI_B)/rootfs/etc/passwd
	printf 'root:x:0:\nuser:x:1000:\n' > $(OCI_B)/rootfs/etc/group
	touch $@

.PHONY: oci-build
oci-build: $(OCI_B)/lc-run $(OCI_B)/rootfs/.stamp

check-oci:: oci-build
	python3 tests/oci-validation/run.py --rootfs $(OCI_B)/rootfs --runner "$(OCI_RUNNER)" \
		$(if $(OCI_FILTER),--filter $(OCI_FILTER))

# On a hybrid host, some cases again in a mount namespace where
# /sys/fs/cgroup is the cgroup2 hierarchy alone, as in the guest: the v2
# paths (cgroup2 mounts, the eBPF device filter) run end to end.
OCI_V2_CASES := default,devices,terminal,userns,ns-all-new,no-pivot,fail-bad-mount
check-oci:: oci-build
	@if [ -d /sys/fs/cgroup/unified ] && [ -f /sys/fs/cgroup/memory/cgroup.procs ]; then \
		echo "oci-validation: cases $(OCI_V2_CASES) with a cgroup v2 only view"; \
		unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup && \
			mount -t cgroup2 cgroup2 /sys/fs/cgroup && \
			exec python3 tests/oci-validation/run.py --rootfs $(OCI_B)/rootfs \
			--runner "$(OCI_RUNNER)" --filter $(OCI_V2_CASES)'; \
	fi
