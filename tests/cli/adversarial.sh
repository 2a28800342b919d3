#!/bin/bash
# A careless or hostile user's ways to lose, corrupt or leak data, each
# reproduced on small inputs built here, each checked to stay closed.
. "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1

# 300 small records, as JSON Lines and gzip (no name, no time: gzip -n).
python3 - <<'PY'
import json
with open("base.jsonl", "w") as f:
    for i in range(300):
        f.write(json.dumps({"id": str(i), "text": "record %d " % i + "word " * (i % 40)}) + "\n")
PY
gzip -n -c base.jsonl > base.jsonl.gz
# flip FILE OFFSET OUT: OUT is FILE with the byte at OFFSET (negative: from
# the end) inverted.
flip() {
	python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read()); i = int(sys.argv[2]); d[i] ^= 0xff
open(sys.argv[3], "wb").write(d)' "$@"
}
lines() { [ -s "$1" ] && wc -l < "$1" || echo 0; }

# ---- gzip: every member's CRC and length are checked ----
flip base.jsonl.gz -8 crc.gz
expect_status "gzip: a wrong CRC is corrupt input (exit 1 under --strict)" 1 "$CURATE" ingest --strict crc.gz
contains "gzip: the CRC is named" err "crc.gz:301: truncated or corrupt input (gzip member 1: incorrect data check)"
flip base.jsonl.gz -2 len.gz
expect_status "gzip: a wrong length is corrupt input (exit 1 under --strict)" 1 "$CURATE" ingest --strict len.gz
contains "gzip: the length is named" err "incorrect length check"
expect_status "gzip: without --strict the run goes on" 0 "$CURATE" ingest crc.gz
contains "gzip: the corrupt member is counted" err "truncated_stream 1"
cat base.jsonl.gz base.jsonl.gz > two.gz
"$CURATE" ingest -q two.gz > two.out
[ "$(lines two.out)" = 600 ] && ok "gzip: members follow one another" || fail "gzip: two members" "$(lines two.out)"
(cat base.jsonl.gz; echo junk) > junk.gz
expect_status "gzip: data after the last member is corrupt input" 1 "$CURATE" ingest --strict -o junk.out junk.gz
contains "gzip: trailing data is named" err "data after member 1 is not gzip"
[ "$(lines junk.out)" = 300 ] && ok "gzip: the members before trailing data are kept" || fail "gzip: kept before junk"
(cat base.jsonl.gz; head -c 1024 /dev/zero) > padded.gz
expect_status "gzip: NUL padding after the last member is allowed" 0 "$CURATE" ingest --strict padded.gz

# ---- a truncated .gz keeps every complete record before the cut ----
head -c 2000 base.jsonl.gz > cut.gz
want=$(gzip -dc cut.gz 2>/dev/null | wc -l)
expect_status "truncated gzip: the cut is reported (exit 1 under --strict)" 1 "$CURATE" ingest --strict -o cut.out cut.gz
contains "truncated gzip: named as truncated" err "cut.gz:$((want + 1)): truncated or corrupt input (gzip member 1 is truncated)"
[ "$(lines cut.out)" = "$want" ] && ok "truncated gzip: every complete record before the cut is kept ($want)" ||
	fail "truncated gzip: records kept" "$(lines cut.out) of $want"
head -c 10 base.jsonl.gz > cut10.gz
expect_status "a 10-byte gzip cut is truncated input, not a text document" 1 "$CURATE" ingest --strict -o cut10.out cut10.gz
contains "a 10-byte gzip cut is named" err "cut10.gz: truncated or corrupt input (gzip member 1 is truncated)"
[ "$(lines cut10.out)" = 0 ] && ok "a 10-byte gzip cut gives no document" || fail "10-byte cut" "$(cat cut10.out)"
tar czf docs.tgz base.jsonl
head -c 1500 docs.tgz > docs-cut.tgz
expect_status "a truncated .tar.gz is a corrupt member" 1 "$CURATE" ingest --strict docs-cut.tgz
contains "a truncated .tar.gz names the gzip's fault" err "gzip member 1 is truncated"

# ---- WARC: a huge Content-Length costs one record, not the rest ----
warc_rec() { # TYPE ID LENGTH BODY
	printf 'WARC/1.0\r\nWARC-Type: %s\r\n%bContent-Type: text/plain\r\nContent-Length: %s\r\n\r\n%s\r\n\r\n' \
		"$1" "$2" "$3" "$4"
}
{ warc_rec conversion 'WARC-Record-ID: <urn:a>\r\n' 99999999999 hello
  warc_rec conversion 'WARC-Record-ID: <urn:b>\r\n' 5 world
  warc_rec conversion 'WARC-Record-ID: <urn:c>\r\n' 2000000 big
  warc_rec conversion '' 5 noid!; } > huge.warc
expect_status "WARC: an absurd Content-Length is one bad record" 0 "$CURATE" ingest --max-doc-bytes 1M huge.warc
[ "$(grep -o '"id":"[^"]*"' out | tr '\n' ' ')" = '"id":"urn:b" "id":"huge.warc:4" ' ] &&
	ok "WARC: the records after a huge Content-Length are kept" || fail "WARC: records after a huge length" "$(cat out)"
contains "WARC: the huge length is named" err "huge.warc:1: Content-Length over the document limit"
contains "WARC: a length over --max-doc-bytes is named" err "huge.warc:3: Content-Length over the document limit"
contains "WARC: a record without WARC-Record-ID gets FILE:RECORD" out '"id":"huge.warc:4"'

# ---- bytes that are not UTF-8 where a name or header should be ----
{ warc_rec conversion 'WARC-Record-ID: <urn:\xe9t\xe9>\r\n' 5 hello
  warc_rec conversion 'WARC-Record-ID: <urn:ok>\r\n' 5 world; } > latin1.warc
expect_status "WARC: a header with a byte that is not UTF-8 is not 'out of memory'" 0 "$CURATE" ingest latin1.warc
[ "$(grep -c '"text"' out)" = 2 ] && ok "WARC: both records are kept" || fail "WARC: both records kept" "$(cat out err)"
contains "WARC: the id is repaired to U+FFFD" out "$(printf '"id":"urn:\357\277\275t\357\277\275"')"
printf 'plain text\n' > "$(printf 'caf\351.txt')"
expect_status "a file name that is not UTF-8 is not 'out of memory'" 0 "$CURATE" ingest "$(printf 'caf\351.txt')"
contains "the source is the name repaired to U+FFFD" out "$(printf '"source":"caf\357\277\275.txt"')"

# ---- files that are not text ----
head -c 3000000 /dev/zero > zeros.bin
expect_status "NUL bytes: reported, exit 1 under --strict" 1 "$CURATE" ingest --strict zeros.bin
contains "NUL bytes: named" err "zeros.bin: binary data, not text"
# A zip's end record at the end of a text file: libarchive finds a zip of no
# members there; the text must still be read.
printf '{"id":"1","text":"a"}\nPK\005\006\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' > eocd.jsonl
expect_status "a zip's end record inside text" 0 "$CURATE" ingest eocd.jsonl
contains "a zip's end record inside text: the record before it is kept" out '"id":"1"'
contains "a zip's end record inside text: the rest is a bad record" err "eocd.jsonl:2: invalid JSON"
printf 'some\0binary\n' > nul.txt
expect_status "a text file with a NUL byte is refused" 1 "$CURATE" ingest --strict nul.txt
contains "a text file with a NUL byte is named" err "nul.txt: binary data, not text"

# ---- two outputs that are the same file, an output that is an input ----
expect_status "-o X --rejects X is refused" 2 "$CURATE" filter -o same.jsonl --rejects ./same.jsonl base.jsonl
contains "-o X --rejects X names both" err "-o and --rejects name the same file"
expect_status "--report on -o is refused" 2 "$CURATE" ingest -o r.json --report r.json base.jsonl
cp base.jsonl in.jsonl
expect_status "-o on an input is refused" 2 "$CURATE" pii -o in.jsonl in.jsonl
same "-o on an input leaves the input alone" in.jsonl base.jsonl
ln -f in.jsonl hard.jsonl
expect_status "-o on a hard link of an input is refused" 2 "$CURATE" ingest -o hard.jsonl in.jsonl
expect_status "two outputs to /dev/null are fine" 0 "$CURATE" filter -q -o /dev/null --rejects /dev/null base.jsonl

# ---- missing inputs ----
expect_status "a missing input exits 3" 3 "$CURATE" ingest -o miss.jsonl base.jsonl nope.jsonl
contains "a missing input is named with the errno's text" err "cannot open 'nope.jsonl': No such file or directory"
[ ! -e miss.jsonl ] && ok "a missing input leaves no output" || fail "a missing input leaves no output"
expect_status "shard: a missing input exits 3" 3 "$CURATE" shard -o shards nope.jsonl
[ ! -e shards ] && ok "shard: a missing input writes no manifest" || fail "shard: no manifest" "$(ls shards)"
expect_status "a directory as input exits 3" 3 "$CURATE" ingest .
contains "a directory as input is named" err "cannot open '.': Is a directory"

# ---- duplicate keys: the same answer in every stage ----
echo '{"id":"x","text":"hi","text":"mail john.smith@example.com"}' > dup.jsonl
for cmd in pii ingest filter "filter --rules safety" "dedup --exact" stats; do
	expect_status "duplicate \"text\": $cmd refuses the record" 1 "$CURATE" $cmd --strict dup.jsonl
	contains "duplicate \"text\": $cmd names it" err "dup.jsonl:1: a key appears twice in one JSON object"
	if grep -q john out; then fail "duplicate \"text\": $cmd writes nothing of it"; else ok "duplicate \"text\": $cmd writes nothing of it"; fi
done
echo '{"id":"x","text":"a","metadata":{"category":"code","category":"math"}}' > dupmeta.jsonl
expect_status "a key twice in a nested object is refused too" 1 "$CURATE" ingest --strict dupmeta.jsonl

# ---- no content in error messages ----
printf '%s\n' '{"id":"x","text":"a" 4111111111111111}' '{"id":"y","text":"ok","n":[1 4111111111111111]}' \
	'{"id":"z","text":"\ud800 4111111111111111 \q"}' > leak.jsonl
expect_status "bad records with a card number" 0 "$CURATE" pii leak.jsonl
if grep -q 4111 err; then fail "messages quote no content" "$(cat err)"; else ok "messages quote no content"; fi
contains "messages give the byte offset" err "leak.jsonl:1: invalid JSON: '}' expected (byte"

# ---- line numbers after a long line ----
python3 - <<'PY'
import json
with open("long.jsonl", "w") as f:
    f.write(json.dumps({"id": "1", "text": "a"}) + "\n")
    f.write(json.dumps({"id": "2", "text": "x" * 300000}) + "\n")
    f.write(json.dumps({"id": "3", "text": "y" * 2000}) + "\n")
    f.write(json.dumps({"id": "4", "text": "b"}) + "\n")
PY
expect_status "long lines" 0 "$CURATE" ingest --max-doc-bytes 1K long.jsonl
[ "$(grep -o 'long.jsonl:[0-9]*' err | tr '\n' ' ')" = "long.jsonl:2 long.jsonl:3 " ] &&
	ok "lines over 256 KiB keep later line numbers right" || fail "line numbers after a long line" "$(cat err)"
[ "$(grep -o '"id":"[0-9]"' out | tr '\n' ' ')" = '"id":"1" "id":"4" ' ] && ok "long lines: the short ones are kept" ||
	fail "long lines: the short ones are kept" "$(cut -c1-40 out)"

# ---- compressed outputs are byte-identical across -j and runs ----
python3 -c 'import json, random
r = random.Random(1)
words = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 9))) for _ in range(5000)]
for i in range(20000): print(json.dumps({"id": str(i), "text": " ".join(r.choice(words) for _ in range(40))}))' > many.jsonl
for ext in zst gz; do
	"$CURATE" ingest -q -j 1 -o "j1.jsonl.$ext" many.jsonl
	"$CURATE" ingest -q -j 3 -o "j3.jsonl.$ext" many.jsonl
	same "$ext: -j 1 and -j 3 write the same bytes" "j1.jsonl.$ext" "j3.jsonl.$ext"
done
sleep 1
"$CURATE" ingest -q -o again.jsonl.gz many.jsonl
same "gz: two runs write the same bytes (no time in the header)" j1.jsonl.gz again.jsonl.gz
[ "$(head -c 10 again.jsonl.gz | od -An -tx1 | tr -d ' \n')" = 1f8b0800000000000003 ] &&
	ok "gz: no time and no name in the header" || fail "gz header" "$(head -c 10 again.jsonl.gz | od -An -tx1)"

# ---- I/O errors name the path and the errno's text ----
( trap '' XFSZ; ulimit -f 64; "$CURATE" ingest -q -o full.jsonl.zst many.jsonl ) 2> err
contains "a full disk names the output file" err "cannot write 'full.jsonl.zst': File too large"
[ ! -e full.jsonl.zst ] && ok "a full disk leaves no output" || fail "a full disk leaves no output"
( trap '' XFSZ; ulimit -f 64; "$CURATE" ingest -q -o full.jsonl.gz many.jsonl ) 2> err
contains "a full disk names the gzip output" err "cannot write 'full.jsonl.gz': File too large"
"$CURATE" ingest -q many.jsonl 2> err > /dev/full
contains "a full standard output is named" err "cannot write to standard output: No space left on device"
ls -a | grep -q '\.tmp\.' && fail "no temporary files are left" "$(ls -a)" || ok "no temporary files are left"

# ---- inputs read once: pipes, <(...), a path given twice ----
mkfifo pipe.fifo
(cat base.jsonl > pipe.fifo) &
timeout -k 1 20 "$CURATE" ingest -q pipe.fifo > fifo.out
wait
[ "$(lines fifo.out)" = 300 ] && ok "ingest: a FIFO is read whole" || fail "ingest: a FIFO is read whole" "$(lines fifo.out)"
"$CURATE" dedup -q --exact base.jsonl > dd1.out
"$CURATE" dedup -q --exact base.jsonl base.jsonl > dd2.out 2> err
[ $? = 0 ] && same "dedup: a path given twice is read twice (the second copy all duplicates)" dd1.out dd2.out ||
	fail "dedup: a path given twice" "$(cat err)"
"$CURATE" dedup -q --exact <(cat base.jsonl) > dd3.out 2> err
[ $? = 0 ] && same "dedup: <(...) is copied and read twice" dd1.out dd3.out || fail "dedup: <(...)" "$(cat err)"
(cat base.jsonl > pipe.fifo) &
"$CURATE" dedup -q --exact pipe.fifo > dd4.out 2> err &
dd=$!
for i in $(seq 100); do kill -0 $dd 2>/dev/null || break; sleep 0.1; done
if kill -0 $dd 2>/dev/null; then
	kill -KILL $dd
	fail "dedup: a FIFO does not hang"
else
	wait $dd && same "dedup: a FIFO is copied and read twice" dd1.out dd4.out || fail "dedup: a FIFO" "$(cat err)"
fi
wait
expect_status "dedup minhash-sign: a pipe is refused" 2 "$CURATE" dedup minhash-sign -o ddw <(cat base.jsonl)
contains "dedup minhash-sign: the pipe is named" err "can be read only once (stdin or a pipe)"
( trap '' XFSZ; ulimit -f 100; TMPDIR=$WORK "$CURATE" dedup -q --exact --minhash -o ddfull.jsonl many.jsonl ) 2> err
contains "dedup: a full disk names the work file's directory and the cause" err "cannot write to '$WORK/curate-dedup."
contains "dedup: a full disk gives the errno's text" err "File too large"
ls -d "$WORK"/curate-dedup.* > /dev/null 2>&1 && fail "dedup: a failed run leaves no work directory" || ok "dedup: a failed run leaves no work directory"

# ---- pipeline files: every mistake at FILE:LINE:COLUMN with the valid choices ----
# pipe NAME 'YAML...': NAME.yaml with inputs of two categories, then the text.
pipe() {
	printf 'inputs:\n  general: [base.jsonl]\n  math: [long.jsonl]\n%s\n' "$2" > "$1.yaml"
}
pipe_mistake() { # NAME YAML STATUS MESSAGE
	pipe "$1" "$2"
	expect_status "pipeline: $1 is refused" "$3" "$CURATE" run -q -o "$1.out" "$1.yaml"
	contains "pipeline: $1 is named" err "$1.yaml:$4"
	[ ! -e "$1.out" ] && ok "pipeline: $1 writes nothing" || fail "pipeline: $1 writes nothing"
}
# A file that is not a mapping at all (under ASan: and nothing leaks).
printf 'just text\n' > scalar.yaml
expect_status "pipeline: a file that is not a mapping is refused" 2 "$CURATE" run -q -o scalar.out scalar.yaml
contains "pipeline: a file that is not a mapping is named" err "scalar.yaml:1:1: a pipeline file is a mapping of keys"
pipe_mistake misspelt 'ouput: x.jsonl' 2 "4:1: unknown key 'ouput' (valid: inputs, stages, sink, output,"
pipe_mistake jobs-word 'jobs: many' 2 "4:7: 'jobs' wants a whole number from 1 to 1024"
pipe_mistake jobs-negative 'jobs: -3' 2 "4:7: 'jobs' wants a whole number from 1 to 1024"
pipe_mistake twice 'seed: 1
seed: 2' 2 "5:1: a key twice in one mapping (the first is on line 4)"
pipe_mistake output-and-sink 'output: o.jsonl
sink:
  shard: {output: s}' 2 "4:1: 'output' given twice: here and as the sink's own (line 6)"
pipe_mistake category 'stages:
  - filter: {categories: [genral]}' 2 "5:27: no input has category 'genral' (valid: general, math)"
pipe_mistake stage 'stages:
  - filtr: {}' 2 "5:5: unknown stage 'filtr' (valid: classify, dedup,"
pipe_mistake option 'stages:
  - pii: {redact: tag, drop_abov: 3}' 2 "5:24: stage 'pii' has no option 'drop_abov' (valid:"
pipe_mistake option-value 'stages:
  - pii: {drop_above: many}' 2 "5:23: 'drop_above' wants a whole number"
pipe_mistake stage-value 'stages:
  - pii: {redact: bogus}' 2 "5:19: stage 1: pii: --redact must be"
pipe_mistake strict 'strict: maybe' 2 "4:9: 'strict' wants true or false"
pipe_mistake sink 'sink: {shardz: {}}' 2 "4:8: unknown sink 'shardz' (valid:"
printf 'inputs: [nomatch/*.jsonl]\n' > glob.yaml
expect_status "pipeline: a glob that matches nothing exits 3" 3 "$CURATE" run -q -o glob.out glob.yaml
contains "pipeline: the empty glob is named" err "glob.yaml:1:10: 'nomatch/*.jsonl' matches no file"
printf 'inputs: [base.jsonl, nope.jsonl]\n' > nope.yaml
expect_status "pipeline: a missing input exits 3" 3 "$CURATE" run -q -o nope.out nope.yaml
contains "pipeline: the missing input is named" err "nope.yaml:1:22: cannot open 'nope.jsonl': No such file or directory"
mkdir every && cp "$DATA/core/pipeline_every_key.yaml" "$DATA/core/good.jsonl" \
	"$DATA/core/CC-MAIN-20140820021334-00006.warc.wet" every/
(cd every && "$CURATE" run --dry-run pipeline_every_key.yaml > plan.txt 2> err)
[ $? = 0 ] && ok "pipeline: a file with every key passes the check" ||
	fail "pipeline: a file with every key passes the check" "$(cat every/err)"
pipe good 'stages:
  - filter: {categories: [math], rules: safety}
output: good.out'
expect_status "pipeline: a good file runs" 0 "$CURATE" run -q good.yaml

# ---- shard directories: another run's shards are never mistaken for this one's ----
"$CURATE" shard -q -o stale --shard-tokens 500 base.jsonl
rm stale/manifest.json
expect_status "shard: shard files without a manifest are refused" 2 "$CURATE" shard -q -o stale base.jsonl
contains "shard: the leftover shards are named" err "'stale' already holds shards (shard files without a manifest): use --resume or --force"
touch stale/train_data.bin stale/valid_notes.idx
expect_status "shard: --force starts afresh" 0 "$CURATE" shard -q --force -o stale base.jsonl
[ "$(ls stale | tr '\n' ' ')" = "manifest.json train_00000.bin train_00000.idx train_data.bin valid_notes.idx " ] &&
	ok "shard: --force removes the old shards and only them" || fail "shard: --force removes only shards" "$(ls stale)"
"$CURATE" shard -q -o more --shard-tokens 500 base.jsonl
cp more/train_00001.bin more/train_00001.idx stale/
expect_status "verify: a shard file the manifest does not list fails" 1 "$CURATE" verify stale
contains "verify: the unlisted shard file is named" err "FAIL train_00001.bin: a shard file the manifest does not list"
if grep -q train_data err; then fail "verify: a user's file is not a shard"; else ok "verify: a user's file is not a shard"; fi
rm stale/train_00001.* stale/train_00000.idx
expect_status "verify: a missing .idx fails" 1 "$CURATE" verify stale
contains "verify: the missing .idx is named" err "FAIL train_00000.idx: cannot open"
if grep -q "magic\|its shards 0" err; then fail "verify: a missing .idx is not read as llm.c" "$(cat err)"; else
	ok "verify: a missing .idx is not read as llm.c"; fi

# ---- --resume checks what the inputs hold, not only their names ----
# A directory where a shard's name should go makes pass 2 fail after pass 1
# saved its state: an interrupted run.
python3 -c 'import json
for i in range(300): print(json.dumps({"id": str(i), "text": "other %d " % i + "thing " * (i % 30)}))' > other.jsonl
cp base.jsonl cur.jsonl
mkdir -p cut/train_00001.bin
expect_status "resume: a run cut short in pass 2" 3 "$CURATE" shard -q --force -o cut --shard-tokens 500 cur.jsonl
rmdir cut/train_00001.bin
[ -f cut/.curate-work/state.json ] && ok "resume: pass 1's state was saved" || fail "resume: pass 1's state" "$(ls -a cut)"
cp other.jsonl cur.jsonl
expect_status "resume: an input replaced under the same name" 0 "$CURATE" shard --resume -o cut --shard-tokens 500 cur.jsonl
contains "resume: the changed input is named" err "the inputs or options differ from the interrupted run's: starting afresh"
"$CURATE" shard -q -o fresh --shard-tokens 500 cur.jsonl
for f in fresh/*; do
	cmp -s "$f" "cut/${f#fresh/}" || { fail "resume: the shards are the new input's" "$f"; break; }
done
[ "$(ls cut)" = "$(ls fresh)" ] && ok "resume: the shards are the new input's, not the old spill's" ||
	fail "resume: the same shard files" "$(ls cut)"

# ---- numbers that are no numbers, values that mean nothing ----
expect_status "--valid-fraction nan is refused" 2 "$CURATE" shard -q -o nan --valid-fraction nan base.jsonl
contains "--valid-fraction nan is named" err "option '--valid-fraction' wants a number"
expect_status "dedup --threshold nan is refused" 2 "$CURATE" dedup --threshold nan base.jsonl
expect_status "--threshold inf is refused" 2 "$CURATE" dedup --threshold inf base.jsonl
expect_status "--pack 0 is refused" 2 "$CURATE" shard -q -o pack0 --pack 0 base.jsonl
contains "--pack 0 is named" err "--pack must be between 1 and"
sed 's/"ignore_merges":true/"ignore_merges":"yes"/' "$DATA/tokenizer/merges-ignored.json" > im.json
expect_status "tokenizer.json: ignore_merges \"yes\" is refused" 3 "$CURATE" tokenize --tokenizer im.json -o im.bin base.jsonl
contains "tokenizer.json: ignore_merges is named" err "model.ignore_merges must be true or false"

# ---- signals: temporaries removed, 128 + the signal; a second one at once ----
mkdir sig && cd sig || exit 1
mkfifo in.fifo
exec 3<>in.fifo
# A background job of a script starts with SIGINT ignored (and a signal
# ignored at start stays ignored, as in every Unix tool): start curate with
# SIGINT and SIGTERM at their defaults (run it as "run_bg CMD... &": the
# job's process becomes curate itself).
run_bg() {
	exec python3 -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$@"
}
# stopped PID: wait for PID (killed after 20 s if it hangs), its exit status.
# No watchdog subshell: one killed before it drops the EXIT trap it
# inherits would remove $WORK.
stopped() {
	local i
	for i in $(seq 200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}
# started NAME: wait (up to 20 s) until curate has made its temporary NAME.
started() {
	local i
	for i in $(seq 200); do
		ls -a | grep -q "^\\.$1\\.tmp\\." && return 0
		sleep 0.1
	done
	return 1
}
left() { ls -A | grep -v '^in\.fifo$\|^err$'; }
run_bg "$CURATE" ingest -o o.jsonl --rejects r.jsonl --report rep.json < in.fifo 2> err &
pid=$!
echo '{"id":"1","text":"first"}' >&3
started o.jsonl && ok "signal: the output is a temporary while the run goes on" ||
	fail "signal: a temporary while the run goes on" "$(ls -a)"
sleep 0.3
kill -INT $pid
stopped $pid
got=$?
[ $got = 130 ] && ok "SIGINT while the input is silent: exit 130" || fail "SIGINT: exit 130" "exit $got: $(cat err)"
contains "SIGINT: the stop is named" err "stopped by signal 2"
[ -z "$(left)" ] && ok "SIGINT: no temporary and no output left" || fail "SIGINT: nothing left" "$(left)"
python3 -c 'import json
for i in range(200000): print(json.dumps({"id": str(i), "text": "some words to look at " * 8}))' > ../big.jsonl
run_bg "$CURATE" pii -j 2 -o o.jsonl.zst --rejects r.jsonl ../big.jsonl ../big.jsonl 2> err &
pid=$!
started o.jsonl.zst
sleep 0.3
kill -TERM $pid
stopped $pid
got=$?
[ $got = 143 ] && ok "SIGTERM on a busy run: exit 143" || fail "SIGTERM: exit 143" "exit $got: $(cat err)"
[ -z "$(left)" ] && ok "SIGTERM: no temporary and no output left" || fail "SIGTERM: nothing left" "$(left)"
run_bg "$CURATE" pii -o o.jsonl --rejects r.jsonl < in.fifo 2> err &
pid=$!
started o.jsonl
kill -TERM $pid
sleep 0.1
kill -TERM $pid
stopped $pid
got=$?
[ $got = 143 ] && ok "a second SIGTERM exits at once, 143" || fail "a second SIGTERM exits at once" "exit $got: $(cat err)"
[ -z "$(left)" ] && ok "a second SIGTERM leaves no temporary" || fail "second SIGTERM: nothing left" "$(left)"

mkdir tmp
TMPDIR=$PWD/tmp run_bg "$CURATE" dedup --exact --minhash -o o.jsonl ../big.jsonl 2> err &
pid=$!
for i in $(seq 100); do [ -n "$(ls tmp)" ] && break; sleep 0.1; done
sleep 0.3
kill -TERM $pid
stopped $pid
got=$?
[ $got = 143 ] && ok "dedup: SIGTERM exits 143" || fail "dedup: SIGTERM exits 143" "exit $got: $(cat err)"
[ -z "$(ls tmp)" ] && ok "dedup: SIGTERM leaves no work directory in \$TMPDIR" || fail "dedup: SIGTERM: \$TMPDIR" "$(ls tmp)"
rmdir tmp
[ -z "$(left)" ] && ok "dedup: SIGTERM leaves no output" || fail "dedup: SIGTERM leaves no output" "$(left)"
mkdir tmp
TMPDIR=$PWD/tmp run_bg "$CURATE" shard --dry-run < in.fifo 2> err &
pid=$!
for i in $(seq 100); do [ -n "$(ls tmp)" ] && break; sleep 0.1; done
sleep 0.3
kill -TERM $pid
kill -TERM $pid
stopped $pid
got=$?
[ $got = 143 ] && ok "shard --dry-run: two SIGTERMs exit 143" || fail "shard --dry-run: SIGTERM exits 143" "exit $got: $(cat err)"
[ -z "$(ls tmp)" ] && ok "shard --dry-run: two SIGTERMs leave no work directory in \$TMPDIR" ||
	fail "shard --dry-run: SIGTERM: \$TMPDIR" "$(ls tmp)"
rmdir tmp
exec 3>&-
cd ..

finish
