#!/bin/bash
# curate dedup: each mode against expected output, the phased MinHash equal
# to the single-process run for N = 1, 3, 4, -j and --mem-limit invariance,
# the pipeline stage equal to the command, the pipeline's passes as separate
# tasks, bad input and usage errors.
set -eu
C="$top_builddir/curate"
D="$top_srcdir/tests/data/dedup"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export LC_ALL=C
fail=0

same() { # FILE FILE NAME
	if cmp -s "$1" "$2"; then
		echo "ok - $3"
	else
		echo "not ok - $3"
		diff "$1" "$2" | head -20 || true
		fail=1
	fi
}

is() { # GOT WANT NAME
	if [ "$1" = "$2" ]; then echo "ok - $3"; else echo "not ok - $3 (got '$1', want '$2')"; fail=1; fi
}

# exact: NFC, white space, empty texts, a duplicate id (kept: ids are not keys)
"$C" dedup --exact -q "$D/exact.jsonl" -o "$W/e.out" --rejects "$W/e.rej"
same "$D/exact.expected.jsonl" "$W/e.out" "exact: NFC and white space folded, empty texts"
same "$D/exact.rejects.jsonl" "$W/e.rej" "exact: rejects carry duplicate_of and the reason"
"$C" dedup --exact --lowercase -q "$D/exact.jsonl" -o "$W/el.out"
is "$(wc -l < "$W/el.out")" 4 "exact --lowercase folds case"

# url: scheme, www. and fragment folded; newest date wins; no url or empty url kept
"$C" dedup --url -q "$D/url.jsonl" -o "$W/u.out" --rejects "$W/u.rej"
same "$D/url.expected.jsonl" "$W/u.out" "url: the newest copy of each normalized URL"
same "$D/url.rejects.jsonl" "$W/u.rej" "url: rejects point at the newest copy"

# lines: lines seen more than K times in a bucket go; a document left empty goes
"$C" dedup --lines --max-line-repeats 2 --bucket-docs 10 -q "$D/lines.jsonl" -o "$W/l.out" \
	--report "$W/l.json"
same "$D/lines.expected.jsonl" "$W/l.out" "lines: boilerplate lines removed"
grep -q '"lines_removed": 8' "$W/l.json" && echo "ok - lines: report counts removed lines" ||
	{ echo "not ok - lines: report counts removed lines"; fail=1; }
"$C" dedup --lines --max-line-repeats 2 --bucket-docs 2 -q "$D/lines.jsonl" -o "$W/l2.out"
is "$(grep -c 'Home' "$W/l2.out")" 4 "lines: buckets of 2 documents count separately"

# minhash on real Debian copyright files, split in three inputs
X="$D/copyright-small.jsonl"
head -n 50 "$X" > "$W/p0.jsonl"
sed -n '51,100p' "$X" > "$W/p1.jsonl"
tail -n +101 "$X" > "$W/p2.jsonl"
P="$W/p0.jsonl $W/p1.jsonl $W/p2.jsonl"
# shellcheck disable=SC2086
"$C" dedup --minhash -q $P -o "$W/m.out" --rejects "$W/m.rej" --report "$W/m.json"
kept=$(wc -l < "$W/m.out")
[ "$kept" -gt 40 ] && [ "$kept" -lt 142 ] && echo "ok - minhash removes near duplicates ($kept of 142 kept)" ||
	{ echo "not ok - minhash kept $kept of 142"; fail=1; }
grep -q '"duplicate_of"' "$W/m.rej" && grep -q '"cluster_size"' "$W/m.out" &&
	echo "ok - minhash: victims name duplicate_of, survivors carry cluster_size" ||
	{ echo "not ok - minhash annotations"; fail=1; }
sort "$W/m.out" > "$W/m.sorted"
sort "$W/m.rej" > "$W/m.rsorted"
for N in 1 3 4; do
	WD="$W/work$N"
	for R in $(seq 0 $((N - 1))); do
		# shellcheck disable=SC2086
		"$C" dedup minhash-sign -q --rank $R --world $N -o "$WD" $P
	done
	for B in $(seq 0 13); do "$C" dedup minhash-bucket -q --band $B --work "$WD"; done
	"$C" dedup minhash-cluster -q --work "$WD"
	: > "$W/ph.out"
	: > "$W/ph.rej"
	for R in $(seq 0 $((N - 1))); do
		# shellcheck disable=SC2086
		"$C" dedup minhash-apply -q --work "$WD" --rank $R --world $N $P -o "$W/a.out" \
			--rejects "$W/a.rej"
		cat "$W/a.out" >> "$W/ph.out"
		cat "$W/a.rej" >> "$W/ph.rej"
	done
	sort "$W/ph.out" > "$W/ph.sorted"
	sort "$W/ph.rej" > "$W/ph.rsorted"
	same "$W/m.sorted" "$W/ph.sorted" "phased minhash (N=$N) keeps what the single process keeps"
	same "$W/m.rsorted" "$W/ph.rsorted" "phased minhash (N=$N) rejects what the single process rejects"
done

# the same output for any -j, with spilled runs, and from stdin
# shellcheck disable=SC2086
"$C" dedup --minhash -q -j 2 --mem-limit 2K $P -o "$W/mj.out"
same "$W/m.out" "$W/mj.out" "minhash: same output with -j 2 and --mem-limit 2K (spilled runs)"
cat $P | "$C" dedup --minhash -q > "$W/ms.out"
sort "$W/ms.out" | sed 's/"cluster":[0-9]*/"cluster":N/' > "$W/ms.sorted"
sed 's/"cluster":[0-9]*/"cluster":N/' "$W/m.sorted" | sort > "$W/m.sorted2"
same "$W/m.sorted2" "$W/ms.sorted" "minhash: stdin is spooled for the second pass"

# --keep longest: no survivor is shorter than a document that named it
# shellcheck disable=SC2086
"$C" dedup --minhash --keep longest -q $P -o "$W/k.out" --rejects "$W/k.rej"
is "$(wc -l < "$W/k.out")" "$kept" "keep longest: the same clusters"
if command -v python3 > /dev/null; then
	python3 - "$W/k.out" "$W/k.rej" <<'PY' && echo "ok - keep longest: every survivor is its cluster's longest" || { echo "not ok - keep longest"; fail=1; }
import json, sys
kept = {}
for l in open(sys.argv[1]):
    d = json.loads(l)
    kept[d["id"]] = len(d["text"].encode())
bad = 0
for l in open(sys.argv[2]):
    d = json.loads(l)
    s = d["metadata"]["dedup"]["duplicate_of"]
    bad += kept[s] < len(d["text"].encode())
sys.exit(1 if bad else 0)
PY
else
	echo "ok - keep longest # SKIP no python3"
fi

# --verify exact compares shingle sets; --keep newest runs
# shellcheck disable=SC2086
"$C" dedup --minhash --verify exact -q $P -o "$W/v.out"
v=$(wc -l < "$W/v.out")
[ "$v" -gt 40 ] && [ "$v" -lt 142 ] && echo "ok - verify exact ($v kept)" ||
	{ echo "not ok - verify exact kept $v"; fail=1; }
# shellcheck disable=SC2086
"$C" dedup --minhash --keep newest -q $P -o "$W/n.out"
is "$(wc -l < "$W/n.out")" "$kept" "keep newest: the same clusters"

# all modes together, in the order url -> exact -> minhash -> lines
cat "$D/url.jsonl" "$D/exact.jsonl" "$X" > "$W/all.jsonl"
"$C" dedup --url --exact --minhash --lines -q "$W/all.jsonl" -o "$W/all.out" --report "$W/all.json"
grep -q '"url_duplicates": 2' "$W/all.json" && grep -q '"exact_duplicates": [1-9]' "$W/all.json" &&
	grep -q '"minhash_duplicates": [1-9]' "$W/all.json" &&
	echo "ok - modes combine in one run" || { echo "not ok - modes combine"; fail=1; }

# The stage in a pipeline file is the same dedup: `curate run` with it
# writes what `curate dedup` then the other stages write, byte for byte.
run_file() { # YAML-FILE INPUT OUTPUT JOBS STAGE...
	local f=$1 in=$2 out=$3 j=$4
	shift 4
	{ printf 'inputs: [%s]\noutput: %s\njobs: %s\nseed: 5\nstages:\n' "$in" "$out" "$j"
	  for st in "$@"; do printf '  - %s\n' "$st"; done; } > "$f"
	"$C" run -q "$f"
}
run_file "$W/p.yaml" "$D/exact.jsonl" "$W/run.out" 1 "{name: dedup, exact: true}"
"$C" dedup --exact --seed 5 -q "$D/exact.jsonl" -o "$W/cmd.out"
same "$W/cmd.out" "$W/run.out" "pipeline dedup {exact: true} writes what curate dedup --exact writes"
# curate dedup copies a line it keeps unchanged as read, and splices its
# metadata into a line it annotates; a pipeline's writer removes the white
# space, and then the two are the same
printf '{"id": "s1", "text": "spaced copy"}\n{"id":"s2","text":"spaced copy"}\n{"id": "s3",  "text": "alone",\t"n": 1.50}\n{"id":"s4","text":"\\u00e9t\\u00e9 copy"}\n{"id":"s5","text":"\\u00e9t\\u00e9 copy"}\n' > "$W/sp.jsonl"
"$C" dedup --exact -q "$W/sp.jsonl" -o "$W/cmd.out" --rejects "$W/cmd.rej"
is "$(head -n 1 "$W/cmd.out")" '{"id": "s1", "text": "spaced copy"}' "curate dedup writes an unchanged line as read"
is "$(head -n 1 "$W/cmd.rej")" '{"id":"s2","text":"spaced copy","metadata":{"dedup":{"duplicate_of":"s1"},"curate":{"dropped_by":"dedup:exact"}}}' "curate dedup splices the metadata into a line"
printf 'inputs: [%s]\noutput: %s\nstages: []\n' "$W/cmd.out" "$W/two.out" > "$W/p2.yaml"
"$C" run -q "$W/p2.yaml"
printf 'inputs: [%s]\noutput: %s\nrejects: %s\nstages: [{name: dedup, exact: true}]\n' "$W/sp.jsonl" "$W/run.out" "$W/run.rej" > "$W/p.yaml"
"$C" run -q "$W/p.yaml"
same "$W/two.out" "$W/run.out" "curate dedup, minified by a pipeline, writes what run [dedup] writes"
same "$W/cmd.rej" "$W/run.rej" "curate dedup rejects what run [dedup] rejects"
run_file "$W/p.yaml" "$D/url.jsonl" "$W/run.out" 2 "{name: dedup, url: true}"
same "$D/url.expected.jsonl" "$W/run.out" "pipeline dedup {url: true} keeps the newest copy, as curate dedup"
ALL="url: true, exact: true, minhash: true, lines: true, max_line_repeats: 2, bucket_docs: 50"
ALLOPT="--url --exact --minhash --lines --max-line-repeats 2 --bucket-docs 50 --seed 5"
cat "$D/url.jsonl" "$D/exact.jsonl" "$D/lines.jsonl" "$X" > "$W/mix.jsonl"
for j in 1 2; do
	run_file "$W/p.yaml" "$W/mix.jsonl" "$W/run.out" $j "dedup: {$ALL}" "pii: {}"
	# shellcheck disable=SC2086
	"$C" dedup $ALLOPT -j $j -q "$W/mix.jsonl" -o "$W/cmd.jsonl"
	run_file "$W/p2.yaml" "$W/cmd.jsonl" "$W/two.out" $j "pii: {}"
	same "$W/two.out" "$W/run.out" "-j $j: run [dedup, pii] = curate dedup, then run [pii]"
	# a stage before dedup: its documents reach dedup's second pass through the work directory
	run_file "$W/p.yaml" "$W/mix.jsonl" "$W/run.out" $j "filter: {rules: length}" "dedup: {$ALL}" "pii: {}"
	"$C" filter --rules length -q "$W/mix.jsonl" -o "$W/f.jsonl"
	# shellcheck disable=SC2086
	"$C" dedup $ALLOPT -j $j -q "$W/f.jsonl" -o "$W/cmd.jsonl"
	run_file "$W/p2.yaml" "$W/cmd.jsonl" "$W/two.out" $j "pii: {}"
	same "$W/two.out" "$W/run.out" "-j $j: run [filter, dedup, pii] = filter, dedup, then run [pii]"
done

# The pipeline's passes as a batch scheduler's tasks: pass 1 per slice,
# bucket per band, cluster, pass 2 per slice; together, the single run.
split -n l/3 -d --additional-suffix=.jsonl "$W/mix.jsonl" "$W/part"
cat > "$W/ph.yaml" <<YAML
inputs: [$W/part00.jsonl, $W/part01.jsonl, $W/part02.jsonl]
seed: 5
work: $W/pwork
stages:
  - filter: {rules: length}
  - dedup: {$ALL}
  - pii: {}
YAML
"$C" run -q "$W/ph.yaml" -o "$W/single.out"
sort "$W/single.out" > "$W/single.sorted"
[ ! -e "$W/pwork/spill-1-0.jsonl" ] && echo "ok - a single run removes its spill" ||
	{ echo "not ok - a single run removes its spill"; fail=1; }
for N in 2 3; do
	rm -rf "$W/pwork"
	for R in $(seq 0 $((N - 1))); do "$C" run -q "$W/ph.yaml" --pass 1 --rank $R --world $N; done
	for B in $(seq 0 13); do "$C" dedup minhash-bucket -q --band $B --work "$W/pwork/dedup-2"; done
	"$C" dedup minhash-cluster -q --work "$W/pwork/dedup-2"
	: > "$W/ph.out"
	for R in $(seq 0 $((N - 1))); do
		"$C" run -q "$W/ph.yaml" --pass 2 --rank $R --world $N -o "$W/r.out"
		cat "$W/r.out" >> "$W/ph.out"
	done
	sort "$W/ph.out" > "$W/ph.sorted"
	same "$W/single.sorted" "$W/ph.sorted" "run as tasks (N=$N): pass 1, bucket, cluster, pass 2 = one run"
done

# invalid UTF-8: sign repairs it, and apply must write the repaired record,
# never the raw line (a valid line is written back as it is, unparsed)
printf '{"id":"u1","text":"caf\xc3\xa9 ok"}\n{"id":"u2","text":"bad \xff byte"}\n{"id":"u3","meta":"\xfe","text":"x"}\n' > "$W/utf.jsonl"
for j in 1 2; do
	"$C" dedup --minhash -j $j -q "$W/utf.jsonl" -o "$W/utf$j.out"
	is "$(grep -c $'[\xfe\xff]' "$W/utf$j.out" || true)" 0 "-j $j: no invalid UTF-8 written back"
	is "$(grep -c $'\xef\xbf\xbd' "$W/utf$j.out")" 2 "-j $j: both invalid records repaired"
	is "$(head -1 "$W/utf$j.out")" "$(head -1 "$W/utf.jsonl")" "-j $j: a valid line is kept byte for byte"
done

# cluster metadata written into raw lines: a line with no metadata (whose
# text says "metadata"), one with metadata of its own, an empty-ish one
words=$(seq 1 80 | sed 's/^/w/' | tr '\n' ' ')
printf '{"id":"k1","text":"%s the \\"metadata\\": here"}\n{"id":"k2","metadata":{"src":"x"},"text":"%s the \\"metadata\\": here"}\n{"text":"%s the \\"metadata\\": here"}\n' \
	"$words" "$words" "$words" > "$W/meta.jsonl"
for j in 1 2; do
	"$C" dedup --minhash -j $j -q "$W/meta.jsonl" -o "$W/meta$j.out" --rejects "$W/meta$j.rej"
	got=$(python3 -c 'import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
rej = [json.loads(l) for l in open(sys.argv[2])]
print(len(out), out[0]["id"], out[0]["metadata"]["dedup"]["cluster_size"], out[0]["text"][-16:],
      sorted(r["metadata"]["dedup"].get("duplicate_of") for r in rej), rej[0]["metadata"].get("src"))' \
		"$W/meta$j.out" "$W/meta$j.rej")
	is "$got" "1 k1 3 \"metadata\": here ['k1', 'k1'] x" "-j $j: cluster metadata added to records with and without metadata"
done

# bad input and usage
printf '{"id":"a","text":""}\n{"id":"a","text":""}\n{broken\n{"id":"b","text":"one"}\n{"text":"no id"}\n{"id":"c","text":7}\n' > "$W/bad.jsonl"
"$C" dedup --minhash --exact --url --lines -q "$W/bad.jsonl" -o "$W/bad.out" --report "$W/bad.json"
is "$(wc -l < "$W/bad.out")" 3 "empty, short and id-less documents are handled"
grep -q '"bad_records": 2' "$W/bad.json" && echo "ok - bad records are skipped in both passes and counted" ||
	{ echo "not ok - bad records"; fail=1; }
set +e
"$C" dedup -q "$W/bad.jsonl" > /dev/null 2>&1
is $? 2 "no mode is a usage error"
"$C" dedup --minhash --keep oldest -q "$W/bad.jsonl" > /dev/null 2>&1
is $? 2 "a bad --keep is a usage error"
"$C" dedup --exact --strict -q "$W/bad.jsonl" > /dev/null 2>&1
is $? 1 "--strict stops at the first bad record"
"$C" dedup minhash-cluster -q --work "$W/nowhere" > /dev/null 2>&1
is $? 3 "cluster without signatures is an I/O error"
rm "$W/work3/pairs-5.bin"
"$C" dedup minhash-cluster -q --work "$W/work3" > /dev/null 2>&1
is $? 3 "cluster with a band missing fails"
set -e
exit $fail
