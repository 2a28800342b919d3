#!/bin/bash
# HTML extraction benchmark: curate's extractor against Readability.js (on
# jsdom and on linkedom) and readability-lxml (Debian python3-readability),
# in the same run: accuracy on the article-extraction benchmark (181 pages
# with a ground-truth article body; precision, recall and F1 as its
# evaluate.py defines them), speed in MB of HTML per second on one core,
# and the pathological pages (50 MB, 100,000 nested divs, unclosed tags,
# binary garbage) through the CLI with their time and peak memory.
#
#   bench/extract.sh [BENCHMARK_DIR]
#       (default ../shared/corpus/web/html/article-extraction-benchmark)
#
# Needs a built tree (bench/extract_bench, curate), the npm peers
# ((cd bench && npm install)) and /usr/bin/python3 with python3-readability.
# Each engine runs on one core (taskset -c 1) with the pages in memory;
# curate and readability-lxml (the speed target's reference) report their
# fastest of PASSES passes (3), the Readability.js runs one pass; the
# per-page scores go to bench/extract-pages.tsv so that a regression on one
# page shows in its diff. Run it under `flock /work/.bench.lock` on a shared
# machine and compare only figures from one run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
aeb=${1:-$top/../shared/corpus/web/html/article-extraction-benchmark}
work=$here/work/extract
passes=${PASSES:-3}

build=${BUILD:-}
for d in "$top" "$top/build"; do
	[ -z "$build" ] && [ -x "$d/bench/extract_bench" ] && build=$d
done
[ -n "$build" ] && [ -x "$build/bench/extract_bench" ] ||
	{ echo "build first (make), or set BUILD=the build folder" >&2; exit 2; }
[ -f "$aeb/ground-truth.json" ] || { echo "no benchmark at $aeb" >&2; exit 2; }

rm -rf "$work"
mkdir -p "$work/html"
for f in "$aeb"/html/*.html.gz; do gzip -dc "$f" > "$work/html/$(basename "$f" .gz)"; done
pages=("$work"/html/*.html)
results=$work/results.jsonl
: > "$results"
echo "load before: $(uptime)" >&2

# Accuracy and speed, one engine at a time on one core.
taskset -c 1 "$build/bench/extract_bench" -p "$passes" -o "$work/curate.json" "${pages[@]}" \
	>> "$results"
# libxml2's parser alone, doing nothing with what it finds: reading the
# pages from memory, and as the extractor has it read them (the content of
# scripts and styles skipped): the ceiling of an extractor on this parser.
for mode in --libxml2-only --libxml2-feed; do
	taskset -c 1 "$build/bench/extract_bench" -p "$passes" "$mode" "${pages[@]}" >> "$results"
done
for dom in jsdom linkedom; do
	if [ -d "$here/node_modules/$dom" ]; then
		taskset -c 1 node "$here/extract_peers.js" "$dom" "$work/readability-$dom.json" \
			"${pages[@]}" >> "$results"
	else
		echo "skipping Readability.js on $dom: (cd bench && npm install)" >&2
	fi
done
if /usr/bin/python3 -c 'import readability' 2>/dev/null; then
	PASSES=$passes taskset -c 1 /usr/bin/python3 "$here/extract_peer_lxml.py" \
		"$work/readability-lxml.json" "${pages[@]}" >> "$results"
else
	echo "skipping readability-lxml: apt-get install python3-readability" >&2
fi

# The whole CLI, JSONL in and out, at -j 1 and -j 2.
python3 - "$work/pages.jsonl" "${pages[@]}" <<'PY'
import json, os, sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for f in sys.argv[2:]:
        text = open(f, encoding="utf-8", errors="replace").read()
        out.write(json.dumps({"id": os.path.basename(f), "text": text,
                              "metadata": {"content_type": "text/html"}}) + "\n")
PY
for j in 1 2; do
	cpus=1; [ "$j" = 2 ] && cpus=0,1
	s=$(date +%s%N)
	taskset -c "$cpus" "$build/curate" extract -q -j "$j" -o "$work/cli-$j.jsonl" "$work/pages.jsonl"
	e=$(date +%s%N)
	awk -v j="$j" -v ns="$((e - s))" \
		'BEGIN { printf "{\"cli\": \"curate extract -j %s\", \"seconds\": %.3f}\n", j, ns / 1e9 }' \
		>> "$results"
done
cmp -s "$work/cli-1.jsonl" "$work/cli-2.jsonl" || { echo "FAIL: -j 1 and -j 2 differ" >&2; exit 1; }

# Scores, per page to a file, all engines from this run side by side.
args=()
for f in curate readability-jsdom readability-linkedom readability-lxml; do
	[ -f "$work/$f.json" ] && args+=("$f=$work/$f.json")
done
python3 "$here/extract_score.py" "$aeb/ground-truth.json" "${args[@]}" \
	--pages "$here/extract-pages.tsv" > "$work/scores.json"

# Pathological pages through the CLI: time and peak memory.
python3 - "$work" <<'PY'
import json, os, random, sys
work = sys.argv[1]
random.seed(1)
words = "the of and to in that it was for on are with as his they at be this from".split()
def doc(name, html):
    with open(os.path.join(work, name + ".jsonl"), "w") as f:
        f.write(json.dumps({"id": name, "text": html, "metadata": {"content_type": "text/html"}}) + "\n")
para = lambda: "<p>" + " ".join(random.choice(words) for _ in range(80)) + ".</p>\n"
parts, n = [], 0
while n < 50_000_000:
    p = para(); parts.append(p); n += len(p)
doc("page-50mb", "<html><body><article>" + "".join(parts) + "</article></body></html>")
doc("nested-100k-divs", "<html><body>" + "<div>" * 100000 + "<p>deep</p>" + "</div>" * 100000)
doc("stray-end-tags", "<html><body><p>text</p>" + "<div>" * 255 + "</span>" * 1_000_000)
doc("unclosed-tags", "<html><body>" + "<p><b><i><span><font>text " * 200000)
doc("garbage", os.urandom(10_000_000).decode("utf-8", "replace"))
PY
for name in page-50mb nested-100k-divs stray-end-tags unclosed-tags garbage; do
	/usr/bin/time -f "%e %M" -o "$work/$name.time" taskset -c 1 "$build/curate" extract -q \
		--report "$work/$name.report.json" -o "$work/$name.out.jsonl" "$work/$name.jsonl" || true
	read -r secs kib < "$work/$name.time"
	in=$(stat -c %s "$work/$name.jsonl")
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); e=r["stages"][0]["extract"]; d=r["stages"][0]["dropped"]
print(json.dumps({"page": sys.argv[2], "bytes": int(sys.argv[3]), "seconds": float(sys.argv[4]), "peak_mib": int(sys.argv[5]) // 1024, "extracted": e["extracted"], "truncated": e["truncated"], "dropped": d}))' \
		"$work/$name.report.json" "$name" "$in" "$secs" "$kib" >> "$results"
done
echo "load after: $(uptime)" >&2

python3 - "$results" "$work/scores.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
scores = json.load(open(sys.argv[2]))
names = {"curate": "curate", "readability.js+jsdom": "readability-jsdom",
         "readability.js+linkedom": "readability-linkedom", "readability-lxml": "readability-lxml"}
parser_only = {"libxml2-sax-only": "libxml2's parser alone, from memory (no work in the callbacks)",
               "libxml2-sax-feed": "libxml2's parser alone, as curate feeds it (scripts and styles skipped)"}
eng = [r for r in rows if "engine" in r and r["engine"] not in parser_only]
ceiling = [r for r in rows if r.get("engine") in parser_only]
cur = eng[0]
mbps = lambda r, k: r["bytes"] / r[k] / 1e6
print(f"pages: {cur['pages']}, {cur['bytes'] / 1e6:.1f} MB of HTML")
print(f"{'engine':26} {'F1':>6} {'prec':>6} {'recall':>6} {'MB/s':>7} {'MB/cpu-s':>9} {'curate x':>9}")
for r in eng:
    s = scores[names[r["engine"]]]
    ratio = mbps(cur, "cpu_seconds") / mbps(r, "cpu_seconds")
    print(f"{r['engine']:26} {s['f1']:6.3f} {s['precision']:6.3f} {s['recall']:6.3f} "
          f"{mbps(r, 'seconds'):7.2f} {mbps(r, 'cpu_seconds'):9.2f} {ratio:9.1f}")
for r in ceiling:
    lxml = [e for e in eng if e["engine"] == "readability-lxml"]
    vs = f", {mbps(r, 'cpu_seconds') / mbps(lxml[0], 'cpu_seconds'):.1f}x readability-lxml" if lxml else ""
    print(f"{parser_only[r['engine']]}: {mbps(r, 'seconds'):.2f} MB/s, "
          f"{mbps(r, 'cpu_seconds'):.2f} MB/cpu-s{vs}")
for r in ceiling:
    if r["engine"] == "libxml2-sax-feed":
        print(f"libxml2's share of curate's CPU time: {r['cpu_seconds'] / cur['cpu_seconds']:.0%} "
              f"(curate's own work: {1 - r['cpu_seconds'] / cur['cpu_seconds']:.0%})")
for r in rows:
    if "cli" in r:
        print(f"{r['cli']}: {r['seconds']:.2f} s for {cur['bytes'] / 1e6:.1f} MB "
              f"({cur['bytes'] / 1e6 / r['seconds']:.1f} MB/s, JSONL in and out)")
for r in rows:
    if "page" in r:
        print(f"{r['page']:18} {r['bytes'] / 1e6:6.1f} MB  {r['seconds']:6.2f} s  peak {r['peak_mib']:5d} MiB  "
              f"extracted {r['extracted']} truncated {r['truncated']} dropped {r['dropped']}")
PY
