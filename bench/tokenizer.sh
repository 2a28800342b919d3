#!/bin/bash
# Tokenizer benchmark: curate's encoder against tiktoken (WASM) and Hugging
# Face tokenizers (native), on one mixed corpus, in the same run.
#
#   bench/tokenizer.sh [CORPUS_DIR]     (default ../shared/corpus)
#
# Needs a built tree (bench/tok_bench, curate) and the npm peers:
#   (cd bench && npm install)
# Each engine runs on one core (taskset -c 1; -j 2 gets cores 0,1), with the
# corpus in memory; load time is measured apart. Every engine must give the
# same number of tokens and the same ids (hash), or the script fails.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
corpus_dir=${1:-$top/../shared/corpus}
work=$here/work
passes=${PASSES:-3}
mkdir -p "$work"
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false

# The build tree: $BUILD, else the source tree, else build/ (scripts/setup.sh).
build=${BUILD:-}
for d in "$top" "$top/build"; do
	[ -z "$build" ] && [ -x "$d/bench/tok_bench" ] && build=$d
done
[ -n "$build" ] && [ -x "$build/bench/tok_bench" ] ||
	{ echo "build first (make), or set BUILD=the build folder" >&2; exit 2; }
[ -d "$here/node_modules/tiktoken" ] || { echo "install the peers: cd bench && npm install" >&2; exit 2; }

corpus=$work/tok-corpus.jsonl
node "$here/tokenizer_corpus.js" "$corpus_dir" "$corpus" 2> "$work/tok-corpus.txt"
cat "$work/tok-corpus.txt" >&2

results=$work/tok-results.jsonl
: > "$results"
taskset -c 1 "$build/bench/tok_bench" -j 1 -p "$passes" "$corpus" >> "$results"
taskset -c 0,1 "$build/bench/tok_bench" -j 2 -p "$passes" "$corpus" >> "$results"
taskset -c 1 node "$here/tokenizer_peers.js" tiktoken "$corpus" "$top/data/tokenizers" "$passes" >> "$results"
taskset -c 1 node "$here/tokenizer_peers.js" hf "$corpus" "$top/data/tokenizers" "$passes" >> "$results"

# The whole CLI, JSONL in and ids out (reading, parsing and writing included).
for j in 1 2; do
	cpus=1; [ "$j" = 2 ] && cpus=0,1
	s=$(date +%s%N)
	taskset -c "$cpus" "$build/curate" tokenize -q -j "$j" --emit ids --allow-special \
		-o "$work/tok-ids-$j.txt" "$corpus"
	e=$(date +%s%N)
	awk -v j="$j" -v ns="$((e - s))" \
		'BEGIN { printf "{\"cli\": \"curate tokenize -j %s --emit ids\", \"seconds\": %.3f}\n", j, ns / 1e9 }' \
		>> "$results"
done
cmp -s "$work/tok-ids-1.txt" "$work/tok-ids-2.txt" || { echo "FAIL: -j 1 and -j 2 ids differ" >&2; exit 1; }

node - "$results" <<'JS'
const fs = require('fs');
const rows = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map(JSON.parse);
const enc = rows.filter((r) => r.engine);
const base = enc[0];
const mb = (r, s) => r.bytes / s / 1e6;
console.log(`corpus: ${(base.bytes / 1e6).toFixed(2)} MB, ${base.docs} documents, ${base.tokens} tokens`);
console.log('');
console.log('| encoder | MB/s best | MB/s median | Mtokens/s best | load ms (CPU ms) | tokens | ids hash |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
let ok = true;
for (const r of enc) {
  console.log(`| ${r.engine} | ${mb(r, r.best_s).toFixed(2)} | ${mb(r, r.median_s).toFixed(2)} | ` +
    `${(r.tokens / r.best_s / 1e6).toFixed(2)} | ${r.load_ms.toFixed(1)}` +
    `${r.load_cpu_ms !== undefined ? ` (${r.load_cpu_ms.toFixed(1)})` : ''} | ${r.tokens} | ${r.ids_hash} |`);
  if (r.tokens !== base.tokens || r.ids_hash !== base.ids_hash) ok = false;
}
for (const r of rows.filter((x) => x.cli))
  console.log(`| ${r.cli} (whole CLI) | ${(base.bytes / r.seconds / 1e6).toFixed(2)} | | | | | |`);
const by = (name) => enc.find((r) => r.engine.startsWith(name));
const c1 = by('curate -j 1'), c2 = by('curate -j 2'), tt = by('tiktoken'), hf = by('hf');
console.log('');
console.log(`curate -j 1 / tiktoken: ${(tt.best_s / c1.best_s).toFixed(1)}x; ` +
  `/ HF tokenizers: ${(hf.best_s / c1.best_s).toFixed(1)}x; ` +
  `-j 2 / -j 1: ${(c1.best_s / c2.best_s).toFixed(2)}x`);
console.log(ok ? 'all engines: identical token counts and ids' : 'FAIL: engines disagree');
process.exit(ok ? 0 : 1);
JS
