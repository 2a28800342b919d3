#!/bin/bash
# CLI tests for `curate extract` and the WARC record selection it relies on:
# the demo's crawl end to end, the pipeline, rejects, the report, and (when
# ../shared is there) the accuracy on the article-extraction benchmark.
. "$(dirname "$0")/lib.sh"
D="$top_srcdir/tests/data"
WARC="$top_srcdir/data/sample/crawl-wget-2024.warc.gz"

# Every test of the Check suite is registered: none drops out silently.
a=$(grep -c '^START_TEST(' "$top_srcdir/tests/check_extract.c")
b=$(grep -c 'tcase_add_test(' "$top_srcdir/tests/check_extract.c")
[ "$a" -eq "$b" ] && ok "every Check test is registered" ||
	fail "every Check test is registered" "check_extract.c defines $a tests but registers $b"

# The wget crawl: responses become documents, wget's log and arguments
# (resource records) only when asked for; URIs lose their angle brackets.
"$CURATE" ingest -q "$WARC" > "$WORK/pages.jsonl"
n=$(wc -l < "$WORK/pages.jsonl")
[ "$n" = 22 ] && ok "22 responses from the wget crawl" || fail "22 responses from the wget crawl" "got $n"
"$CURATE" ingest -q --warc-types response,resource "$WARC" > "$WORK/all.jsonl"
n=$(wc -l < "$WORK/all.jsonl")
[ "$n" = 24 ] && ok "--warc-types response,resource adds wget's records" ||
	fail "--warc-types response,resource adds wget's records" "got $n"
contains "URI without angle brackets" "$WORK/pages.jsonl" '"url":"https://soldaini.net/facts/"'
expect_status "a bad --warc-types is a usage error" 2 "$CURATE" ingest --warc-types responses "$WARC"

# Every page of the crawl becomes readable text, with title and language.
"$CURATE" extract -q --report "$WORK/report.json" "$WORK/pages.jsonl" > "$WORK/text.jsonl"
n=$(wc -l < "$WORK/text.jsonl")
[ "$n" = 22 ] && ok "every page extracted" || fail "every page extracted" "got $n"
contains "main text of a page" "$WORK/text.jsonl" 'In no particular order, here are some facts about me:'
contains "title" "$WORK/text.jsonl" '"title":"Facts"'
contains "html_lang" "$WORK/text.jsonl" '"html_lang":"en"'
if grep -q '<div\|<script\|&amp;' "$WORK/text.jsonl"; then
	fail "no markup left" "$(grep -o '.\{40\}\(<div\|<script\|&amp;\).\{40\}' "$WORK/text.jsonl" | head -3)"
else
	ok "no markup left"
fi
for key in documents html not_html extracted empty too_deep truncated html_bytes text_bytes yield; do
	grep -q "\"$key\":" "$WORK/report.json" || fail "report has extract.$key"
done
ok "report has the extraction figures"

# The pipeline: extract right after the readers, same bytes for any -j,
# empty extractions in the rejects with their reason.
printf '%s\n' '{"id":"menu","text":"<html><body><nav><a href=/>Home</a></nav></body></html>"}' \
	'{"id":"plain","text":"Not a page, just text."}' > "$WORK/extra.jsonl"
for j in 1 2; do
	cat > "$WORK/p$j.yaml" <<YAML
inputs: [$WARC, $WORK/extra.jsonl]
output: $WORK/run$j.jsonl
rejects: $WORK/rejects$j.jsonl
jobs: $j
stages:
  - extract: {}
YAML
	"$CURATE" run -q "$WORK/p$j.yaml" || fail "curate run -j $j"
done
same "pipeline output identical for -j 1 and -j 2" "$WORK/run1.jsonl" "$WORK/run2.jsonl"
n=$(wc -l < "$WORK/run1.jsonl")
[ "$n" = 23 ] && ok "22 pages and the plain text pass" || fail "22 pages and the plain text pass" "got $n"
contains "an empty extraction is rejected with its reason" "$WORK/rejects1.jsonl" '"dropped_by":"extract:empty"'

# Extracting twice changes nothing (the first pass marks its documents).
"$CURATE" extract -q "$WORK/text.jsonl" > "$WORK/again.jsonl"
same "a second extract is a no-op" "$WORK/text.jsonl" "$WORK/again.jsonl"

# Accuracy on the article-extraction benchmark, when ../shared has it.
AEB="$top_srcdir/../shared/corpus/web/html/article-extraction-benchmark"
if [ -d "$AEB" ] && command -v python3 >/dev/null 2>&1 && [ -x "$top_builddir/bench/extract_bench" ]; then
	mkdir -p "$WORK/aeb"
	for f in "$AEB"/html/*.html.gz; do gzip -dc "$f" > "$WORK/aeb/$(basename "$f" .gz)"; done
	"$top_builddir/bench/extract_bench" -p 1 -o "$WORK/aeb.json" "$WORK"/aeb/*.html > /dev/null
	python3 "$top_srcdir/bench/extract_score.py" "$AEB/ground-truth.json" "curate=$WORK/aeb.json" \
		> "$WORK/score.json"
	if python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["curate"]["f1"] < 0.95)' \
		"$WORK/score.json"; then
		ok "F1 >= 0.95 on the article-extraction benchmark ($(cat "$WORK/score.json"))"
	else
		fail "F1 >= 0.95 on the article-extraction benchmark" "$(cat "$WORK/score.json")"
	fi
else
	ok "F1 on the article-extraction benchmark # SKIP no ../shared"
fi
finish
