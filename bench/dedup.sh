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

echo "input: $DATA, $(stat -L -c %s $DATA) bytes, $(wc -l < $DATA) documents; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
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
# -j scaling on a shared machine: one run of each is noise, so run -j 1
# (pinned) and -j 2 alternately REPS times and keep the best and the median
# of each; and, in the same window, what two independent single-threaded
# processes get from the two cores (the best any -j 2 can do here).
REPS=${REPS:-5}
echo
echo "-j scaling, $REPS alternating runs each (wall s; sign / resolve / apply s of the best run):"
: > $W/scale.txt
for i in $(seq $REPS); do
	for j in 1 2; do
		p=$([ $j = 1 ] && echo "$ONE" || true)
		/usr/bin/time -f "%e %U %S" -o $W/time $p $CURATE dedup --minhash -j $j $DATA \
			-o /dev/null -q --report $W/s$j.json
		echo "$j $(cut -d' ' -f1-3 $W/time) $(field $W/s$j.json sign_seconds)" \
			"$(field $W/s$j.json resolve_seconds) $(field $W/s$j.json apply_seconds)" >> $W/scale.txt
	done
done
for j in 1 2; do
	grep "^$j " $W/scale.txt | sort -n -k2 | awk -v j=$j '{w[NR]=$2; if (NR==1) b=$0}
		END {split(b, f, " "); printf "  -j %d: best %.2f s (CPU %.2f s; sign %.2f, resolve %.2f, apply %.2f), median %.2f s\n",
			j, f[2], f[3] + f[4], f[5], f[6], f[7], w[int((NR + 1) / 2)]}'
done
b1=$(grep '^1 ' $W/scale.txt | sort -n -k2 | head -1 | cut -d' ' -f2)
b2=$(grep '^2 ' $W/scale.txt | sort -n -k2 | head -1 | cut -d' ' -f2)
echo "  best -j 2 speedup: $(echo "$b1 $b2" | awk '{printf "%.2f", $1 / $2}')x"
head -c 40000000 $DATA | head -n -1 > $W/dedup-40.jsonl
t1=$( { /usr/bin/time -f %e $ONE $SIGN $W/dedup-40.jsonl > /dev/null; } 2>&1 )
t2=$( { /usr/bin/time -f %e $SIGN $W/dedup-40.jsonl > /dev/null & /usr/bin/time -f %e $SIGN $W/dedup-40.jsonl > /dev/null; wait; } 2>&1 | sort -n | tail -1)
echo "  calibration: one dedup-sign-bench alone $t1 s, two at once $t2 s:" \
	"the two cores gave $(echo "$t1 $t2" | awk '{printf "%.2f", 2 * $1 / $2}')x one core's throughput"
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
