#!/bin/sh
# How the reference model's separation grows with training: one run of
# scripts/reference_model.sh, stopped every EVERY updates (training resumes
# bit-exactly, so the run is the same as one straight run) and evaluated
# there as the script evaluates its final model. Prints one row per stop:
# updates, training tokens, validation perplexity, shuffled words (AUC;
# share of documents worse shuffled; median ratio), spam AUC, the run's CPU
# seconds so far. The learning rate at a stop is the schedule's at that
# update, not decayed as a run that ends there would have it.
#
# usage: [EVERY=100] [STEPS=1200] [BATCH=12] [other reference_model.sh
#        variables] bench/reference_curve.sh [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
EVERY=${EVERY:-100}
STEPS=${STEPS:-1200}
BATCH=${BATCH:-12}
SEQ=${SEQ:-256}
W=${1:-build/reference-curve}
export STEPS BATCH SEQ
mkdir -p "$W"
echo "| updates | tokens | validation ppl | shuffled AUC; paired share, median ratio | spam AUC | CPU s |"
echo "|---:|---:|---:|---:|---:|---:|"
k=$EVERY
while [ "$k" -le "$STEPS" ]; do
	STOP_AT=$k WORK="$W/work" scripts/reference_model.sh "$W/model" > "$W/log-$k.txt" 2>&1
	cp "$W/model/evaluation.json" "$W/eval-$k.json"
	/usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1])); k = int(sys.argv[2])
sh, sp = r["bad"][0], r["bad"][1]
print("| %d | %d | %.0f | %.2f; %.2f, %.2f | %.2f |" % (k, k * int(sys.argv[3]) * int(sys.argv[4]),
      r["valid"]["perplexity"], sh["auc"], sh["paired"]["share_higher"], sh["paired"]["median_ratio"], sp["auc"]), end=" ")' \
		"$W/eval-$k.json" "$k" "$BATCH" "$SEQ"
	# user + system time of this shell and its finished children
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f |\n", ($14 + $15 + $16 + $17) / hz }' /proc/$$/stat
	k=$((k + EVERY))
done
