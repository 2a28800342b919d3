#!/bin/bash
# bench/shards.sh: end-to-end `curate shard` on mixed JSONL (four categories
# built from the shared corpus, repeated with fresh ids up to SIZE_MB), -j 1
# and -j 2, against tokenizer-only throughput measured in the same run on the
# same documents: bench/tok_bench (the tokenizer benchmark's encoder loop,
# texts in memory, no I/O: its own best-of-3 encode time, and the CPU time of
# one encode pass), `curate tokenize
# -o /dev/null` (reads, parses, tokenizes, writes JSONL) and `curate shard
# --dry-run` (reads, parses, tokenizes and plans, writes nothing: the floor
# under shard on the same input). Wall and CPU seconds
# (CPU says more on a loaded machine); peak RSS for a small and a large input.
# shard and tokenize are timed as the best of REPS runs (default 3), as
# tok_bench's wall time is the best of its 3 passes; tok_bench still leaves
# out what no real run can: process start, the tokenizer load, reading and
# parsing the JSON.
#
# usage: [REPS=N] [SETTLE=S] [OUT=DIR] bench/shards.sh [CORPUS_DIR] [SMALL_MB] [LARGE_MB]
#        (defaults: ../shared/corpus 50 200)
set -eu
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpus}
SMALL=${2:-50}
LARGE=${3:-200}
B=$( [ -x build/curate ] && echo build || echo . )
CURATE=$B/curate
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# Where the shards go (removed before each run): a directory of the run's
# own, or DIR/curate-bench-shards with OUT=DIR, to compare disks or
# directories. On this project's VMs the same binary's pass 2 is fast in
# some runs and slow in others: the VM hands freed memory back to the host
# at once, and new page-cache pages can then cost a host fault each. Run
# this under bench/hold_freed_pages.sh to take that out (BENCHMARKS.md).
if [ -n "${OUT:-}" ]; then OUT=$OUT/curate-bench-shards; else OUT=$W/out; fi

# make_inputs DIR MB: four JSONL files, sizes in the proportion of the mix.
make_inputs() {
	local dir=$1 mb=$2
	mkdir -p "$dir"
	python3 - "$CORPUS" "$dir" "$mb" << 'EOF'
import glob, json, subprocess, sys
corpus, out, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
cats = {"general": ["prose_en/*.jsonl.zst", "web/jsonl/*.jsonl.zst"],
        "math": ["math/*.jsonl.zst"], "code": ["code/*.jsonl.zst"],
        "multilingual": ["multilingual/*.jsonl.zst"]}
share = {"general": 0.50, "math": 0.25, "code": 0.17, "multilingual": 0.08}
for cat, pats in cats.items():
    lines = []
    for p in pats:
        for f in sorted(glob.glob(corpus + "/" + p)):
            lines += subprocess.run(["zstd", "-dc", f], capture_output=True,
                                    check=True).stdout.decode().split("\n")
    docs = [json.loads(l) for l in lines if l.strip()]
    want, size, rep = share[cat] * mb * 1e6, 0, 0
    with open(f"{out}/{cat}.jsonl", "w") as f:
        while size < want:
            for d in docs:
                line = json.dumps({"id": f"{d['id']}#{rep}", "text": d["text"]},
                                  ensure_ascii=False) + "\n"
                f.write(line)
                size += len(line.encode())
                if size >= want:
                    break
            rep += 1
EOF
}

# run LABEL CMD...: wall seconds, peak RSS (MB) and CPU seconds of the
# fastest of $REPS runs (REPS=3 by default: tok_bench's wall figure is its
# best of 3 passes, so the commands compared with it get the same chance
# against the load of a shared machine). The shard output is removed before
# each run; the fastest run's --report, if any, is kept as $W/rep.best.json.
REPS=${REPS:-3}
SETTLE=${SETTLE:-30}
run() {
	local label=$1 best="" line
	shift
	for _ in $(seq "$REPS"); do
		rm -rf "$OUT"
		/usr/bin/time -f "%e %M %U %S" -o "$W/time" "$@" > /dev/null 2> "$W/err" || {
			cat "$W/err"; exit 1; }
		read -r secs rss usr sys < "$W/time"
		line="$secs $((rss / 1024)) $(echo "$usr + $sys" | bc)"
		if [ -z "$best" ] || [ "$(echo "$secs < ${best%% *}" | bc)" = 1 ]; then
			best=$line
			[ ! -f "$W/rep.json" ] || cp "$W/rep.json" "$W/rep.best.json"
		fi
	done
	echo "$label $best"
}

sources() { # the --source options for DIR
	for c in general math code multilingual; do printf -- '--source %s=%s/%s.jsonl ' "$c" "$1" "$c"; done
}

echo "# machine: $(nproc) cores, $(uname -m); load: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$W/results"
: > "$W/phases"
for mb in "$SMALL" "$LARGE"; do
	make_inputs "$W/in$mb" "$mb"
	bytes=$(cat "$W/in$mb"/*.jsonl | wc -c)
	cat "$W/in$mb"/*.jsonl > "$W/all.jsonl"
	# Write the new inputs to disk now, and let the disk settle: the
	# kernel would otherwise write them later, in the middle of the timed
	# runs, and on this project's VMs the host goes on flushing after sync
	# returns, which slows the first runs (BENCHMARKS.md, shards section).
	sync
	sleep "$SETTLE"
	for j in 1 2; do
		if [ -x $B/bench/tok_bench ]; then
			# The encoder alone (texts in memory): wall from its own
			# best-of-3 timing; CPU of one pass from the CPU time of
			# -p 3 minus that of -p 1 (halved), which load cannot skew.
			/usr/bin/time -f "%U %S" -o "$W/t1" $B/bench/tok_bench -j $j -p 1 "$W/all.jsonl" > /dev/null
			/usr/bin/time -f "%U %S" -o "$W/t3" $B/bench/tok_bench -j $j -p 3 "$W/all.jsonl" > "$W/tb.json"
			best=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["best_s"])' "$W/tb.json")
			cpu=$(python3 -c 'import sys
a = sum(map(float, open(sys.argv[1]).read().split()))
b = sum(map(float, open(sys.argv[2]).read().split()))
print("%.2f" % ((b - a) / 2))' "$W/t1" "$W/t3")
			echo "$mb $j $bytes tok_bench $best 0 $cpu 0" >> "$W/results"
		fi
		r=$(run tokenize "$CURATE" tokenize -q -j $j -o /dev/null "$W/in$mb"/*.jsonl)
		echo "$mb $j $bytes $r 0" >> "$W/results"
		# The same reading, parsing, tokenizing and planning with nothing
		# written (no spill, no shards): what is left of shard's time
		# after this is the spill, the shuffle and the shard writes.
		# shellcheck disable=SC2046
		r=$(run shard-dry "$CURATE" shard -q -j $j --dry-run $(sources "$W/in$mb"))
		echo "$mb $j $bytes $r 0" >> "$W/results"
		# shellcheck disable=SC2046
		r=$(run shard "$CURATE" shard -q -j $j -o "$OUT" --report "$W/rep.json" $(sources "$W/in$mb"))
		tokens=$(python3 -c "import json
c = json.load(open('$W/rep.best.json'))['sink']['categories']
print(sum(v['available_tokens'] + v['available_documents'] for v in c.values()))")
		echo "$mb $j $bytes $r $tokens" >> "$W/results"
		python3 -c "import json
r = json.load(open('$W/rep.best.json'))
t = r['thread_seconds']
print('$mb $j $(echo "$r" | cut -d' ' -f2)', ' '.join('%.3f' % t[k] for k in
      ('read', 'parse', 'sink_prepare', 'sink_write', 'sink_finish', 'waiting')))" >> "$W/phases"
		rm -f "$W/rep.json" "$W/rep.best.json"
	done
	rm -rf "$W/in$mb" "$OUT" "$W/all.jsonl"
done
python3 - "$W/results" << 'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1])]
tok = {}
print("| input | -j | command | wall s | CPU s | MB/s | tokens/s | peak RSS "
      "| shard speed vs tok_bench, wall (CPU) | vs curate tokenize, wall (CPU) |")
print("|---|---|---|---|---|---|---|---|---|---|")
def ratio(mb, j, label, secs, cpu):
    if (mb, j, label) not in tok:
        return "-"
    t, c = tok[(mb, j, label)]
    return "%.0f%% (%.0f%%)" % (100 * t / secs, 100 * c / cpu)
for mb, j, nbytes, label, secs, rss, cpu, tokens in rows:
    secs, cpu = float(secs), float(cpu)
    extra = ""
    if label in ("tokenize", "tok_bench"):
        tok[(mb, j, label)] = (secs, cpu)
    else:
        extra = ratio(mb, j, "tok_bench", secs, cpu) + " | " + ratio(mb, j, "tokenize", secs, cpu)
        if label == "shard-dry":
            pass
        elif j == "2":
            extra += "; -j 2 = %.2fx -j 1 (wall)" % (shard1 / secs)
        else:
            shard1 = secs
    tps = "%.2fM" % (int(tokens) / secs / 1e6) if label == "shard" else "-"
    rss = rss + " MB" if label != "tok_bench" else "-"
    cpus = "%.2f" % cpu
    print("| %s MB | %s | %s | %.2f | %s | %.1f | %s | %s | %s |"
          % (mb, j, label, secs, cpus, int(nbytes) / secs / 1e6, tps, rss, extra))
EOF
# Where the fastest shard run's time went, from its report: thread-seconds
# summed over the workers (docs/architecture.md). At -j 1 the tokenizer runs
# in sink_write (with the spill writes), at -j 2 in sink_prepare on both
# workers; sink_finish is pass 2; waiting is workers' idle time (no free
# batch behind a slow one, or the read lock). "rest" (-j 1 only) is the run's wall time
# outside these: process start, the tokenizer load, the spill's set-up.
python3 - "$W/phases" << 'EOF'
import sys
print()
print("| input | -j | shard wall s | read | parse | sink_prepare | sink_write | sink_finish (pass 2) | waiting | rest |")
print("|---|---|---|---|---|---|---|---|---|---|")
for mb, j, wall, *t in (l.split() for l in open(sys.argv[1])):
    rest = "%.2f" % (float(wall) - sum(map(float, t))) if j == "1" else "-"
    print("| %s MB | %s | %.2f | %s | %s |" % (mb, j, float(wall), " | ".join("%.2f" % float(x) for x in t), rest))
EOF
