#!/bin/bash
# Ingest throughput against plain decompression, in one run.
#   bench/ingest.sh [MB]     (default 200 MB of JSONL, built by repeating the shared corpus)
# Needs ../shared/corpus (the project's shared data) and a built build/curate.
set -eu
cd "$(dirname "$0")/.."
MB=${1:-200}
SHARED=${SHARED:-../shared/corpus}
W=bench/work
CURATE=${CURATE:-build/curate}
mkdir -p $W

if [ ! -f $W/ingest-$MB.jsonl.zst ]; then
	# Web, prose, code, math and multilingual JSONL, repeated to the size asked.
	zstdcat $SHARED/web/jsonl/*.zst $SHARED/prose_en/*.zst $SHARED/code/*.zst \
		$SHARED/math/*.zst $SHARED/multilingual/*.zst > $W/base.jsonl
	: > $W/ingest.jsonl
	while [ "$(stat -c %s $W/ingest.jsonl)" -lt $((MB * 1000000)) ]; do
		cat $W/base.jsonl >> $W/ingest.jsonl
	done
	zstd -q -f -T2 $W/ingest.jsonl -o $W/ingest-$MB.jsonl.zst
	gzip -c $W/ingest.jsonl > $W/ingest-$MB.jsonl.gz
	# WARC: the real crawl files, concatenated (gzip members stay valid) to ~50 MB.
	: > $W/crawl.warc.gz
	while [ "$(stat -c %s $W/crawl.warc.gz)" -lt 50000000 ]; do
		ls $SHARED/web/warc/*.warc.gz | grep -v truncated | xargs cat >> $W/crawl.warc.gz
	done
	rm -f $W/ingest.jsonl $W/base.jsonl
fi
RAW=$(zstd -dc $W/ingest-$MB.jsonl.zst | wc -c)
WRAW=$(zcat $W/crawl.warc.gz 2>/dev/null | wc -c || true)

# time_best LABEL BYTES CMD: best of 3 runs by wall clock and by CPU time
# (user + system, children included). On a shared machine the CPU time is the
# steadier figure: it does not count time spent waiting for a core.
time_best() {
	local label=$1 bytes=$2 best=999999 cbest=999999 t c
	shift 2
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %U %S" -o $W/t bash -c "$*" >/dev/null 2>&1
		read -r t u s < <(tail -1 $W/t)
		c=$(echo "$u $s" | awk '{print $1 + $2}')
		best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
		cbest=$(echo "$c $cbest" | awk '{print ($1 < $2) ? $1 : $2}')
	done
	echo "$best $cbest" > $W/last
	awk -v l="$label" -v b="$bytes" -v t="$best" -v c="$cbest" \
		'BEGIN { printf "| %-44s | %8.2f | %8.1f | %8.2f | %8.1f |\n", l, t, b / 1e6 / t, c, b / 1e6 / c }'
}

echo "corpus: $W/ingest-$MB.jsonl.zst ($((RAW / 1000000)) MB raw JSONL); $W/crawl.warc.gz ($((WRAW / 1000000)) MB raw WARC); $(nproc) cores"
echo
echo "| command | wall s | MB/s (wall) | CPU s | MB/s per CPU s |"
echo "|---|---:|---:|---:|---:|"
time_best "zstd -dc \| wc -l" $RAW "zstd -dc $W/ingest-$MB.jsonl.zst | wc -l"; read -r ZS ZSC < $W/last
time_best "zcat (.gz) \| wc -l" $RAW "zcat $W/ingest-$MB.jsonl.gz | wc -l"
time_best "curate ingest -j1 (.zst in, JSONL out)" $RAW "$CURATE ingest -q -j1 $W/ingest-$MB.jsonl.zst"; read -r J1 J1C < $W/last
time_best "curate ingest -j2 (.zst in, JSONL out)" $RAW "$CURATE ingest -q -j2 $W/ingest-$MB.jsonl.zst"; read -r J2 J2C < $W/last
time_best "curate ingest -j2 (.zst in, .zst out)" $RAW "$CURATE ingest -q -j2 -o $W/out.jsonl.zst $W/ingest-$MB.jsonl.zst"
time_best "zcat crawl.warc.gz \| wc -l" $WRAW "zcat $W/crawl.warc.gz | wc -l"
time_best "curate ingest -j1 (WARC)" $WRAW "$CURATE ingest -q -j1 $W/crawl.warc.gz"
rm -f $W/out.jsonl.zst
echo
awk -v z=$ZS -v a=$J1 -v b=$J2 -v zc=$ZSC -v ac=$J1C 'BEGIN {
	printf "speed of curate -j1 / speed of (zstd -dc | wc -l): %.2f by wall clock, %.2f by CPU time (target >= 0.50)\n", z / a, zc / ac
	printf "speed of -j2 / -j1 (wall clock): %.2f\n", a / b }'
