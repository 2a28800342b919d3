#!/bin/bash
# CLI tests for `curate tokenizer train|extend|stats`: the hand-checked
# merges, the files a trained vocabulary is made of, the same bytes for any
# -j (exact counts and sketched), the round trip through tok-dump and curate
# tokenize, extension, statistics, and clear errors for bad inputs.
. "$(dirname "$0")/lib.sh"
dump="$top_builddir/tok-dump"
T="$DATA/tokenizer"
W=$WORK

# Every test of the tokenizer's Check suite is registered: none drops out.
a=$(grep -c '^START_TEST(' "$top_srcdir/tests/check_tokenizer.c")
b=$(grep -c 'tcase_add_test(' "$top_srcdir/tests/check_tokenizer.c")
[ "$a" -eq "$b" ] && ok "every Check test is registered" ||
	fail "every Check test is registered" "check_tokenizer.c defines $a tests, registers $b"

# decode_ranks FILE.tiktoken FIRST: the bytes of each rank from FIRST on, a line each.
decode_ranks() {
	awk -v first="$2" '$2 >= first { print $1 }' "$1" | while read -r b; do
		printf '%s' "$b" | base64 -d; echo; done
}

# 1. The tiny corpus of the BPE paper: the merges worked out by hand.
printf '' > "$W/none.txt"
expect_status "train the tiny corpus" 0 "$CURATE" tokenizer train -q --vocab-size 300 \
	--special-tokens "$W/none.txt" -o "$W/tiny.tiktoken" "$T/train-tiny.txt"
decode_ranks "$W/tiny.tiktoken" 256 > "$W/merges"
same "the hand-checked merges, in order" "$T/train-tiny.merges" "$W/merges"
[ "$(wc -l < "$W/tiny.tiktoken")" = 271 ] && ok "256 bytes and 15 merges" ||
	fail "256 bytes and 15 merges" "$(wc -l < "$W/tiny.tiktoken") ranks"
[ -f "$W/tiny-pattern.txt" ] && [ -f "$W/tiny-special-tokens.tsv" ] &&
	ok "the pattern and special tokens are written beside it" ||
	fail "the pattern and special tokens are written beside it"
printf ' lowest newest\n' > "$W/want"
"$dump" --tokenizer "$W/tiny.tiktoken" --ids " lowest newest" > "$W/ids"
[ "$(cat "$W/ids")" = "262 257 264" ] && ok "tok-dump encodes with it" ||
	fail "tok-dump encodes with it" "$(cat "$W/ids")"

# 2. A larger corpus: byte-identical for any -j, exact and sketched.
cat "$T/llama3-golden.jsonl" "$DATA/filters/cc-2019-30-sample.jsonl" > "$W/corpus.jsonl"
for j in 1 3; do
	"$CURATE" tokenizer train -q -j $j --vocab-size 2000 -o "$W/j$j.tiktoken" \
		--report "$W/j$j.json" "$W/corpus.jsonl" || fail "train -j $j"
	"$CURATE" tokenizer train -q -j $j --vocab-size 2000 --mem-limit 2M \
		-o "$W/s$j.tiktoken" --report "$W/s$j.json" "$W/corpus.jsonl" || fail "train -j $j, 2M"
done
same "-j 1 and -j 3: the same vocabulary" "$W/j1.tiktoken" "$W/j3.tiktoken"
same "-j 1 and -j 3: the same special tokens" "$W/j1-special-tokens.tsv" "$W/j3-special-tokens.tsv"
same "-j 1 and -j 3 under --mem-limit 2M: the same vocabulary" "$W/s1.tiktoken" "$W/s3.tiktoken"
contains "--mem-limit 2M sketches the counts" "$W/s1.json" '"counts": "approximate"'
contains "enough memory: exact counts" "$W/j1.json" '"counts": "exact"'
[ "$(wc -l < "$W/j1.tiktoken")" = 1744 ] && ok "2000 = 1744 ranks + 256 special tokens" ||
	fail "2000 = 1744 ranks + 256 special tokens" "$(wc -l < "$W/j1.tiktoken") ranks"
[ "$(head -n 1 "$W/j1-special-tokens.tsv")" = "$(printf '1744\t<|begin_of_text|>')" ] &&
	ok "Llama 3's special tokens follow the ranks" ||
	fail "Llama 3's special tokens follow the ranks" "$(head -n 1 "$W/j1-special-tokens.tsv")"

# 3. Round trip: encode and decode give the bytes back, with a trained file.
head -c 60000 "$DATA/filters/cc-2019-30-sample.jsonl" > "$W/text.txt"
head -c 3000 /dev/urandom >> "$W/text.txt"
"$dump" --tokenizer "$W/j1.tiktoken" --ids -f "$W/text.txt" > "$W/ids"
"$dump" --tokenizer "$W/j1.tiktoken" --decode < "$W/ids" > "$W/back.txt"
same "tok-dump: encode, decode, the same bytes" "$W/text.txt" "$W/back.txt"
"$CURATE" tokenize -q --tokenizer "$W/j1.tiktoken" "$W/corpus.jsonl" > "$W/tok.jsonl" &&
	contains "curate tokenize --tokenizer takes it" "$W/tok.jsonl" '"tokens":' ||
	fail "curate tokenize --tokenizer takes it"
"$CURATE" tokenize -q --tokenizer "$W/j1.tiktoken" --emit ids --allow-special "$W/corpus.jsonl" \
	> "$W/ids.txt" && grep -q ' 1745 ' "$W/ids.txt" &&
	ok "its special tokens encode (<|end_of_text|> = 1745)" ||
	fail "its special tokens encode (<|end_of_text|> = 1745)"

# 4. A pattern of its own goes beside the vocabulary and is used again.
printf '[a-z]+\n' > "$W/letters.txt"
expect_status "train --pattern FILE" 0 "$CURATE" tokenizer train -q --vocab-size 600 \
	--pattern "$W/letters.txt" -o "$W/own.tiktoken" "$W/corpus.jsonl"
same "the pattern is written beside the vocabulary" "$W/letters.txt" "$W/own-pattern.txt"
"$dump" --tokenizer "$W/own.tiktoken" --ids -f "$W/text.txt" > "$W/ids"
"$dump" --tokenizer "$W/own.tiktoken" --decode < "$W/ids" > "$W/back.txt"
same "a pattern of its own: the round trip" "$W/text.txt" "$W/back.txt"

# 5. extend: the base's ranks stay, new ones follow, the base's specials after.
expect_status "extend" 0 "$CURATE" tokenizer extend "$T/small.tiktoken" --base-ranks 900 \
	--add 80 -o "$W/ext.tiktoken" "$W/corpus.jsonl"
head -n 900 "$T/small.tiktoken" > "$W/want"
head -n 900 "$W/ext.tiktoken" > "$W/got"
same "extend keeps the base's ranks" "$W/want" "$W/got"
[ "$(wc -l < "$W/ext.tiktoken")" = 980 ] && ok "extend adds 80 ranks" ||
	fail "extend adds 80 ranks" "$(wc -l < "$W/ext.tiktoken")"
printf '980\t<|begin_of_text|>\n981\t<|end_of_text|>\n982\t<|x|>\n983\t<|longer_x|>\n' > "$W/want"
same "extend keeps the base's special tokens, after the new ranks" "$W/want" \
	"$W/ext-special-tokens.tsv"

# 6. stats: a table, and JSON with -o.
expect_status "stats" 0 "$CURATE" tokenizer stats "$W/j1.tiktoken" --compare "$W/ext.tiktoken" \
	--by cat -o "$W/stats.json" "$T/llama3-golden.jsonl"
contains "stats: a table per key" "$W/out" "by cat:"
contains "stats: characters per token" "$W/out" "chars/tok"
contains "stats: JSON per value" "$W/stats.json" '"characters_per_token"'
contains "stats: both vocabularies" "$W/stats.json" 'ext.tiktoken'

# 7. In a pipeline file, after other stages: sink {tokenizer: {...}} and output.
cat > "$W/p.yaml" <<EOF
inputs:
  - $W/corpus.jsonl
output: $W/piped.tiktoken
stages:
  - filter: {rules: [c4]}
sink:
  tokenizer: {vocab_size: 2000}
EOF
expect_status "curate run with the tokenizer sink" 0 "$CURATE" run -q "$W/p.yaml"
[ "$(wc -l < "$W/piped.tiktoken")" = 1744 ] && ok "the tokenizer sink learns 1744 ranks" ||
	fail "the tokenizer sink learns 1744 ranks" "$(cat "$W/err")"
sed -e '/^output:/d' -e 's|{vocab_size: 2000}|{vocab_size: 2000, output: '"$W"'/piped2.tiktoken}|' \
	"$W/p.yaml" > "$W/p2.yaml"
expect_status "the tokenizer sink's own output" 0 "$CURATE" run -q "$W/p2.yaml"
same "the tokenizer sink's own output: the same vocabulary" "$W/piped.tiktoken" "$W/piped2.tiktoken"

# 8. Bad inputs: clear errors, no output left behind.
: > "$W/empty.jsonl"
expect_status "empty corpus" 3 "$CURATE" tokenizer train -q --vocab-size 600 \
	-o "$W/e.tiktoken" "$W/empty.jsonl"
contains "empty corpus: the reason" "$W/err" "no text to learn from"
[ ! -e "$W/e.tiktoken" ] && [ ! -e "$W/e-special-tokens.tsv" ] &&
	ok "empty corpus: no output left" || fail "empty corpus: no output left"
expect_status "vocab smaller than 256 + specials" 2 "$CURATE" tokenizer train -q \
	--vocab-size 500 -o "$W/v.tiktoken" "$W/corpus.jsonl"
contains "vocab smaller than 256 + specials: the reason" "$W/err" \
	"smaller than the 256 byte tokens plus 256 special tokens"
printf '([a-z]+\n' > "$W/bad-pattern.txt"
expect_status "invalid pattern" 2 "$CURATE" tokenizer train -q --vocab-size 600 \
	--pattern "$W/bad-pattern.txt" -o "$W/p.tiktoken" "$W/corpus.jsonl"
contains "invalid pattern: the reason" "$W/err" "invalid pattern"
expect_status "unwritable output" 3 "$CURATE" tokenizer train -q --vocab-size 600 \
	-o "$W/no/such/dir/x.tiktoken" "$W/corpus.jsonl"
contains "unwritable output: the path" "$W/err" "no/such/dir"
expect_status "output not .tiktoken" 2 "$CURATE" tokenizer train -q --vocab-size 600 \
	-o "$W/x.txt" "$W/corpus.jsonl"
contains "output not .tiktoken: the reason" "$W/err" "FILE.tiktoken"
expect_status "extend without --add" 2 "$CURATE" tokenizer extend "$T/small.tiktoken" \
	-o "$W/x.tiktoken" "$W/corpus.jsonl"
expect_status "unknown subcommand" 2 "$CURATE" tokenizer nope
finish
