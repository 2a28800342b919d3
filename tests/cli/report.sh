#!/bin/bash
# CLI tests for the run report and its page: the demo pipeline on the bundled
# sample writes report.json and report.html; the page is self-contained, the
# same from `curate report`, and (when Chromium is installed) renders without
# a console error and shows the report's numbers; every drop reason is
# documented; `curate run --dry-run` and `curate help pipeline` describe the
# pipeline file.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
BROWSER="$top_srcdir/tests/cli/report_browser.py"

# The demo's pipeline, writing into the work directory (run from the source
# tree: its paths are relative to it).
# Its ppl stage scores with a micro model rather than the reference model
# that scripts/demo.sh trains.
"$top_srcdir/tests/cli/micro_model.sh" "$CURATE" "$WORK/micro" >/dev/null || fail "micro model"
sed -e "s|out/|$WORK/run/|" -e "s|- ppl: {|- ppl: {model: $WORK/micro, |" "$top_srcdir/data/pipeline.yaml" > "$WORK/pipeline.yaml"
mkdir -p "$WORK/run"
(cd "$top_srcdir" && "$CURATE" run "$WORK/pipeline.yaml") >"$WORK/run.out" 2>"$WORK/run.err"
[ $? = 0 ] && ok "demo pipeline runs" || fail "demo pipeline runs" "$(tail -5 "$WORK/run.err")"

# 1. The summary ends with where everything went.
tail -5 "$WORK/run.err" > "$WORK/where"
contains "summary ends with the output" "$WORK/where" "output    $WORK/run/shards/"
contains "summary ends with the report" "$WORK/where" "report    $WORK/run/report.json"
contains "summary ends with the page" "$WORK/where" "page      $WORK/run/report.html"
contains "summary ends with the rejects" "$WORK/where" "rejects   $WORK/run/rejects.jsonl.zst"

# 2. One spelling of rule-set names: the command line's.
if grep -q 'gopher_quality\|gopher_repetition' "$WORK/run.err" "$WORK/run/report.json"; then
	fail "rule sets spelled as on the command line"
else
	contains "rule sets spelled as on the command line" "$WORK/run/report.json" '"gopher-quality:'
fi

# 3. The page is self-contained: no script, no stylesheet or font link, no
# remote URL, no image source; a policy that forbids loading anything.
page="$WORK/run/report.html"
if grep -qiE '<script|<link|@import|url\(|src=|https?://' "$page"; then
	fail "page is self-contained" "$(grep -oiE '<script|<link|@import|url\(|src=|https?://[^"]*' "$page" | head -3)"
else
	ok "page is self-contained"
fi
contains "page forbids loading anything" "$page" "default-src 'none'"
contains "the page has the perplexity histogram with its cut-offs" "$page" "head cut-off (30th percentile)"
grep -q '<text class="axis"[^>]*>[^<]*e[+-]' "$page" && fail "axis labels are short (12.6k, not 1.259e+04)" \
	"$(grep -o '<text class="axis"[^>]*>[^<]*e[+-][^<]*' "$page" | head -3)" || ok "axis labels are short (12.6k, not 1.259e+04)"

# 4. `curate report` draws the same page from the JSON.
"$CURATE" report -q "$WORK/run/report.json" -o "$WORK/again.html"
same "curate report gives the pipeline's page" "$page" "$WORK/again.html"
"$CURATE" report -q "$WORK/run/report.json"
same "curate report writes RUN.html beside RUN.json" "$page" "$WORK/run/report.html"
expect_status "curate report: missing file" 3 "$CURATE" report "$WORK/none.json"
echo '[1]' > "$WORK/list.json"
expect_status "curate report: not a run report" 2 "$CURATE" report "$WORK/list.json" -o "$WORK/x.html"

# 5. In a real browser: no console error, every figure equals the report's,
# every section the report has keys for; a screenshot and a PDF (printable).
if "$PY" "$BROWSER" "$page" "$WORK/run/report.json" --screenshot "$top_builddir/report-screenshot.png" \
	--pdf "$WORK/report.pdf" >"$WORK/browser.out" 2>&1; then
	ok "chromium renders the page: $(tail -1 "$WORK/browser.out" | sed 's/report_browser: //')"
	[ -s "$WORK/report.pdf" ] && ok "the page prints (PDF)" || fail "the page prints (PDF)"
elif [ $? = 77 ]; then
	echo "ok - # SKIP chromium not installed (scripts/setup.sh --all installs it)"
else
	fail "chromium renders the page" "$(tail -20 "$WORK/browser.out")"
fi

# The browser test catches what it is there for: a figure that differs from
# the report, and anything the page would load.
# (the number of documents read, one more: "1,105" becomes "1,106")
read -r n_in n_wrong < <("$PY" -c 'import json,sys; n=json.load(open(sys.argv[1]))["documents_in"]
print(format(n, ","), format(n + 1, ","))' "$WORK/run/report.json")
sed "s|data-fmt=\"int\">$n_in<|data-fmt=\"int\">$n_wrong<|" "$page" > "$WORK/wrong.html"
cmp -s "$page" "$WORK/wrong.html" && fail "the wrong page differs from the page" "no documents_in figure found"
sed 's|<body>|<body><img src="http://127.0.0.1:9/x.png">|' "$page" > "$WORK/remote.html"
for t in wrong remote; do
	"$PY" "$BROWSER" "$WORK/$t.html" "$WORK/run/report.json" >"$WORK/$t.out" 2>&1
	case $? in
	1) ok "chromium test fails on a $t page" ;;
	77) echo "ok - # SKIP chromium not installed" ;;
	*) fail "chromium test fails on a $t page" "$(tail -5 "$WORK/$t.out")" ;;
	esac
done

# 6. Sections of stages that come later (classify, model, ...) draw from the
# conventions alone: shares and a histogram with marks, in the browser too.
"$PY" - "$WORK/run/report.json" "$WORK/extra.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["stages"].append({"name": "classify", "docs_in": 814, "docs_out": 814, "bytes_in": 1,
    "bytes_out": 1, "dropped": {}, "seconds": 0.5,
    "shares": {"language": {"en": 700, "de": 60, "fr": 54}}})
r["stages"].append({"name": "model", "docs_in": 814, "docs_out": 800, "bytes_in": 1,
    "bytes_out": 1, "dropped": {"model:perplexity": 14}, "seconds": 0.25,
    "histograms": {"perplexity": {"unit": "perplexity", "edges": [0, 10, 20, 50, 100],
        "counts": [100, 400, 250, 50, 14], "total": 814, "sum": 20000.5,
        "marks": [{"at": 15.5, "label": "p33"}, {"at": 42, "label": "p66"}]}}})
json.dump(r, open(sys.argv[2], "w"))
PYEOF
"$CURATE" report -q "$WORK/extra.json" -o "$WORK/extra.html"
contains "a stage's shares are drawn" "$WORK/extra.html" "<h4>Language</h4>"
contains "a stage's histogram is drawn with its marks" "$WORK/extra.html" 'class="marklabel"'
if "$PY" "$BROWSER" "$WORK/extra.html" "$WORK/extra.json" >"$WORK/browser2.out" 2>&1; then
	ok "chromium: shares and histogram figures match"
elif [ $? = 77 ]; then
	echo "ok - # SKIP chromium not installed"
else
	fail "chromium: shares and histogram figures match" "$(tail -20 "$WORK/browser2.out")"
fi

# 7. A single command's report draws too (no sink mix, no token lengths).
"$CURATE" filter -q --report "$WORK/f.json" --report-html "$WORK/f.html" \
	"$DATA/filters/cc-2019-30-sample.jsonl" -o "$WORK/f.jsonl"
contains "curate filter --report-html" "$WORK/f.html" 'id="funnel"'
if grep -q 'id="mix"' "$WORK/f.html"; then fail "no mix section without a mix"; else ok "no mix section without a mix"; fi
contains "a filter reason explained on the page" "$WORK/f.html" "dropped when below 50"

# A report of another shape (curate dedup's two passes) draws too: figures
# it lacks are left out, never shown as 0.
"$CURATE" dedup -q --exact --report "$WORK/d.json" "$DATA/dedup/exact.jsonl" -o "$WORK/d.jsonl"
"$CURATE" report -q "$WORK/d.json" -o "$WORK/d.html"
if "$PY" "$BROWSER" "$WORK/d.html" "$WORK/d.json" >"$WORK/browser3.out" 2>&1; then
	ok "chromium: curate dedup's report page"
elif [ $? = 77 ]; then
	echo "ok - # SKIP chromium not installed"
else
	fail "chromium: curate dedup's report page" "$(tail -20 "$WORK/browser3.out")"
fi

# Dedup's distributions: documents by outcome, MinHash cluster sizes (each
# cluster once: total = clusters, sum - total = the near duplicates).
printf 'inputs: [%s]\noutput: %s\nreport: %s\nstages:\n  - dedup: {minhash: true}\n' \
	"$DATA/dedup/copyright-small.jsonl" "$WORK/cs.jsonl" "$WORK/cs.json" > "$WORK/cs.yaml"
"$CURATE" run -q "$WORK/cs.yaml"
if "$PY" - "$WORK/cs.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))["stages"][0]
h = d["histograms"]["cluster_size"]
o = d["shares"]["documents_by_outcome"]
assert h["total"] == d["clusters"] > 0, (h["total"], d["clusters"])
assert h["sum"] - h["total"] == o["near_duplicate"] == d["minhash_duplicates"] > 0
assert sum(h["counts"]) == h["total"] and sum(o.values()) == d["docs_in"]
PYEOF
then ok "dedup: cluster sizes and outcomes add up"; else fail "dedup: cluster sizes and outcomes add up"; fi

# 8. Every drop reason the code can give is documented in docs/report.md.
missing=""
for r in $(grep -E 'FLT_(MIN|MAX|FLAG),' "$top_srcdir"/filters/rules.c | grep -oE '"[a-z0-9-]+:[a-z0-9_]+"' | tr -d '"' | sort -u) \
	 $(grep -ohE 'cur_doc_drop\([a-z]+, "[a-z0-9-]+:[a-z0-9_]+"' "$top_srcdir"/*/*.c | cut -d'"' -f2 | sort -u) \
	 $(grep -ohE '"(dedup|filter):[a-z_]+"' "$top_srcdir"/dedup/*.c "$top_srcdir"/filters/filter.c | tr -d '"' | sort -u); do
	case $r in odd:*) continue ;; esac
	grep -qF "\`$r\`" "$top_srcdir/docs/report.md" || missing="$missing $r"
done
[ -z "$missing" ] && ok "every drop reason is in docs/report.md" || fail "every drop reason is in docs/report.md" "missing:$missing"

# 9. --dry-run prints the plan and runs nothing; help describes the file.
rm -rf "$WORK/run"
(cd "$top_srcdir" && "$CURATE" run --dry-run "$WORK/pipeline.yaml") >"$WORK/plan" 2>"$WORK/plan.err"
[ $? = 0 ] && ok "dry run exits 0" || fail "dry run exits 0" "$(cat "$WORK/plan.err")"
contains "dry run: inputs and sizes" "$WORK/plan" "99.1 kB  data/sample/math-gsm8k.jsonl.zst"
printf 'inputs: {math: [data/sample/math-gsm8k.jsonl.zst]}\n' > "$WORK/tagged.yaml"
(cd "$top_srcdir" && "$CURATE" run --dry-run "$WORK/tagged.yaml") >"$WORK/plan2" 2>&1
contains "dry run: inputs with categories" "$WORK/plan2" "math              99.1 kB  data/sample/math-gsm8k.jsonl.zst"
contains "dry run: stage options resolved" "$WORK/plan" "threshold              0.8 (default)"
contains "dry run: the sink" "$WORK/plan" "sink: shard"
[ ! -e "$WORK/run" ] && ok "dry run writes nothing" || fail "dry run writes nothing"
printf 'inputs: [nothing-here.jsonl]\n' > "$WORK/missing.yaml"
expect_status "dry run: a missing input is a failed check" 1 "$CURATE" run --dry-run "$WORK/missing.yaml"
printf 'inputs: [a.jsonl]\nreprot: x.json\n' > "$WORK/typo.yaml"
expect_status "an unknown pipeline key is a usage error" 2 "$CURATE" run "$WORK/typo.yaml"
contains "the error names the key" "$WORK/err" "unknown key 'reprot'"
"$CURATE" help pipeline > "$WORK/help"
for k in inputs stages sink output report report_html rejects jobs seed; do
	grep -q "^  $k: " "$WORK/help" || fail "help pipeline: key $k"
done
contains "help pipeline: stage options" "$WORK/help" "threshold: J"
contains "help pipeline: sinks" "$WORK/help" "max_epochs: E"
"$CURATE" help run > "$WORK/help-run"
contains "help run points to help pipeline" "$WORK/help-run" "curate help pipeline"
"$CURATE" help pii > "$WORK/help-pii"
contains "help STAGE: every option has its default" "$WORK/help-pii" "(default: no limit)"
"$CURATE" help filter > "$WORK/help-filter"
contains "help filter: every rule with its default" "$WORK/help-filter" "gopher-quality.min_words"

finish
