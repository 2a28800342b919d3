# tests/: the core's CLI tests and the source checks; module suites live in
# each module's local.mk.
TESTS += tests/cli/core.sh tests/cli/banned.sh tests/cli/ingest_bad.sh
EXTRA_DIST += tests/cli tests/data
