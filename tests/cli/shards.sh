#!/bin/bash
# CLI tests of `curate shard` and `curate verify` on the fixtures in
# tests/data/shards (real documents from the shared corpus).
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CURATE="$top_builddir/curate"
D="$top_srcdir/tests/data/shards"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

fail() { echo "not ok - $*"; exit 1; }
ok() { echo "ok - $*"; }

SOURCES=(--source "general=$D/general.jsonl" --source "math=$D/math.jsonl"
	 --source "code=$D/code.jsonl" --source "multilingual=$D/multilingual.jsonl")

same_dir() { # every file of $1 is byte-identical in $2, and the other way round
	(cd "$1" && ls) > "$W/ls1"; (cd "$2" && ls) > "$W/ls2"
	cmp -s "$W/ls1" "$W/ls2" || return 1
	for f in $(cat "$W/ls1"); do cmp -s "$1/$f" "$2/$f" || return 1; done
}

# 1. A mixed run; -j 1 and -j 2 give the same bytes; verify passes.
"$CURATE" shard -q -j 1 -o "$W/j1" "${SOURCES[@]}" --shard-tokens 8000 --valid-fraction 0.1 \
	--seed 5 || fail "shard -j 1"
"$CURATE" shard -q -j 2 -o "$W/j2" "${SOURCES[@]}" --shard-tokens 8000 --valid-fraction 0.1 \
	--seed 5 || fail "shard -j 2"
same_dir "$W/j1" "$W/j2" || fail "-j 1 and -j 2 differ"
ls "$W/j1" | grep -q '^valid_00000.idx$' || fail "no validation shard"
ok "shard output is byte-identical for -j 1 and -j 2"
"$CURATE" verify "$W/j1" > "$W/verify.out" || fail "verify of a good directory"
grep -q ': ok$' "$W/verify.out" && grep -q '^general ' "$W/verify.out" || fail "verify summary"
ok "verify passes and lists tokens per category"

# 2. A different seed shuffles differently.
"$CURATE" shard -q -o "$W/s6" "${SOURCES[@]}" --shard-tokens 8000 --valid-fraction 0.1 --seed 6
cmp -s "$W/j1/train_00000.bin" "$W/s6/train_00000.bin" && fail "seed has no effect"
ok "the seed changes the shuffle"

# 3. The independent Python reader: layout, and a round trip of every document.
if command -v python3 > /dev/null; then
	python3 "$top_srcdir/tests/megatron_reader.py" "$W/j1" \
		--tiktoken "$top_srcdir/data/tokenizers/llama3.tiktoken" --jsonl "$D"/*.jsonl \
		> "$W/py.out" || { cat "$W/py.out"; fail "python reader on a mixed run"; }
	"$CURATE" shard -q -o "$W/all" "$D"/*.jsonl --shard-tokens 20000
	python3 "$top_srcdir/tests/megatron_reader.py" "$W/all" \
		--tiktoken "$top_srcdir/data/tokenizers/llama3.tiktoken" --jsonl "$D"/*.jsonl --exact \
		> "$W/py.out" || { cat "$W/py.out"; fail "python round trip"; }
	ok "independent reader: Megatron layout and decode(shards) == inputs"
	SHARED="$top_srcdir/../shared/corpus"
	if [ -d "$SHARED" ] && command -v zstd > /dev/null; then
		for f in prose_en/moby-dick-chapters math/minerva-math code/go multilingual/udhr; do
			zstd -dcq "$SHARED/$f.jsonl.zst" > "$W/corpus-${f#*/}.jsonl"
		done
		"$CURATE" shard -q -j 2 -o "$W/corpus" "$W"/corpus-*.jsonl --shard-tokens 1000000
		python3 "$top_srcdir/tests/megatron_reader.py" "$W/corpus" \
			--tiktoken "$top_srcdir/data/tokenizers/llama3.tiktoken" \
			--jsonl "$W"/corpus-*.jsonl --exact > "$W/py.out" ||
			{ cat "$W/py.out"; fail "python round trip on the shared corpus"; }
		"$CURATE" verify "$W/corpus" > /dev/null || fail "verify on the shared corpus"
		ok "round trip on shared corpus files: $(tail -1 "$W/py.out" | cut -d: -f3)"
	fi
else
	echo "ok - # SKIP no python3 for the independent reader"
fi

# 3b. A small vocabulary (tokenizer.json, 1004 ids) is written as uint16
# (Megatron dtype code 8) with that tokenizer's own separator.
"$CURATE" shard -q -o "$W/u16" --tokenizer "$top_srcdir/tests/data/tokenizer/small.json" "$D/math.jsonl"
grep -q '"dtype": "uint16"' "$W/u16/manifest.json" || fail "small vocabulary not uint16"
[ "$(od -An -tu1 -j17 -N1 "$W/u16/train_00000.idx" | tr -d ' ')" = 8 ] || fail "dtype code is not 8"
"$CURATE" verify "$W/u16" > /dev/null || fail "verify of a uint16 shard"
if command -v python3 > /dev/null; then
	python3 "$top_srcdir/tests/megatron_reader.py" "$W/u16" > /dev/null || fail "python reader on uint16"
fi
ok "a small vocabulary gives uint16 shards (code 8)"

# 3c. tok-dump --shard (once tok-dump has it): decode a sequence, list documents.
TOKDUMP="$top_builddir/tok-dump"
if [ -x "$TOKDUMP" ] && command -v python3 > /dev/null && "$TOKDUMP" --help 2>&1 | grep -q -- '--shard'; then
	"$CURATE" shard -q -o "$W/nd" --no-shuffle "$D/math.jsonl"
	first=$(head -1 "$D/math.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["text"].splitlines()[0])')
	"$TOKDUMP" --shard "$W/nd/train_00000" --seq 0 > "$W/dump" || fail "tok-dump --shard --seq"
	grep -qF -- "$first" "$W/dump" && grep -q -- '--- document 0' "$W/dump" || fail "tok-dump --seq output"
	"$TOKDUMP" --shard "$W/nd/train_00000" --docs > "$W/docs" || fail "tok-dump --docs"
	[ "$(($(wc -l < "$W/docs") - 1))" -eq 100 ] || fail "tok-dump --docs lists $(wc -l < "$W/docs") lines"
	ok "tok-dump --shard decodes sequences and lists documents"
else
	echo "ok - # SKIP tok-dump has no --shard yet"
fi

# 4. kill -9 in the middle, then --resume: byte-identical to an uninterrupted run.
BIG=("${SOURCES[@]}" --on-exhausted repeat --max-epochs 1000 --tokens 12000000 --shard-tokens 60000)
"$CURATE" shard -q -o "$W/ref" "${BIG[@]}" || fail "reference run"
"$CURATE" shard -q -o "$W/res" "${BIG[@]}" &
pid=$!
for _ in $(seq 1 400); do
	n=$(ls "$W/res" 2> /dev/null | grep -c '\.idx$' || true)
	[ "$n" -ge 20 ] && break
	sleep 0.02
done
kill -9 $pid 2> /dev/null || true
wait $pid 2> /dev/null || true
[ -e "$W/res/manifest.json" ] && echo "# note: the run finished before kill -9"
for idx in "$W"/res/*.idx; do
	[ -e "${idx%.idx}.bin" ] || fail "an .idx without its .bin after kill -9"
done
"$CURATE" shard -q -o "$W/res" "${BIG[@]}" --resume --report "$W/res.json" || fail "resume"
same_dir "$W/ref" "$W/res" || fail "resumed output differs"
grep -q '"shards_resumed": [1-9]' "$W/res.json" || fail "resume rewrote every shard"
ok "kill -9 then --resume gives byte-identical output"
"$CURATE" shard -q -o "$W/ref" "${BIG[@]}" 2> "$W/err" && fail "overwrote a finished run"
grep -q 'use --resume or --force' "$W/err" || fail "no hint about --resume"
ok "a finished directory is not overwritten without --force"

# 4b. --dry-run: the mix and the shard count of the real run, nothing written,
# even into a finished directory; its work files go away.
cp -r "$W/ref" "$W/ref_copy"
"$CURATE" shard -q -j 2 -o "$W/ref" "${BIG[@]}" --dry-run --report "$W/dry.json" || fail "dry run"
same_dir "$W/ref" "$W/ref_copy" || fail "a dry run changed the directory"
mkdir "$W/tmp"
TMPDIR="$W/tmp" "$CURATE" shard -q "${BIG[@]}" --dry-run --report "$W/dry1.json" || fail "dry run without -o"
[ -z "$(ls "$W/tmp")" ] || fail "a dry run left its work files"
python3 - "$W/ref/manifest.json" "$W/dry.json" "$W/dry1.json" << 'EOF2' || fail "dry run figures"
import json, sys
m = json.load(open(sys.argv[1]))
for path in sys.argv[2:]:
    r = json.load(open(path))["sink"]
    assert r["dry_run"] is True and r["output"] is None, path
    assert r["categories"] == m["categories"], path
    assert r["tokens"] == m["tokens"] and r["documents"] == m["documents"], path
    assert r["planned_shards"]["train"] == len(m["shards"]), path
EOF2
set +e
"$CURATE" shard -q -o "$W/ref" "${BIG[@]}" --dry-run --resume 2> "$W/err"
rc=$?
set -e
[ $rc -eq 2 ] && grep -q 'drop --resume' "$W/err" || fail "--dry-run with --resume"
ok "--dry-run reports the real run's mix and shard count and writes nothing"

# 5. Bad input.
set +e
"$CURATE" shard -q -o "$W/u" "${SOURCES[@]}" --mix general=50,math=20,code=10,multilingual=10,web=10 2> "$W/err"
[ $? -eq 2 ] && grep -q "unknown category 'web'" "$W/err" || fail "unknown category in --mix"
"$CURATE" shard -o "$W/n" "${SOURCES[@]}" --mix general=5,math=2,code=2,multilingual=1 2> "$W/err"
[ $? -eq 0 ] && grep -q 'sums to 10, not 100: normalized' "$W/err" || fail "--mix not summing to 100"
: > "$W/empty.jsonl"
"$CURATE" shard -o "$W/e" --source general="$D/general.jsonl" --source math="$W/empty.jsonl" 2> "$W/err"
[ $? -eq 0 ] && grep -q "category 'math' has no documents" "$W/err" || fail "category without documents"
grep -q '"empty_documents": 1' "$W/e/manifest.json" || fail "empty document not counted"
set -e
ok "usage errors, --mix normalization, empty documents and categories"

# 6. Disk full (a file size limit), in pass 1 (the spill) and while writing a
# shard: a clear error, exit 3, and no shard or manifest under a final name.
disk_full() { # LIMIT_KB DIR ARGS...
	local lim=$1 dir=$2
	shift 2
	set +e
	(trap '' XFSZ; ulimit -f "$lim"; exec "$CURATE" shard -q -o "$dir" "$@") 2> "$W/err"
	rc=$?
	set -e
	[ $rc -eq 3 ] || fail "disk full: exit $rc"
	grep -q 'File too large' "$W/err" || fail "disk full: no clear message"
	ls "$dir" | grep -qE '^(train_|valid_|manifest)' && fail "disk full left a shard or manifest"
	ls -A "$dir" | grep -q '\.tmp\.' && fail "disk full left a temporary file"
	return 0
}
disk_full 200 "$W/full1" "$D"/*.jsonl --shard-tokens 100000
grep -q "cat0.tok': File too large" "$W/err" || fail "disk full in pass 1: message"
disk_full 150 "$W/full2" --source general="$D/general.jsonl" --source math="$D/math.jsonl" \
	--on-exhausted repeat --tokens 200000 --shard-tokens 100000
grep -q "train_0000[0-9].bin': File too large" "$W/err" || fail "disk full in a shard: message"
ok "a full disk fails cleanly (exit 3, nothing left under a final name)"

# 7. verify finds corruption and names the shard and offset.
printf '\377' | dd of="$W/j1/train_00001.bin" bs=1 seek=7 conv=notrunc status=none
set +e
"$CURATE" verify "$W/j1" > /dev/null 2> "$W/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "verify of a corrupt shard: exit $rc"
grep -q 'train_00001.bin: offset 4: token id' "$W/err" || { cat "$W/err"; fail "verify message"; }
ok "verify exits 1 naming the shard and offset"

# 8. A pipeline file with the shard sink: categories from `inputs: {CAT: [...]}`.
cat > "$W/p.yaml" << YAML
inputs: {general: [$D/general.jsonl], math: [$D/math.jsonl], code: [$D/code.jsonl]}
seed: 3
sink:
  shard: {output: $W/prun, shard_tokens: 20000, mix: "general=60,math=25,code=15"}
YAML
"$CURATE" run -q "$W/p.yaml" || fail "curate run with the shard sink"
"$CURATE" verify "$W/prun" > "$W/verify.out" || fail "verify after curate run"
grep -q '^code  *[1-9]' "$W/verify.out" && grep -q '^math  *[1-9]' "$W/verify.out" ||
	fail "categories of a pipeline file not mixed"
ok "pipeline file sink: shard {output: DIR} mixes the input categories"
