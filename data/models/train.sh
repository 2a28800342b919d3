#!/bin/bash
# Rebuild the shipped category and quality models (data/models/README.md)
# with `curate classify train` from the project's shared corpus:
#   data/models/train.sh [CORPUS]   (default ../shared/corpus; run from the top of a built tree)
# Training runs on one thread with a fixed seed, so the same corpus and
# fastText give byte-identical models. bench/classify_eval.sh sources this
# file (CLS_TRAIN_ONLY_DEFINE=1) for the same sources and options.
set -eu
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Sourced (CLS_TRAIN_ONLY_DEFINE=1), "$1" is the caller's argument, not a corpus.
[ "${CLS_TRAIN_ONLY_DEFINE:-}" = 1 ] || CORPUS=${1:-${CORPUS:-}}
CORPUS=${CORPUS:-$TOP/../shared/corpus}
CURATE=${CURATE:-$TOP/build/curate}

# The content model: general, math or code (language ID makes non-English
# general text multilingual). Every source of each kind, multilingual prose
# as general; each file gives at most 600 examples of about 2,000 bytes.
CATEGORY_SOURCES=(
	code=code/c.jsonl.zst code=code/go.jsonl.zst code=code/java.jsonl.zst
	code=code/javascript.jsonl.zst code=code/makefile.jsonl.zst code=code/perl.jsonl.zst
	code=code/python.jsonl.zst code=code/ruby.jsonl.zst code=code/rust.jsonl.zst
	code=code/shell.jsonl.zst
	math=math/college-math.jsonl.zst math=math/gsm8k-train.jsonl.zst
	math=math/minerva-math.jsonl.zst math=math/olympiadbench.jsonl.zst
	math=math/stacks-project-latex.jsonl.zst
	general=prose_en/brown-corpus.jsonl.zst general=prose_en/debian-reference-en.jsonl.zst
	general=prose_en/fortunes-en.jsonl.zst general=prose_en/gnu-standards.jsonl.zst
	general=prose_en/jargon-file-entries.jsonl.zst general=prose_en/moby-dick-chapters.jsonl.zst
	general=prose_en/sotu-state-of-the-union.jsonl.zst
	general=web/jsonl/cc-2019-30-dolma.jsonl.zst general=web/jsonl/cc-net-en-head-0091.jsonl.zst
	general=multilingual/debian-reference-translations.jsonl.zst
	general=multilingual/fortunes-multilingual.jsonl.zst
	general=multilingual/manpages-translations.jsonl.zst general=multilingual/udhr.jsonl.zst
)
CATEGORY_OPTS=(--max-per-file 400 --chunk-bytes 2000 --epoch 5 --lr 0.5 --dim 16 --minn 2 --maxn 4
	--wordNgrams 1 --bucket 200000 --thread 1 --seed 1 --quantize --cutoff 50000)

# The quality model, in the Llama 3 / DCLM manner: edited, reference-like
# prose (hq) against random web text and spam (lq).
QUALITY_SOURCES=(
	hq=prose_en/brown-corpus.jsonl.zst hq=prose_en/sotu-state-of-the-union.jsonl.zst
	hq=prose_en/moby-dick-chapters.jsonl.zst hq=prose_en/gnu-standards.jsonl.zst
	hq=prose_en/debian-reference-en.jsonl.zst hq=prose_en/jargon-file-entries.jsonl.zst
	lq=web/jsonl/cc-2019-30-dolma.jsonl.zst lq=WORK/spam.jsonl
)
QUALITY_OPTS=(--max-per-file 400 --chunk-bytes 2000 --epoch 5 --lr 0.5 --dim 16 --minn 2 --maxn 4
	--wordNgrams 2 --bucket 200000 --thread 1 --seed 1 --quantize --cutoff 50000)

# sources WORKDIR LABEL=PATH...: --source options, PATH under the corpus
# (WORK/NAME: a file made in WORKDIR by make_work).
sources() {
	local w=$1 s p
	shift
	for s in "$@"; do
		p=${s#*=}
		case $p in WORK/*) p=$w/${p#WORK/} ;; *) p=$CORPUS/$p ;; esac
		printf -- '--source\n%s=%s\n' "${s%%=*}" "$p"
	done
}

# make_work WORKDIR: the spam half of the SpamAssassin file (its "label").
make_work() {
	mkdir -p "$1"
	[ -s "$1/spam.jsonl" ] ||
		zstd -dc "$CORPUS/quality/spamassassin-mail.jsonl.zst" | grep '"label": *"spam"' > "$1/spam.jsonl"
}

[ "${CLS_TRAIN_ONLY_DEFINE:-}" = 1 ] && return 0

[ -d "$CORPUS" ] || { echo "train.sh: no corpus at $CORPUS" >&2; exit 77; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
make_work "$W"
mapfile -t cat_args < <(sources "$W" "${CATEGORY_SOURCES[@]}")
"$CURATE" classify train "${cat_args[@]}" "${CATEGORY_OPTS[@]}" -o "$TOP/data/models/category.ftz"
mapfile -t q_args < <(sources "$W" "${QUALITY_SOURCES[@]}")
"$CURATE" classify train "${q_args[@]}" "${QUALITY_OPTS[@]}" -o "$TOP/data/models/quality.ftz"
sha256sum "$TOP"/data/models/*.ftz
