#!/bin/bash
# `curate slurm` on a real Slurm: scripts/slurm-local.sh starts a one-node
# Slurm from Debian's packages; the demo pipeline (data/pipeline.yaml) runs
# as array jobs with 3 tasks, one task is killed mid-run with scancel, a
# resubmission finishes the run, and the shards, manifest, rejects and report
# totals must equal `curate run` of the same file byte for byte; then 1 and 4
# tasks give the same bytes again. Only the daemons this test started are
# stopped. Not root, it runs itself through sudo where sudo asks no
# password. Skips (77) when it cannot be root or Slurm's packages are
# missing, unless CURATE_REQUIRE_SLURM is set (the full suite, which installs
# them, sets it): then that is a failure.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CURATE="$top_builddir/curate"
SLURM_LOCAL="$top_srcdir/scripts/slurm-local.sh"

skip() {
	if [ -n "${CURATE_REQUIRE_SLURM:-}" ]; then
		echo "not ok - $* (CURATE_REQUIRE_SLURM is set: this suite must run on a real Slurm)"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null && sudo -n true 2>/dev/null ||
		skip "a local Slurm needs root (or sudo without a password)"
	exec sudo -n env top_srcdir="$top_srcdir" top_builddir="$top_builddir" PATH="$PATH" \
		CURATE_REQUIRE_SLURM="${CURATE_REQUIRE_SLURM:-}" bash "$0"
fi
for b in slurmctld slurmd sbatch squeue scancel munged mungekey; do
	command -v "$b" >/dev/null || skip "no '$b' (apt-get install slurmctld slurmd slurm-client munge)"
done

. "$(dirname "$0")/lib.sh"
W=$WORK
# Slurm's state directory: short (socket paths), its parents 0755 or sticky.
STATE=$(mktemp -d /tmp/cs.XXXXXX)
cleanup() {
	"$SLURM_LOCAL" stop "$STATE"
	rm -rf "$W" "$STATE"
}
trap cleanup EXIT
failures=0
ok() { echo "ok - $*"; }
fail() { failures=$((failures + 1)); echo "not ok - $*"; }
fatal() { echo "not ok - $*"; exit 1; }

"$SLURM_LOCAL" start "$STATE" >"$W/slurm.env" || fatal "the local Slurm starts"
. "$W/slurm.env"
export SLURM_CONF
ok "a one-node Slurm runs (scripts/slurm-local.sh)"

# Each run without the ppl stage: its scoring under ASan makes each task
# slower than the stall below waits for; dist.sh runs it in tasks.
PIPELINE_EDIT='/^  - ppl:/d'

same_run() { # same_run NAME DIR: DIR/out equals the single-process run's
	local d="$W/$2/out" r="$W/run/out" f bad=""
	(cd "$r/shards" && ls) >"$W/ls.run"
	(cd "$d/shards" && ls) >"$W/ls.other"
	cmp -s "$W/ls.run" "$W/ls.other" || bad="the shard files differ: $(diff "$W/ls.run" "$W/ls.other" | head -5)"
	for f in $(cat "$W/ls.run"); do
		cmp -s "$r/shards/$f" "$d/shards/$f" || bad="$bad shards/$f differs;"
	done
	cmp -s "$r/rejects.jsonl.zst" "$d/rejects.jsonl.zst" || bad="$bad rejects differ;"
	totals "$r/report.json" >"$W/totals.run"
	totals "$d/report.json" >"$W/totals.other"
	cmp -s "$W/totals.run" "$W/totals.other" ||
		bad="$bad report totals differ: $(diff "$W/totals.run" "$W/totals.other" | head -10)"
	if [ -z "$bad" ]; then ok "$1"; else fail "$1: $bad"; fi
}

setup_dir run
(cd "$W/run" && "$CURATE" run -q pipeline.yaml) || fatal "curate run of the demo pipeline"

# 3 tasks; task 1 of the step that tokenizes stalls after writing its
# outputs, before its done marker, and is killed there.
setup_dir n3
cd "$W/n3" || exit 1
"$CURATE" slurm pipeline.yaml --tasks 3 -o work --print-commands >"$W/commands" ||
	fatal "curate slurm plans the demo pipeline"
grep -q -- '--rank 2 --world 3 ' "$W/commands" || fail "--print-commands lists every task: $(head -5 "$W/commands")"
step=$(sed -n 's/^# step \([0-9]*-pass[0-9]*\):.*/\1/p' "$W/commands" | tail -1)
[ -n "$step" ] || fatal "no stages step in the plan"
CURATE_SLURM_STALL="$step/1" "$CURATE" slurm pipeline.yaml --tasks 3 -o work --submit \
	2>"$W/submit.err" || fatal "curate slurm --submit: $(cat "$W/submit.err")"
for i in $(seq 300); do
	grep -qs "stalled" "work/logs/$step-1.log" && break
	sleep 0.1
done
grep -qs "stalled" "work/logs/$step-1.log" || fatal "task $step/1 never ran: $(cat work/logs/* 2>&1 | tail -5)"
job=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][sys.argv[2]]["job"])' \
	work/submitted.json "$step")
scancel "${job}_1" || fail "scancel ${job}_1"
"$CURATE" slurm --wait work >"$W/wait.out" 2>&1
[ $? = 1 ] && grep -q "killed" "$W/wait.out" ||
	fail "--wait after the kill exits 1 and names the killed task: $(tail -5 "$W/wait.out")"
"$CURATE" slurm --status work >"$W/status.out"
grep -q "^$step  *1  killed" "$W/status.out" && grep -q "finish .* never started" "$W/status.out" ||
	fail "--status shows the killed task and the cancelled chain: $(cat "$W/status.out")"
[ ! -e out/shards/manifest.json ] || fail "no manifest before the run is complete"
ok "scancel of one array element stops the chain; --status says where"
"$CURATE" slurm --resume work --wait 2>"$W/resume.err" ||
	fatal "curate slurm --resume --wait: $(tail -5 "$W/resume.err")"
head -1 "$W/resume.err" | grep -q "^curate slurm: $step: job [0-9]*, tasks 1$" ||
	fail "the resubmission starts at $step with only its killed task: $(head -3 "$W/resume.err")"
# Every task started once, the killed one twice: nothing done was redone.
for log in work/logs/*.log; do
	want=1
	[ "$log" = "work/logs/$step-1.log" ] && want=2
	[ "$(grep -c ': start$' "$log")" = $want ] || fail "$log: started $want time(s): $(grep ': start$' "$log")"
done
same_run "3 tasks, one killed and resubmitted: the same shards, manifest, rejects and report totals as curate run" n3
"$CURATE" verify out/shards >/dev/null || fail "curate verify of the Slurm run's shards"
"$CURATE" slurm pipeline.yaml --tasks 3 -o work --submit 2>"$W/again.err" &&
	grep -q "nothing to submit" "$W/again.err" || fail "a finished run submits nothing: $(cat "$W/again.err")"

for n in 1 4; do
	setup_dir "n$n"
	(cd "$W/n$n" && "$CURATE" slurm -q pipeline.yaml --tasks "$n" -o work --submit --wait) \
		>"$W/n$n.out" 2>&1 || fail "curate slurm --tasks $n: $(tail -5 "$W/n$n.out")"
	same_run "$n task(s): the same bytes as curate run" "n$n"
done

echo "$failures failed"
[ "$failures" = 0 ]
