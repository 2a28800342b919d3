#!/bin/bash
# curate tokenizer train against Hugging Face tokenizers' BPE trainer (npm,
# native; Llama 3's pre-tokenizer) on the same lines of text: the same
# merges, in the same order. Skipped (77) without node and bench/node_modules
# (cd bench && npm install).
. "$(dirname "$0")/lib.sh"
if ! command -v node > /dev/null || [ ! -d "$top_srcdir/bench/node_modules/tokenizers" ]; then
	echo "SKIP: needs node and the npm peers (cd bench && npm install)"
	exit 77
fi
peer="$top_srcdir/bench/tokenizer_train_peer.js"
export NODE_PATH="$top_srcdir/bench/node_modules" RAYON_NUM_THREADS=1
# The golden texts less the 10,000-character runs (HF's trainer is slow on
# them, and would make tokens longer than the 768 bytes curate stops at).
grep -v '"cat": *"\(repeat\|long-word\)"' "$DATA/tokenizer/llama3-golden.jsonl" |
	cat - "$DATA/filters/cc-2019-30-sample.jsonl" > "$WORK/corpus.jsonl"
node "$peer" lines "$WORK/corpus.jsonl" "$WORK/lines.txt" "$WORK/lines.jsonl"
node "$peer" train "$WORK/lines.txt" "$WORK/hf.json" > /dev/null 2>&1 || fail "HF tokenizers trains"
node "$peer" tokens "$WORK/hf.json" "$WORK/hf.hex"
# HF's vocabulary: the bytes the text holds, then its merges; at most 30,000.
"$CURATE" tokenizer train -q --vocab-size 30000 --min-frequency 1 --special-tokens /dev/null \
	-o "$WORK/c.tiktoken" "$WORK/lines.jsonl" || fail "curate trains"
node "$peer" tiktoken-hex "$WORK/c.tiktoken" "$WORK/c.hex"
awk 'length($0) > 2' "$WORK/hf.hex" > "$WORK/hf.merges"
tail -n +257 "$WORK/c.hex" > "$WORK/c.merges"
n=$(wc -l < "$WORK/c.merges")
head -n "$n" "$WORK/hf.merges" > "$WORK/hf.first"
[ "$n" -gt 5000 ] && ok "curate learns $n merges" || fail "curate learns merges" "only $n"
same "the same $n merges as HF tokenizers, in order" "$WORK/hf.first" "$WORK/c.merges"
finish
