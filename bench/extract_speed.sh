#!/bin/bash
# The speed target against readability-lxml, measured in rounds: each round
# times curate's extractor (bench/extract_bench, fastest of 3 passes),
# libxml2's parser as curate feeds it (callbacks doing nothing: the
# extractor's ceiling) and readability-lxml (one pass), one after the other
# on one core, and prints the ratios of CPU seconds; the last line gives
# their median over the rounds. On a shared machine a single run of
# bench/extract.sh can land anywhere in the spread that this shows.
#
#   bench/extract_speed.sh [ROUNDS] [BENCHMARK_DIR]     (ROUNDS: 5)
#
# Needs a built tree and /usr/bin/python3 with python3-readability. Run it
# under `flock /work/.bench.lock` on a shared machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
rounds=${1:-5}
aeb=${2:-$top/../shared/corpus/web/html/article-extraction-benchmark}
work=$here/work/extract-speed

build=${BUILD:-}
for d in "$top" "$top/build"; do
	[ -z "$build" ] && [ -x "$d/bench/extract_bench" ] && build=$d
done
[ -n "$build" ] || { echo "build first (make), or set BUILD=the build folder" >&2; exit 2; }
[ -f "$aeb/ground-truth.json" ] || { echo "no benchmark at $aeb" >&2; exit 2; }
/usr/bin/python3 -c 'import readability' 2>/dev/null ||
	{ echo "needs python3-readability" >&2; exit 2; }

rm -rf "$work"
mkdir -p "$work/html"
for f in "$aeb"/html/*.html.gz; do gzip -dc "$f" > "$work/html/$(basename "$f" .gz)"; done
pages=("$work"/html/*.html)
echo "load before: $(uptime)"
for r in $(seq "$rounds"); do
	taskset -c 1 "$build/bench/extract_bench" -p 3 "${pages[@]}"
	taskset -c 1 "$build/bench/extract_bench" -p 3 --libxml2-feed "${pages[@]}"
	PASSES=1 taskset -c 1 /usr/bin/python3 "$here/extract_peer_lxml.py" "$work/lxml.json" \
		"${pages[@]}"
done > "$work/rounds.jsonl"
echo "load after: $(uptime)"
python3 - "$work/rounds.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ratios = {"curate": [], "ceiling": []}
for i in range(0, len(rows), 3):
    cur, feed, lxml = rows[i:i + 3]
    a, b = lxml["cpu_seconds"] / cur["cpu_seconds"], lxml["cpu_seconds"] / feed["cpu_seconds"]
    ratios["curate"].append(a)
    ratios["ceiling"].append(b)
    print(f"round {i // 3 + 1}: curate {cur['cpu_seconds']:.3f} cpu-s, libxml2 as fed "
          f"{feed['cpu_seconds']:.3f}, readability-lxml {lxml['cpu_seconds']:.3f}: curate "
          f"{a:.1f}x readability-lxml, the parser alone {b:.1f}x "
          f"(curate's own work {1 - feed['cpu_seconds'] / cur['cpu_seconds']:.0%})")
print(f"median of {len(rows) // 3}: curate {statistics.median(ratios['curate']):.1f}x "
      f"readability-lxml (range {min(ratios['curate']):.1f}-{max(ratios['curate']):.1f}); "
      f"ceiling {statistics.median(ratios['ceiling']):.1f}x "
      f"(range {min(ratios['ceiling']):.1f}-{max(ratios['ceiling']):.1f})")
PY
