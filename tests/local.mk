# tests/: the core's CLI tests and the source checks; module suites live in
# each module's local.mk.
TESTS += tests/cli/core.sh tests/cli/banned.sh tests/cli/ingest_bad.sh tests/cli/adversarial.sh
EXTRA_DIST += $(wildcard $(srcdir)/tests/cli/*.sh $(srcdir)/tests/cli/*.py \
	$(srcdir)/tests/cli/expected/* $(srcdir)/tests/data/*/* $(srcdir)/tests/data/*/*/*)
