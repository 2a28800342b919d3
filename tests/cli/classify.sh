#!/bin/bash
# CLI tests for `curate classify`: predictions equal to the `fasttext
# predict-prob` binary (Debian's fasttext; skipped without it), -j 1 and -j 2
# give the same bytes, language filters drop with their reasons, training is
# reproducible and `classify test` scores it, bad options are usage errors.
. "$(dirname "$0")/lib.sh"
D="$DATA/classify"
M="$top_srcdir/data/models"
PY=/usr/bin/python3
CMP="$top_srcdir/tests/cli/classify_compare.py"

# 0. Every test of the Check suite is registered: none drops out silently.
a=$(grep -c '^START_TEST(' "$top_srcdir/tests/check_classify.c")
b=$(grep -c 'tcase_add_test(' "$top_srcdir/tests/check_classify.c")
[ "$a" -eq "$b" ] && ok "every Check test is registered" || fail "check_classify.c defines $a tests but registers $b"

# 1. Every shipped model (and lid.176 as a --model) against fasttext predict-prob.
"$CURATE" classify -q --model lid="$M/lid.176.ftz" --model category="$M/category.ftz" \
	--model quality="$M/quality.ftz" --k 0 "$D/docs.jsonl.zst" -o "$WORK/all.jsonl" ||
	fail "classify with --model"
if command -v fasttext >/dev/null 2>&1 && [ -x "$PY" ]; then
	"$PY" "$CMP" lines "$WORK/all.jsonl" "$WORK/lines.txt"
	for m in lid:lid.176.ftz category:category.ftz quality:quality.ftz; do
		fasttext predict-prob "$M/${m#*:}" "$WORK/lines.txt" -1 > "$WORK/ft.txt" 2>/dev/null
		if "$PY" "$CMP" compare "$WORK/all.jsonl" "${m%%:*}" "$WORK/ft.txt" > "$WORK/cmp.txt"; then
			ok "${m#*:}: $(cat "$WORK/cmp.txt")"
		else
			fail "${m#*:} equals fasttext predict-prob" "$(cat "$WORK/cmp.txt")"
		fi
	done
else
	echo "ok - # SKIP fasttext predict-prob comparison: no fasttext binary or /usr/bin/python3"
fi

# 2. The shipped models by default; -j 2 gives the bytes of -j 1.
"$CURATE" classify -q -j 1 "$D/docs.jsonl.zst" --report "$WORK/r1.json" -o "$WORK/j1.jsonl" || fail "classify -j 1"
"$CURATE" classify -q -j 2 "$D/docs.jsonl.zst" --report "$WORK/r2.json" -o "$WORK/j2.jsonl" || fail "classify -j 2"
same "-j 2 output is byte-identical to -j 1" "$WORK/j1.jsonl" "$WORK/j2.jsonl"
contains "metadata.lang" "$WORK/j1.jsonl" '"lang":"de","lang_score":'
contains "metadata.category" "$WORK/j1.jsonl" '"category":"code"'
contains "metadata.category multilingual" "$WORK/j1.jsonl" '"category":"multilingual"'
contains "metadata.quality" "$WORK/j1.jsonl" '"quality":'
"$PY" - "$WORK/r1.json" "$WORK/r2.json" <<'EOF' && ok "report: shares and histogram, equal at -j 1 and -j 2" || fail "report shares"
import json, sys
a, b = (json.load(open(p))["stages"][0] for p in sys.argv[1:3])
keys = ("shares", "histograms", "models", "dropped")
sys.exit(any(a[k] != b[k] for k in keys) or a["shares"]["language"]["en"] < 100
         or set(a["shares"]["category"]) != {"general", "math", "code", "multilingual"}
         or a["histograms"]["quality"]["total"] != 343)
EOF

# 3. A category the input set is kept unless --override.
printf '{"id":"a","text":"def f(x):\\n    return x + 1\\n","metadata":{"category":"general"}}\n' > "$WORK/set.jsonl"
"$CURATE" classify -q "$WORK/set.jsonl" > "$WORK/kept.jsonl"
contains "an input's category is kept" "$WORK/kept.jsonl" '"category":"general"'
"$CURATE" classify -q --override "$WORK/set.jsonl" > "$WORK/over.jsonl"
contains "--override replaces it" "$WORK/over.jsonl" '"category":"code"'

# 4. Language filters drop with their reasons, counted in the report.
expect_status "--keep-lang en" 0 "$CURATE" classify -q --bundled lang --keep-lang en \
	--min-lang-score 0.5 "$D/docs.jsonl.zst" --rejects "$WORK/rej.jsonl" --report "$WORK/rl.json"
contains "rejects name classify:lang" "$WORK/rej.jsonl" '"dropped_by":"classify:lang"'
contains "rejects name classify:lang_score" "$WORK/rej.jsonl" '"dropped_by":"classify:lang_score"'
if grep -q '"lang":"de"' "$WORK/out"; then fail "no German document kept"; else ok "no German document kept"; fi
contains "report: drops by reason" "$WORK/rl.json" '"classify:lang":'
expect_status "--min-quality" 0 "$CURATE" classify -q --bundled quality --min-quality 0.5 \
	"$D/docs.jsonl.zst" --rejects "$WORK/rejq.jsonl"
contains "rejects name classify:quality" "$WORK/rejq.jsonl" '"dropped_by":"classify:quality"'

# 5. Training: reproducible with --thread 1, scored by classify test.
train() {
	"$CURATE" classify train -q --source code="$D/train-code.jsonl" --source math="$D/train-math.jsonl" \
		--source general="$D/train-general.jsonl" --epoch 5 --dim 8 --minn 2 --maxn 4 --bucket 20000 \
		--seed 3 "$@"
}
train -o "$WORK/m1.bin" || fail "classify train"
train -o "$WORK/m2.bin"
same "training with --thread 1 is reproducible" "$WORK/m1.bin" "$WORK/m2.bin"
train --quantize --cutoff 5000 -o "$WORK/m.ftz" || fail "classify train --quantize"
expect_status "classify test" 0 "$CURATE" classify test "$WORK/m.ftz" --source code="$D/train-code.jsonl" \
	--source math="$D/train-math.jsonl" --source general="$D/train-general.jsonl"
contains "classify test prints macro-F1" "$WORK/out" "macro-F1"
contains "classify test prints a row per label" "$WORK/out" "math "
"$CURATE" classify -q --bundled none --model cat="$WORK/m.ftz" --k 0 "$D/train-code.jsonl" > "$WORK/own.jsonl"
contains "a model trained by curate runs as --model" "$WORK/own.jsonl" '"cat":{"code":'

# 6. Errors: usage errors exit 2, a missing model 3.
expect_status "--model without =" 2 "$CURATE" classify --model lid "$D/docs.jsonl.zst"
expect_status "unknown --bundled" 2 "$CURATE" classify --bundled langs "$D/docs.jsonl.zst"
expect_status "unknown --keep-lang" 2 "$CURATE" classify --keep-lang xx-YY "$D/docs.jsonl.zst"
expect_status "missing model" 3 "$CURATE" classify --lang-model "$WORK/none.ftz" "$D/docs.jsonl.zst"
contains "missing model names the file" "$WORK/err" "none.ftz"
expect_status "not a model" 3 "$CURATE" classify --lang-model "$D/docs.jsonl.zst" "$D/docs.jsonl.zst"
expect_status "train without labels" 2 "$CURATE" classify train -o "$WORK/x.bin" "$D/docs.jsonl.zst"

# 7. A pipeline file whose inputs have no categories: after a classify stage
# with the shipped content model, the four categories are known (no
# warning), any other name is a mistake; a model of the user's may give any
# label, so a name it may give is only a warning.
# plan NAME STAGES: NAME.yaml, unlabelled inputs and those stages.
plan() {
	printf 'inputs: [%s]\nstages:\n%s\nsink: {shard: {output: %s}}\n' \
		"$D/docs.jsonl.zst" "$2" "$WORK/$1.shards" > "$WORK/$1.yaml"
}
plan mix '  - classify: {}
  - filter: {categories: [general, math, code, multilingual]}'
expect_status "classify, then the four categories: the plan is accepted" 0 \
	"$CURATE" run --dry-run "$WORK/mix.yaml"
if grep -q warning "$WORK/err"; then fail "no warning for the four categories" "$(cat "$WORK/err")"
else ok "no warning for the four categories"; fi
plan typo '  - classify: {bundled: [lang, category]}
  - filter: {categories: [genral]}'
expect_status "classify, then an unknown category: refused" 2 "$CURATE" run --dry-run "$WORK/typo.yaml"
contains "the unknown category is named with the valid ones" "$WORK/err" \
	"no input or stage before gives category 'genral' (valid: general, math, code, multilingual)"
plan nolang '  - classify: {bundled: category}
  - filter: {categories: [multilingual]}'
expect_status "without language ID nothing is multilingual: refused" 2 \
	"$CURATE" run --dry-run "$WORK/nolang.yaml"
plan own '  - classify: {category_model: '"$M/category.ftz"'}
  - filter: {categories: [sports]}'
expect_status "a model of the user's: accepted" 0 "$CURATE" run --dry-run "$WORK/own.yaml"
contains "a model of the user's: a warning for a name it may give" "$WORK/err" \
	"warning: no input has category 'sports'"
finish
