#!/bin/bash
# What each rule set removes from the shared web crawl sample (520 real
# CC-MAIN-2019-30 documents): per rule, the fraction of documents and bytes,
# next to published removal rates where known; then 10 random removed and 10
# random kept titles (first lines) per rule set for a reader to judge.
# usage: bench/filters_report.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
B=${1:-$( [ -x build/curate ] && echo build || echo . )}
CURATE=$B/curate
CORPUS=${CORPUS:-../shared/corpus}
SRC=$CORPUS/web/jsonl/cc-2019-30-dolma.jsonl.zst
WORK=bench/work/filters_report
mkdir -p "$WORK"
zstdcat "$SRC" > "$WORK/in.jsonl"
DOCS=$(wc -l < "$WORK/in.jsonl")
BYTES=$(jq -r '.text | utf8bytelength' "$WORK/in.jsonl" | awk '{ s += $1 } END { print s }')

# Published figures (tokens removed, on Common Crawl after URL filtering,
# extraction, language ID and the earlier filters of that pipeline), from the
# FineWeb paper (Penedo et al. 2024, section 3.x): comparable only in kind.
published() {
	case $1 in
	fineweb:line_punct_ratio) echo "10.14% tokens";;
	fineweb:short_line_ratio) echo "3.73% tokens";;
	fineweb:char_dup_ratio) echo "12.47% tokens (threshold 0.1)";;
	*) echo "-";;
	esac
}

printf "%-20s %-40s %7s %8s %8s  %s\n" "RULE SET" "REASON" "DOCS" "DOCS%" "BYTES%" "PUBLISHED"
for set in length gopher-quality gopher-repetition c4 fineweb llama3 safety; do
	"$CURATE" filter -q --rules "$set" "$WORK/in.jsonl" -o "$WORK/$set.kept.jsonl" \
		--rejects "$WORK/$set.rej.jsonl" 2>/dev/null
	jq -r '[.metadata.curate.dropped_by, (.text | utf8bytelength)] | @tsv' "$WORK/$set.rej.jsonl" |
	awk -F'\t' -v set="$set" -v D="$DOCS" -v B="$BYTES" '
		{ n[$1]++; b[$1] += $2; tn++; tb += $2 }
		END {
			for (r in n) printf "%-20s %-40s %7d %7.1f%% %7.1f%%\n", set, r, n[r], 100*n[r]/D, 100*b[r]/B
			printf "%-20s %-40s %7d %7.1f%% %7.1f%%\n", set, "(all of " set ")", tn, 100*tn/D, 100*tb/B
		}' | sort -k1,1 -k3,3nr | while read -r line; do
		reason=$(echo "$line" | awk '{ print $2 }')
		printf "%s  %s\n" "$line" "$(published "$reason")"
	done
done
# lines removed by the rewriting rule sets (scores of --annotate)
LINES=$(jq -r '.text' "$WORK/in.jsonl" | wc -l)
for set in c4 llama3; do
	"$CURATE" filter -q --annotate --rules "$set" "$WORK/in.jsonl" 2>/dev/null |
	jq -r --arg k "$set:lines_removed" '.metadata.curate.filter[$k] // 0' |
	awk -v set="$set" -v L="$LINES" -v p="$( [ $set = c4 ] && echo "published: C4's terminal-punctuation line filter removes ~30% of tokens (FineWeb paper)" || echo "-" )" \
		'{ s += $1 } END { printf "%s: %d of %d lines removed (%.1f%%)  %s\n", set, s, L, 100 * s / L, p }'
done
"$CURATE" filter -q "$WORK/in.jsonl" -o "$WORK/all.kept.jsonl" --rejects "$WORK/all.rej.jsonl" 2>/dev/null
echo "all default rule sets: kept $(wc -l < "$WORK/all.kept.jsonl") of $DOCS documents"

title() { jq -r '.text | split("\n") | map(select(test("\\S"))) | (.[0] // "") | .[0:80]'; }
for set in length gopher-quality gopher-repetition c4 fineweb llama3 safety; do
	echo
	echo "== $set: 10 random removed (reason: title)"
	shuf -n 10 --random-source=<(yes) "$WORK/$set.rej.jsonl" |
		jq -r '.metadata.curate.dropped_by + ": " + (.text | split("\n") | map(select(test("\\S"))) | (.[0] // "") | .[0:80])'
	echo "== $set: 10 random kept"
	shuf -n 10 --random-source=<(yes) "$WORK/$set.kept.jsonl" | title
done
