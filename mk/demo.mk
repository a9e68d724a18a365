# make demo: on a fresh Debian 12 machine, as root: install the packages,
# build runvm, build the guest image (Debian's cloud kernel and an initrd
# with the agent), make a busybox bundle under $(B)/demo and run a
# container in a microVM that prints the guest's kernel version next to
# the host's.
DEMO := $(B)/demo

.PHONY: demo demo-run

demo: deps
	$(MAKE) all
	$(MAKE) guest
	$(MAKE) --no-print-directory demo-run

demo-run:
	@rm -rf $(DEMO) && mkdir -p $(DEMO)/bundle/rootfs/bin $(DEMO)/root
	@for d in proc dev sys tmp etc; do mkdir -p $(DEMO)/bundle/rootfs/$$d; done
	@cp /bin/busybox $(DEMO)/bundle/rootfs/bin/busybox
	@for a in sh uname cat echo; do ln -s busybox $(DEMO)/bundle/rootfs/bin/$$a; done
	@$(B)/bin/runvm spec --bundle $(DEMO)/bundle
	@python3 -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); \
		c["process"]["terminal"]=False; \
		c["process"]["args"]=["sh","-c","echo \"guest kernel: $$(uname -r) ($$(cat /proc/cpuinfo | grep -c ^processor) vCPU)\""]; \
		json.dump(c,open(p,"w"),indent=2)' $(DEMO)/bundle/config.json
	@echo "host kernel:  $$(uname -r)"
	@$(B)/bin/runvm --root $(abspath $(DEMO))/root run --bundle $(abspath $(DEMO))/bundle demo-$$$$
