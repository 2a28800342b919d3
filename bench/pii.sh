#!/bin/bash
# bench/pii.sh: PII detection throughput.
#
# Builds >= 200 MB of mixed web, code, mail and prose JSONL from
# ../shared/corpus (repeated), then measures, in one run:
#   1. the detector alone (bench/pii_speed: no JSON, no I/O), all detectors
#      and each one on its own, on 1 and 2 threads;
#   2. `grep -P` with the same e-mail pattern over the same texts (plain
#      text file), against our e-mail detector alone;
#   3. the whole command `curate pii -j 1` and `-j 2`, and `curate ingest`
#      (read + parse + write, no stage) to show what the stage adds.
# Every figure is the best of REP runs (default 3): the machine is shared.
# usage: bench/pii.sh [MB]   (default 200; run from the top of a built tree)
set -eu
MB=${1:-200}
. "$(dirname "$0")/lib.sh"
W=$TOP/bench/work/pii
SPEED=$BLD/bench/pii_speed
bench_need "$CURATE" "$SPEED"
mkdir -p "$W"

# The same pattern as P_EMAIL in pii/detect.c, unanchored.
EMAIL_RE='[\p{L}\p{M}\p{N}._%+\-]{1,64}@(?:[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}\-]{0,61}[\p{L}\p{M}\p{N}])?\.){1,8}\p{L}[\p{L}\p{M}]{1,23}(?![\p{L}\p{M}\p{N}_\-@])'

IN=$W/mixed.jsonl
TXT=$W/mixed.txt
bench_repeat "$IN" "$MB" "$CORPUS"/web/jsonl/*.jsonl.zst "$CORPUS"/code/*.jsonl.zst \
	"$CORPUS"/quality/*.jsonl.zst "$CORPUS"/prose_en/*.jsonl.zst \
	"$CORPUS"/multilingual/*.jsonl.zst "$CORPUS"/pii/*.jsonl.zst
# The same texts as plain lines, for grep.
[ "$TXT" -nt "$IN" ] || python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as o:
    for line in f:
        o.write(json.loads(line)["text"] + "\n")' "$IN" "$TXT"
BYTES=$(stat -c %s "$IN")
TBYTES=$(stat -c %s "$TXT")
echo "input: $IN ($BYTES bytes of JSONL, $TBYTES bytes of text)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

REP=${REP:-3}
t() { # best wall time of $REP runs of a command (the machine is shared)
	local s e d best=
	for _ in $(seq "$REP"); do
		s=$(date +%s.%N)
		"$@" > "$W/stdout.tmp" # not /dev/null: grep stops at the first match then
		e=$(date +%s.%N)
		d=$(echo "$e - $s" | bc)
		if [ -z "$best" ] || [ "$(echo "$d < $best" | bc)" = 1 ]; then best=$d; fi
	done
	printf '%.3f\n' "$best"
}
mbs() { echo "scale=1; $1 / 1000000 / $2" | bc; }

echo
echo "| what | seconds | MB/s |"
echo "|---|---:|---:|"
for th in 1 2; do
	r=$("$SPEED" --repeat "$REP" --threads $th "$IN")
	s=$(echo "$r" | sed 's/.*seconds \([0-9.]*\).*/\1/')
	echo "| detector, all types, $th thread(s) | $s | $(mbs "$TBYTES" "$s") |"
done
for ty in email ip phone card iban ssn secret; do
	r=$("$SPEED" --repeat "$REP" --types $ty "$IN")
	s=$(echo "$r" | sed 's/.*seconds \([0-9.]*\).*/\1/')
	n=$(echo "$r" | sed 's/.*spans \([0-9]*\).*/\1/')
	echo "| detector, $ty only ($n spans), 1 thread | $s | $(mbs "$TBYTES" "$s") |"
done
s=$(t env LC_ALL=C.UTF-8 grep -cP "$EMAIL_RE" "$TXT")
n=$(LC_ALL=C.UTF-8 grep -oP "$EMAIL_RE" "$TXT" | wc -l)
echo "| grep -P, same e-mail pattern ($n matches), 1 core | $s | $(mbs "$TBYTES" "$s") |"
# The whole command: wall seconds (best of $REP) and the CPU seconds of that
# run (user + system), so that a -j 2 run on a busy machine can be judged.
tc() { # best wall time of $REP runs, with that run's CPU time: "wall cpu"
	local best= cpu= line w c
	for _ in $(seq "$REP"); do
		line=$( { /usr/bin/time -f "%e %U %S" "$@" > "$W/stdout.tmp"; } 2>&1 | tail -1)
		w=$(echo "$line" | cut -d' ' -f1)
		c=$(echo "$line" | awk '{print $2 + $3}')
		if [ -z "$best" ] || [ "$(echo "$w < $best" | bc)" = 1 ]; then best=$w; cpu=$c; fi
	done
	echo "$best $cpu"
}
echo
echo "| command | wall s | CPU s | MB/s (wall) |"
echo "|---|---:|---:|---:|"
for j in 1 2; do
	r=$(tc "$CURATE" ingest -q -j $j "$IN" -o /dev/null)
	echo "| curate ingest -j $j (JSON in and out, no stage) | ${r% *} | ${r#* } | $(mbs "$BYTES" "${r% *}") |"
done
for j in 1 2; do
	r=$(tc "$CURATE" pii -q -j $j "$IN" -o /dev/null)
	echo "| curate pii -j $j | ${r% *} | ${r#* } | $(mbs "$BYTES" "${r% *}") |"
	eval "s$j=${r% *}"
done
# Control for the machine, not for curate: one detector process, then two
# at once (twice the work). On an idle 2-core machine the two take as long as
# the one; "cores available" = 2 x one / two.
c1=$(t "$SPEED" "$IN")
c2=$(t bash -c '"$1" "$2" & "$1" "$2"; wait' _ "$SPEED" "$IN")
echo
echo "curate pii speed-up -j 2 / -j 1: $(echo "scale=2; $s1 / $s2" | bc)"
echo "control, two independent processes: cores available $(echo "scale=2; 2 * $c1 / $c2" | bc)"
