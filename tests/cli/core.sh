#!/bin/bash
# The curate command line end to end: ingest, stats, run, and the common options.
. "$(dirname "$0")/lib.sh"
D="$DATA/core"

# Every test of every Check suite is registered: none drops out silently.
for f in "$top_srcdir"/tests/check_*.c; do
	a=$(grep -c '^START_TEST(' "$f")
	b=$(grep -c 'tcase_add_test(' "$f")
	[ "$a" -eq "$b" ] && ok "$(basename "$f") registers its $a tests" ||
		fail "$(basename "$f") defines $a tests but registers $b"
done

expect_status "version" 0 "$CURATE" --version
contains "version prints the package version" "$WORK/out" "curate 0."
expect_status "help" 0 "$CURATE" --help
contains "help lists ingest" "$WORK/out" "ingest"
expect_status "help for a command" 0 "$CURATE" help ingest
contains "command help lists common options" "$WORK/out" "--rank R --world N"
expect_status "unknown command is a usage error" 2 "$CURATE" frobnicate
expect_status "unknown option is a usage error" 2 "$CURATE" ingest --frob
expect_status "bad -j is a usage error" 2 "$CURATE" ingest -j zero
expect_status "rank must be below world" 2 "$CURATE" ingest --rank 3 --world 3 "$D/good.jsonl"

# Normalized output is exact: unknown fields kept, ids filled in, NUL kept.
expect_status "ingest good.jsonl" 0 "$CURATE" ingest -q "$D/good.jsonl"
same "ingest output is exact" "$WORK/out" "$top_srcdir/tests/cli/expected/good.jsonl"
zstd -dc "$D/many.jsonl.zst" | "$CURATE" ingest -q > "$WORK/stdin.jsonl"
"$CURATE" ingest -q "$D/many.jsonl.zst" > "$WORK/file.jsonl"
same "stdin gives the same as the file" "$WORK/stdin.jsonl" "$WORK/file.jsonl"

# Records that need no repair are checked and minified, not rewritten: the
# values must be exactly those of the input.
zstd -dc "$D/cc-net-en-head.jsonl.zst" > "$WORK/cc.jsonl"
cat "$WORK/cc.jsonl" "$D/good.jsonl" > "$WORK/mixed.jsonl"
"$CURATE" ingest -q "$WORK/mixed.jsonl" > "$WORK/mixed.out"
python3 - "$WORK/mixed.jsonl" "$WORK/mixed.out" <<'PY' && ok "ingest keeps every value of every record" || fail "ingest keeps every value"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
b = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
for x in a:
    x.setdefault("id", None)
for x, y in zip(a, b):
    if x["id"] is None or isinstance(x["id"], int):
        x["id"] = y["id"]
sys.exit(0 if a == b else 1)
PY
[ "$(grep -c '": ' "$WORK/mixed.out")" = 0 ] && ok "output is compact" || fail "output is compact"

# Compressed outputs by name, written atomically.
expect_status "ingest to .zst" 0 "$CURATE" ingest -q -o "$WORK/o.jsonl.zst" "$D/good.jsonl"
zstd -dc "$WORK/o.jsonl.zst" > "$WORK/o.jsonl"
same ".zst output decompresses to the same" "$WORK/o.jsonl" "$top_srcdir/tests/cli/expected/good.jsonl"
expect_status "ingest to .gz" 0 "$CURATE" ingest -q -o "$WORK/o.jsonl.gz" "$D/good.jsonl"
gzip -dc "$WORK/o.jsonl.gz" > "$WORK/o2.jsonl"
same ".gz output decompresses to the same" "$WORK/o2.jsonl" "$top_srcdir/tests/cli/expected/good.jsonl"
ls -a "$WORK" | grep -q '\.tmp\.' && fail "no temporary files left" || ok "no temporary files left"
if [ -c /dev/null ]; then
	expect_status "-o /dev/null writes to the device" 0 "$CURATE" ingest -q -o /dev/null "$D/good.jsonl"
	[ -c /dev/null ] && ok "/dev/null is still a device" || fail "/dev/null is still a device"
fi
expect_status "unwritable output is an I/O error" 3 "$CURATE" ingest -q -o /nonexistent/dir/x.jsonl "$D/good.jsonl"

# Same bytes for any -j, on JSONL and WARC together.
inputs=("$D/many.jsonl.zst" "$D/cc-2021-resiliparse.warc.gz" "$D/good.tar" "$D/CC-MAIN-20140820021334-00006.warc.wet")
"$CURATE" ingest -q -j 1 -o "$WORK/j1.jsonl" "${inputs[@]}"
"$CURATE" ingest -q -j 4 -o "$WORK/j4.jsonl" "${inputs[@]}"
same "-j 1 and -j 4 give identical output" "$WORK/j1.jsonl" "$WORK/j4.jsonl"

# --rank/--world: the slices together are the whole, once each; files are
# sliced in blocks, so the slices in rank order are the whole, in order.
for world in 3 4; do
	: > "$WORK/union"
	for ((r = 0; r < world; r++)); do
		"$CURATE" ingest -q --rank $r --world $world "${inputs[@]}" >> "$WORK/union"
	done
	same "files split over $world ranks, in rank order, are the whole run's output" "$WORK/union" "$WORK/j1.jsonl"
	: > "$WORK/union"
	for ((r = 0; r < world; r++)); do
		"$CURATE" ingest -q --rank $r --world $world "$D/many.jsonl.zst" >> "$WORK/union"
	done
	"$CURATE" ingest -q "$D/many.jsonl.zst" | sort > "$WORK/one.sorted"
	sort "$WORK/union" > "$WORK/union.sorted"
	same "one file split by record over $world ranks covers every record once" "$WORK/union.sorted" "$WORK/one.sorted"
done

# Reports count documents and reasons.
expect_status "ingest with a report" 0 "$CURATE" ingest -q --report "$WORK/r.json" "$D/bad.jsonl" --max-doc-bytes 1000
contains "report counts bad records by reason" "$WORK/r.json" '"invalid_json": 1'
contains "report counts documents" "$WORK/r.json" '"documents_out": 4'

# Plain text, paragraphs, archives.
expect_status "paragraph split" 0 "$CURATE" ingest -q --split paragraphs "$D/paragraphs.txt"
[ "$(wc -l < "$WORK/out")" = 3 ] && ok "three paragraphs" || fail "three paragraphs" "$(cat "$WORK/out")"
contains "paragraph ids are file:line" "$WORK/out" 'paragraphs.txt:5"'

expect_status "zip members and an xz file" 0 "$CURATE" ingest -q "$D/docs.zip" "$D/good.jsonl.xz"
contains "zip member is a document" "$WORK/out" '{"id":"a/one.txt","text":"zip member one\n","source":"docs.zip"}'
contains "xz is decompressed" "$WORK/out" '"text":"Integer id."'

# stats
expect_status "stats" 0 "$CURATE" stats "$D/good.jsonl"
contains "stats counts documents" "$WORK/out" "documents              5"
contains "stats sees Han" "$WORK/out" "Han"
contains "stats prints a histogram" "$WORK/out" "length (characters)"

# run: a pipeline file with no stages is ingest.
cat > "$WORK/p.yaml" <<YAML
inputs:
  - $D/many.jsonl.zst
  - $D/*.warc.gz
output: $WORK/run.jsonl
jobs: 2
report: $WORK/run.json
YAML
expect_status "run a pipeline file" 0 "$CURATE" run -q "$WORK/p.yaml"
"$CURATE" ingest -q "$D/many.jsonl.zst" "$D/cc-2021-resiliparse.warc.gz" "$D/dolma-science-0.warc.gz" "$D/truncated-gzip-resiliparse-clipped.warc.gz" > "$WORK/ing.jsonl" 2>/dev/null
same "run equals ingest on the same inputs" "$WORK/run.jsonl" "$WORK/ing.jsonl"
cat > "$WORK/cat.yaml" <<YAML
inputs:
  general: [$D/good.jsonl]
  math: $D/many.jsonl.zst
output: $WORK/cat.jsonl
YAML
expect_status "inputs by category" 0 "$CURATE" run -q "$WORK/cat.yaml"
[ "$(grep -c '"category":"math"' "$WORK/cat.jsonl")" = 2000 ] && [ "$(grep -c '"category":"general"' "$WORK/cat.jsonl")" = 5 ] &&
	ok "categories land in metadata" || fail "categories land in metadata"
cat > "$WORK/scoped.yaml" <<YAML
inputs:
  general: [$D/good.jsonl]
  math: $D/many.jsonl.zst
output: $WORK/scoped.jsonl
stages:
  - filter: {rules: length, set: [length.min_chars=1000000], categories: [general]}
YAML
expect_status "a stage scoped to one category" 0 "$CURATE" run -q "$WORK/scoped.yaml"
[ "$(grep -c '"category":"math"' "$WORK/scoped.jsonl")" = 2000 ] && [ "$(grep -c '"category":"general"' "$WORK/scoped.jsonl")" = 0 ] &&
	ok "only the scoped category is filtered" || fail "only the scoped category is filtered" "$(head -c 300 "$WORK/scoped.jsonl")"
printf 'inputs: [a\nstages: {' > "$WORK/bad.yaml"
expect_status "broken pipeline file is a usage error" 2 "$CURATE" run "$WORK/bad.yaml"
printf 'inputs: x\nstages:\n  - nosuchstage: {}\n' > "$WORK/bad2.yaml"
expect_status "unknown stage is a usage error" 2 "$CURATE" run "$WORK/bad2.yaml"
contains "unknown stage is named" "$WORK/err" "nosuchstage"

finish
