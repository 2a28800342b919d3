#!/usr/bin/env python3
"""Score `curate pii --annotate` output against labelled spans.

usage: pii_score.py GOLD.jsonl PRED.jsonl [--min TYPE=P,R ...]

GOLD lines carry "spans": [{type, start, end}] in code points (the presidio
synth set); PRED lines carry metadata.pii = [{type, start, end}] in UTF-8
bytes. Gold offsets are converted to bytes. A prediction is a true positive
when it overlaps a gold span of the same type; a gold span is found when a
prediction of its type overlaps it. Prints precision and recall per type,
and the share of gold spans whose bytes were matched exactly.
Exit 1 when a --min threshold is not met."""
import json
import sys

TYPES = ["EMAIL_ADDRESS", "IP_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN"]


def cp_to_byte(text):
    out, b = [], 0
    for ch in text:
        out.append(b)
        b += len(ch.encode("utf-8"))
    out.append(b)
    return out


def load(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def main():
    args = sys.argv[1:]
    mins = {}
    if "--min" in args:
        k = args.index("--min")
        for spec in args[k + 1:]:
            t, pr = spec.split("=")
            p, r = pr.split(",")
            mins[t] = (float(p), float(r))
        args = args[:k]
    gold = {d["id"]: d for d in load(args[0])}
    tp_p = {t: 0 for t in TYPES}
    n_p = {t: 0 for t in TYPES}
    tp_r = {t: 0 for t in TYPES}
    n_g = {t: 0 for t in TYPES}
    exact = {t: 0 for t in TYPES}
    for d in load(args[1]):
        g = gold[d["id"]]
        off = cp_to_byte(g["text"])
        gs = [(s["type"], off[s["start"]], off[s["end"]]) for s in g.get("spans", [])
              if s["type"] in TYPES]
        ps = [(s["type"], s["start"], s["end"]) for s in d.get("metadata", {}).get("pii", [])
              if s["type"] in TYPES]
        def hit(a, pool):
            return any(a[0] == b[0] and a[1] < b[2] and b[1] < a[2] for b in pool)
        for p in ps:
            n_p[p[0]] += 1
            tp_p[p[0]] += hit(p, gs)
        for s in gs:
            n_g[s[0]] += 1
            tp_r[s[0]] += hit(s, ps)
            exact[s[0]] += s in ps
    fail = 0
    print("| type | gold | predicted | precision | recall | exact span |")
    print("|---|---:|---:|---:|---:|---:|")
    for t in TYPES:
        p = tp_p[t] / n_p[t] if n_p[t] else 1.0
        r = tp_r[t] / n_g[t] if n_g[t] else 1.0
        x = exact[t] / n_g[t] if n_g[t] else 1.0
        print(f"| {t} | {n_g[t]} | {n_p[t]} | {p:.3f} | {r:.3f} | {x:.3f} |")
        if t in mins and (p < mins[t][0] or r < mins[t][1]):
            print(f"FAIL {t}: precision {p:.3f} recall {r:.3f} below {mins[t]}", file=sys.stderr)
            fail = 1
    return fail


if __name__ == "__main__":
    sys.exit(main())
