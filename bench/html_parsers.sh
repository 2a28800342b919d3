#!/bin/bash
# Which HTML parser extract/ is built on: gumbo and libxml2's HTML parser
# (its DOM, its SAX interface, its push parser) timed on the
# article-extraction benchmark's 181 pages and on pathological pages, each
# case in a process of its own under a 120 s limit. Needs libgumbo-dev and
# libxml2-dev (only this script compiles against gumbo; curate does not use
# it).
#
#   bench/html_parsers.sh [BENCHMARK_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
aeb=${1:-$here/../../shared/corpus/web/html/article-extraction-benchmark}
work=$here/work/parsers
mkdir -p "$work/html"
cc -O2 -o "$work/html_parsers" "$here/html_parsers.c" $(pkg-config --cflags --libs libxml-2.0 gumbo)
for f in "$aeb"/html/*.html.gz; do gzip -dc "$f" > "$work/html/$(basename "$f" .gz)"; done
python3 - "$work" <<'PY'
import os, random, sys
w = sys.argv[1]
random.seed(1)
words = "the of and to in that it was for on are with as his they at be this from".split()
parts, n = [], 0
while n < 50_000_000:
    p = "<p>" + " ".join(random.choice(words) for _ in range(80)) + ".</p>\n"; parts.append(p); n += len(p)
cases = {
    "page-50mb": "<html><body><article>" + "".join(parts) + "</article></body></html>",
    "nested-100k-divs": "<html><body>" + "<div>" * 100000 + "<p>deep</p>" + "</div>" * 100000,
    "nested-100k-stray-ends": "<html><body>" + "<div>" * 100000 + "<p>deep</p>" + "</span>" * 100000,
    "unclosed-formatting": "<html><body>" + "<b><i><u><s>" * 25000 + "<p>x</p>" * 25000,
    "unclosed-tags": "<html><body>" + "<p><b><i><span><font>text " * 100000,
    "garbage-10mb": os.urandom(10_000_000).decode("utf-8", "replace"),
}
for name, text in cases.items():
    open(os.path.join(w, name + ".html"), "w", encoding="utf-8").write(text)
PY
echo "load: $(uptime)"
for parser in gumbo libxml2-dom libxml2-sax libxml2-push; do
	echo -n "benchmark pages: "
	taskset -c 1 timeout 600 "$work/html_parsers" "$parser" 2 "$work"/html/*.html || echo "$parser failed"
	for name in page-50mb nested-100k-divs nested-100k-stray-ends unclosed-formatting unclosed-tags garbage-10mb; do
		echo -n "$name: "
		taskset -c 1 timeout 120 "$work/html_parsers" "$parser" 1 "$work/$name.html" ||
			echo "{\"parser\": \"$parser\", \"timed_out_after\": 120}"
	done
done
echo "load: $(uptime)"
