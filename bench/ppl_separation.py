#!/usr/bin/env python3
"""How well perplexity separates good text from bad (standard library only).

  ppl_separation.py shuffle IN.jsonl OUT.jsonl [SEED]
      the same documents with their words (the runs of non-space
      characters) shuffled and the whitespace between them left where it
      was: the same words and layout, no syntax
  ppl_separation.py compare GOOD.jsonl BAD.jsonl [BAD.jsonl ...]
      GOOD and BAD are outputs of `curate ppl` (metadata.ppl). For each BAD
      set: median perplexities and AUC, the probability that a random good
      document has a lower perplexity than a random bad one (1.0: perfect
      separation, 0.5: none). Where a BAD document's id is a GOOD one's with
      "/shuffled" added (the shuffle command's output), also the paired
      figures: the share of documents whose shuffled version has the higher
      perplexity, the median ratio of the two and both medians, in all and
      per kind of document (its id up to the first "/"). The AUC compares every
      good document with every bad one, so it also measures how perplexity
      varies between kinds of text; the pairs measure word order alone.
      Prints JSON.
"""
import json
import random
import re
import statistics
import sys


def read_ppl(path):
    return [ppl for _, ppl in read_ids_ppl(path)]


def read_ids_ppl(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f):
            d = json.loads(line)
            if "ppl" in d.get("metadata", {}):
                out.append((str(d.get("id", n)), d["metadata"]["ppl"]))
    return out


def paired(good, bad):
    good = dict(good)
    pairs = [(k[:-len("/shuffled")], good[k[:-len("/shuffled")]], v) for k, v in bad
             if k.endswith("/shuffled") and k[:-len("/shuffled")] in good]
    if not pairs:
        return None
    out = pair_figures(pairs)
    # The kind of a document is its id up to the first "/" (the source).
    kinds = sorted({k.split("/")[0] for k, _, _ in pairs})
    if len(kinds) > 1:
        out["kinds"] = {kind: pair_figures([p for p in pairs if p[0].split("/")[0] == kind])
                        for kind in kinds}
    return out


def pair_figures(pairs):
    return {"pairs": len(pairs), "share_higher": sum(1 for _, g, b in pairs if b > g) / len(pairs),
            "median_ratio": statistics.median(b / g for _, g, b in pairs),
            "median_good": statistics.median(g for _, g, _ in pairs),
            "median_bad": statistics.median(b for _, _, b in pairs)}


def shuffle_words(text, rng):
    parts = re.split(r"(\s+)", text)  # words at even indexes, whitespace at odd
    slots = [i for i in range(0, len(parts), 2) if parts[i]]
    words = [parts[i] for i in slots]
    rng.shuffle(words)
    for i, w in zip(slots, words):
        parts[i] = w
    return "".join(parts)


def auc(good, bad):
    # Mann-Whitney U over the merged ranks (ties count one half).
    merged = sorted([(v, 0) for v in good] + [(v, 1) for v in bad])
    rank_sum_bad, i = 0.0, 0
    while i < len(merged):
        j = i
        while j < len(merged) and merged[j][0] == merged[i][0]:
            j += 1
        avg = (i + j + 1) / 2.0
        rank_sum_bad += avg * sum(1 for k in range(i, j) if merged[k][1] == 1)
        i = j
    n_bad, n_good = len(bad), len(good)
    return (rank_sum_bad - n_bad * (n_bad + 1) / 2.0) / (n_bad * n_good)


def main(argv):
    if len(argv) >= 4 and argv[1] == "shuffle":
        rng = random.Random(int(argv[4]) if len(argv) > 4 else 1)
        with open(argv[2]) as f, open(argv[3], "w") as out:
            for line in f:
                d = json.loads(line)
                d["text"] = shuffle_words(d["text"], rng)
                d["id"] = str(d.get("id", "")) + "/shuffled"
                out.write(json.dumps(d) + "\n")
        return 0
    if len(argv) >= 4 and argv[1] == "compare":
        good = read_ppl(argv[2])
        result = {"good": {"file": argv[2], "documents": len(good), "median_ppl": statistics.median(good)},
                  "bad": []}
        good_ids = read_ids_ppl(argv[2])
        for path in argv[3:]:
            bad_ids = read_ids_ppl(path)
            bad = [ppl for _, ppl in bad_ids]
            entry = {"file": path, "documents": len(bad), "median_ppl": statistics.median(bad),
                     "auc": auc(good, bad)}
            if paired(good_ids, bad_ids):
                entry["paired"] = paired(good_ids, bad_ids)
            result["bad"].append(entry)
        print(json.dumps(result, indent=2))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
