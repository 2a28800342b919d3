#!/usr/bin/python3
"""readability-lxml (Debian's python3-readability) for bench/extract.sh.

Reads the pages into memory, runs Document(html).summary(html_partial=True)
on each as the article-extraction benchmark's runner does, and turns the
summary into text with a newline after every block (the benchmark used the
html_text package, which Debian does not ship; lxml alone does the same
job here). Times the whole of it on this one thread, PASSES times (from the
environment, 1 by default), and reports the fastest pass as
bench/extract_bench does.

    /usr/bin/python3 extract_peer_lxml.py OUT.json FILE.html...

Prints one JSON line: engine, pages, bytes, seconds (wall), cpu_seconds.
"""
import json
import logging
import os
import sys
import time

import lxml.html
from readability import Document

BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
          "blockquote", "pre", "section", "article", "br", "dd", "dt", "figure", "header",
          "footer"}


def to_text(fragment):
    if not fragment.strip():
        return ""
    root = lxml.html.fromstring(fragment)
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in BLOCKS:
            el.tail = "\n" + (el.tail or "")
    return root.text_content()


def main(argv):
    logging.disable(logging.CRITICAL)
    out, files = argv[1], argv[2:]
    pages = []
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            pages.append((os.path.basename(f).split(".")[0], fh.read()))
    size = sum(len(html.encode("utf-8")) for _, html in pages)
    best = None
    for _ in range(max(1, int(os.environ.get("PASSES", "1")))):
        result = {}
        c0, t0 = time.process_time(), time.perf_counter()
        for pid, html in pages:
            try:
                text = to_text(Document(html).summary(html_partial=True))
            except Exception:  # a page it cannot read scores as empty
                text = ""
            result[pid] = {"articleBody": text}
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or seconds < best[0]:
            best = (seconds, cpu)
    seconds, cpu = best
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    print(json.dumps({"engine": "readability-lxml", "pages": len(pages), "bytes": size,
                      "seconds": seconds, "cpu_seconds": cpu}))


if __name__ == "__main__":
    main(sys.argv)
