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

# time_best LABEL BYTES CMD: best of 3 wall-clock runs, printed as MB/s of raw input.
time_best() {
	local label=$1 bytes=$2 best=999999 t
	shift 2
	for _ in 1 2 3; do
		/usr/bin/time -f %e -o $W/t bash -c "$*" >/dev/null 2>&1
		t=$(tail -1 $W/t)
		best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
	done
	echo "$best" > $W/last
	awk -v l="$label" -v b="$bytes" -v t="$best" 'BEGIN { printf "| %-44s | %8.2f | %8.1f |\n", l, t, b / 1e6 / t }'
}

echo "corpus: $W/ingest-$MB.jsonl.zst ($((RAW / 1000000)) MB raw JSONL); $W/crawl.warc.gz ($((WRAW / 1000000)) MB raw WARC); $(nproc) cores"
echo
echo "| command | seconds | MB/s |"
echo "|---|---:|---:|"
time_best "zstd -dc \| wc -l" $RAW "zstd -dc $W/ingest-$MB.jsonl.zst | wc -l"; ZS=$(cat $W/last)
time_best "zcat (.gz) \| wc -l" $RAW "zcat $W/ingest-$MB.jsonl.gz | wc -l"
time_best "curate ingest -j1 (.zst in, JSONL out)" $RAW "$CURATE ingest -q -j1 $W/ingest-$MB.jsonl.zst"; J1=$(cat $W/last)
time_best "curate ingest -j2 (.zst in, JSONL out)" $RAW "$CURATE ingest -q -j2 $W/ingest-$MB.jsonl.zst"; J2=$(cat $W/last)
time_best "curate ingest -j2 (.zst in, .zst out)" $RAW "$CURATE ingest -q -j2 -o $W/out.jsonl.zst $W/ingest-$MB.jsonl.zst"
time_best "zcat crawl.warc.gz \| wc -l" $WRAW "zcat $W/crawl.warc.gz | wc -l"
time_best "curate ingest -j1 (WARC)" $WRAW "$CURATE ingest -q -j1 $W/crawl.warc.gz"
rm -f $W/out.jsonl.zst
echo
awk -v z=$ZS -v a=$J1 -v b=$J2 'BEGIN { printf "curate -j1 / (zstd -dc | wc -l) = %.2f (target >= 0.50); -j2 / -j1 = %.2f\n", z / a, a / b }'
