# spec/: the unit tests also parse what `crun spec` writes (and skip that
# case when crun is missing); runc is in the base DEPS already.
DEPS += crun
