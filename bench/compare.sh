#!/bin/bash
# Two builds of curate side by side on the headline commands, in one run:
# each command at -j 1 and -j 2, the builds alternating, best of REPS wall
# and CPU seconds (user + sys) for each, and the new build's time over the
# old one's (below 1.00: the new one is faster). For a change that should
# move nothing, the ratios say whether it did; only ratios within this one
# run compare.
#   bench/compare.sh OLD_BUILD_DIR [NEW_BUILD_DIR] [REPS]
#   (defaults: build, 3; e.g. a clone of an older commit built in /tmp/old/build)
# Inputs are built under bench/work/ from ../shared/corpus as the other
# scripts build them: 226 MB of mixed JSONL (.jsonl.zst), 214 MB of web text
# (filters; 24 MB of it for the tokenizer), 210 MB with near duplicates (dedup).
set -eu
cd "$(dirname "$0")/.."
OLD=$1
NEW=${2:-build}
REPS=${3:-3}
SHARED=${SHARED:-../shared/corpus}
W=bench/work
T=$(mktemp)
S=$(mktemp -d)
trap 'rm -rf "$T" "$S"' EXIT
mkdir -p $W

if [ ! -f $W/ingest-200.jsonl.zst ]; then
	zstdcat $SHARED/web/jsonl/*.zst $SHARED/prose_en/*.zst $SHARED/code/*.zst \
		$SHARED/math/*.zst $SHARED/multilingual/*.zst > $W/base.jsonl
	: > $W/ingest.jsonl
	while [ "$(stat -c %s $W/ingest.jsonl)" -lt 200000000 ]; do cat $W/base.jsonl >> $W/ingest.jsonl; done
	zstd -q -f -T2 $W/ingest.jsonl -o $W/ingest-200.jsonl.zst
	rm -f $W/ingest.jsonl $W/base.jsonl
fi
if [ ! -s $W/filters/web215.jsonl ]; then
	mkdir -p $W/filters
	zstdcat $SHARED/web/jsonl/cc-2019-30-dolma.jsonl.zst > $W/filters/one.jsonl
	for _ in $(seq 100); do cat $W/filters/one.jsonl; done > $W/filters/web215.jsonl
fi
[ -s $W/filters/web24.jsonl ] || for _ in $(seq 10); do cat $W/filters/one.jsonl; done > $W/filters/web24.jsonl
[ -s $W/dedup-210.jsonl ] || python3 bench/dedup_mkdata.py "$SHARED" $W/dedup-210.jsonl 210

# run BUILD CMD...: one timed run; prints "wall cpu"
run() {
	local b=$1
	shift
	rm -rf "$S/shards"
	/usr/bin/time -f "%e %U %S" -o "$T" "$@" > /dev/null 2>&1 || echo "FAILED: $*" >&2
	awk '{ printf "%s %s\n", $1, $2 + $3 }' "$T"
}

# row LABEL ARGS...: curate ARGS at -j 1 and -j 2, old and new alternating
row() {
	local label=$1 j
	shift
	for j in 1 2; do
		local ow=1e9 oc=1e9 nw=1e9 nc=1e9 r
		for _ in $(seq "$REPS"); do
			r=$(run old "$OLD/curate" "$@" -j $j)
			ow=$(echo "$r $ow" | awk '{ print ($1 < $3) ? $1 : $3 }')
			oc=$(echo "$r $oc" | awk '{ print ($2 < $3) ? $2 : $3 }')
			r=$(run new "$NEW/curate" "$@" -j $j)
			nw=$(echo "$r $nw" | awk '{ print ($1 < $3) ? $1 : $3 }')
			nc=$(echo "$r $nc" | awk '{ print ($2 < $3) ? $2 : $3 }')
		done
		awk -v l="$label" -v j=$j -v ow=$ow -v oc=$oc -v nw=$nw -v nc=$nc 'BEGIN {
			printf "| %-34s | %d | %6.2f | %6.2f | %6.2f | %6.2f | %5.2f | %5.2f |\n",
				l, j, ow, nw, oc, nc, nw / ow, nc / oc }'
	done
}

echo "# $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# old: $OLD ($(git -C "$OLD/.." log --oneline -1 2>/dev/null | cut -c1-60)), new: $NEW ($(git log --oneline -1 | cut -c1-60))"
echo
echo "| command | -j | old wall s | new wall s | old CPU s | new CPU s | new/old wall | new/old CPU |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
row "ingest (226 MB .jsonl.zst)" ingest -q -o /dev/null $W/ingest-200.jsonl.zst
row "filter, default rule sets (214 MB)" filter -q -o /dev/null $W/filters/web215.jsonl
row "pii (226 MB .jsonl.zst)" pii -q -o /dev/null $W/ingest-200.jsonl.zst
row "dedup --minhash (210 MB)" dedup --minhash -q -o /dev/null $W/dedup-210.jsonl
row "tokenize (226 MB .jsonl.zst)" tokenize -q -o /dev/null $W/ingest-200.jsonl.zst
row "shard (226 MB .jsonl.zst)" shard -q --force -o "$S/shards" $W/ingest-200.jsonl.zst
echo
# The in-memory benchmarks of the tokenizer and the MinHash signatures.
for b in "$OLD" "$NEW"; do
	echo "$b: tok_bench -j 1 (24 MB of web text): $("$b/bench/tok_bench" -j 1 -p 3 $W/filters/web24.jsonl 2>&1 | tail -1)"
	echo "$b: dedup-sign-bench: $("$b/bench/dedup-sign-bench" $W/dedup-210.jsonl 2>&1 | tail -1)"
done
