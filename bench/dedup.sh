#!/bin/bash
# Dedup throughput and memory, in one run, on >= 200 MB of JSONL built from
# the shared corpus (bench/dedup_mkdata.py: the corpus once, then exact,
# near and line-shuffled copies).
#   bench/dedup.sh [MB]        (default 210)
# Needs ../shared/corpus, a built curate and bench/dedup-sign-bench (make),
# python3, and Debian's python3-numpy for the reference (apt-get install
# python3-numpy; it runs under /usr/bin/python3). Throughput is MB of
# document text (the reports' bytes_in) per second of wall clock and per
# second of CPU time (user + sys: on a shared machine the fair "per core"
# figure); -j 1 runs are pinned to one core with taskset.
set -eu
cd "$(dirname "$0")/.."
MB=${1:-210}
SHARED=${SHARED:-../shared/corpus}
W=bench/work
B=$( [ -x build/curate ] && echo build || echo . )
CURATE=${CURATE:-$B/curate}
SIGN=${SIGN:-$B/bench/dedup-sign-bench}
PY=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )
mkdir -p $W
DATA=$W/dedup-$MB.jsonl
[ -s $DATA ] || python3 bench/dedup_mkdata.py "$SHARED" $DATA "$MB"
ONE="taskset -c 0"

field() { # FILE KEY: first numeric value of "KEY" in a JSON report
	grep -m1 "\"$2\"" "$1" | sed 's/.*: *//; s/,$//'
}

run() { # LABEL OUT.json CMD...: wall time, peak RSS, text MB/s
	local label=$1 rep=$2
	shift 2
	/usr/bin/time -f "%e %M %U %S" -o $W/time "$@" --report "$rep" -o /dev/null -q
	local t rss cpu bytes docs
	t=$(cut -d' ' -f1 $W/time)
	rss=$(cut -d' ' -f2 $W/time)
	cpu=$(awk '{print $3 + $4}' $W/time)
	bytes=$(field "$rep" bytes_in)
	docs=$(field "$rep" documents_in)
	printf '| %s | %.1f | %.1f | %.1f | %.1f | %d | %.0f |\n' "$label" "$t" \
		"$(echo "$bytes $t" | awk '{print $1 / 1e6 / $2}')" "$cpu" \
		"$(echo "$bytes $cpu" | awk '{print $1 / 1e6 / $2}')" "$((rss / 1024))" \
		"$(echo "$rss $docs" | awk '{print $1 * 1024 / $2}')"
}

echo "input: $DATA, $(stat -c %s $DATA) bytes, $(wc -l < $DATA) documents; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "MinHash signatures alone (text in memory, words + shingles + 112 hashes + 14 band keys):"
$ONE $SIGN $DATA
echo
echo "| run | wall s | text MB/s (wall) | CPU s (user+sys) | text MB/s per CPU second | peak RSS MB | RSS bytes/doc |"
echo "|---|---|---|---|---|---|---|"
run "dedup --minhash -j 1" $W/m1.json $ONE $CURATE dedup --minhash -j 1 $DATA
run "dedup --minhash -j 2" $W/m2.json $CURATE dedup --minhash -j 2 $DATA
run "dedup --minhash -j 1 --mem-limit 4M" $W/mm.json $ONE $CURATE dedup --minhash -j 1 --mem-limit 4M $DATA
run "dedup --exact -j 1" $W/e1.json $ONE $CURATE dedup --exact -j 1 $DATA
run "dedup --lines -j 1" $W/l1.json $ONE $CURATE dedup --lines -j 1 $DATA
run "dedup --url --exact --minhash --lines -j 2" $W/a2.json $CURATE dedup --url --exact --minhash --lines -j 2 $DATA
run "curate ingest -j 1 (one parse + write, for scale)" $W/i1.json $ONE $CURATE ingest -j 1 $DATA
echo
for f in m1 m2 mm; do
	echo "$f: sign $(field $W/$f.json sign_seconds) s, resolve $(field $W/$f.json resolve_seconds) s," \
		"apply $(field $W/$f.json apply_seconds) s; resolve state $(field $W/$f.json resolve_bytes_per_doc) bytes/doc," \
		"band keys held while signing $(field $W/$f.json sign_band_key_bytes_held) bytes;" \
		"removed $(field $W/$f.json minhash_duplicates) of $(field $W/$f.json documents_in)"
done
echo "lines: removed $(field $W/l1.json lines_removed) lines, $(field $W/l1.json line_bytes_removed) bytes;" \
	"line counts held $(field $W/l1.json line_count_bytes) bytes"

# The reference (Python + numpy, datatrove's method) is slow: compare both on
# the first 20 MB of the input.
head -c 20000000 $DATA | head -n -1 > $W/dedup-20.jsonl
echo
if $PY -c 'import numpy' 2>/dev/null; then
	$ONE $PY bench/dedup_ref.py $W/dedup-20.jsonl $W/ref.out
	run "curate dedup --minhash -j 1 on the same 20 MB" $W/s1.json $ONE $CURATE dedup --minhash -j 1 $W/dedup-20.jsonl
	$ONE $SIGN $W/dedup-20.jsonl | tail -1
else
	echo "reference skipped: no numpy (apt-get install python3-numpy)"
fi
