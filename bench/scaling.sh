#!/bin/bash
# -j 2 against -j 1 for every stage, in one run, on the same 200+ MB inputs,
# so that the scaling figures of the issues come from one quiet moment.
#   bench/scaling.sh [REPS]     (default 5; best wall time of REPS, runs alternate)
# Run the other bench scripts first: they build the inputs under bench/work/
# (ingest.sh, filters.sh, pii.sh, dedup.sh). It also times two independent
# single-threaded processes against one, which says how much of a second core
# the machine really gave during the run.
set -eu
cd "$(dirname "$0")/.."
REPS=${1:-5}
B=$( [ -x build/curate ] && echo build || echo . )
C=$B/curate
W=bench/work
T=$(mktemp)
trap 'rm -f "$T"' EXIT

best() { # best wall seconds of REPS runs of "$@"
	local b=999999 t
	for _ in $(seq "$REPS"); do
		/usr/bin/time -f %e -o "$T" "$@" >/dev/null 2>&1
		t=$(tail -1 "$T")
		b=$(echo "$t $b" | awk '{print ($1 < $2) ? $1 : $2}')
	done
	echo "$b"
}

row() { # row LABEL CMD... (the command takes -j N at its end)
	local label=$1 one two
	shift
	one=$(best "$@" -j 1)
	two=$(best "$@" -j 2)
	awk -v l="$label" -v a="$one" -v b="$two" \
		'BEGIN { printf "| %-40s | %6.2f | %6.2f | %5.2fx |\n", l, a, b, a / b }'
}

echo "# $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | -j 1 s | -j 2 s | speed-up |"
echo "|---|---:|---:|---:|"
[ -f $W/ingest-200.jsonl.zst ] && row "ingest (226 MB .jsonl.zst)" $C ingest -q -o /dev/null $W/ingest-200.jsonl.zst
[ -f $W/filters/web215.jsonl ] && row "filter, default rule sets (226 MB)" $C filter -q -o /dev/null $W/filters/web215.jsonl
[ -f $W/pii/mixed.jsonl ] && row "pii (241 MB)" $C pii -q -o /dev/null $W/pii/mixed.jsonl
[ -f $W/dedup-210.jsonl ] && row "dedup --minhash (210 MB)" $C dedup --minhash -q -o /dev/null $W/dedup-210.jsonl
[ -f $W/ingest-200.jsonl.zst ] && row "tokenize (226 MB .jsonl.zst)" $C tokenize -q -o /dev/null $W/ingest-200.jsonl.zst
if [ -f $W/ingest-200.jsonl.zst ]; then
	S=$(mktemp -d)
	row "shard (226 MB .jsonl.zst)" $C shard -q --force -o "$S/shards" $W/ingest-200.jsonl.zst
	rm -rf "$S"
fi
# Calibration: one single-threaded job, then two at once.
one=$(best $C tokenize -q -o /dev/null $W/ingest-200.jsonl.zst -j 1)
two=$(best bash -c "$C tokenize -q -o /dev/null $W/ingest-200.jsonl.zst -j 1 & $C tokenize -q -o /dev/null $W/ingest-200.jsonl.zst -j 1; wait")
awk -v a="$one" -v b="$two" 'BEGIN { printf "\ncalibration: two independent single-threaded runs took %.2fx the time of one (1.00 = two free cores)\n", b / a }'
