#!/usr/bin/env python3
"""A straightforward MinHash dedup in Python + numpy, the way datatrove's
MinhashDedupSignature / Buckets / Cluster / Filter steps do it, for speed
comparison with `curate dedup --minhash` (bench/dedup.sh).

Same parameters as curate: word 5-grams of re.findall(r"\\w+", text.lower()),
14 bands x 8 rows, 32-bit shingle hashes, permutations (a*h + b) mod
(2^61 - 1) as datatrove does, LSH buckets, union-find, keep the first.
Prints signature MB/s and whole-run MB/s over the texts' bytes.

usage: dedup_ref.py INPUT.jsonl OUTPUT.jsonl
"""
import hashlib, json, re, struct, sys, time
import numpy as np

BANDS, ROWS, N = 14, 8, 5
P = np.uint64((1 << 61) - 1)
MAXH = np.uint64((1 << 32) - 1)
rng = np.random.RandomState(1)
A = rng.randint(1, (1 << 32) - 1, size=(1, BANDS * ROWS), dtype=np.uint64)
B = rng.randint(0, (1 << 32) - 1, size=(1, BANDS * ROWS), dtype=np.uint64)
WORD = re.compile(r"\w+")

def sha1_32(s):
    return struct.unpack("<I", hashlib.sha1(s.encode("utf-8")).digest()[:4])[0]

def signature(text):
    t = WORD.findall(text.lower())
    if len(t) < N:
        sh = {" ".join(t)}
    else:
        sh = {" ".join(t[i:i + N]) for i in range(len(t) - N + 1)}
    h = np.fromiter((sha1_32(s) for s in sh), dtype=np.uint64, count=len(sh)).reshape(-1, 1)
    return np.min((h * A + B) % P & MAXH, axis=0)

def main(src, dst):
    t0 = time.time()
    docs, texts = [], 0
    with open(src, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append(d)
            texts += len(d["text"].encode("utf-8"))
    t1 = time.time()
    sigs = [signature(d["text"]) for d in docs]
    t2 = time.time()
    parent = list(range(len(docs)))
    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for b in range(BANDS):
        seen = {}
        for i, s in enumerate(sigs):
            k = s[b * ROWS:(b + 1) * ROWS].tobytes()
            j = seen.setdefault(k, i)
            if j != i:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    kept = 0
    with open(dst, "w", encoding="utf-8") as f:
        for i, d in enumerate(docs):
            if find(i) == i:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
                kept += 1
    t3 = time.time()
    mb = texts / 1e6
    print("reference: %d documents, %.1f MB of text, %d kept" % (len(docs), mb, kept))
    print("reference signatures: %.2f MB/s (%.1f s); whole run: %.2f MB/s (%.1f s)"
          % (mb / (t2 - t1), t2 - t1, mb / (t3 - t0), t3 - t0))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
