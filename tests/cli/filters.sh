#!/bin/bash
# CLI tests for `curate filter` (run by make check with top_srcdir and
# top_builddir set). Prints "ok - name" per test; any failure exits 1.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
CURATE="$top_builddir/curate"
D="$top_srcdir/tests/data/filters"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "not ok - $1"; exit 1; }

# 1. default rule sets on real web text: every document's verdict as expected
"$CURATE" filter -q "$D/cc-2019-30-sample.jsonl" -o "$W/kept.jsonl" --rejects "$W/rej.jsonl" 2>/dev/null
{ jq -r '.id + " keep"' "$W/kept.jsonl"; jq -r '.id + " " + .metadata.curate.dropped_by' "$W/rej.jsonl"; } |
	sort > "$W/verdicts"
diff -u "$D/cc-2019-30-sample.verdicts" "$W/verdicts" || fail "default verdicts"
echo "ok - default verdicts"

# 2. every rejected document carries its measured value
[ "$(jq -r 'select(.metadata.curate.value == null) | .id' "$W/rej.jsonl" | wc -l)" = 0 ] ||
	fail "rejects carry values"
echo "ok - rejects carry values"

# 3. -j 2 gives byte-identical output
"$CURATE" filter -q -j 2 "$D/cc-2019-30-sample.jsonl" -o "$W/kept2.jsonl" 2>/dev/null
cmp -s "$W/kept.jsonl" "$W/kept2.jsonl" || fail "-j 2 identical"
echo "ok - -j 2 identical"

# 4. --explain prints every rule with value, threshold and result
"$CURATE" filter --explain --rules gopher-quality,fineweb "$D/explain-one.jsonl" > "$W/explain.txt"
diff -u "$D/explain-one.expected" "$W/explain.txt" || fail "explain"
echo "ok - explain"

# 5. --annotate keeps every document and writes the scores
"$CURATE" filter -q --annotate "$D/cc-2019-30-sample.jsonl" -o "$W/ann.jsonl" 2>/dev/null
[ "$(wc -l < "$W/ann.jsonl")" = "$(wc -l < "$D/cc-2019-30-sample.jsonl")" ] || fail "annotate keeps all"
[ "$(jq -r 'select(.metadata.curate.filter["gopher-quality:words"] == null) | .id' "$W/ann.jsonl" | wc -l)" = 0 ] ||
	fail "annotate scores"
[ "$(jq -r 'select(.metadata.curate.filter.failed != null) | .id' "$W/ann.jsonl" | wc -l)" = \
  "$(wc -l < "$W/rej.jsonl")" ] || fail "annotate failures match drops"
# the first rule --annotate reports failed is the reason of the drop
{ jq -r '.id + " " + (.metadata.curate.filter.failed[0] // "keep")' "$W/ann.jsonl" | sort; } > "$W/ann.verdicts"
diff -u "$W/verdicts" "$W/ann.verdicts" || fail "annotate first failure = drop reason"
echo "ok - annotate"

# 6. unknown names are usage errors that list the valid ones
set +e
"$CURATE" filter --rules gopher,c4 "$D/explain-one.jsonl" > /dev/null 2> "$W/err"; rc=$?
set -e
[ $rc = 2 ] || fail "unknown rule set exit 2 (got $rc)"
grep -q "unknown rule set 'gopher' (valid: length, gopher-quality, gopher-repetition, c4, fineweb, llama3, safety)" "$W/err" ||
	fail "unknown rule set message"
set +e
"$CURATE" filter --set c4.max_words=3 "$D/explain-one.jsonl" > /dev/null 2> "$W/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "unknown rule 'c4.max_words' (valid for c4: terminal_punct" "$W/err" || fail "unknown rule"
echo "ok - usage errors"

# 7. --set changes a threshold; off disables a rule
"$CURATE" filter -q --rules gopher-quality --set gopher-quality.min_words=3 --set gopher-quality.min_stop_words=off \
	--set gopher-quality.min_alpha_words=0.5 "$D/explain-one.jsonl" > "$W/set.jsonl" 2>/dev/null
[ "$(wc -l < "$W/set.jsonl")" = 1 ] || fail "set thresholds"
echo "ok - set thresholds"

# 8. URL blocklist (gzip) from the document's url field
"$CURATE" filter -q --rules safety --blocklist "$D/blocklist.txt.gz" "$D/explain-one.jsonl" \
	--rejects "$W/b.jsonl" > /dev/null 2>&1
[ "$(jq -r .metadata.curate.dropped_by "$W/b.jsonl")" = "safety:blocked_url" ] || fail "blocklist"
echo "ok - blocklist"

# 9. a pipeline file runs the same stage (the {name: filter, ...} form)
cat > "$W/p.yaml" <<YAML
inputs: [$D/cc-2019-30-sample.jsonl]
output: $W/run.jsonl
stages:
  - {name: filter, rules: "length,gopher-quality,gopher-repetition,c4,fineweb,safety"}
YAML
"$CURATE" run -q "$W/p.yaml" 2>/dev/null
cmp -s "$W/kept.jsonl" "$W/run.jsonl" || fail "curate run"
echo "ok - curate run pipeline"

# 10. fitting a token distribution, then the llama3 KL rule with it
if "$CURATE" filter --fit-token-distribution -o "$W/dist.tsv" "$D/cc-2019-30-sample.jsonl" 2>/dev/null; then
	grep -q '^# documents 61 tokens ' "$W/dist.tsv" || fail "fit header"
	"$CURATE" filter -q --annotate --rules llama3 --token-distribution "$W/dist.tsv" \
		"$D/explain-one.jsonl" > "$W/kl.jsonl" 2>/dev/null
	jq -e '.metadata.curate.filter | has("llama3:kl_divergence")' "$W/kl.jsonl" > /dev/null || fail "kl score"
	echo "ok - fit token distribution"
else
	echo "ok - fit token distribution # SKIP no tokenizer vocabulary"
fi

# 11. statistics agree with datatrove's algorithms (restated in Python) on the
#     ASCII documents of the sample
if command -v python3 > /dev/null; then
	python3 "$top_srcdir/bench/filters_crosscheck.py" "$CURATE" "$D/cc-2019-30-sample.jsonl" > "$W/cross" ||
		{ cat "$W/cross"; fail "crosscheck"; }
	echo "ok - statistics match datatrove's algorithms ($(tail -1 "$W/cross"))"
else
	echo "ok - statistics match datatrove's algorithms # SKIP no python3"
fi
