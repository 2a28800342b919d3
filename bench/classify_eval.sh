#!/bin/bash
# bench/classify_eval.sh: accuracy of the classify models on data they were
# not trained on, from ../shared/corpus (docs/classify.md, BENCHMARKS.md).
#
#   1. Categories, leave one source out: for each source file of
#      data/models/train.sh's category list, train the content model with
#      the shipped options on every other file, classify the held-out file
#      (`curate classify --bundled lang --category-model`: the stage's own
#      category decision, so language ID makes non-English general text
#      multilingual and worked arithmetic is math), and score all held-out
#      predictions together with `curate classify test --predicted-field
#      category`. The true category is the source's (multilingual for the
#      multilingual files, general for their English documents). The Common
#      Crawl file has no true label per document (a fifth of it is not
#      English) and is shown apart, as shares.
#   2. Quality, by file: the model trained on some edited-prose and
#      low-quality files scores others, and the ROC AUC of metadata.quality
#      is computed for edited prose (and news articles) against spam and
#      against random web text.
#   3. Language ID: accuracy against the corpus's language labels (UDHR,
#      man pages, fortunes, Debian reference translations), counted over the
#      languages lid.176 knows, and the share of predictions equal to
#      `fasttext predict-prob` (Debian's binary) on the same documents.
# usage: bench/classify_eval.sh [categories|quality|lang]...  (default all)
#   EVAL_CATEGORY_OPTS="--epoch 10 ..." tries other options for the category model;
#   EVAL_WORK=DIR puts the work files there (default bench/work/classify-eval).
set -eu
. "$(dirname "$0")/lib.sh"
W=${EVAL_WORK:-$TOP/bench/work/classify-eval}
bench_need "$CURATE"
mkdir -p "$W"
CLS_TRAIN_ONLY_DEFINE=1 . "$TOP/data/models/train.sh"
if [ -n "${EVAL_CATEGORY_OPTS:-}" ]; then read -ra CATEGORY_OPTS <<< "$EVAL_CATEGORY_OPTS"; fi
make_work "$W"
PARTS=${*:-categories quality lang}
echo "machine: $(nproc) cores; $(uptime)"

# gold FILE CATEGORY OUT: the documents of FILE with metadata.gold (English
# documents of a multilingual file are general).
gold() {
	zstd -dcf "$1" | "$PY" -c '
import json, sys
cat = sys.argv[1]
for line in sys.stdin:
    d = json.loads(line)
    g = cat
    if cat == "multilingual" and d.get("lang", "").lower().split("-")[0] == "en":
        g = "general"
    d.setdefault("metadata", {})["gold"] = g
    d.pop("category", None)
    d.pop("lang", None)
    print(json.dumps(d, ensure_ascii=False))' "$2" > "$3"
}

categories() {
	local i held label path rest=() s cat
	: > "$W/loso.jsonl"
	echo
	echo "| held-out source | true category | documents | accuracy | predicted |"
	echo "|---|---|---:|---:|---|"
	for held in "${CATEGORY_SOURCES[@]}"; do
		label=${held%%=*}
		path=${held#*=}
		rest=()
		for s in "${CATEGORY_SOURCES[@]}"; do [ "$s" = "$held" ] || rest+=("$s"); done
		mapfile -t args < <(sources "$W" "${rest[@]}")
		"$CURATE" classify train -q "${args[@]}" "${CATEGORY_OPTS[@]}" -o "$W/fold.ftz"
		cat=$label
		case $path in multilingual/*) cat=multilingual ;; esac
		gold "$CORPUS/$path" "$cat" "$W/held.jsonl"
		"$CURATE" classify -q --bundled lang --category-model "$W/fold.ftz" "$W/held.jsonl" \
			-o "$W/held.out.jsonl"
		"$PY" - "$W/held.out.jsonl" "$path" "$cat" <<'EOF'
import collections, json, sys
c = collections.Counter()
ok = n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    m = json.loads(line)["metadata"]
    c[m["category"]] += 1
    ok += m["category"] == m["gold"]
    n += 1
web = sys.argv[2].startswith("web/jsonl/cc-2019")
print(f"| {sys.argv[2]} | {'(none: shares only)' if web else sys.argv[3]} | {n} | "
      f"{'' if web else f'{ok / n:.3f}'} | {', '.join(f'{k} {v}' for k, v in c.most_common())} |")
EOF
		case $path in web/jsonl/cc-2019*) ;; *) cat "$W/held.out.jsonl" >> "$W/loso.jsonl" ;; esac
	done
	echo
	echo "All held-out predictions together (\`curate classify test --predicted-field category --label-field gold\`):"
	echo '```'
	"$CURATE" classify test -q --predicted-field category --label-field gold "$W/loso.jsonl"
	echo '```'
}

# auc SCORED.jsonl: ROC AUC of metadata.quality for metadata.gold hq vs lq.
auc() {
	"$PY" - "$1" <<'EOF'
import json, sys
pairs = [(json.loads(l)["metadata"]["quality"], json.loads(l)["metadata"]["gold"] == "hq")
         for l in open(sys.argv[1], encoding="utf-8")]
pairs.sort()
pos = sum(1 for _, p in pairs if p)
neg = len(pairs) - pos
rank_sum, i = 0.0, 0
while i < len(pairs):  # average ranks over ties
    j = i
    while j < len(pairs) and pairs[j][0] == pairs[i][0]:
        j += 1
    rank_sum += sum((i + j + 1) / 2 for k in range(i, j) if pairs[k][1])
    i = j
print(f"{(rank_sum - pos * (pos + 1) / 2) / (pos * neg):.4f} ({pos} positive, {neg} negative)")
EOF
}

# news: the ground-truth article bodies of the extraction benchmark (edited news).
news() {
	"$PY" - "$CORPUS/web/html/article-extraction-benchmark/ground-truth.json" > "$W/news.jsonl" <<'EOF'
import json, sys
for k, v in json.load(open(sys.argv[1], encoding="utf-8")).items():
    if v.get("articleBody", "").strip():
        print(json.dumps({"id": k, "text": v["articleBody"], "source": v.get("url", "")}, ensure_ascii=False))
EOF
}

quality() {
	local fold train test_hq test_lq
	news
	echo
	echo "| model trained on | edited prose held out | low quality held out | ROC AUC |"
	echo "|---|---|---|---:|"
	for fold in a b; do
		if [ $fold = a ]; then
			train=(hq=prose_en/brown-corpus.jsonl.zst hq=prose_en/sotu-state-of-the-union.jsonl.zst
			       hq=prose_en/gnu-standards.jsonl.zst lq=web/jsonl/cc-2019-30-dolma.jsonl.zst)
			test_hq=(prose_en/moby-dick-chapters.jsonl.zst prose_en/jargon-file-entries.jsonl.zst
				 prose_en/debian-reference-en.jsonl.zst NEWS)
			test_lq=(WORK/spam.jsonl)
		else
			train=(hq=prose_en/moby-dick-chapters.jsonl.zst hq=prose_en/jargon-file-entries.jsonl.zst
			       hq=prose_en/debian-reference-en.jsonl.zst lq=WORK/spam.jsonl)
			test_hq=(prose_en/brown-corpus.jsonl.zst prose_en/sotu-state-of-the-union.jsonl.zst
				 prose_en/gnu-standards.jsonl.zst NEWS)
			test_lq=(web/jsonl/cc-2019-30-dolma.jsonl.zst)
		fi
		mapfile -t args < <(sources "$W" "${train[@]}")
		"$CURATE" classify train -q "${args[@]}" "${QUALITY_OPTS[@]}" -o "$W/q.ftz"
		: > "$W/q.in.jsonl"
		for p in "${test_hq[@]}" "${test_lq[@]}"; do
			g=hq
			case " ${test_lq[*]} " in *" $p "*) g=lq ;; esac
			case $p in NEWS) f=$W/news.jsonl ;; WORK/*) f=$W/${p#WORK/} ;; *) f=$CORPUS/$p ;; esac
			gold "$f" "$g" "$W/part.jsonl"
			cat "$W/part.jsonl" >> "$W/q.in.jsonl"
		done
		"$CURATE" classify -q --bundled quality --quality-model "$W/q.ftz" "$W/q.in.jsonl" -o "$W/q.out.jsonl"
		echo "| ${train[*]} | ${test_hq[*]} | ${test_lq[*]} | $(auc "$W/q.out.jsonl") |"
	done
}

lang() {
	local f
	: > "$W/lang.in.jsonl"
	for f in udhr manpages-translations fortunes-multilingual debian-reference-translations; do
		zstd -dc "$CORPUS/multilingual/$f.jsonl.zst" >> "$W/lang.in.jsonl"
	done
	"$CURATE" classify -q --bundled lang --model lid="$TOP/data/models/lid.176.ftz" \
		"$W/lang.in.jsonl" -o "$W/lang.out.jsonl"
	"$PY" "$TOP/tests/cli/classify_compare.py" lines "$W/lang.out.jsonl" "$W/lang.txt"
	fasttext predict-prob "$TOP/data/models/lid.176.ftz" "$W/lang.txt" 1 > "$W/lang.ft.txt"
	echo
	echo "fasttext predict-prob: $("$PY" "$TOP/tests/cli/classify_compare.py" compare "$W/lang.out.jsonl" lid "$W/lang.ft.txt")"
	"$PY" - "$W/lang.out.jsonl" "$TOP/data/models/lid.176.ftz" <<'EOF'
import collections, json, sys
import fasttext
fasttext.FastText.eprint = lambda *a, **k: None
known = {l[len("__label__"):] for l in fasttext.load_model(sys.argv[2]).get_labels()}
# lid.176 names languages by ISO 639-1, or 639-3 where there is none; the
# corpus has BCP-47 tags (639-1 where there is one) and, for UDHR, the
# 639-3 code: map 639-3 to 639-1 through Debian's iso-codes table.
to1 = {}
try:
    for e in json.load(open("/usr/share/iso-codes/json/iso_639-3.json", encoding="utf-8"))["639-3"]:
        if "alpha_2" in e:
            to1[e["alpha_3"]] = e["alpha_2"]
except OSError:
    pass
per = collections.defaultdict(lambda: [0, 0])
skipped = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    src = d["id"].split("-")[0]
    tag = d.get("lang", "und").replace("_", "-")
    # Compare the language subtag (the corpus's Chinese variants are zh,
    # pt-BR is pt); UDHR's own 639-3 code where the tag is not known.
    base = tag.split("-")[0].lower()
    base = to1.get(base, base)
    if base not in known and d.get("iso639_3"):
        base = to1.get(d["iso639_3"], d["iso639_3"])
    if base not in known:
        skipped[src] += 1
        continue
    per[src][0] += d["metadata"]["lang"] == base
    per[src][1] += 1
print()
print("| source | documents scored | accuracy | left out (language unknown to lid.176) |")
print("|---|---:|---:|---:|")
tot = [0, 0]
for src, (ok, n) in sorted(per.items()):
    print(f"| {src} | {n} | {ok / n:.4f} | {skipped[src]} |")
    tot[0] += ok
    tot[1] += n
print(f"| all | {tot[1]} | {tot[0] / tot[1]:.4f} | {sum(skipped.values())} |")
EOF
}

for part in $PARTS; do "$part"; done
echo "machine after: $(uptime)"
