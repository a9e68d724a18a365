# Container networking (vm/net*.c, docs/networking.md).
#
# - tests/unit/test_net_*.c link the fixtures in tests/net/*.c: private
#   network namespaces, veth pairs, addresses, routes and tc probes, all
#   built with libnl.  The tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN for
#   setns) and /dev/net/tun.

NET_TEST_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(sort $(wildcard tests/net/*.c)))

$(B)/tests/test_net_%: $(B)/obj/tests/unit/test_net_%.o $(NET_TEST_OBJS) $(SUPPORT_OBJS) $(LIB_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(NET_TEST_OBJS) $(SUPPORT_OBJS) \
		$(LINK_LIBS) $(PKG_LIBS) $(CRITERION_LIBS)

# tests/net/cli: the network of containers through runvm's command line,
# each case a VM, in namespaces and veth pairs of its own (ip, tc, busybox
# ping and nc, nsenter are its tools; runvm runs none of them).  Part of
# make check-e2e.
DEPS += iproute2 busybox-static util-linux python3

.PHONY: check-net
check-net: all guest
	python3 tests/net/cli --runvm $(abspath $(B))/bin/runvm

check-e2e:: check-net

# bench/net/run: TCP throughput and round trip host -> container, runvm
# beside runc in the same namespace (also part of make bench).
.PHONY: bench-net
bench-net: all guest
	bench/net/run
