#!/bin/bash
# CLI tests for tok-dump and `curate tokenize`.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
dump="$top_builddir/tok-dump"
curate="$top_builddir/curate"
data="$top_srcdir/tests/data/tokenizer"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "not ok - $1"; exit 1; }
check() { # name expected-file actual-file
	if cmp -s "$2" "$3"; then echo "ok - $1"; else diff "$2" "$3" | head -20; fail "$1"; fi
}

# --ids: the golden "Hello world" ids.
printf '9906 1917\n' > "$work/want"
"$dump" --ids "Hello world" > "$work/got"
check "tok-dump --ids argument" "$work/want" "$work/got"
printf 'Hello world' | "$dump" --ids > "$work/got"
check "tok-dump --ids stdin" "$work/want" "$work/got"
printf 'Hello world' > "$work/in.txt"
"$dump" --ids -f "$work/in.txt" > "$work/got"
check "tok-dump --ids -f" "$work/want" "$work/got"

# Default listing: id, escaped bytes, decoded text.
printf '9906\t"Hello"\tHello\n1917\t" world"\t world\n4999\t"!\\n"\t!\\n\n' > "$work/want"
printf 'Hello world!\n' | "$dump" > "$work/got"
check "tok-dump listing" "$work/want" "$work/got"

# Bytes that are not whole characters are escaped, decoded as U+FFFD.
"$dump" "é" > "$work/got"
printf '978\t"\\xc3\\xa9"\t\xc3\xa9\n' > "$work/want"
check "tok-dump non-ASCII" "$work/want" "$work/got"

# Special tokens: ordinary text by default, ids with --allow-special.
"$dump" --ids "<|eot_id|>" > "$work/got"
printf '27 91 68 354 851 91 29\n' > "$work/want"
check "tok-dump special as text" "$work/want" "$work/got"
"$dump" --ids --allow-special "<|eot_id|>" > "$work/got"
printf '128009\n' > "$work/want"
check "tok-dump --allow-special" "$work/want" "$work/got"

# --decode: ids back to bytes, exactly.
"$dump" --decode 128000 9906 1917 > "$work/got"
printf '<|begin_of_text|>Hello world' > "$work/want"
check "tok-dump --decode" "$work/want" "$work/got"
echo "9906 1917" | "$dump" --decode > "$work/got"
printf 'Hello world' > "$work/want"
check "tok-dump --decode stdin" "$work/want" "$work/got"
if "$dump" --decode 999999 > /dev/null 2> "$work/err"; then fail "tok-dump --decode unknown id"; fi
grep -q "unknown token id 999999" "$work/err" || fail "tok-dump --decode message"
echo "ok - tok-dump --decode unknown id"

# --stats
"$dump" --stats "héllo wörld" > "$work/got"
printf 'characters\t11\nbytes\t13\ntokens\t6\nbytes_per_token\t2.167\n' > "$work/want"
check "tok-dump --stats" "$work/want" "$work/got"

# --color: the text itself when not a TTY (or never); escapes when always.
"$dump" --color "Hello world" > "$work/got"
printf 'Hello world\n' > "$work/want"
check "tok-dump --color (not a TTY)" "$work/want" "$work/got"
"$dump" --color=always "Hello world" > "$work/got"
grep -q $'\033\\[48;5;' "$work/got" || fail "tok-dump --color=always"
echo "ok - tok-dump --color=always"

# --tokenizer: the small tokenizer.json and tiktoken give the same ids.
"$dump" --ids --tokenizer "$data/small.json" -f "$data/llama3-golden.jsonl" > "$work/a"
"$dump" --ids --tokenizer "$data/small.tiktoken" -f "$data/llama3-golden.jsonl" > "$work/b"
check "tok-dump --tokenizer json = tiktoken" "$work/a" "$work/b"
if "$dump" --tokenizer "$data/bad/gap.tiktoken" x 2> "$work/err"; then fail "bad vocab"; fi
grep -q "gap in ranks" "$work/err" || fail "bad vocab message"
echo "ok - tok-dump bad vocabulary"

# curate tokenize: metadata.tokens, and --emit ids in input order for any -j.
head -n 200 "$data/llama3-golden.jsonl" > "$work/g.jsonl"
"$curate" tokenize -q "$work/g.jsonl" > "$work/out.jsonl"
n=$(grep -c '"tokens"' "$work/out.jsonl")
[ "$n" = 200 ] || fail "curate tokenize adds metadata.tokens ($n)"
echo "ok - curate tokenize metadata.tokens"
# Expected ids: the golden ids_ordinary (or ids), one line per case.
node_free_expect() {
	# jq-free: pull the arrays with sed; the golden file keeps them on one line.
	while IFS= read -r line; do
		case "$line" in
		*'"ids_ordinary"'*) ids=${line##*\"ids_ordinary\":[} ;;
		*) ids=${line##*\"ids\":[} ;;
		esac
		ids=${ids%%]*}
		printf '%s\n' "${ids//,/ }"
	done < "$1"
}
node_free_expect "$work/g.jsonl" | sed 's/  */ /g' > "$work/want"
"$curate" tokenize -q --emit ids "$work/g.jsonl" > "$work/got"
check "curate tokenize --emit ids = golden" "$work/want" "$work/got"
"$curate" tokenize -q -j 4 --emit ids -o "$work/ids.txt" "$work/g.jsonl"
check "curate tokenize --emit ids -j 4 -o" "$work/want" "$work/ids.txt"
"$curate" tokenize -q -j 2 --emit ids -o "$work/ids.txt.zst" "$work/g.jsonl"
zstd -q -dc "$work/ids.txt.zst" > "$work/ids-z.txt"
check "curate tokenize --emit ids -o FILE.zst compresses" "$work/want" "$work/ids-z.txt"
"$curate" tokenize -q -j 2 "$work/g.jsonl" > "$work/out2.jsonl"
check "curate tokenize -j 2 = -j 1" "$work/out.jsonl" "$work/out2.jsonl"
# A pipeline file: the tokenize stage, then the ids sink.
cat > "$work/p.yaml" <<EOF
inputs:
  - $work/g.jsonl
output: $work/p-ids.txt
stages:
  - tokenize: {}
sink:
  ids: {}
EOF
"$curate" run -q "$work/p.yaml"
check "curate run: tokenize stage and ids sink" "$work/want" "$work/p-ids.txt"
if "$curate" tokenize -q --emit words "$work/g.jsonl" > /dev/null 2>&1; then fail "--emit words"; fi
echo "ok - curate tokenize rejects --emit words"
exit 0
