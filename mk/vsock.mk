# runvm-vsockd: the integration test (a real guest kernel under QEMU with the
# device) and the benchmark.  The device itself builds through the layout
# (vm/vsock/ is a library directory, cmd/runvm-vsockd/ a program).
#
#   make check-vsock    the integration test (also part of make check-e2e)
#   make bench-vsock    throughput and latency beside a host socketpair

VSOCK_TEST_DIR := $(B)/tests/vsock
GUEST_DIR ?= build/guest

# The daemon links libseccomp; the integration test and the benchmark need
# QEMU, python3, and cpio/kmod for the initrd (all in the base list too).
DEPS += libseccomp-dev qemu-system-x86 qemu-system-common python3 cpio kmod

# The guest's /init: static, no sanitizers (it runs in the guest).  The
# initrd carries both virtio transports: microvm uses mmio, q35 uses PCI.
$(VSOCK_TEST_DIR)/guest-init: tests/vsock/guest.c $(call libfile,common)
	@mkdir -p $(@D)
	$(CC) $(RV_CPPFLAGS) -std=gnu11 $(WARNINGS) -O2 -g -static -o $@ $< $(call libfile,common)

$(VSOCK_TEST_DIR)/initrd.img: $(VSOCK_TEST_DIR)/guest-init $(GUEST_DIR)/kernel-version vm/guest/mkinitrd mk/vsock.mk
	vm/guest/mkinitrd -o $@ -k $(GUEST_DIR)/kroot -V $$(cat $(GUEST_DIR)/kernel-version) \
		-m virtio_mmio -m virtio_pci -m vmw_vsock_virtio_transport $<

# The host side of the benchmark.
$(B)/bench/vsock-bench: bench/vsock/vsock-bench.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

.PHONY: vsock-test-deps check-vsock bench-vsock
vsock-test-deps: $(B)/bin/runvm-vsockd $(VSOCK_TEST_DIR)/initrd.img

check-vsock: vsock-test-deps
	RUNVM_BUILDDIR=$(abspath $(B)) GUEST_DIR=$(abspath $(GUEST_DIR)) tests/vsock/run

check-e2e:: check-vsock

bench-vsock: vsock-test-deps $(B)/bench/vsock-bench
	RUNVM_BUILDDIR=$(abspath $(B)) GUEST_DIR=$(abspath $(GUEST_DIR)) bench/vsock/run
