#!/bin/sh
# Rebuild the bundled reference model (data/models/reference/) from the
# shared corpus, with curate's own commands:
#   1. reference-quality English prose (prose_en: State of the Union
#      addresses, Moby-Dick, the Brown Corpus, the Jargon File, GNU coding
#      standards, the Debian Reference), every tenth document held back (by
#      a hash of file and id);
#   2. `curate shard --format llmc` (<|begin_of_text|> before each document,
#      as the ppl stage scores them), 3% of documents for validation;
#   3. `curate model train --config tiny` (1200 updates of 12 x 256 tokens);
#   4. `curate model export --dtype f16` into the output directory, with the
#      training log and loss curve;
#   5. `curate ppl --fit` on the web text sample (Common Crawl, 2019): the
#      head/middle/tail cut-offs (ppl_buckets.json), as CCNet fits them on
#      the web text it filters;
#   6. the held-back prose against the same prose with its words shuffled
#      and against spam e-mail (evaluation.json).
# Steps already done in WORK are kept (training resumes). On 2 shared cores
# training takes hours; the result is the same for any JOBS on one machine.
#
# usage: [JOBS=2] [WORK=DIR] scripts/reference_model.sh [CORPUS_DIR] [OUT_DIR]
#        (defaults: ../shared/corpus data/models/reference)
set -eu
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpus}
OUT=${2:-data/models/reference}
JOBS=${JOBS:-2}
W=${WORK:-build/reference-model}
CURATE=build/curate
[ -x "$CURATE" ] || scripts/setup.sh
mkdir -p "$W" "$OUT"

# 1. The reference prose and the held-back tenth.
if [ ! -s "$W/heldout.jsonl" ]; then
	python3 - "$CORPUS" "$W" <<'EOF'
import hashlib, json, subprocess, sys
corpus, out = sys.argv[1], sys.argv[2]
files = ["sotu-state-of-the-union", "moby-dick-chapters", "brown-corpus", "jargon-file-entries",
         "gnu-standards", "debian-reference-en"]
with open(out + "/train.jsonl", "w") as tr, open(out + "/heldout.jsonl", "w") as ho:
    for name in files:
        raw = subprocess.run(["zstdcat", "%s/prose_en/%s.jsonl.zst" % (corpus, name)],
                             capture_output=True, check=True).stdout
        for line in raw.decode().splitlines():
            d = json.loads(line)
            key = name + "/" + d["id"]
            held = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10 == 0
            (ho if held else tr).write(json.dumps({"id": key, "text": d["text"], "source": name}) + "\n")
EOF
fi

# 2. Shards.
[ -s "$W/shards/manifest.json" ] ||
	"$CURATE" shard -q -j "$JOBS" -o "$W/shards" --format llmc --valid-fraction 0.03 --seed 1 "$W/train.jsonl"

# 3. Training (resumed when a state is there).
resume=""
[ -s "$W/ckpt/training_state.safetensors" ] && resume=--resume
"$CURATE" model train --shards "$W/shards" --config tiny --steps 1200 --batch 12 --seq 256 --lr 3e-3 \
	--warmup 100 --eval-every 100 --eval-tokens 16384 --save-every 100 --seed 0 -j "$JOBS" \
	-o "$W/ckpt" $resume

# 4. The bundled checkpoint: float16 weights (half the size; scores within
# 0.1% of float32's, tests/cli/model.sh), the log and the curve.
"$CURATE" model export "$W/ckpt" -o "$OUT" --dtype f16
cp "$W/ckpt/train_log.csv" "$W/ckpt/loss_curve.svg" "$OUT/"
"$CURATE" model eval "$OUT" --shards "$W/shards" --report "$W/valid.json"

# 5. Bucket cut-offs on web text.
zstdcat "$CORPUS/web/jsonl/cc-2019-30-dolma.jsonl.zst" > "$W/web.jsonl"
"$CURATE" ppl -q -j "$JOBS" --model "$OUT" --fit "$OUT/ppl_buckets.json" "$W/web.jsonl" > "$W/web.ppl.jsonl"

# 6. Held-back prose against shuffled words and spam.
python3 bench/ppl_separation.py shuffle "$W/heldout.jsonl" "$W/shuffled.jsonl"
zstdcat "$CORPUS/quality/spamassassin-mail.jsonl.zst" |
	python3 -c 'import json,sys
for l in sys.stdin:
    d = json.loads(l)
    if d.get("label") == "spam":  # the body: headers are not text a crawler keeps
        d["text"] = d["text"].split("\n\n", 1)[-1]
        print(json.dumps(d))' \
	> "$W/spam.jsonl"
for s in heldout shuffled spam; do
	"$CURATE" ppl -q -j "$JOBS" --model "$OUT" "$W/$s.jsonl" > "$W/$s.ppl.jsonl"
done
python3 bench/ppl_separation.py compare "$W/heldout.ppl.jsonl" "$W/shuffled.ppl.jsonl" "$W/spam.ppl.jsonl" |
	python3 -c 'import json,sys; r=json.load(sys.stdin); v=json.load(open(sys.argv[1]))
r["valid"] = {k: v[k] for k in ("tokens", "loss", "perplexity")}
for e in [r["good"]] + r["bad"]: e["file"] = e["file"].rsplit("/", 1)[-1]
json.dump(r, sys.stdout, indent=2); print()' "$W/valid.json" > "$OUT/evaluation.json"
cat "$OUT/evaluation.json"
