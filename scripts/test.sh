#!/bin/sh
# The whole test suite: set up, build, run the Check suites and CLI tests,
# the same again under ASan/UBSan, every libFuzzer target for a short while,
# and `make distcheck`.
#   scripts/test.sh [--quick]   (--quick: the plain build's tests only)
set -eu
cd "$(dirname "$0")/.."
quick=${1:-}
if [ "$quick" = "--quick" ]; then
	scripts/setup.sh
else
	scripts/setup.sh --all
	# setup.sh --all installed Slurm: its test must run, not skip.
	export CURATE_REQUIRE_SLURM=1
fi
status=0
if [ "$quick" != "--quick" ] && [ ! -s data/models/reference/model.safetensors ]; then
	# The reference model, trained as the demo trains it, so that the
	# tests of its separation (tests/cli/model.sh) run rather than skip.
	echo "== the reference model (scripts/reference_model.sh, a few minutes)"
	scripts/reference_model.sh > build/reference-model.log 2>&1 || {
		status=1
		tail -n 40 build/reference-model.log
	}
fi
echo "== make check (build/)"
make -s -C build check -j"$(nproc)" || status=1
[ $status = 0 ] || cat build/test-suite.log 2>/dev/null | tail -n 80
if [ "$quick" != "--quick" ]; then
	echo "== make check under ASan/UBSan (build-asan/)"
	ASAN_OPTIONS=detect_leaks=1 make -s -C build-asan check -j"$(nproc)" || {
		status=1
		tail -n 80 build-asan/test-suite.log 2>/dev/null
	}
	echo "== libFuzzer targets (build-fuzz/)"
	fuzz/run.sh 20 || status=1
	echo "== make distcheck"
	make -s -C build distcheck >build/distcheck.log 2>&1 || {
		status=1
		tail -n 40 build/distcheck.log
	}
fi
# One closing line over every suite that ran (Check suites and CLI scripts).
awk '/^# PASS:/ { p += $3 } /^# (FAIL|ERROR|XPASS):/ { f += $3 } END { printf "%d passed, %d failed\n", p, f }' \
	build/test-suite.log $( [ "$quick" = "--quick" ] || echo build-asan/test-suite.log )
[ $status = 0 ] && echo "all tests passed" || echo "TESTS FAILED"
exit $status
