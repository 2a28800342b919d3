#!/bin/sh
# Run every libFuzzer target built in build-fuzz/ for a while each, seeded
# with the test fixtures, from a fixed seed so that CI runs repeat.
# Usage: fuzz/run.sh [SECONDS]   (default 20)
set -eu
cd "$(dirname "$0")/.."
secs=${1:-20}
status=0
for f in build-fuzz/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus=build-fuzz/corpus/$name
	mkdir -p "$corpus"
	seeds=$(ls -d tests/data/*/ 2>/dev/null | tr '\n' ' ')
	echo "== $name ($secs s)"
	"$f" -seed=1 -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 "$corpus" $seeds \
		>"build-fuzz/$name.log" 2>&1 || { status=1; tail -n 30 "build-fuzz/$name.log"; }
	grep -E "^(Done|#[0-9]+ *DONE)" "build-fuzz/$name.log" | tail -n 1 || true
done
exit $status
