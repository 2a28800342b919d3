"""The Python fastText peer of `curate classify` (bench/classify.sh).

usage: classify_peer.py OUT.jsonl IN.jsonl NAME=MODEL...
Reads JSON Lines, predicts every document with each model through Debian's
python3-fasttext (the same libfasttext), the text read as fastText reads one
line (newlines to spaces), in batches of 1,000 documents (the module's
fastest path, multilinePredict), and writes each record back with
metadata.NAME = {label: probability} (top 1) added: the same work as
`curate classify --model NAME=MODEL`."""
import json
import sys

import fasttext

BATCH = 1000


def main():
    out_path, in_path = sys.argv[1], sys.argv[2]
    models = []
    for spec in sys.argv[3:]:
        name, path = spec.split("=", 1)
        models.append((name, fasttext.load_model(path)))
    with open(in_path, encoding="utf-8") as f, open(out_path, "w", encoding="utf-8") as out:
        batch = []
        for line in f:
            batch.append(json.loads(line))
            if len(batch) == BATCH:
                write(batch, models, out)
                batch = []
        write(batch, models, out)


def write(batch, models, out):
    if not batch:
        return
    texts = [d["text"].replace("\n", " ") for d in batch]
    for name, model in models:
        labels, probs = model.predict(texts, k=1)
        for d, ls, ps in zip(batch, labels, probs):
            d.setdefault("metadata", {})[name] = {l[len("__label__"):]: float(p) for l, p in zip(ls, ps)}
    for d in batch:
        out.write(json.dumps(d, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    fasttext.FastText.eprint = lambda *args, **kwargs: None  # the load_model warning
    main()
