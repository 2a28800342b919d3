#!/bin/bash
# bench/classify.sh: `curate classify` against Python fastText
# (python3-fasttext, the same Debian libfasttext) on the same documents, in
# the same run.
#
# Input: every JSON Lines file of ../shared/corpus's web, prose, math, code
# and multilingual folders (real text in ~350 languages), repeated to MB.
# Measured, each the best of REP runs (default 3):
#   1. language ID alone (lid.176.ftz): curate -j 1, -j 2; Python;
#   2. language ID + category + quality (the three shipped models): the same;
# MB/s per core is text bytes over CPU seconds (user + sys) of the -j 1 run;
# -j 2 against -j 1 is wall time. Both sides read JSONL and write JSONL with
# the predictions added; the Python peer predicts in batches of 1,000
# documents (its fastest path). Last, the share of documents whose labels
# are the same on both sides.
# usage: bench/classify.sh [MB]   (default 100; run from the top of a built tree)
#   SETS=lid (or all) measures one set of models only; REP=N runs each N times.
#   The -j 2 / -j 1 rows mean something only on an otherwise idle machine.
set -eu
MB=${1:-100}
. "$(dirname "$0")/lib.sh"
W=$TOP/bench/work/classify
M=$TOP/data/models
bench_need "$CURATE"
mkdir -p "$W"
"$PY" -c 'import fasttext' 2>/dev/null || { echo "no python3-fasttext" >&2; exit 77; }

IN=$W/mixed.jsonl
bench_repeat "$IN" "$MB" "$CORPUS"/web/jsonl/*.jsonl.zst "$CORPUS"/prose_en/*.jsonl.zst \
	"$CORPUS"/math/*.jsonl.zst "$CORPUS"/code/*.jsonl.zst "$CORPUS"/multilingual/*.jsonl.zst
TBYTES=$("$PY" -c '
import json, sys
print(sum(len(json.loads(l)["text"].encode()) for l in open(sys.argv[1], encoding="utf-8")))' "$IN")
echo "input: $IN ($(stat -c %s "$IN") bytes of JSONL, $TBYTES bytes of text, $(wc -l < "$IN") documents)"
echo "machine: $(nproc) cores; $(uptime)"

REP=${REP:-3}
best() { # best of $REP runs: "wall cpu" seconds
	local bw= bc= w c
	for _ in $(seq "$REP"); do
		/usr/bin/time -f "%e %U %S" -o "$W/time" "$@" > /dev/null
		read -r w u s < "$W/time"
		c=$(echo "$u + $s" | bc)
		if [ -z "$bw" ] || [ "$(echo "$w < $bw" | bc)" = 1 ]; then bw=$w; fi
		if [ -z "$bc" ] || [ "$(echo "$c < $bc" | bc)" = 1 ]; then bc=$c; fi
	done
	echo "$bw $bc"
}
mbs() { echo "scale=1; $TBYTES / 1000000 / $1" | bc; }

LID="lang=$M/lid.176.ftz"
ALL="$LID category=$M/category.ftz quality=$M/quality.ftz"
echo
echo "| models | program | wall s | CPU s | MB/s per core (CPU) | MB/s (wall) |"
echo "|---|---|---:|---:|---:|---:|"
for set in ${SETS:-lid all}; do
	if [ $set = lid ]; then opts=(--bundled lang); peer=($LID); what="language ID"
	else opts=(); peer=($ALL); what="lang + category + quality"; fi
	read -r w1 c1 < <(best "$CURATE" classify -q -j 1 "${opts[@]}" "$IN" -o "$W/curate.jsonl")
	read -r w2 c2 < <(best "$CURATE" classify -q -j 2 "${opts[@]}" "$IN" -o "$W/curate2.jsonl")
	read -r wp cp < <(best "$PY" "$TOP/bench/classify_peer.py" "$W/peer.jsonl" "$IN" "${peer[@]}")
	echo "| $what | curate -j 1 | $w1 | $c1 | $(mbs "$c1") | $(mbs "$w1") |"
	echo "| $what | curate -j 2 | $w2 | $c2 | | $(mbs "$w2") |"
	echo "| $what | Python fastText | $wp | $cp | $(mbs "$cp") | $(mbs "$wp") |"
	echo "| $what | curate -j 1 / Python (CPU) | | | $(echo "scale=2; $cp / $c1" | bc)x | |"
	echo "| $what | curate -j 2 / -j 1 (wall) | | | | $(echo "scale=2; $w1 / $w2" | bc)x |"
	if [ $set = lid ]; then
		"$PY" - "$W/curate.jsonl" "$W/peer.jsonl" <<'EOF'
import json, sys
same = n = 0
for a, b in zip(open(sys.argv[1], encoding="utf-8"), open(sys.argv[2], encoding="utf-8")):
    la, lb = json.loads(a)["metadata"]["lang"], json.loads(b)["metadata"]["lang"]
    n += 1
    same += list(lb)[0] == la
print(f"| language ID | same top label as Python | {same} of {n} documents | | | |")
EOF
	fi
done
echo "machine after: $(uptime)"
