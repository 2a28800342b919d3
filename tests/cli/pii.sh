#!/bin/bash
# CLI tests for `curate pii`: each mode against its exact expected output.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
CURATE="$top_builddir/curate"
D="$top_srcdir/tests/data/pii"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

check() { # name expected actual
	if cmp -s "$2" "$3"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		diff "$2" "$3" | head -20
		exit 1
	fi
}

"$CURATE" pii -q "$D/cli_input.jsonl" -o "$W/tag.jsonl"
check "redact tag (dolma style)" "$D/cli_tag.expected" "$W/tag.jsonl"

"$CURATE" pii -q --tag-format '<{SHORT}>' "$D/cli_input.jsonl" > "$W/angle.jsonl"
check "redact tag <SHORT>" "$D/cli_angle.expected" "$W/angle.jsonl"

"$CURATE" pii -q --annotate "$D/cli_input.jsonl" > "$W/annotate.jsonl"
check "annotate" "$D/cli_annotate.expected" "$W/annotate.jsonl"

"$CURATE" pii -q --redact fake --seed 5 -j 1 "$D/cli_input.jsonl" > "$W/fake1.jsonl"
check "redact fake" "$D/cli_fake.expected" "$W/fake1.jsonl"
"$CURATE" pii -q --redact fake --seed 5 -j 2 "$D/cli_input.jsonl" > "$W/fake2.jsonl"
check "redact fake: -j 2 same as -j 1" "$W/fake1.jsonl" "$W/fake2.jsonl"
"$CURATE" pii -q --redact fake --seed 6 "$D/cli_input.jsonl" > "$W/fake3.jsonl"
if cmp -s "$W/fake1.jsonl" "$W/fake3.jsonl"; then
	echo "not ok - another seed gives other fakes"; exit 1
fi
echo "ok - another seed gives other fakes"

"$CURATE" pii -q --ip all --types ip,email "$D/cli_input.jsonl" > "$W/ipall.jsonl"
check "--ip all --types ip,email" "$D/cli_ipall.expected" "$W/ipall.jsonl"

"$CURATE" pii -q --drop-above 3 --rejects "$W/rejects.jsonl" --report "$W/report.json" \
	"$D/cli_input.jsonl" > "$W/drop.jsonl"
check "--drop-above 3" "$D/cli_drop.expected" "$W/drop.jsonl"
grep -q '"numbers"' "$W/rejects.jsonl" && grep -q 'pii:too_many_spans' "$W/rejects.jsonl"
echo "ok - dropped document in rejects with its reason"
grep -q '"EMAIL_ADDRESS": *4' "$W/report.json" || grep -q '"EMAIL_ADDRESS":4' "$W/report.json"
echo "ok - report counts per type"
for secret in jürgen bob@example 4111 hunter2x AKIAIOSFODNN7EXAMPLE 8.8.4.4 555-2671; do
	if grep -q "$secret" "$W/report.json"; then
		echo "not ok - report leaks PII ($secret)"; exit 1
	fi
done
echo "ok - report holds no PII"

cat > "$W/p.yaml" <<YAML
inputs: [$D/cli_input.jsonl]
output: $W/run.jsonl
stages:
  - pii: {tag_format: "<{SHORT}>"}
YAML
"$CURATE" run -q "$W/p.yaml"
check "curate run with a pii stage" "$D/cli_angle.expected" "$W/run.jsonl"

set +e
"$CURATE" pii --redact blur "$D/cli_input.jsonl" > /dev/null 2>&1; rc1=$?
"$CURATE" pii --types email,bogus "$D/cli_input.jsonl" > /dev/null 2>&1; rc2=$?
"$CURATE" pii --ip some "$D/cli_input.jsonl" > /dev/null 2>&1; rc3=$?
set -e
[ "$rc1" = 2 ] && [ "$rc2" = 2 ] && [ "$rc3" = 2 ] || {
	echo "not ok - bad options exit 2 (got $rc1 $rc2 $rc3)"; exit 1; }
echo "ok - bad options exit 2"
