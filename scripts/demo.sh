#!/bin/sh
# The main job on the bundled sample: set up, build, then run the pipeline in
# data/pipeline.yaml over data/sample/ (raw WARC/WET and JSONL in) and leave
# the outputs and the run report under out/.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
build/curate run data/pipeline.yaml
echo
echo "demo: outputs in $(pwd)/out:"
ls -l out
