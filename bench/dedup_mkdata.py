#!/usr/bin/env python3
"""Build the dedup benchmark input from the shared corpus: every JSONL
document of ../shared/corpus once as it is, then copies until the output
reaches the wanted size: a third exact copies, a third near copies (1% of
words replaced), a third with their lines shuffled (same lines, another
document: line dedup finds them, MinHash mostly not).

usage: dedup_mkdata.py CORPUS_DIR OUT.jsonl MIN_MB
"""
import glob, json, os, random, subprocess, sys

def docs(corpus):
    for path in sorted(glob.glob(os.path.join(corpus, "**", "*.jsonl.zst"), recursive=True)):
        out = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
        for line in out.decode("utf-8").split("\n"):
            if not line.strip():
                continue
            d = json.loads(line)
            if isinstance(d.get("text"), str):
                yield {k: d[k] for k in ("id", "text", "source", "url") if k in d}

def main(corpus, dst, min_mb):
    rng = random.Random(1)
    base = list(docs(corpus))
    size, copy = 0, 0
    with open(dst, "w", encoding="utf-8") as f:
        def put(d):
            nonlocal size
            s = json.dumps(d, ensure_ascii=False) + "\n"
            f.write(s)
            size += len(s.encode("utf-8"))
        for d in base:
            put(d)
        while size < min_mb * 1e6:
            copy += 1
            for i, d in enumerate(base):
                e = dict(d, id="%s~%d" % (d["id"], copy))
                kind = (i + copy) % 3
                if kind == 1:
                    w = e["text"].split(" ")
                    for _ in range(max(1, len(w) // 100)):
                        w[rng.randrange(len(w))] = rng.choice(w)
                    e["text"] = " ".join(w)
                elif kind == 2:
                    lines = e["text"].split("\n")
                    rng.shuffle(lines)
                    e["text"] = "\n".join(lines)
                put(e)
                if size >= min_mb * 1e6:
                    break
    print("wrote %s: %.1f MB" % (dst, size / 1e6))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
