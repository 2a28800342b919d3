#!/bin/bash
# `curate slurm` without a scheduler: the demo pipeline planned for 3 tasks,
# every task run by hand from --print-commands, step after step (as GNU
# parallel or ssh users would), must give the same shards, manifest, rejects
# and report totals as `curate run`; then the planner's refusals and the
# status of a run in progress. (tests/cli/slurm.sh runs it on a real Slurm.)
. "$(dirname "$0")/lib.sh"
W=$WORK
failures=0
ok() { echo "ok - $*"; }
fail() { failures=$((failures + 1)); echo "not ok - $*"; }

# The ppl stage scores with a micro model rather than the reference model
# that scripts/demo.sh trains.
PIPELINE_EDIT="s|- ppl: {|- ppl: {model: $W/micro, |"
"$top_srcdir/tests/cli/micro_model.sh" "$CURATE" "$W/micro" >/dev/null

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

# Bad input, task by task: three slices, the middle one with bad records.
# Skipped and counted, they give the output and report counts curate run
# gives, and only that task's messages name them; under strict, that task
# fails, --status says which and why, and once the input is mended the same
# commands run again do only what is not done.
B="$W/bad"
mkdir -p "$B/in"
cd "$B" || exit 1
for f in a b c; do
	for i in 1 2 3; do
		printf '{"id":"%s%d","text":"document %d of file %s, with a few words in it"}\n' "$f" "$i" "$i" "$f"
	done >"in/$f.jsonl"
done
# The same text in two slices: dedup decides across tasks.
echo '{"id":"c4","text":"document 1 of file a, with a few words in it"}' >>in/c.jsonl
printf '%s\n' '{"id":"b4","text": broken' '{"id":"b5","txt":"no text field"}' \
	'{"id":"b6","text":"good after the bad ones"}' >>in/b.jsonl
printf '%s\n' 'inputs: [in/a.jsonl, in/b.jsonl, in/c.jsonl]' 'output: out/docs.jsonl' \
	'report: out/report.json' 'stages:' '  - dedup: {exact: true}' >bad.yaml
run_steps() { # run_steps WORKDIR: every task by hand, its messages in logs/STEP-R; 1 after a failed step
	local n name line rank st=0
	rm -rf steps && mkdir -p steps logs
	"$CURATE" slurm bad.yaml --tasks 3 -o "$1" --print-commands >commands 2>plan.err || return 2
	awk '/^# step/ { n++; name = $3; sub(":", "", name) } !/^#/ { print name "\t" $0 > ("steps/" n) }' commands
	for n in $(ls steps | sort -n); do
		while IFS=$'\t' read -r name line; do
			rank=$(echo "$line" | sed 's/.*--rank \([0-9]*\) .*/\1/')
			eval "$line" >>"logs/$name-$rank" 2>&1 || st=1
		done <"steps/$n"
		[ $st = 0 ] || return 1
	done
}
f0=$failures
mkdir -p out
"$CURATE" run -q bad.yaml 2>run.err && mv out run-out && mkdir out || fail "curate run of the bad input: $(cat run.err)"
run_steps work
st=$?
[ $st = 0 ] && cmp -s run-out/docs.jsonl out/docs.jsonl ||
	fail "bad records skipped: 3 tasks give curate run's output (status $st): $(tail -n 3 logs/* | head -20)"
totals run-out/report.json >"$W/t.bad.run"
totals out/report.json >"$W/t.bad.tasks"
cmp -s "$W/t.bad.run" "$W/t.bad.tasks" && grep -q '"errors"' "$W/t.bad.tasks" ||
	fail "bad records: the merged report counts them as curate run does: $(diff "$W/t.bad.run" "$W/t.bad.tasks" | head -10)"
grep -q "b.jsonl:4: invalid JSON" logs/1-pass1-1 && grep -q "b.jsonl:5: missing field 'text'" logs/1-pass1-1 &&
	! grep -q "b.jsonl:" logs/1-pass1-0 logs/1-pass1-2 ||
	fail "the task of the bad slice names each bad record, the others none: $(grep -h b.jsonl logs/*)"
[ "$failures" = "$f0" ] && ok "bad records in one slice: skipped, named by its task, counted as curate run counts them"

rm -rf out logs && mkdir out
f0=$failures
sed -i '1i strict: true' bad.yaml
run_steps strict
st=$?
[ $st = 1 ] && grep -q "b.jsonl:4: invalid JSON" logs/1-pass1-1 ||
	fail "strict: the task of the bad slice fails, naming the record (status $st): $(cat logs/1-pass1-1)"
"$CURATE" slurm --status strict >status.out 2>&1
[ $? = 1 ] && grep -q "^1-pass1  *1  failed .*/logs/1-pass1-1.log" status.out &&
	grep -q "error: stopped at the first bad record" status.out &&
	grep -q "^1-pass1  *0  done" status.out && grep -q "^1-pass1  *2  done" status.out ||
	fail "--status names the failed task, its log and why: $(cat status.out)"
[ ! -e out/docs.jsonl ] || fail "no output from a run with a failed task"
grep -v -e broken -e no.text.field in/b.jsonl >b.mended && mv b.mended in/b.jsonl
rm -rf logs
run_steps strict || fail "the mended run finishes: $(tail -n 3 logs/* | head -20)"
grep -q "already done" logs/1-pass1-0 && grep -q "already done" logs/1-pass1-2 &&
	! grep -q "already done" logs/1-pass1-1 ||
	fail "the rerun does only the task that failed: $(grep -h 'done' logs/1-pass1-*)"
mv out/docs.jsonl strict.jsonl && "$CURATE" run -q bad.yaml 2>run.err &&
	cmp -s strict.jsonl out/docs.jsonl || fail "mended and rerun: curate run's output: $(cat run.err)"
[ "$failures" = "$f0" ] && ok "strict: the failed task is named with its log and reason; mended, a rerun does only what is not done"

echo "$failures failed"
[ "$failures" = 0 ]
