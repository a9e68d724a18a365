# The lifecycle through runvm's command line (runtime/, cmd/runvm/):
#
#   make check-oci      adds the OCI validation cases driven through
#                       create/state/start/delete, once with the `host`
#                       launcher (the agent as a host process) and once with
#                       the `qemu` launcher (a VM per case, the default)
#   make check-lifecycle   those passes alone; the VM pass also runs the
#                       verbs' unit tests (test_runtime_lifecycle,
#                       test_runtime_verbs) with the qemu launcher, and a
#                       third pass runs the cases in VMs of the minimal
#                       kernel
#
# Unit tests of the runtime (tests/unit/test_runtime_*.c) run with
# check-unit.  The state root is a short directory of its own: sockets live
# there.

.PHONY: check-lifecycle check-lifecycle-host check-lifecycle-vm check-lifecycle-vm-min

LIFECYCLE_RUN = python3 tests/oci-validation/run.py --rootfs $(OCI_B)/rootfs $(if $(OCI_FILTER),--filter $(OCI_FILTER))

check-lifecycle-host: all oci-build
	@root=$$(mktemp -d /tmp/rvlc.XXXXXX) && \
	echo "oci-validation: runvm create/start/delete, host launcher" && \
	RUNVM_LAUNCHER=host $(LIFECYCLE_RUN) --cli "$(abspath $(B))/bin/runvm --root $$root"; rc=$$?; \
	rm -rf $$root; exit $$rc

# The verbs' unit tests again, each container a VM, one test at a time.
LIFECYCLE_VM_TESTS := $(B)/tests/test_runtime_lifecycle $(B)/tests/test_runtime_verbs

check-lifecycle-vm: all oci-build guest $(LIFECYCLE_VM_TESTS)
	@root=$$(mktemp -d /tmp/rvlc.XXXXXX) && \
	echo "oci-validation: runvm create/start/delete, qemu launcher (a VM per case)" && \
	$(LIFECYCLE_RUN) --vm --timeout 180 --cli "$(abspath $(B))/bin/runvm --root $$root"; rc=$$?; \
	rm -rf $$root; exit $$rc
	@for t in $(LIFECYCLE_VM_TESTS); do \
		echo "$$t with the qemu launcher"; \
		RUNVM_TEST_LAUNCHER=qemu RUNVM_BUILDDIR=$(abspath $(B)) $$t -j1 --timeout 300 || exit 1; \
	done

# The OCI cases once more in VMs of the minimal kernel (vm/guest/min.config),
# chosen as a user chooses it: the `guest` key of the runvm configuration.
check-lifecycle-vm-min: all oci-build guest-kernel
	@root=$$(mktemp -d /tmp/rvlc.XXXXXX) && \
	printf '{"guest": "min"}\n' > $$root/config.json && \
	echo "oci-validation: runvm create/start/delete, qemu launcher, minimal kernel" && \
	RUNVM_CONFIG=$$root/config.json $(LIFECYCLE_RUN) --vm --timeout 180 \
		--cli "$(abspath $(B))/bin/runvm --root $$root/state"; rc=$$?; \
	rm -rf $$root; exit $$rc

check-lifecycle: check-lifecycle-host check-lifecycle-vm check-lifecycle-vm-min

check-oci:: check-lifecycle

# Faults (tests/lifecycle/faults.py): SIGKILL of the monitor, of QEMU, of
# virtiofsd, a guest kernel panic, a full state file system.  VMs: with
# the e2e suites.
.PHONY: check-faults
check-faults: all guest
	python3 tests/lifecycle/faults.py --runvm $(abspath $(B))/bin/runvm

check-e2e:: check-faults

# Benchmarks (bench/run-all): runvm run and podman run --rm beside runc,
# runvm's time per step, VM boot beside the floor, vsock throughput.  Not
# part of make check.
.PHONY: bench bench-run
bench: all guest
	bench/run-all

bench-run: all guest
	bench/run/run
