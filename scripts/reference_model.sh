#!/bin/sh
# Train the reference model that `curate ppl` uses by default
# (data/models/reference/), with curate's own commands:
#   1. `curate shard --format llmc` (<|begin_of_text|> before each document,
#      as the ppl stage scores them) of reference-quality English prose:
#      data/reference/prose-en.jsonl.zst (Moby-Dick, State of the Union
#      addresses, the Jargon File; none of the held-back documents of
#      tests/data/model/heldout-prose.jsonl), 3% for validation;
#   2. `curate model train` of data/reference/model.json (tiny's shape with
#      an untied head) from the unigram model of the training text
#      (--unigram-init: a short run from a random start ends little better
#      than that unigram model, docs/model.md);
#   3. `curate model export --dtype f16` into the output directory, with the
#      training log and loss curve;
#   4. `curate ppl --fit` on the demo's web text (Common Crawl, 2019) scored
#      as the demo pipeline scores it (first 256 tokens): the head/middle/tail
#      cut-offs (ppl_buckets.json), as CCNet fits them on the web text it
#      filters;
#   5. held-back prose against the same prose with its words shuffled and
#      against spam e-mail (evaluation.json).
# The defaults (240 updates of 8 x 256 tokens, about one epoch) take about
# four minutes on two cores; docs/model.md reports longer runs too.
# Steps already done in WORK (by default one directory per setting under
# build/reference-model/) are kept: training resumes; STOP_AT=N stops
# the run after update N of STEPS and evaluates the model as it is there
# (bench/reference_curve.sh follows a run this way).
#
# usage: [JOBS=2] [STEPS=N] [BATCH=B] [SEQ=T] [LR=X] [CONFIG=NAME|FILE.json]
#        [INIT=unigram|random] [SEED=N] [TRAIN_ARGS='more model train options']
#        [WORK=DIR] [PROSE=FILE.jsonl[.zst]] [STOP_AT=N]
#        scripts/reference_model.sh [OUT_DIR]   (default data/models/reference)
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-data/models/reference}
JOBS=${JOBS:-2}
STEPS=${STEPS:-240}
BATCH=${BATCH:-8}
SEQ=${SEQ:-256}
LR=${LR:-1e-2}
CONFIG=${CONFIG:-data/reference/model.json}
INIT=${INIT:-unigram}
SEED=${SEED:-0}
TRAIN_ARGS=${TRAIN_ARGS:-}
if [ "$INIT" = unigram ]; then TRAIN_ARGS="--unigram-init $TRAIN_ARGS"; fi
PROSE=${PROSE:-data/reference/prose-en.jsonl.zst}
# A run resumes only with the options it started with (STEPS may grow): the
# default work directory is one per setting.
settings=$(echo "$CONFIG $INIT $LR $BATCH $SEQ $SEED $TRAIN_ARGS $PROSE" | cksum | cut -d ' ' -f 1)
W=${WORK:-build/reference-model/$settings}
CURATE=build/curate
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
[ -x "$CURATE" ] || scripts/setup.sh
mkdir -p "$W" "$OUT"

# 1. Shards.
[ -s "$W/shards/manifest.json" ] ||
	"$CURATE" shard -q -j "$JOBS" -o "$W/shards" --format llmc --valid-fraction 0.03 --seed 1 "$PROSE"

# 2. Training (resumed when a state is there).
resume=""
[ -s "$W/ckpt/training_state.safetensors" ] && resume=--resume
"$CURATE" model train --shards "$W/shards" --config "$CONFIG" --steps "$STEPS" --batch "$BATCH" --seq "$SEQ" \
	--lr "$LR" --warmup $((STEPS / 12 + 1)) --eval-every $((STEPS / 6 + 1)) --eval-tokens 16384 \
	--save-every 100 --seed "$SEED" -j "$JOBS" -o "$W/ckpt" ${STOP_AT:+--stop-at "$STOP_AT"} $resume $TRAIN_ARGS

# 3. The bundled checkpoint: float16 weights (half the size; scores within
# 1% of float32's, tests/cli/model.sh), the log and the curve.
tmp="$OUT.tmp"
rm -rf "$tmp"
"$CURATE" model export "$W/ckpt" -o "$tmp" --dtype f16
cp "$W/ckpt/train_log.csv" "$W/ckpt/loss_curve.svg" "$tmp/"
"$CURATE" model eval "$tmp" --shards "$W/shards" --report "$W/valid.json"

# 4. Bucket cut-offs on web text, scored as data/pipeline.yaml scores it.
"$CURATE" ppl -q -j "$JOBS" --model "$tmp" --max-tokens 256 --fit "$tmp/ppl_buckets.json" \
	data/sample/web-cc-2019.jsonl.zst > /dev/null

# 5. Held-back prose against shuffled words and spam.
"$PY" bench/ppl_separation.py shuffle tests/data/model/heldout-prose.jsonl "$W/shuffled.jsonl"
for s in heldout shuffled spam; do
	in="$W/shuffled.jsonl"
	[ $s = heldout ] && in=tests/data/model/heldout-prose.jsonl
	[ $s = spam ] && in=tests/data/model/spam.jsonl
	"$CURATE" ppl -q -j "$JOBS" --model "$tmp" "$in" > "$W/$s.ppl.jsonl"
done
"$PY" bench/ppl_separation.py compare "$W/heldout.ppl.jsonl" "$W/shuffled.ppl.jsonl" "$W/spam.ppl.jsonl" |
	"$PY" -c 'import json,sys; r=json.load(sys.stdin); v=json.load(open(sys.argv[1]))
r["valid"] = {k: v[k] for k in ("tokens", "loss", "perplexity")}
for e in [r["good"]] + r["bad"]: e["file"] = e["file"].rsplit("/", 1)[-1]
json.dump(r, sys.stdout, indent=2); print()' "$W/valid.json" > "$tmp/evaluation.json"
rm -rf "$OUT"
mv "$tmp" "$OUT"
cat "$OUT/evaluation.json"
