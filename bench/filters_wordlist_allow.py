#!/usr/bin/env python3
"""Maintainer tool: find LDNOOBW entries that are ordinary words in another
language, so that matching the union of all languages' lists does not count
Spanish "del" (a Dutch entry) or German "nicht" as dirty words.

An entry of list X goes to the allow list when it occurs as a word in at least
MIN_DOCS documents of the labelled clean corpora whose language is not X
(man-page translations, UDHR, fortunes, English prose from ../shared/corpus).
English profanity is borrowed by every language (and our English reference
text is formal), so entries of the English list are never allowed by the
count; MANUAL lists the few English entries that are common words elsewhere.

usage: bench/filters_wordlist_allow.py > data/filters/ldnoobw-allow.txt
"""
import collections, glob, json, os, re, subprocess, sys

CORPUS = os.environ.get("CORPUS", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus"))
LISTS = os.path.join(CORPUS, "toxic", "wordlists", "ldnoobw")
MIN_DOCS = 3
# Entries that are everyday words elsewhere but too rare in our reference text
# to be found by the count: Latin and Romanian "cum" (with, how); "xx", the
# Roman numeral of centuries; French "balle" (ball, bullet; Italian list).
MANUAL = {"cum", "xx", "balle"}
ALIAS = {"nb": "no", "nn": "no", "pt-br": "pt", "zh-cn": "zh", "zh-tw": "zh"}

def lang_of(tag):
    tag = (tag or "").lower()
    return ALIAS.get(tag, tag.split("-")[0].split("_")[0])

def docs():
    for path, default in [("multilingual/manpages-translations.jsonl.zst", None),
                          ("multilingual/udhr.jsonl.zst", None),
                          ("multilingual/fortunes-multilingual.jsonl.zst", None),
                          ("multilingual/debian-reference-translations.jsonl.zst", None)] + \
                         [(p, "en") for p in ("prose_en/brown-corpus.jsonl.zst",
                                              "prose_en/sotu-state-of-the-union.jsonl.zst",
                                              "prose_en/moby-dick-chapters.jsonl.zst",
                                              "prose_en/fortunes-en.jsonl.zst")]:
        out = subprocess.run(["zstdcat", os.path.join(CORPUS, path)], capture_output=True, check=True).stdout
        for line in out.decode("utf-8").splitlines():
            d = json.loads(line)
            yield lang_of(d.get("lang") or default), d["text"]

def main():
    entries = {}
    for f in sorted(glob.glob(os.path.join(LISTS, "*"))):
        name = os.path.basename(f)
        if name == "LICENSE":
            continue
        for w in open(f, encoding="utf-8"):
            w = w.strip().lower()
            if w and " " not in w:
                entries.setdefault(w, set()).add(lang_of(name))
    hits = collections.Counter()
    ndocs = collections.Counter()
    per_lang = collections.defaultdict(collections.Counter)
    for lang, text in docs():
        ndocs[lang] += 1
        for w in set(re.findall(r"\w+", text.lower())):
            if w in entries:
                per_lang[w][lang] += 1
                if lang not in entries[w]:
                    hits[w] += 1

    def allowed(w):
        return w in MANUAL or (hits[w] >= MIN_DOCS and "en" not in entries[w])
    print("# LDNOOBW entries that are ordinary words in another language: never counted.")
    print("# Made by bench/filters_wordlist_allow.py (entry seen in >= %d clean documents" % MIN_DOCS)
    print("# of another language in ../shared/corpus); edit by hand with care.")
    for w in sorted(w for w in set(hits) | MANUAL if allowed(w)):
        print(w)

if __name__ == "__main__":
    main()
