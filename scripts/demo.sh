#!/bin/sh
# The main job on the bundled sample: set up, build, then run the pipeline in
# data/pipeline.yaml over data/sample/ (raw WARC/WET and JSONL in: ingest ->
# dedup -> filter -> ppl -> pii -> shard), verify the shards, and say where
# everything is (the report's page included: out/report.html). The ppl
# stage's reference model is trained first (scripts/reference_model.sh, a
# few minutes) when data/models/reference/ does not hold one yet.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -s data/models/reference/model.safetensors ] || scripts/reference_model.sh
mkdir -p out
build/curate run data/pipeline.yaml
echo
build/curate verify out/shards
echo
echo "demo: token shards and manifest.json in $(pwd)/out/shards/"
echo "demo: run report in $(pwd)/out/report.json; dropped documents in $(pwd)/out/rejects.jsonl.zst"
echo "demo: the report as a page: open file://$(pwd)/out/report.html in a browser"
