#!/usr/bin/env python3
"""Near-duplicate quality of `curate dedup --minhash` against exact Jaccard.

make-edits: write controlled edits of real documents (word swaps,
insertions, truncations, boilerplate added) with their exact Jaccard,
computed with the ground truth's shingling (groundtruth.json):
  tokens = re.findall(r"\\w+", text.lower()); shingles = set of space-joined
  word 5-grams (fewer than 5 tokens: one shingle of all tokens).

score: read the inputs, the ground-truth pairs, curate's output and
rejects, and print recall and precision per Jaccard level.
"""
import json, random, re, sys

def shingles(text, n=5):
    t = re.findall(r"\w+", text.lower())
    if len(t) < n:
        return {" ".join(t)}
    return {" ".join(t[i:i + n]) for i in range(len(t) - n + 1)}

def jaccard(a, b):
    u = len(a | b)
    return len(a & b) / u if u else 1.0

def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]

BOILER = ["Home | About us | Contact | Privacy policy | Terms of use",
          "This website uses cookies to improve your experience. Accept all cookies.",
          "Subscribe to our newsletter to get the latest updates delivered to your inbox.",
          "Copyright (c) 2024 All rights reserved. Powered by WordPress."]

def edit(words, kind, strength, rng):
    w = list(words)
    k = max(1, int(len(w) * strength))
    if kind == "swap":          # swap k random adjacent word pairs
        for _ in range(k):
            i = rng.randrange(len(w) - 1)
            w[i], w[i + 1] = w[i + 1], w[i]
    elif kind == "insert":      # insert k random words from the document
        for _ in range(k):
            w.insert(rng.randrange(len(w) + 1), rng.choice(words))
    elif kind == "replace":     # replace k random words by other words of the document
        for _ in range(k):
            w[rng.randrange(len(w))] = rng.choice(words)
    elif kind == "truncate":    # drop the last fraction
        w = w[: max(1, len(w) - k)]
    elif kind == "boilerplate": # add navigation / cookie lines
        extra = " ".join(rng.choice(BOILER) for _ in range(max(1, k // 12)))
        return " ".join(w) + "\n" + extra
    return " ".join(w)

def make_edits(src, out_docs, out_pairs, count, seed):
    rng = random.Random(seed)
    docs = [d for d in read_jsonl(src) if len(d["text"].split()) >= 150]
    rng.shuffle(docs)
    kinds = ["swap", "insert", "replace", "truncate", "boilerplate"]
    with open(out_docs, "w", encoding="utf-8") as fd, open(out_pairs, "w") as fp:
        for i, d in enumerate(docs[:count]):
            words = d["text"].split()
            base = {"id": "orig-%d" % i, "text": d["text"], "source": "edits"}
            fd.write(json.dumps(base) + "\n")
            s0 = shingles(d["text"])
            for j, kind in enumerate(kinds):
                strength = rng.choice([0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3])
                t = edit(words, kind, strength, rng)
                e = {"id": "edit-%d-%d-%s" % (i, j, kind), "text": t, "source": "edits"}
                fd.write(json.dumps(e) + "\n")
                fp.write(json.dumps({"a": base["id"], "b": e["id"],
                                     "jaccard": jaccard(s0, shingles(t))}) + "\n")

def score(inputs, pairs_files, output, rejects):
    texts = {}
    for p in inputs:
        for d in read_jsonl(p):
            texts[d["id"]] = d["text"]
    pairs = {}
    for p in pairs_files:
        for r in read_jsonl(p):
            pairs[(r["a"], r["b"])] = r["jaccard"]
            pairs[(r["b"], r["a"])] = r["jaccard"]
    kept = {d["id"] for d in read_jsonl(output)}
    removed = {}
    for d in read_jsonl(rejects):
        removed[d["id"]] = d.get("metadata", {}).get("dedup", {}).get("duplicate_of")
    def jac(a, b):
        if (a, b) in pairs:
            return pairs[(a, b)]
        return jaccard(shingles(texts[a]), shingles(texts[b]))  # below 0.2 or not listed
    rem_j = {v: jac(v, s) for v, s in removed.items() if s}
    levels = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0]
    uniq = {(a, b): j for (a, b), j in pairs.items() if a < b}
    print("| Jaccard >= | pairs | recall (not both kept) | removed with J(dup_of) >= level |")
    print("|---|---|---|---|")
    for lv in levels:
        ps = [(a, b) for (a, b), j in uniq.items() if j >= lv - 1e-12]
        hit = sum(1 for a, b in ps if not (a in kept and b in kept))
        prec = sum(1 for j in rem_j.values() if j >= lv - 1e-12)
        print("| %.2f | %d | %s | %d of %d (%.3f) |" % (
            lv, len(ps), "%.4f" % (hit / len(ps)) if ps else "-", prec, len(rem_j),
            prec / len(rem_j) if rem_j else 1.0))
    below = sorted(j for j in rem_j.values() if j < 0.7)
    print()
    print("documents in %d, kept %d, removed %d; removed with J(doc, duplicate_of) < 0.7: %d %s"
          % (len(texts), len(kept), len(removed), len(below),
             ["%.3f" % j for j in below[:10]]))
    r85 = [(a, b) for (a, b), j in uniq.items() if j >= 0.85]
    rec = sum(1 for a, b in r85 if not (a in kept and b in kept)) / max(1, len(r85))
    prec = sum(1 for j in rem_j.values() if j >= 0.7) / max(1, len(rem_j))
    print("recall at J >= 0.85: %.4f (target 0.95); precision (J >= 0.7): %.4f (target 0.98)"
          % (rec, prec))
    return 0 if rec >= 0.95 and prec >= 0.98 else 1

if __name__ == "__main__":
    if sys.argv[1] == "make-edits":
        make_edits(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif sys.argv[1] == "score":
        # score OUTPUT REJECTS --inputs A B .. --pairs P Q ..
        a = sys.argv[2:]
        out, rej = a[0], a[1]
        i, p = a.index("--inputs"), a.index("--pairs")
        sys.exit(score(a[i + 1:p], a[p + 1:], out, rej))
