#!/bin/bash
# `curate slurm` without a scheduler: the demo pipeline planned for 3 tasks,
# every task run by hand from --print-commands, step after step (as GNU
# parallel or ssh users would), must give the same shards, manifest, rejects
# and report totals as `curate run`; then the planner's refusals and the
# status of a run in progress. (tests/cli/slurm.sh runs it on a real Slurm.)
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CURATE="$top_builddir/curate"
W=$(mktemp -d "${TMPDIR:-/tmp}/curate-dist.XXXXXX")
trap 'rm -rf "$W"' EXIT
failures=0
ok() { echo "ok - $*"; }
fail() { failures=$((failures + 1)); echo "not ok - $*"; }

setup_dir() {
	mkdir -p "$W/$1"
	ln -s "$top_srcdir/data" "$W/$1/data"
	cp "$top_srcdir/data/pipeline.yaml" "$W/$1/pipeline.yaml"
}

totals() { # the report's figures, without what differs between runs
	/usr/bin/python3 "$top_srcdir/tests/cli/report_totals.py" "$1"
}

setup_dir run
(cd "$W/run" && "$CURATE" run -q pipeline.yaml) || { echo "not ok - curate run"; exit 1; }

setup_dir hand
cd "$W/hand" || exit 1
"$CURATE" slurm pipeline.yaml --tasks 3 -o work --print-commands >"$W/commands" 2>"$W/plan.err" ||
	fail "curate slurm plans the demo pipeline: $(cat "$W/plan.err")"
[ "$(grep -c -- '--rank' "$W/commands")" -ge 9 ] && grep -q '^# step 1-pass1: 3 tasks$' "$W/commands" ||
	fail "--print-commands lists the steps and their tasks: $(head -4 "$W/commands")"
for f in plan.json jobs/1-pass1.sbatch; do
	[ -s "work/$f" ] || fail "planning writes work/$f"
done
grep -q '^#SBATCH --array=0-2$' work/jobs/1-pass1.sbatch || fail "the job script is an array of 3"
"$CURATE" slurm --status work >"$W/status" 2>&1
[ $? = 1 ] && grep -q "0 of" "$W/status" && grep -q "not submitted" "$W/status" ||
	fail "--status of a planned run: $(tail -3 "$W/status")"
# Run the tasks by hand, each step's tasks in reverse order (any order must do).
awk '/^# step/ { n++ } !/^#/ { print > ("'"$W"'/step-" n) }' "$W/commands"
for s in $(ls "$W"/step-* | sort -t- -k3 -n); do
	tac "$s" | while read -r line; do
		eval "$line" >>"$W/tasks.log" 2>&1 || echo "FAILED: $line" >>"$W/tasks.log"
	done
done
if grep -q FAILED "$W/tasks.log"; then
	fail "every task runs: $(grep -A3 FAILED "$W/tasks.log" | head -8)"
fi
bad=""
for f in $(cd "$W/run/out/shards" && ls); do
	cmp -s "$W/run/out/shards/$f" "out/shards/$f" || bad="$bad $f"
done
[ "$(cd "$W/run/out/shards" && ls)" = "$(cd out/shards && ls)" ] || bad="$bad (file list)"
cmp -s "$W/run/out/rejects.jsonl.zst" out/rejects.jsonl.zst || bad="$bad rejects"
totals "$W/run/out/report.json" >"$W/t.run"
totals out/report.json >"$W/t.hand"
cmp -s "$W/t.run" "$W/t.hand" || bad="$bad report: $(diff "$W/t.run" "$W/t.hand" | head -8)"
if [ -z "$bad" ]; then ok "3 tasks run by hand: the same shards, manifest, rejects and report totals as curate run"
else fail "3 tasks run by hand differ from curate run:$bad"; fi
"$CURATE" verify out/shards >/dev/null || fail "curate verify of the distributed run's shards"
# The merged report's page (report_html: in the demo's file), in a browser:
# every figure of the merged report as shown, the steps of the run included.
grep -q "Steps of the batch run" out/report.html || fail "the merged report's page shows the steps"
/usr/bin/python3 "$top_srcdir/tests/cli/report_browser.py" out/report.html out/report.json >"$W/browser" 2>&1
case $? in
0) ok "the merged report's page in chromium: $(tail -1 "$W/browser")" ;;
77) echo "ok - # SKIP chromium not installed" ;;
*) fail "the merged report's page in chromium: $(tail -5 "$W/browser")" ;;
esac
[ ! -d work/shard ] && [ ! -d work/work ] && [ ! -d work/parts ] || fail "the finish task removes the spills, the work directory and the parts"
"$CURATE" slurm --status work >"$W/status" || fail "--status of a finished run exits 0"
grep -q "done" "$W/status" && ! grep -qv -e "done" -e "^step" -e "tasks done" "$W/status" ||
	fail "--status lists every task done: $(cat "$W/status")"
line=$(grep -- '--run 4-pass2 --rank 1 ' "$W/commands")
eval "$line" 2>"$W/again" && grep -q "already done" "$W/again" || fail "a done task does nothing when run again"

# Refusals.
"$CURATE" slurm pipeline.yaml --tasks 2 -o work 2>"$W/err"
[ $? = 2 ] && grep -q "holds another run" "$W/err" || fail "another plan in the same work directory is refused: $(cat "$W/err")"
"$CURATE" slurm pipeline.yaml --tasks 50 -o "$W/many" --print-commands >"$W/cmds50" 2>"$W/err" &&
	grep -q "using 7" "$W/err" && grep -q '^# step 1-pass1: 7 tasks$' "$W/cmds50" ||
	fail "more tasks than input files: as many as files, said: $(cat "$W/err")"
"$CURATE" slurm -q pipeline.yaml -o "$W/fresh" 2>"$W/err" ||
	fail "force: true lets a new run replace the shards of another: $(cat "$W/err")"
sed '/force: true/d' pipeline.yaml >noforce.yaml
"$CURATE" slurm noforce.yaml -o "$W/fresh2" 2>"$W/err"
[ $? = 2 ] && grep -q "already holds shards" "$W/err" ||
	fail "a shard directory of another run is refused without force: $(cat "$W/err")"
"$CURATE" slurm --status "$W/nowhere" 2>"$W/err"
[ $? = 2 ] && grep -q "not a work directory" "$W/err" || fail "--status of a missing work directory: $(cat "$W/err")"
"$CURATE" slurm 2>"$W/err"
[ $? = 2 ] || fail "no pipeline file is a usage error"
"$CURATE" slurm pipeline.yaml -o "$W/x" --report r.json 2>"$W/err"
[ $? = 2 ] && grep -q "belong in the pipeline file" "$W/err" ||
	fail "a common option the file sets is refused on the command line: $(cat "$W/err")"
"$CURATE" slurm --run 1-pass1 --rank 0 --world 2 work 2>"$W/err"
[ $? = 2 ] && grep -q "has 3 tasks" "$W/err" || fail "a task with the wrong --world is refused: $(cat "$W/err")"

echo "$failures failed"
[ "$failures" = 0 ]
