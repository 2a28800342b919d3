#!/bin/bash
# `curate slurm` on a real one-node Slurm (scripts/slurm-local.sh) against
# `curate run -j 2` of the same pipeline file: wall time for 1, 2 and 4 tasks,
# and where a Slurm run's time goes, step by step (waiting for the scheduler,
# then running). Two pipelines: the demo (data/pipeline.yaml on data/sample/)
# and the same stages on 210 MB of JSON Lines (bench/dedup_mkdata.py: the
# shared corpus once, then exact, near and line-shuffled copies of it, cut
# into 8 files).
# Every Slurm run's shards and manifest are checked against `curate run`'s.
#   [PIPELINE=FILE] bench/slurm.sh [REPS] [MB]
#   (default data/pipeline.yaml's stages and sink, 3 repetitions, best wall
#   time; 210 MB). Needs root and Slurm's packages (scripts/setup.sh --all).
set -eu
cd "$(dirname "$0")/.."
REPS=${1:-3}
MB=${2:-210}
TOP=$(pwd)
C=$TOP/build/curate
W=$TOP/bench/work/slurm
SHARED=${SHARED:-$TOP/../shared/corpus}
PIPELINE=${PIPELINE:-data/pipeline.yaml}
STATE=$(mktemp -d /tmp/cs.XXXXXX)
trap 'scripts/slurm-local.sh stop "$STATE"; rm -rf "$STATE"' EXIT
mkdir -p "$W"

# The big input: the dedup benchmark's data in 8 files (a task takes whole files).
if [ ! -s "$W/web-7.jsonl" ]; then
	DATA=$TOP/bench/work/dedup-$MB.jsonl
	[ -s "$DATA" ] || python3 bench/dedup_mkdata.py "$SHARED" "$DATA" "$MB"
	split -n l/8 -d -a 1 --additional-suffix=.jsonl "$DATA" "$W/web-"
fi

# pipeline DIR INPUTS-YAML: the demo's stages and sink over other inputs.
pipeline() {
	mkdir -p "$1"
	ln -sfn "$TOP/data" "$1/data"
	sed -e '/^inputs:/,/^report:/{/^report:/!d}' -e "s|^report:|inputs: $2\nreport:|" \
		"$PIPELINE" >"$1/pipeline.yaml"
}

"$TOP/scripts/slurm-local.sh" start "$STATE" >"$STATE/env"
. "$STATE/env"
export SLURM_CONF

# time_it DIR CMD...: wall seconds of CMD run in DIR (a fresh out/ and work/).
time_it() {
	local dir=$1 t0 t1
	shift
	rm -rf "$dir/out" "$dir/work"
	t0=$(date +%s.%N)
	(cd "$dir" && "$@") >"$dir/log" 2>&1 || { echo "failed: $* (see $dir/log)" >&2; exit 1; }
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }'
}

same_as_run() { # same_as_run DIR: shards and report totals as curate run's (RUN/)
	local d=$1 f
	for f in $(cd "$RUN/out/shards" && ls); do
		cmp -s "$RUN/out/shards/$f" "$d/out/shards/$f" || { echo "DIFFERS: $d/out/shards/$f" >&2; exit 1; }
	done
}

# Where a Slurm run's time went: from submission (submitted.json) to each
# step's first start (the scheduler), and each step's first start to its
# last end.
steps() {
	python3 - "$1/work" <<'EOF'
import glob, json, sys
w = sys.argv[1]
prev = json.load(open(w + "/submitted.json"))["time"]
steps = json.load(open(w + "/report.json"))["slurm"]["steps"]
# The report is written by the last task (finish), which its marker times.
fin = json.load(open(glob.glob(w + "/tasks/*-finish-0.done")[0]))
steps.append({"name": "n-finish", "start": fin["start"], "end": fin["end"]})
out = []
for s in steps:
    out.append("%s %.2f+%.2f" % (s["name"].split("-", 1)[1], s["start"] - prev, s["end"] - s["start"]))
    prev = s["end"]
print("; ".join(out))
EOF
}

# cpu DIR: the tasks' CPU seconds per step (user + system, from their
# markers): what the work costs, whatever else the machine was doing; and
# the largest task's peak resident memory.
cpu() {
	python3 - "$1/work" <<'EOF'
import glob, json, sys
w = sys.argv[1]
steps = json.load(open(w + "/report.json"))["slurm"]["steps"]
fin = json.load(open(glob.glob(w + "/tasks/*-finish-0.done")[0]))
parts = ["%s %.2f (%d MB)" % (s["name"].split("-", 1)[1], s["cpu_seconds"], s["peak_rss_bytes"] / 1e6)
         for s in steps]
parts.append("finish %.2f (%d MB)" % (fin["cpu_seconds"], fin["peak_rss_bytes"] / 1e6))
print("; ".join(parts))
EOF
}

# bench LABEL INPUTS-YAML: curate run -j 2, then Slurm with 1 task of 2 CPUs,
# 2 and 4 tasks of 1 CPU, REPS rounds, the runs of a round one after the
# other (so that a change of load touches all of them); best wall time.
bench() {
	local label=$1 inputs=$2 n t d
	declare -A best detail work
	for d in run n1 n2 n4; do
		pipeline "$W/$label-$d" "$inputs"
		best[$d]=999999
	done
	RUN=$W/$label-run
	for _ in $(seq "$REPS"); do
		t=$(time_it "$RUN" /usr/bin/time -f "%U %S" -o "$RUN/cpu" "$C" run -q pipeline.yaml -j 2)
		if awk -v a="$t" -v b="${best[run]}" 'BEGIN { exit !(a < b) }'; then
			best[run]=$t
			work[run]=$(awk '{ printf "all %.2f", $1 + $2 }' "$RUN/cpu")
		fi
		for n in 1 2 4; do
			d=$W/$label-n$n
			t=$(time_it "$d" "$C" slurm -q pipeline.yaml --tasks $n \
				--cpus-per-task $((n == 1 ? 2 : 1)) -o work --submit --wait)
			same_as_run "$d"
			if awk -v a="$t" -v b="${best[n$n]}" 'BEGIN { exit !(a < b) }'; then
				best[n$n]=$t
				detail[n$n]=$(steps "$d")
				work[n$n]=$(cpu "$d")
			fi
		done
	done
	echo "| $label | curate run -j 2 | ${best[run]} | 1.00 | | ${work[run]} |"
	for n in 1 2 4; do
		echo "| $label | slurm, $n task(s) x $((n == 1 ? 2 : 1)) CPU | ${best[n$n]} |" \
			"$(awk -v a="${best[run]}" -v b="${best[n$n]}" 'BEGIN { printf "%.2f", b / a }') |" \
			"${detail[n$n]} | ${work[n$n]} |"
	done
}

echo "# $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), best of $REPS"
echo
echo "| input | how | wall s | vs run | per step: wait for the scheduler + run (wall s) | per step: CPU s of its tasks (largest task's peak RSS) |"
echo "|---|---|---:|---:|---|---|"
bench demo "{general: [data/sample/*.warc.gz, data/sample/*.warc.wet, data/sample/web-cc-2019.jsonl.zst, data/sample/prose-moby-dick.jsonl.zst], math: [data/sample/math-gsm8k.jsonl.zst], code: [data/sample/code-python.jsonl.zst], multilingual: [data/sample/multilingual-udhr.jsonl.zst]}"
bench "web-${MB}MB" "{general: [$(cd "$W" && ls "$W"/web-*.jsonl | paste -sd, | sed 's/,/, /g')]}"
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
