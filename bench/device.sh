#!/bin/bash
# bench/device.sh: the -j scaling figures of dedup and shard on a machine
# with cores to spare, where -j 2 is not slowed by anything else running
# (our 2-core machines share their cores with the rest of the session).
# Runs from the kit made by bench/device_kit.sh; writes a table to stdout.
#   bench/device.sh [KIT] [REPS]    (defaults bench/work/kit, 3)
# -j 1 runs are timed free and pinned to one core (taskset, as bench/dedup.sh
# does); every figure is the best wall time of REPS runs.
set -eu
cd "$(dirname "$0")/.."
KIT=${1:-bench/work/kit}
REPS=${2:-3}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
tar -C "$W" -xzf "$KIT/root.tar.gz"
L=$W/root/lib
B=$W/root/bin
# Every binary runs through the kit's loader and libraries; PIN also puts
# it on core 0 (taskset execs the loader again).
RUN=("$L/ld-linux-x86-64.so.2" --library-path "$L")
PIN=("${RUN[@]}" "$B/taskset" -c 0 "${RUN[@]}")
"${RUN[@]}" "$B/zstd" -q -d --long=30 "$KIT/dedup-210.jsonl.zst" -o "$W/in.jsonl"
IN=$W/in.jsonl
TOK=data/tokenizers/llama3.tiktoken   # the build's default path is the build machine's

echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg); input $(stat -c %s "$IN") bytes"

# best LABEL CMD...: best wall seconds of REPS runs (and that run's CPU s).
best() {
	local label=$1 b="" t
	shift
	for _ in $(seq "$REPS"); do
		rm -rf "$W/out"
		"${RUN[@]}" "$B/time" -f "%e %U %S %M" -o "$W/t" "$@" > /dev/null 2> "$W/err" ||
			{ cat "$W/err"; exit 1; }
		t=$(awk '{ printf "%s %.2f %d", $1, $2 + $3, $4 / 1024 }' "$W/t")
		if [ -z "$b" ] || awk -v a="${t%% *}" -v c="${b%% *}" 'BEGIN { exit !(a < c) }'; then
			b=$t
		fi
	done
	echo "$label $b"
}

# tok LABEL J PREFIX...: tok_bench's own best-of-REPS encode time at -j J,
# run as PREFIX tok_bench.
tok() {
	local label=$1 j=$2
	shift 2
	"$@" "$B/tok_bench" -j "$j" -p "$REPS" --tokenizer "$TOK" "$IN" > "$W/tb.json"
	echo "$label $(sed 's/.*"best_s": *\([0-9.]*\).*/\1/' "$W/tb.json") - -"
}

{
	for j in 1 2 4 8; do
		best "dedup-j$j" "${RUN[@]}" "$B/curate" dedup --minhash -q -j $j -o /dev/null "$IN"
	done
	best "dedup-j1-pinned" "${PIN[@]}" "$B/curate" dedup --minhash -q -j 1 -o /dev/null "$IN"
	SHARD=(shard -q --tokenizer "$TOK" -o "$W/out" --source general="$IN")
	for j in 1 2; do
		tok "tok_bench-j$j" "$j" "${RUN[@]}"
		best "shard-j$j" "${RUN[@]}" "$B/curate" "${SHARD[@]}" -j $j
	done
	tok "tok_bench-j1-pinned" 1 "${PIN[@]}"
	best "shard-j1-pinned" "${PIN[@]}" "$B/curate" "${SHARD[@]}" -j 1
} | tee "$W/rows"
awk '
	{ t[$1] = $2 }
	END {
		printf "\n| figure | value |\n|---|---:|\n"
		printf "| dedup --minhash -j 2 vs -j 1 (pinned) | %.2fx |\n", t["dedup-j1-pinned"] / t["dedup-j2"]
		printf "| dedup --minhash -j 2 vs -j 1 | %.2fx |\n", t["dedup-j1"] / t["dedup-j2"]
		printf "| dedup --minhash -j 4 vs -j 1 | %.2fx |\n", t["dedup-j1"] / t["dedup-j4"]
		printf "| dedup --minhash -j 8 vs -j 1 | %.2fx |\n", t["dedup-j1"] / t["dedup-j8"]
		printf "| shard -j 1 vs tok_bench -j 1 | %.0f%% |\n", 100 * t["tok_bench-j1"] / t["shard-j1"]
		printf "| shard -j 1 vs tok_bench -j 1, both pinned | %.0f%% |\n", 100 * t["tok_bench-j1-pinned"] / t["shard-j1-pinned"]
		printf "| shard -j 2 vs -j 1 | %.2fx |\n", t["shard-j1"] / t["shard-j2"]
	}' "$W/rows"
