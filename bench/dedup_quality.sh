#!/bin/bash
# Near-duplicate quality of `curate dedup --minhash` against exact Jaccard:
# the 842 Debian copyright/licence texts of ../shared/corpus/dedup with the
# exact Jaccard of every pair >= 0.2, plus controlled edits (word swaps,
# insertions, replacements, truncations, boilerplate) of real prose and web
# documents with their exact Jaccard (bench/dedup_quality.py make-edits).
# Prints recall and precision per Jaccard level for --verify estimate and
# --verify exact. Exit status 1 when a target is missed.
#   bench/dedup_quality.sh
set -eu
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/corpus}
W=bench/work
B=$( [ -x build/curate ] && echo build || echo . )
CURATE=${CURATE:-$B/curate}
mkdir -p $W
zstd -dc $SHARED/dedup/debian-copyright-files.docs.jsonl.zst > $W/q-copyright.jsonl
zstd -dc $SHARED/dedup/debian-copyright-files.pairs.jsonl.zst > $W/q-copyright.pairs.jsonl
zstd -dc $SHARED/prose_en/sotu-state-of-the-union.jsonl.zst $SHARED/prose_en/brown-corpus.jsonl.zst \
	$SHARED/web/jsonl/cc-2019-30-dolma.jsonl.zst > $W/q-edit-src.jsonl
python3 bench/dedup_quality.py make-edits $W/q-edit-src.jsonl $W/q-edits.jsonl $W/q-edits.pairs.jsonl 300 1
status=0
for v in estimate exact; do
	echo
	echo "**curate dedup --minhash --verify $v (14 bands x 8 rows, threshold 0.8, 5-word shingles)**"
	$CURATE dedup --minhash --verify $v -q $W/q-copyright.jsonl $W/q-edits.jsonl \
		-o $W/q-out.jsonl --rejects $W/q-rej.jsonl
	python3 bench/dedup_quality.py score $W/q-out.jsonl $W/q-rej.jsonl \
		--inputs $W/q-copyright.jsonl $W/q-edits.jsonl \
		--pairs $W/q-copyright.pairs.jsonl $W/q-edits.pairs.jsonl || status=1
done
exit $status
