# Sourced by the bench scripts that read the shared corpus: where things are.
#   TOP     the source tree (the folder above bench/)
#   CORPUS  $CORPUS, or ../shared/corpus beside the tree
#   BLD     build/ when curate was built there, else the tree itself
#   CURATE  the curate binary;  PY  Debian's python3 (torch, fasttext, numpy)
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORPUS=${CORPUS:-$TOP/../shared/corpus}
BLD=$TOP
[ -x "$TOP/build/curate" ] && BLD=$TOP/build
CURATE=$BLD/curate
PY=/usr/bin/python3

# bench_need PROGRAM...: exit 1 unless each is built, 77 (skip) without a corpus.
bench_need() {
	local p
	for p in "$@"; do
		[ -x "$p" ] || { echo "build first (make): no $p" >&2; exit 1; }
	done
	[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS" >&2; exit 77; }
}

# bench_repeat OUT MB FILE.zst...: OUT holds the files' records, repeated
# until it is at least MB megabytes (kept when it already is).
bench_repeat() {
	local out=$1 mb=$2 f
	shift 2
	[ -s "$out" ] && [ "$(stat -c %s "$out")" -ge $((mb * 1000000)) ] && return 0
	zstd -dc "$@" > "$out.one"
	: > "$out"
	while [ "$(stat -c %s "$out")" -lt $((mb * 1000000)) ]; do
		cat "$out.one" >> "$out"
	done
	rm -f "$out.one"
}
