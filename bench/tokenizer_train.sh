#!/bin/bash
# Tokenizer training benchmark: `curate tokenizer train` against Hugging Face
# tokenizers' BPE trainer (npm `tokenizers`, native) and Debian's
# sentencepiece (spm_train --model_type=bpe), in one run, on the same text;
# then compression (bytes per token) of each vocabulary on held-back text of
# every category; then the Llama 3 extension (the first 100,000 ranks of the
# shipped vocabulary plus 28,256 learned on the multilingual part), in
# characters per token per language next to the real Llama 3 vocabulary.
#
#   flock /work/.bench.lock bench/tokenizer_train.sh [CORPUS_DIR]   (default ../shared/corpus)
#
# Needs a built tree (curate), node with the npm peers (cd bench && npm
# install), sentencepiece (Debian: apt-get install sentencepiece) and GNU
# time (/usr/bin/time). Single-threaded runs are pinned to one core
# (taskset -c 1; HF with RAYON_NUM_THREADS=1, spm with --num_threads=1); -j 2
# gets cores 0,1. Peak memory is the maximum RSS of the whole process (for
# HF, node's own ~50 MB included). Everything lands in bench/work/train/.
#
# The peers can only read files line by line (HF's Tokenizer.train, the one
# way the npm package trains, and spm_train), so the training text is the
# corpus's lines; curate reads the same lines as records, and counts exactly
# the pieces HF counts. A curate run on whole documents is shown apart.
# The npm package cannot set the vocabulary size: its default trainer makes
# 30,000 tokens (the bytes the text holds, then merges), so every trainer
# here makes 30,000 ordinary tokens (curate: --vocab-size 30256, with the
# 256 Llama 3 special tokens).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
corpus_dir=${1:-$top/../shared/corpus}
work=$here/work/train
mkdir -p "$work"
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false NODE_PATH=$here/node_modules
build=${BUILD:-}
for d in "$top" "$top/build"; do
	[ -z "$build" ] && [ -x "$d/curate" ] && build=$d
done
[ -n "$build" ] || { echo "build first (make), or set BUILD=the build folder" >&2; exit 2; }
[ -d "$here/node_modules/tokenizers" ] || { echo "install the peers: cd bench && npm install" >&2; exit 2; }
command -v spm_train > /dev/null || { echo "needs sentencepiece (apt-get install sentencepiece)" >&2; exit 2; }
curate=$build/curate
peer=$here/tokenizer_train_peer.js
vocab=$top/data/tokenizers/llama3.tiktoken

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -s "$work/train.jsonl" ]; then
	node "$here/tokenizer_train_corpus.js" "$corpus_dir" "$work"
	node "$peer" lines "$work/train.jsonl" "$work/train-lines.txt" "$work/train-lines.jsonl"
fi
echo "training text: $(wc -c < "$work/train-lines.txt") bytes, $(wc -l < "$work/train-lines.txt") lines"

# timed NAME CMD...: wall seconds and peak RSS of CMD into $work/NAME.time
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M %U %S" -o "$work/$name.time" "$@"
}

# 1. Training, one run each, the same lines.
timed curate-j1 taskset -c 1 "$curate" tokenizer train -q -j 1 --vocab-size 30256 \
	--report "$work/curate-j1.json" -o "$work/curate-j1.tiktoken" "$work/train-lines.jsonl"
timed curate-j2 taskset -c 0,1 "$curate" tokenizer train -q -j 2 --vocab-size 30256 \
	--report "$work/curate-j2.json" -o "$work/curate-j2.tiktoken" "$work/train-lines.jsonl"
cmp -s "$work/curate-j1.tiktoken" "$work/curate-j2.tiktoken" ||
	{ echo "FAIL: -j 1 and -j 2 vocabularies differ" >&2; exit 1; }
timed curate-64m taskset -c 1 "$curate" tokenizer train -q -j 1 --vocab-size 30256 \
	--mem-limit 64M --report "$work/curate-64m.json" -o "$work/curate-64m.tiktoken" \
	"$work/train-lines.jsonl"
timed curate-docs taskset -c 1 "$curate" tokenizer train -q -j 1 --vocab-size 30256 \
	--report "$work/curate-docs.json" -o "$work/curate-docs.tiktoken" "$work/train.jsonl"
timed hf taskset -c 1 node "$peer" train "$work/train-lines.txt" "$work/hf.json" \
	> "$work/hf-train.json" 2> /dev/null
timed spm taskset -c 1 spm_train --input="$work/train-lines.txt" --model_prefix="$work/spm" \
	--model_type=bpe --vocab_size=30000 --character_coverage=0.99995 --byte_fallback=true \
	--split_digits=true --allow_whitespace_only_pieces=true --normalization_rule_name=identity \
	--remove_extra_whitespaces=false --max_sentence_length=1000000 --input_sentence_size=0 \
	--num_threads=1 --minloglevel=2

# The same merges as HF, in order (HF's alphabet is only the bytes seen).
node "$peer" tokens "$work/hf.json" "$work/hf.hex"
node "$peer" tiktoken-hex "$work/curate-j1.tiktoken" "$work/curate.hex"
awk 'length($0) > 2' "$work/hf.hex" > "$work/hf.merges"
tail -n +257 "$work/curate.hex" > "$work/curate.merges"
same=$(paste -d' ' "$work/curate.merges" "$work/hf.merges" | awk '$1 != $2 { print NR - 1; exit }')
same=${same:-$(wc -l < "$work/curate.merges")}
echo "merges: curate $(wc -l < "$work/curate.merges"), HF $(wc -l < "$work/hf.merges");" \
	"the first $same are the same, in the same order"

# 2. Compression on held-back text, per category.
for v in curate-j1 curate-64m curate-docs; do
	"$curate" tokenizer stats -q "$work/$v.tiktoken" --by category -o "$work/$v-stats.json" \
		"$work/heldout.jsonl" > /dev/null
done
node "$peer" eval "$work/hf.json" "$work/heldout.jsonl" category > "$work/hf-stats.json"
# spm_encode reads lines and cannot see line breaks: one more token for each
# (what its byte fallback would give).
node -e '
const fs = require("fs");
const docs = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse);
for (const c of [...new Set(docs.map((d) => d.category))])
  fs.writeFileSync(`${process.argv[2]}/heldout-${c}.txt`,
    docs.filter((d) => d.category === c).map((d) => d.text).join("\n") + "\n");
' "$work/heldout.jsonl" "$work"
for c in general math code multilingual; do
	n=$(spm_encode --model="$work/spm.model" --output_format=id < "$work/heldout-$c.txt" | wc -w)
	l=$(wc -l < "$work/heldout-$c.txt")
	echo "$c $((n + l))"
done > "$work/spm-tokens.txt"

# 3. The extension: Llama 3's first 100,000 ranks + 28,256 on multilingual text.
head -n 100000 "$vocab" > "$work/llama3-100k.tiktoken"
timed extend taskset -c 1 "$curate" tokenizer extend -q "$vocab" --base-ranks 100000 \
	--add 28256 --report "$work/extend.json" -o "$work/extended.tiktoken" \
	"$work/multilingual-train.jsonl"
# How many of the new tokens the extended encoder gives on the text they came from.
"$curate" tokenize -q --tokenizer "$work/extended.tiktoken" --emit ids \
	"$work/multilingual-train.jsonl" | tr ' ' '\n' |
	awk '$1 >= 100000 && $1 < 128256' | sort -un | wc -l > "$work/extend-used.txt"
"$curate" tokenizer stats -q "$work/extended.tiktoken" --compare "$vocab" \
	--compare "$work/llama3-100k.tiktoken" --by lang -o "$work/extend-lang.json" \
	"$work/multilingual-heldout.jsonl" > /dev/null
"$curate" tokenizer stats -q "$work/extended.tiktoken" --compare "$vocab" \
	--compare "$work/llama3-100k.tiktoken" --by category -o "$work/extend-category.json" \
	"$work/heldout.jsonl" > /dev/null

node "$here/tokenizer_train_report.js" "$work"
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
