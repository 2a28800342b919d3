#!/bin/sh
# A micro model (tests/data/model/micro.json) with bucket cut-offs, for the
# tests that run the demo pipeline: its ppl stage then scores with a model
# made in a second rather than the reference model scripts/demo.sh trains.
#   micro_model.sh CURATE OUT_DIR
set -eu
CURATE=$1
OUT=$2
D="$(cd "$(dirname "$0")/../data" && pwd)"
"$CURATE" shard -q -o "$OUT.shards" --format llmc --valid-fraction 0.2 --seed 3 "$D/shards/general.jsonl"
"$CURATE" model train -q --shards "$OUT.shards" --config "$D/model/micro.json" --steps 4 --batch 4 --seq 32 \
	--eval-every 4 --eval-tokens 256 --lr 0.01 --seed 7 -o "$OUT"
"$CURATE" ppl -q --model "$OUT" --max-tokens 64 --fit "$OUT/ppl_buckets.json" "$D/shards/general.jsonl" >/dev/null
rm -rf "$OUT.shards"
