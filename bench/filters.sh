#!/bin/bash
# Filters throughput: every rule set alone and all default rule sets
# together, on >= 200 MB of real web text (the shared CC-MAIN-2019-30 sample,
# repeated), measured two ways:
#   1. the engine alone (bench/filters_speed.c: texts in memory, no JSON), with
#      wall-clock MB/s and MB per CPU-second, -j 1 and -j 2;
#   2. `curate filter` end to end (read, parse, filter, write), -j 1 and -j 2.
# usage: bench/filters.sh [BUILD_DIR]   (default: the source tree)
set -eu
cd "$(dirname "$0")/.."
B=${1:-$( [ -x build/curate ] && echo build || echo . )}
CURATE=$B/curate
WORK=bench/work/filters
CORPUS=${CORPUS:-../shared/corpus}
SRC=$CORPUS/web/jsonl/cc-2019-30-dolma.jsonl.zst
mkdir -p "$WORK"
[ -x "$CURATE" ] && [ -f "$B/libcurate.a" ] || { echo "build curate first (make)"; exit 1; }

if [ ! -s "$WORK/web215.jsonl" ]; then
	zstdcat "$SRC" > "$WORK/one.jsonl"
	# 100 copies: about 237 MB of JSONL, 215 MB of text
	n=100
	for _ in $(seq "$n"); do cat "$WORK/one.jsonl"; done > "$WORK/web215.jsonl"
	for _ in $(seq 10); do cat "$WORK/one.jsonl"; done > "$WORK/web24.jsonl"
fi
cc -O2 -I. -I"$B" -pthread bench/filters_speed.c "$B/libcurate.a" \
	$(pkg-config --cflags --libs jansson libutf8proc libxxhash libarchive libzstd libpcre2-8) -lm \
	-o "$WORK/filters_speed"

ALL=length,gopher-quality,gopher-repetition,c4,fineweb,safety
echo "# machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# input: $(du -mL "$WORK/web215.jsonl" | cut -f1) MB JSONL"
echo "## engine alone"
for r in length gopher-quality gopher-repetition c4 fineweb safety "$ALL"; do
	"$WORK/filters_speed" "$r" 1 "$WORK/web215.jsonl"
done
"$WORK/filters_speed" "$ALL" 2 "$WORK/web215.jsonl"
# llama3 tokenizes every document (Llama 3 BPE): run it on 24 MB
"$WORK/filters_speed" llama3 1 "$WORK/web24.jsonl"
"$WORK/filters_speed" "$ALL,llama3" 1 "$WORK/web24.jsonl"

echo "## curate filter end to end (default rule sets; read, parse, filter, write)"
MB=$(stat -L -c %s "$WORK/web215.jsonl")
for j in 1 2; do
	t=$( { /usr/bin/time -f "%e %U" "$CURATE" filter -q -j "$j" "$WORK/web215.jsonl" -o /dev/null; } 2>&1 | tail -1)
	echo "$t" | awk -v j="$j" -v b="$MB" '{ printf "curate filter -j %d: wall %.2f s %.1f MB/s, user %.2f s %.1f MB/cpu-s (JSONL bytes)\n", j, $1, b / 1e6 / $1, $2, b / 1e6 / $2 }'
done
