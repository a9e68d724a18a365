# End-to-end suites: podman, containerd and docker driving the runtime
# (tests/e2e/, described in docs/testing.md).
#
#   make check-e2e           the harness's self-tests and the engine suites
#                            against $(B)/bin/runvm
#   make e2e                 the engine suites, unguarded, against E2E_RUNTIME
#                            (e.g. E2E_RUNTIME=/usr/bin/crun E2E_ARGS='--engine podman')

# The engines, what they need here, and the reference runtimes (runc is in
# the base list).  netavark: podman's network backend; util-linux gives
# setsid and unshare.  apparmor (only a Recommends of docker.io): Debian's
# kernel has AppArmor on, and dockerd 20.10 then loads its default profile
# with apparmor_parser and fails every container when the parser is missing.
DEPS += podman conmon netavark containerd docker.io iptables crun util-linux pyflakes3 apparmor

E2E_RUNTIME ?= $(abspath $(B))/bin/runvm
E2E_ARGS ?=
E2E_PY := tests/e2e/run $(wildcard tests/e2e/*.py)

.PHONY: check-e2e-self e2e

check-e2e-self:
	/usr/bin/python3 tests/e2e/test_harness.py
	@if command -v pyflakes3 >/dev/null; then pyflakes3 $(E2E_PY) && echo "e2e: pyflakes ok"; \
	else echo "e2e: pyflakes3 not installed, not checked"; fi

# The engine suites against build/bin/runvm (each container a VM: the
# guest image must exist).
check-e2e:: all guest check-e2e-self
	RUNVM_BUILDDIR=$(abspath $(B)) tests/e2e/run --runtime $(E2E_RUNTIME) $(E2E_ARGS)

e2e: all
	RUNVM_BUILDDIR=$(abspath $(B)) tests/e2e/run --runtime $(E2E_RUNTIME) $(E2E_ARGS)
