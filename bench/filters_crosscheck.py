#!/usr/bin/env python3
"""Cross-check the C statistics against datatrove's algorithms, written out here
in Python from datatrove's published semantics (find_duplicates,
find_top_duplicate, find_all_duplicate, the Gopher quality ratios, FineWeb's
line ratios), on real ASCII-only documents, where our word splitting is easy to
restate exactly. Differences beyond 1e-9 are printed; exit 1 if any.

usage: bench/filters_crosscheck.py CURATE FILE.jsonl[.zst]...
"""
import collections, json, re, subprocess, sys

def words_of(text):
    """Our scanner's tokens for ASCII text: runs of [A-Za-z0-9_] joined by one
    ' or - between word characters, or by . , : / between digits; a run of one
    repeated other non-space character is one symbol token."""
    out, i, n = [], 0, len(text)
    isw = lambda c: c.isascii() and (c.isalnum() or c == "_")
    while i < n:
        c = text[i]
        if isw(c):
            j = i + 1
            while j < n:
                if isw(text[j]):
                    j += 1
                elif (text[j] in "'-" and j + 1 < n and isw(text[j + 1])):
                    j += 2
                elif (text[j] in ".,:/" and text[j - 1].isdigit() and j + 1 < n and text[j + 1].isdigit()):
                    j += 2
                else:
                    break
            out.append(text[i:j]); i = j
        elif c.isspace() or ord(c) < 32 or ord(c) == 127:
            i += 1
        else:
            j = i + 1
            while j < n and text[j] == c:
                j += 1
            out.append(text[i:j]); i = j
    return out

def find_duplicates(xs):
    seen, chars, elems = set(), 0, 0
    for x in xs:
        if x in seen:
            chars += len(x); elems += 1
        else:
            seen.add(x)
    return elems, chars

def find_top_duplicate(xs):
    g = collections.Counter(xs).most_common(1)[0]
    return len(g[0]) * g[1]

def find_all_duplicate(words, n):
    seen, rep, i = set(), 0, 0
    while i < len(words) - n + 1:
        g = "".join(words[i:i + n])
        if g in seen:
            rep += len(g); i += n
        else:
            seen.add(g); i += 1
    return rep

def expected(text):
    e = {}
    L = len(text)
    paras = re.split(r"\n{2,}", text.strip())
    d, c = find_duplicates(paras)
    e["gopher-repetition:dup_para_frac"] = d / len(paras)
    e["gopher-repetition:dup_para_char_frac"] = c / L
    lines = re.split(r"\n+", text)
    d, c = find_duplicates(lines)
    e["gopher-repetition:dup_line_frac"] = d / len(lines)
    e["gopher-repetition:dup_line_char_frac"] = c / L
    w = words_of(text)
    for n in (2, 3, 4):
        grams = [" ".join(w[i:i + n]) for i in range(len(w) - n + 1)]
        if grams:
            e["gopher-repetition:top_%d_gram" % n] = find_top_duplicate(grams) / L
    for n in range(5, 11):
        if len(w) >= n:
            e["gopher-repetition:dup_%d_grams" % n] = find_all_duplicate(w, n) / L
    sym = [x for x in w if not any(ch.isalnum() or ch == "_" for ch in x)]
    nonsym = [x for x in w if x not in sym or any(ch.isalnum() or ch == "_" for ch in x)]
    nonsym = [x for x in w if any(ch.isalnum() or ch == "_" for ch in x)]
    e["gopher-quality:words"] = len(nonsym)
    if nonsym:
        e["gopher-quality:mean_word_length"] = sum(map(len, nonsym)) / len(nonsym)
    if w:
        e["gopher-quality:hash_ratio"] = text.count("#") / len(w)
        e["gopher-quality:ellipsis_ratio"] = (text.count("...") + text.count("\u2026")) / len(w)
        e["gopher-quality:alpha_words"] = sum(any(ch.isalpha() for ch in x) for x in w) / len(w)
    e["gopher-quality:stop_words"] = sum(x in {"the", "be", "to", "of", "and", "that", "have", "with"} for x in w)
    sl = text.splitlines()
    if sl:
        e["gopher-quality:bullet_lines"] = sum(s.lstrip().startswith(("\u2022", "-")) for s in sl) / len(sl)
        e["gopher-quality:ellipsis_lines"] = sum(s.rstrip().endswith(("...", "\u2026")) for s in sl) / len(sl)
    fl = [x for x in text.split("\n") if x.strip()]
    if fl:
        e["fineweb:line_punct_ratio"] = sum(x.endswith((".", "!", "?")) for x in fl) / len(fl)
        e["fineweb:short_line_ratio"] = sum(len(x) <= 30 for x in fl) / len(fl)
        e["fineweb:char_dup_ratio"] = find_duplicates(fl)[1] / len(text.replace("\n", ""))
        if w:
            e["fineweb:list_ratio"] = text.count("\n") / len(w)
    return e

def main():
    curate, files = sys.argv[1], sys.argv[2:]
    docs = []
    for f in files:
        if f.endswith(".zst"):
            raw = subprocess.run(["zstdcat", f], capture_output=True, check=True).stdout.decode()
        else:
            raw = open(f, encoding="utf-8").read()
        for line in raw.split("\n"):
            if not line.strip():
                continue
            d = json.loads(line)
            t = d["text"]
            # ASCII only, no \r or other line breaks splitlines() knows, no \x0b/\x0c
            if t.strip() and t.isascii() and not re.search(r"[\r\x0b\x0c\x1c-\x1e]", t):
                docs.append({"id": str(len(docs)), "text": t})
    inp = "".join(json.dumps(d) + "\n" for d in docs)
    out = subprocess.run([curate, "filter", "-q", "--annotate", "--rules",
                          "gopher-quality,gopher-repetition,fineweb", "-"],
                         input=inp, capture_output=True, text=True, check=True).stdout
    bad = checked = 0
    for d, line in zip(docs, out.split("\n")):
        got = json.loads(line)["metadata"]["curate"]["filter"]
        for k, v in expected(d["text"]).items():
            checked += 1
            g = got.get(k)
            if g is None or abs(g - v) > 1e-9:
                bad += 1
                if bad <= 20:
                    print("doc %s %s: curate %s, datatrove algorithm %s" % (d["id"], k, g, v))
    print("%d documents, %d values compared, %d differ" % (len(docs), checked, bad))
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
