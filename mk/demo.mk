# make demo: what exists so far.  The lifecycle work replaces this with a
# container booted in a microVM.
demo: deps
	$(MAKE) all
	$(B)/bin/runvm --version
