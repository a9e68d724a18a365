# The guest agent (cmd/runvm-agent) and its protocol (agent-client/).
#
# - $(B)/bin/runvm-agent.static: the agent linked statically, for the
#   initrd (`make guest` packs it as /init).  Not in sanitizer builds.
# - tests/unit/test_agent_*.c link the agent's own objects (all but
#   main.o) and the helpers in tests/agent/, so that they can run its loop
#   in a child process with a backend of plain processes.

AGENT_CORE_OBJS := $(filter-out $(B)/obj/cmd/runvm-agent/main.o,$(runvm-agent_OBJS))
AGENT_TEST_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(filter-out tests/agent/vm_check.c,$(sort $(wildcard tests/agent/*.c))))

$(B)/tests/test_agent_%: $(B)/obj/tests/unit/test_agent_%.o $(AGENT_CORE_OBJS) $(AGENT_TEST_OBJS) \
		$(SUPPORT_OBJS) $(LIB_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(AGENT_CORE_OBJS) $(AGENT_TEST_OBJS) $(SUPPORT_OBJS) \
		$(LINK_LIBS) $(PKG_LIBS) $(CRITERION_LIBS)

AGENT_STATIC_LIBS := -l:libseccomp.a -l:libcap-ng.a -l:libyajl_s.a -l:libcgroup.a -l:libnl-route-3.a \
	-l:libnl-3.a -lpthread -lm

# Stripped: it is loaded into every VM's memory.
$(B)/bin/runvm-agent.static: $(runvm-agent_OBJS) $(LIB_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -static -s -Wl,-z,relro,-z,now -Wl,--gc-sections -o $@ $(runvm-agent_OBJS) \
		$(LINK_LIBS) $(AGENT_STATIC_LIBS)

ifneq ($(SANITIZE),1)
all: $(B)/bin/runvm-agent.static
endif

# The static agent booted as a guest's PID 1 under QEMU, reached through
# runvm-vsockd (tests/agent/vm_check.c).  It skips what this machine lacks.
$(B)/tests/agent_vm_check: $(B)/obj/tests/agent/vm_check.o $(B)/obj/tests/agent/oci.o $(LIB_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/obj/tests/agent/oci.o $(LINK_LIBS) $(PKG_LIBS) $(CRITERION_LIBS)

.PHONY: check-agent-vm
check-agent-vm: all $(B)/tests/agent_vm_check
	RUNVM_BUILDDIR=$(abspath $(B)) RUNVM_SRCDIR=$(CURDIR) RUNVM_GUEST_DIR=$(abspath $(GUEST_DIR)) \
		tests/run-unit $(B)/tests/agent_vm_check

check-e2e:: check-agent-vm
