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

# The same cases inside Debian's cloud kernel (make guest-kernel-pkg): a
# static lc-run and the bundles in an initrd, booted with QEMU; the guest
# root is the initrd (pivot_root cannot leave it) and /sys/fs/cgroup a pure
# cgroup v2 hierarchy, as the agent will have them.  TCG by default (this
# project's machines cannot run a stock kernel under KVM); a minute or so.
OCI_GUEST := $(OCI_B)/guest
OCI_GUEST_ACCEL ?= tcg
OCI_LIBS_STATIC := -l:libseccomp.a -l:libcap-ng.a -l:libcgroup.a -l:libyajl_s.a -lm -lpthread

$(OCI_B)/lc-run-static: $(B)/obj/tests/oci-validation/lc-run.o $(call libfile,libcontainer) $(call libfile,spec) \
		$(call libfile,common)
	@mkdir -p $(@D)
	$(CC) -static -o $@ $< $(call libfile,libcontainer) $(call libfile,spec) $(call libfile,common) \
		$(OCI_LIBS_STATIC) 2>&1 | { grep -v "statically linked applications requires\|in function" || true; }

$(OCI_GUEST)/initrd: $(OCI_B)/lc-run-static $(OCI_B)/rootfs/.stamp tests/oci-validation/guest-init.sh \
		tests/oci-validation/run.py $(wildcard tests/oci-validation/cases/*.json) $(GUEST_DIR)/kernel-version
	rm -rf $(OCI_GUEST)/stage
	mkdir -p $(OCI_GUEST)/stage/bin $(OCI_GUEST)/stage/b $(OCI_GUEST)/stage/proc $(OCI_GUEST)/stage/sys \
		$(OCI_GUEST)/stage/dev $(OCI_GUEST)/stage/tmp $(OCI_GUEST)/stage/lib/modules
	cp /bin/busybox $(OCI_GUEST)/stage/bin/busybox
	cp $(OCI_B)/lc-run-static $(OCI_GUEST)/stage/lc-run
	cp -a $(OCI_B)/rootfs $(OCI_GUEST)/stage/rootfs-template
	install -m 0755 tests/oci-validation/guest-init.sh $(OCI_GUEST)/stage/init
	python3 tests/oci-validation/run.py --emit $(OCI_GUEST)/stage/b
	: > $(OCI_GUEST)/stage/lib/modules/load
	modprobe -d $(GUEST_DIR)/kroot -S $$(cat $(GUEST_DIR)/kernel-version) --show-depends overlay | \
		while read -r kind path rest; do [ "$$kind" = insmod ] || continue; \
		cp "$$path" $(OCI_GUEST)/stage/lib/modules/; basename "$$path" >> $(OCI_GUEST)/stage/lib/modules/load; done
	(cd $(OCI_GUEST)/stage && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > $@.tmp
	mv $@.tmp $@

.PHONY: check-oci-guest
check-oci-guest: $(OCI_GUEST)/initrd
	timeout 900 qemu-system-x86_64 -M microvm,rtc=on -accel $(OCI_GUEST_ACCEL) -cpu max -smp 2 -m 1024 \
		-nodefaults -no-user-config -display none -serial stdio -no-reboot \
		-kernel $(GUEST_DIR)/vmlinuz-cloud -initrd $< \
		-append "console=ttyS0 rdinit=/init panic=-1 quiet tsc_early_khz=$$(awk -F: '/cpu MHz/ {printf "%d", $$2 * 1000; exit}' /proc/cpuinfo)" \
		| tr -d '\r' | grep -v '^\[' | tee $(OCI_GUEST)/console.log
	grep -q '^guest: [0-9]* passed, 0 failed' $(OCI_GUEST)/console.log

check-oci::
	@if [ -f $(GUEST_DIR)/vmlinuz-cloud ] && command -v qemu-system-x86_64 >/dev/null; then \
		$(MAKE) --no-print-directory check-oci-guest; \
	else echo "oci-validation: guest pass skipped (no $(GUEST_DIR)/vmlinuz-cloud: make guest-kernel-pkg)"; fi
