# The guest image: Debian's cloud kernel and an initrd around a static /init.
# GUEST_DIR does not depend on B, so the sanitizer build shares the kernel.
GUEST_DIR ?= build/guest



$(GUEST_DIR)/kernel-version:
	vm/guest/fetch-kernel $(GUEST_DIR)

.PHONY: guest-kernel-pkg
guest-kernel-pkg: $(GUEST_DIR)/kernel-version
