#!/usr/bin/env python3
"""Score article-body extraction as the article-extraction-benchmark
(scrapinghub/article-extraction-benchmark, evaluate.py) defines it.

Per page: the text is cut into tokens (runs of Unicode word characters);
shingles are the 4-grams of consecutive tokens (a text of fewer tokens is
one shorter shingle); true positives are the shingles both texts have
(counted with multiplicity), false positives the extracted ones the ground
truth lacks, false negatives the reverse. The three counts are divided by
their sum so that every page weighs the same. Precision is the mean over
pages with tp + fp > 0 of tp / (tp + fp), recall the mean over pages with
tp + fn > 0 of tp / (tp + fn) (both 1 when fp = fn = 0), and F1 is the
harmonic mean of the two means. Accuracy is the share of pages whose token
lists are equal.

    extract_score.py GROUND_TRUTH.json NAME=PRED.json... [--pages OUT.tsv]

Each PRED.json maps page ids to {"articleBody": text}. With --pages, one
line per page and engine (precision, recall, F1, tokens) goes to OUT.tsv,
so that a regression on one page shows.
"""
import json
import re
import sys
from collections import Counter

TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text):
    return TOKEN.findall(text or "")


def shingles(text, n=4):
    toks = tokens(text)
    grams = [tuple(toks[i:i + n]) for i in range(max(1, len(toks) - n + 1))]
    return Counter(g for g in grams if g)


def page_counts(true, pred):
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def precision(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def recall(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def mean(v):
    return sum(v) / len(v) if v else 0.0


def evaluate(truth, pred):
    counts, rows, exact = [], [], 0
    for key in truth:
        t = truth[key].get("articleBody", "")
        p = pred.get(key, {}).get("articleBody", "")
        c = page_counts(t, p)
        counts.append(c)
        exact += tokens(t) == tokens(p)
        pr, rc = precision(*c), recall(*c)
        f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        rows.append((key, pr, rc, f1, len(tokens(t)), len(tokens(p))))
    P = mean([precision(*c) for c in counts if c[0] + c[1] > 0])
    R = mean([recall(*c) for c in counts if c[0] + c[2] > 0])
    F = 2 * P * R / (P + R) if P + R else 0.0
    return {"f1": F, "precision": P, "recall": R, "accuracy": exact / len(truth)}, rows


def main(argv):
    pages_out = None
    if "--pages" in argv:
        i = argv.index("--pages")
        pages_out = argv[i + 1]
        del argv[i:i + 2]
    with open(argv[1], encoding="utf-8") as f:
        truth = json.load(f)
    results, all_rows = {}, []
    for arg in argv[2:]:
        name, path = arg.split("=", 1)
        with open(path, encoding="utf-8") as f:
            pred = json.load(f)
        missing = set(truth) - set(pred)
        if missing:
            print(f"{name}: {len(missing)} pages missing, scored as empty", file=sys.stderr)
        results[name], rows = evaluate(truth, pred)
        all_rows += [(name,) + r for r in rows]
    if pages_out:
        with open(pages_out, "w", encoding="utf-8") as f:
            f.write("engine\tpage\tprecision\trecall\tf1\ttrue_tokens\tpred_tokens\n")
            for r in all_rows:
                f.write("%s\t%s\t%.4f\t%.4f\t%.4f\t%d\t%d\n" % r)
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv)
