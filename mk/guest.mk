# The guest image and the VM tests.
#
#   make guest          Debian's cloud kernel (apt) and an initrd with the static
#                       agent and the modules it needs: $(GUEST_DIR)/vmlinuz-cloud,
#                       $(GUEST_DIR)/initrd-cloud.img
#   make guest-kernel   a minimal kernel built from Debian's linux-source with
#                       vm/guest/min.config, everything built in:
#                       $(GUEST_DIR)/vmlinuz-min, $(GUEST_DIR)/initrd-min.img
#   make guest-test     initrds around runvm-testinit for tests and bench/boot
#   make check-vm       the VM end-to-end tests (part of make check-e2e)
#
# GUEST_DIR does not depend on B, so the sanitizer build shares the kernel.
GUEST_DIR ?= build/guest
GUEST_JOBS ?= 2
GUEST_MODULES := virtio_mmio vmw_vsock_virtio_transport fuse virtiofs overlay virtio_net
AGENT_STATIC ?= $(B)/bin/runvm-agent.static

# The minimal kernel: kbuild needs bc, bison, flex and libelf; its bzImage is
# LZ4-compressed (vm/guest/min.config), which needs the lz4 program.
DEPS += bc bison flex libelf-dev dpkg-dev lz4

GUEST_KVER = $(shell cat $(GUEST_DIR)/kernel-version 2>/dev/null)
guest_mods = $(foreach m,$(GUEST_MODULES),-m $(m))

.PHONY: guest guest-kernel guest-kernel-pkg guest-test check-vm

$(GUEST_DIR)/kernel-version:
	vm/guest/fetch-kernel $(GUEST_DIR)

guest-kernel-pkg: $(GUEST_DIR)/kernel-version

$(GUEST_DIR)/vmlinuz-cloud: $(GUEST_DIR)/kernel-version

$(GUEST_DIR)/initrd-cloud.img: $(AGENT_STATIC) $(GUEST_DIR)/kernel-version vm/guest/mkinitrd
	vm/guest/mkinitrd -o $@ -k $(GUEST_DIR)/kroot -V $(GUEST_KVER) $(guest_mods) $(AGENT_STATIC)

guest: $(GUEST_DIR)/vmlinuz-cloud $(GUEST_DIR)/initrd-cloud.img

# The kernel build is not tracked file by file: build-kernel is rerun when
# the configuration or the script changes, and kbuild itself is incremental.
$(GUEST_DIR)/vmlinuz-min: vm/guest/min.config vm/guest/build-kernel
	vm/guest/build-kernel $(GUEST_DIR) vm/guest/min.config $(GUEST_JOBS)

$(GUEST_DIR)/initrd-min.img: $(AGENT_STATIC) vm/guest/mkinitrd
	vm/guest/mkinitrd -o $@ $(AGENT_STATIC)

guest-kernel: $(GUEST_DIR)/vmlinuz-min $(GUEST_DIR)/initrd-min.img

# runvm-testinit: a trivial static /init (vm/guest/testinit.c), the boot
# floor and the misbehaving guests of the tests.
TESTINIT := $(B)/guest/runvm-testinit
$(TESTINIT): $(B)/obj/vm/guest/testinit.o $(call libfile,common)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -static -o $@ $< $(call libfile,common)

$(B)/guest/initrd-cloud-test.img: $(TESTINIT) $(GUEST_DIR)/kernel-version vm/guest/mkinitrd
	vm/guest/mkinitrd -o $@ -k $(GUEST_DIR)/kroot -V $(GUEST_KVER) $(guest_mods) $(TESTINIT)

$(B)/guest/initrd-min-test.img: $(TESTINIT) vm/guest/mkinitrd
	vm/guest/mkinitrd -o $@ $(TESTINIT)

guest-test: $(B)/guest/initrd-cloud-test.img $(B)/guest/initrd-min-test.img

# Programs of the VM tests and benchmarks, linked like unit tests.
$(B)/tests/vm/%: $(B)/obj/tests/vm/%.o $(LIB_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LINK_LIBS) $(PKG_LIBS)

$(B)/bench/%: $(B)/obj/bench/%.o $(LIB_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LINK_LIBS) $(PKG_LIBS)

VM_TEST_BINS := $(B)/tests/vm/vmboot

# Both kernels are booted: the first run builds the minimal one (about ten
# minutes on two cores), later runs find it built.
check-vm: all guest guest-kernel guest-test $(VM_TEST_BINS)
	RUNVM_BUILDDIR=$(abspath $(B)) GUEST_DIR=$(abspath $(GUEST_DIR)) tests/vm/run

check-e2e:: check-vm

install-extra::
	install -d $(DESTDIR)$(DATADIR)
	for f in vmlinuz-cloud initrd-cloud.img vmlinuz-min initrd-min.img; do \
		if [ -e $(GUEST_DIR)/$$f ]; then install -m 0644 $(GUEST_DIR)/$$f $(DESTDIR)$(DATADIR)/$$f; fi; done
