#!/bin/bash
# curate against tiktoken (npm, WASM) on 20,000 random strings of every
# plane: identical ids. Skipped (77) without node and bench/node_modules
# (cd bench && npm install).
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
if ! command -v node > /dev/null || [ ! -d "$top_srcdir/bench/node_modules/tiktoken" ]; then
	echo "SKIP: needs node and the npm peers (cd bench && npm install)"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
NODE_PATH="$top_srcdir/bench/node_modules" node "$top_srcdir/bench/tokenizer_diff.js" \
	"$top_srcdir/data/tokenizers" "$work" 20000
"$top_builddir/curate" tokenize -q --emit ids --allow-special -j 2 "$work/diff.jsonl" > "$work/got.txt"
if cmp -s "$work/diff-want.txt" "$work/got.txt"; then
	echo "ok - 20000 random strings: same ids as tiktoken"
else
	diff "$work/diff-want.txt" "$work/got.txt" | head -10
	echo "not ok - ids differ from tiktoken"
	exit 1
fi
