# runvm: a runc-compatible OCI runtime that runs each container in a microVM.
#
# Layout-driven build: every directory listed in LIBDIRS becomes a static
# library of all its *.c files; every directory cmd/<name>/ becomes the
# program <name>; every tests/unit/test_<x>.c becomes a criterion binary;
# every tests/fuzz/fuzz_<x>.c becomes a libFuzzer target.  Areas that need
# more (the guest image, the end-to-end tests) add rules in mk/<area>.mk.
#
#   make                  build everything into $(B) (default build/)
#   make check            unit tests, OCI validation tests, end-to-end tests
#   make check-unit       unit tests only
#   make check-asan       unit tests built with ASan + UBSan (in build-asan/)
#   make fuzz             every fuzz target for FUZZ_SECONDS (default 60)
#   make format           clang-format -i; make lint checks format and bans
#   make install          PREFIX (/usr/local), DESTDIR honoured
#   make demo             install deps, build, boot a container in a microVM

VERSION := 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/runvm
DATADIR ?= $(PREFIX)/share/runvm
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc

B ?= build

# `make` alone builds everything; the first rule in the file would otherwise
# be the first library archive.
.DEFAULT_GOAL := all

SANITIZE ?=
FUZZ_SECONDS ?= 60

PKGS := libseccomp libcap-ng yajl libcgroup libnl-3.0 libnl-route-3.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
CRITERION_LIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

OPT ?= -O2
CFLAGS ?= $(OPT) -g
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
	-Wno-missing-field-initializers -Wvla -Wpointer-arith -Wundef
RV_CPPFLAGS := -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -Ulinux -I. -I$(B)/gen \
	-DRUNVM_PREFIX='"$(PREFIX)"' -DRUNVM_LIBEXECDIR='"$(LIBEXECDIR)"' -DRUNVM_DATADIR='"$(DATADIR)"' \
	-DRUNVM_SYSCONFDIR='"$(SYSCONFDIR)"'
RV_CFLAGS := -std=gnu11 -fno-strict-aliasing -fstack-protector-strong -fPIE $(WARNINGS) $(PKG_CFLAGS)
RV_LDFLAGS := -pie -Wl,-z,relro,-z,now

ifeq ($(SANITIZE),1)
OPT := -O1
RV_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
RV_LDFLAGS += -fsanitize=address,undefined
RV_CPPFLAGS += -DRUNVM_SANITIZE=1
endif

ALL_CPPFLAGS = $(RV_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(RV_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(RV_LDFLAGS) $(LDFLAGS)

# Libraries, in dependency order (users first): cmd/* -> runtime -> (vm,
# agent-client, libcontainer) -> spec -> common.
LIBDIRS := runtime vm vm/vsock agent-client libcontainer spec common
libfile = $(B)/lib/lib$(subst /,-,$(1)).a
LIB_FILES :=
define LIB_template
$(1)_SRCS := $$(sort $$(wildcard $(1)/*.c))
ifneq ($$(strip $$($(1)_SRCS)),)
$(1)_OBJS := $$(patsubst %.c,$(B)/obj/%.o,$$($(1)_SRCS))
LIB_FILES += $(call libfile,$(1))
$(call libfile,$(1)): $$($(1)_OBJS)
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
endif
endef
$(foreach d,$(LIBDIRS),$(eval $(call LIB_template,$(d))))

LINK_LIBS = -Wl,--start-group $(LIB_FILES) -Wl,--end-group

# Programs: cmd/<name>/*.c.  A fragment may set <name>_LDFLAGS / <name>_LIBS
# (the static guest agent does).
CMDS := $(notdir $(wildcard cmd/*))
PROGRAMS := $(foreach c,$(CMDS),$(B)/bin/$(c))
define CMD_template
$(1)_SRCS := $$(sort $$(wildcard cmd/$(1)/*.c))
$(1)_OBJS := $$(patsubst %.c,$(B)/obj/%.o,$$($(1)_SRCS))
$(B)/bin/$(1): $$($(1)_OBJS) $$(LIB_FILES)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) $$($(1)_LDFLAGS) -o $$@ $$($(1)_OBJS) $$(LINK_LIBS) \
		$$(if $$($(1)_LIBS),$$($(1)_LIBS),$$(PKG_LIBS))
endef
$(foreach c,$(CMDS),$(eval $(call CMD_template,$(c))))

# Unit tests.  Shared test helpers live in tests/unit/support/*.c.
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
SUPPORT_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(wildcard tests/unit/support/*.c))
$(B)/tests/%: $(B)/obj/tests/unit/%.o $(SUPPORT_OBJS) $(LIB_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(SUPPORT_OBJS) $(LINK_LIBS) $(PKG_LIBS) $(CRITERION_LIBS)

$(B)/obj/%.o: %.c $(B)/gen/version.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# version.h changes only when the version or the commit does.
COMMIT := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
$(B)/gen/version.h: FORCE
	@mkdir -p $(@D)
	@printf '#define RUNVM_VERSION "%s"\n#define RUNVM_COMMIT "%s"\n' '$(VERSION)' '$(COMMIT)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# Debian packages for building and testing.  Fragments append with +=.
DEPS := build-essential pkg-config clang clang-format libclang-rt-14-dev git \
	libseccomp-dev libcap-ng-dev libyajl-dev libcgroup-dev libnl-3-dev libnl-route-3-dev \
	libcriterion-dev qemu-system-x86 qemu-system-common busybox-static cpio kmod zstd xz-utils \
	iproute2 man-db python3 runc

# A fresh machine may have no package lists yet, or stale ones: the install
# is retried once after `apt-get update`.
APT_INSTALL = DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(sort $(DEPS))
deps:
	$(APT_INSTALL) || { apt-get update && $(APT_INSTALL); }

# deps-ensure: installs the packages only when one is missing, so that
# `make check` works on a fresh machine and costs one dpkg-query elsewhere.
deps-ensure:
	@missing=$$(dpkg-query -W -f='$${db:Status-Abbrev} $${Package}\n' $(sort $(DEPS)) 2>&1 | grep -v '^ii ' || true); \
	if [ -n "$$missing" ]; then echo "deps: not installed: $$(echo "$$missing" | awk '{print $$NF}' | tr '\n' ' ')"; \
		$(MAKE) --no-print-directory deps; fi

.PHONY: deps deps-ensure print-checks all check check-unit check-asan fuzz fuzz-build format lint install demo clean FORCE \
	unit-build check-oci check-e2e install-extra

all: $(PROGRAMS)

unit-build: $(PROGRAMS) $(UNIT_BINS)

# Unit tests get the build directory, so tests of a program can run it.
check-unit: unit-build
	RUNVM_BUILDDIR=$(abspath $(B)) tests/run-unit $(UNIT_BINS)

# The suites of `make check`, in order (.ci/run runs them one by one).
# check-oci and check-e2e are double-colon rules: each mk/*.mk fragment
# adds its own recipe as its suite lands.
CHECKS := lint check-unit check-oci check-e2e
check: deps-ensure
	$(MAKE) --no-print-directory $(CHECKS)
print-checks:
	@echo $(CHECKS)
check-oci::
check-e2e::

check-asan:
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MAKE) B=build-asan SANITIZE=1 check-unit

# libFuzzer targets: clang, ASan, UBSan, in build-fuzz/.
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/fuzz/%,$(FUZZ_SRCS))
fuzz:
	$(MAKE) B=build-fuzz CC=clang SANITIZE=1 RV_FUZZ=1 fuzz-build
	tests/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BINS)

ifeq ($(RV_FUZZ),1)
RV_CFLAGS += -fsanitize=fuzzer-no-link
RV_CPPFLAGS += -DRUNVM_FUZZING=1
endif
fuzz-build: $(FUZZ_BINS)
build-fuzz/fuzz/%: $(B)/obj/tests/fuzz/%.o $(LIB_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LINK_LIBS) $(PKG_LIBS)

SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(SOURCES)

# lint: clang-format clean, and no sprintf/strcpy/strcat (bounded forms only).
lint:
	@out=$$(clang-format --dry-run $(SOURCES) 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" | head -40; echo "lint: run 'make format'"; exit 1; fi
	@if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|gets)[[:space:]]*\(' $(SOURCES); then \
		echo "lint: use snprintf/xasprintf and bounded copies"; exit 1; fi
	@echo "lint: ok"

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(B)/bin/runvm $(DESTDIR)$(BINDIR)/runvm
	for p in $(filter-out runvm,$(CMDS)); do \
		install -m 0755 $(B)/bin/$$p $(DESTDIR)$(LIBEXECDIR)/$$p; done
	install -d $(DESTDIR)$(MANDIR)/man8
	for m in man/*.8; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/ || true; done
	$(MAKE) install-extra

# Fragments add what they install (the guest image, config examples).
install-extra::

clean:
	rm -rf build build-asan build-fuzz

FORCE:

# Keep objects of tests and fuzzers (make would delete them as intermediate).
.SECONDARY:

-include $(sort $(wildcard mk/*.mk))
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
