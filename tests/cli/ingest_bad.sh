#!/bin/bash
# Bad input: each bad record is named (FILE:LINE: reason), counted, skipped,
# and nothing valid before or after it is lost; --strict stops with status 1
# after writing what came before.
. "$(dirname "$0")/lib.sh"
D="$DATA/core"

expect_status "bad JSONL lines are skipped" 0 "$CURATE" ingest --max-doc-bytes 1000 "$D/bad.jsonl"
[ "$(grep -o '"id":"[0-9]*"' "$WORK/out" | tr '\n' ' ')" = '"id":"1" "id":"4" "id":"5" "id":"9" ' ] &&
	ok "good lines before and after bad ones survive" || fail "good lines survive" "$(cat "$WORK/out")"
contains "invalid JSON is named by file and line" "$WORK/err" "bad.jsonl:2: invalid JSON"
contains "missing text field" "$WORK/err" "bad.jsonl:3: missing field 'text'"
contains "over-long line" "$WORK/err" "bad.jsonl:6: line longer than 1000 bytes"
grep -q 'bad utf8 ' "$WORK/out" && ok "invalid UTF-8 document kept" || fail "invalid UTF-8 document kept"
python3 -c 'import sys,json
for l in open(sys.argv[1],encoding="utf-8",errors="strict"): json.loads(l)' "$WORK/out" &&
	ok "output is valid UTF-8 JSON" || fail "output is valid UTF-8 JSON"

expect_status "--strict stops at the first bad record" 1 "$CURATE" ingest --strict -o "$WORK/s.jsonl" "$D/bad.jsonl"
[ "$(cat "$WORK/s.jsonl")" = '{"id":"1","text":"first good"}' ] &&
	ok "--strict keeps what came before" || fail "--strict keeps what came before" "$(cat "$WORK/s.jsonl")"

expect_status "truncated gzip keeps its prefix" 0 "$CURATE" ingest -o "$WORK/t.jsonl" "$D/truncated.jsonl.gz" "$D/good.jsonl"
contains "truncated gzip is named" "$WORK/err" "truncated.jsonl.gz:"
[ "$(wc -l < "$WORK/t.jsonl")" -gt 500 ] && ok "records before the truncation are kept" || fail "prefix kept"
grep -q '"id":"a"' "$WORK/t.jsonl" && ok "the next file is still read" || fail "next file read"

expect_status "truncated zstd keeps its prefix" 0 "$CURATE" ingest -o "$WORK/z.jsonl" "$D/truncated.jsonl.zst"
contains "truncated zstd is named" "$WORK/err" "truncated.jsonl.zst:"

# Its last record is a resource: asked for, to see it found again.
expect_status "WARC with a wrong Content-Length" 0 "$CURATE" ingest --warc-types response,conversion,resource \
	"$D/wrong_length.warc"
contains "wrong Content-Length is named" "$WORK/err" "wrong_length.warc:3: wrong Content-Length"
[ "$(wc -l < "$WORK/out")" = 3 ] && ok "records around the bad one survive" || fail "records around the bad one" "$(cat "$WORK/out")"
contains "WARC metadata has the URL" "$WORK/out" '"url":"http://e.example/5"'

expect_status "corrupt tar member" 0 "$CURATE" ingest "$D/corrupt.tar"
contains "damaged tar header is named" "$WORK/err" "corrupt.tar:2: damaged archive member header"
contains "members after the damage survive" "$WORK/out" "docs/three.txt"

expect_status "--max-doc-bytes takes a size with a suffix" 0 "$CURATE" ingest --max-doc-bytes 1K "$D/bad.jsonl"
contains "1K is 1024 bytes" "$WORK/err" "line longer than 1024 bytes"
expect_status "--max-doc-bytes refuses a bad size" 2 "$CURATE" ingest --max-doc-bytes 12X "$D/bad.jsonl"

expect_status "missing input file stops before anything is read" 3 "$CURATE" ingest -o "$WORK/m.jsonl" "$D/good.jsonl" "$WORK/nope.jsonl"
contains "missing file is named with the errno's text" "$WORK/err" "cannot open '$WORK/nope.jsonl': No such file or directory"
[ ! -e "$WORK/m.jsonl" ] && ok "no output for a run with a missing input" || fail "no output for a run with a missing input"

finish
