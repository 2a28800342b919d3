#!/bin/bash
# What the run report's length histograms cost (docs/report.md): the share of
# the threads' time spent measuring documents (thread_seconds.lengths) in a
# filter run, which counts characters of every document as read and as kept,
# and the wall time of the same run with --report-tokens (every document
# tokenized once more) against without, in one run; and how long drawing
# the page takes.
#   bench/report.sh [REPS]   (default 3; best wall time; run under
#                             flock /work/.bench.lock on a shared machine)
# Input: bench/work/filters/web24.jsonl (bench/filters.sh builds it from the
# shared CC-MAIN-2019-30 sample: 10 copies, about 24 MB of text).
set -eu
cd "$(dirname "$0")/.."
REPS=${1:-3}
B=$( [ -x build/curate ] && echo build || echo . )
C=$B/curate
IN=bench/work/filters/web24.jsonl
CORPUS=${CORPUS:-../shared/corpus}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
if [ ! -s "$IN" ]; then
	mkdir -p bench/work/filters
	zstdcat "$CORPUS/web/jsonl/cc-2019-30-dolma.jsonl.zst" > "$W/one.jsonl"
	for _ in $(seq 10); do cat "$W/one.jsonl"; done > "$IN"
fi

best() { # "WALL CPU": the best wall seconds of REPS runs of "$@", and the
	 # CPU seconds (user + system) of the same run; CPU time says more than
	 # wall time on a loaded machine
	local b="999999 0" t
	for _ in $(seq "$REPS"); do
		/usr/bin/time -f "%e %U %S" -o "$W/t" "$@" >/dev/null 2>&1
		t=$(tail -1 "$W/t" | awk '{printf "%s %.2f", $1, $2 + $3}')
		b=$(echo "$t $b" | awk '{print ($1 < $3) ? $1 " " $2 : $3 " " $4}')
	done
	echo "$b"
}

share() { # the lengths' share of the busy thread-seconds in report $1
	/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
ts = r["thread_seconds"]
busy = sum(v for k, v in ts.items() if k != "waiting") + sum(s["seconds"] for s in r["stages"])
print("%.3f s of %.2f s (%.1f%%)" % (ts["lengths"], busy, 100 * ts["lengths"] / busy))' "$1"
}

echo "# $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# input: $IN, $(du -mL "$IN" | cut -f1) MB"
for j in 1 2; do
	set -- $(best $C filter -q -j $j --report "$W/c$j.json" -o /dev/null "$IN")
	plain=$1 plain_cpu=$2
	set -- $(best $C filter -q -j $j --report-tokens --report "$W/t$j.json" -o /dev/null "$IN")
	echo "filter -j $j: characters only $plain s wall, $plain_cpu s CPU (lengths: $(share "$W/c$j.json"));" \
		"with --report-tokens $1 s wall, $2 s CPU (lengths: $(share "$W/t$j.json"));" \
		"$(awk -v a="$plain_cpu" -v b="$2" 'BEGIN { printf "%.2fx the CPU time", b / a }')"
done
set -- $(best $C report -q "$W/t1.json" -o "$W/page.html")
echo "curate report (the page of that run, $(du -k "$W/page.html" | cut -f1) kB): $1 s wall"
