#!/bin/bash
# bench/model.sh: training and scoring throughput of the reference model
# (curate model train / curate model eval) against PyTorch on the CPU
# (tests/llama_torch.py, Debian's python3-torch), the same config.json and
# weights, the same batch (B windows of T tokens) and thread count, -j 1 and
# -j 2, for the tiny and small configs; peak RSS of each run.
#
# Training: tokens per second of whole updates (forward, backward, gradient
# clipping, AdamW), after one warm-up update. Scoring: forward passes and
# per-token losses, no gradient. PyTorch runs with OMP_NUM_THREADS and
# OPENBLAS_NUM_THREADS set to the thread count. Both use Debian's OpenBLAS,
# whatever kernels it picks for this CPU (OPENBLAS_CORETYPE, when set, goes
# to both); curate's own matrix kernels are used where `--matmul auto` takes
# them (the report says which).
#
# usage: [B=4] [T=256] [STEPS=3] [PEER=0] [MATMUL=auto|openblas|plain]
#        bench/model.sh [CONFIGS] [JOBS]
#        (defaults: "tiny small" "1 2"; run under flock /work/.bench.lock)
# PEER=0 leaves PyTorch out: curate's -j 1 and -j 2 figures alone, in about
# two minutes (`PEER=0 STEPS=6 bench/model.sh` for steadier ones).
set -eu
cd "$(dirname "$0")/.."
CONFIGS=${1:-tiny small}
JOBS=${2:-1 2}
B=${B:-4}
T=${T:-256}
STEPS=${STEPS:-3}
CURATE=$( [ -x build/curate ] && echo build/curate || echo ./curate )
PEER=${PEER:-1}
MATMUL=${MATMUL:-auto}
PY=/usr/bin/python3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

[ "$PEER" = 0 ] || "$PY" -c 'import torch' 2>/dev/null || { echo "bench/model.sh: no torch for $PY (apt-get install python3-torch)"; exit 1; }
# Shards in the llm.c layout from the test prose (any tokens will do for speed).
"$CURATE" shard -q -o "$W/shards" --format llmc --valid-fraction 0.1 --seed 1 tests/data/shards/*.jsonl

rss() { awk '/Maximum resident/ { printf "%.0f", $NF / 1024 }' "$1"; }
# peer WORK: PyTorch's tokens/s (tps) and RSS (trss) for $ck at -j $j; 0 and - with PEER=0
peer() {
	tps=0 trss=-
	[ "$PEER" = 0 ] && return
	OMP_NUM_THREADS=$j OPENBLAS_NUM_THREADS=$j /usr/bin/time -v "$PY" tests/llama_torch.py bench "$ck" "$1" \
		"$B" "$T" "$STEPS" "$j" > "$W/torch.json" 2> "$W/time" || { cat "$W/time"; exit 1; }
	tps=$("$PY" -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["tokens_per_second"])' "$W/torch.json")
	trss=$(rss "$W/time")
}
ratio() { [ "$2" = 0 ] && echo - || printf '%.2fx' "$(echo "$1 / $2" | bc -l)"; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# B=$B T=$T, $STEPS timed updates (training) or $STEPS batches (scoring); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo
echo "| config | work | -j | curate tok/s | PyTorch tok/s | ratio | curate RSS MB | PyTorch RSS MB |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for cfg in $CONFIGS; do
	for j in $JOBS; do
		ck=$W/ck-$cfg-$j
		/usr/bin/time -v "$CURATE" model train -q --shards "$W/shards" --config "$cfg" --steps $((STEPS + 1)) \
			--batch "$B" --seq "$T" --eval-every 0 --eval-tokens "$T" -j "$j" --matmul "$MATMUL" -o "$ck" 2> "$W/time" ||
			{ cat "$W/time"; exit 1; }
		# tokens over the summed time of the timed updates (rows 2 on)
		ctrain=$(awk -F, -v bt=$((B * T)) 'NR > 2 { s += bt / $5; n += bt } END { printf "%.0f", n / s }' "$ck/train_log.csv")
		crss=$(rss "$W/time")
		matmul=$(grep -o "curate's [A-Z0-9-]* kernels\|OpenBLAS ([A-Za-z]* kernels)" "$W/time" | head -1 || true)
		peer train
		printf '| %s | train | %d | %s | %s | %s | %s | %s |\n' "$cfg" "$j" "$ctrain" "${tps#0}" \
			"$(ratio "$ctrain" "$tps")" "$crss" "$trss"
		ttrain=$tps

		/usr/bin/time -v "$CURATE" model eval "$ck" --shards "$W/shards" --eval-split train --batch "$B" --seq "$T" \
			--tokens $((B * T * STEPS)) -j "$j" --matmul "$MATMUL" --report "$W/eval.json" > /dev/null 2> "$W/time" ||
			{ cat "$W/time"; exit 1; }
		cscore=$("$PY" -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["tokens_per_second"])' "$W/eval.json")
		matmul=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["matmul"])' "$W/eval.json")
		crss=$(rss "$W/time")
		peer score
		printf '| %s | score | %d | %s | %s | %s | %s | %s |\n' "$cfg" "$j" "$cscore" "${tps#0}" \
			"$(ratio "$cscore" "$tps")" "$crss" "$trss"
		tscore=$tps
		echo "$cfg $j $ctrain $cscore $ttrain $tscore" >> "$W/all"
	done
done
echo
echo "curate's matrix products: $matmul"
# The whole ppl stage on documents (reading, tokenizing, scoring in windows
# of T, writing JSONL), with the tiny config's checkpoint: no peer. The test
# prose four times over: 28 batches of 16 documents, enough for -j 2 to
# share evenly (the prose once is 7 batches of uneven length).
for i in 1 2 3 4; do cat tests/data/shards/general.jsonl; done > "$W/ppl-in.jsonl"
for j in $JOBS; do
	ck=$(ls -d "$W"/ck-tiny-* 2>/dev/null | head -1)
	[ -n "$ck" ] || break
	"$CURATE" ppl -q -j "$j" --model "$ck" --window "$T" --report "$W/ppl.json" "$W/ppl-in.jsonl" > /dev/null
	"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); s=r["stages"][0]
print("curate ppl -j %s (tiny, %d documents, %d tokens): %.0f tokens/s (%.1f s)" % (sys.argv[2], s["scored"], s["tokens"], s["tokens"] / r["seconds"], r["seconds"]))' "$W/ppl.json" "$j"
done
# -j 2 against -j 1, when both ran
for cfg in $CONFIGS; do
	awk -v c="$cfg" '$1 == c && $2 == 1 { t1 = $3; s1 = $4; pt1 = $5; ps1 = $6 }
		$1 == c && $2 == 2 { t2 = $3; s2 = $4; pt2 = $5; ps2 = $6 }
		END { if (t1 && t2) printf "%s: -j 2 / -j 1: curate train %.2fx, score %.2fx", c, t2 / t1, s2 / s1
			if (t1 && t2 && pt1 && pt2) printf "; PyTorch train %.2fx, score %.2fx", pt2 / pt1, ps2 / ps1
			if (t1 && t2) printf "\n" }' "$W/all"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
