"""Compare curate's predictions with the `fasttext predict-prob` binary.

usage: classify_compare.py lines CURATED.jsonl LINES.txt
         write each document's text as fastText reads one document
         ('\\n' -> ' '), one per line, in the order of CURATED.jsonl
       classify_compare.py compare CURATED.jsonl NAME PREDICTIONS.txt
         check metadata.NAME ({label: probability}) of each document
         against a line of `fasttext predict-prob MODEL LINES.txt K`:
         the same labels, probabilities within 1e-5.
Prints one line: the number of documents and labels compared, or the
first difference (exit status 1)."""
import json
import sys

TOLERANCE = 1e-5


def lines(curated, out):
    with open(curated, encoding="utf-8") as f, open(out, "w", encoding="utf-8",
                                                    newline="") as o:
        for line in f:
            o.write(json.loads(line)["text"].replace("\n", " ") + "\n")


def parse_prediction(line):
    parts = line.split()
    return {parts[i][len("__label__"):]: float(parts[i + 1])
            for i in range(0, len(parts), 2)}


def compare(curated, name, predictions):
    ndocs = nlabels = 0
    with open(curated, encoding="utf-8") as f, open(predictions, encoding="utf-8") as p:
        for number, (doc_line, pred_line) in enumerate(zip(f, p), 1):
            ours = json.loads(doc_line)["metadata"][name]
            theirs = parse_prediction(pred_line)
            if set(ours) != set(theirs):
                print(f"document {number}: labels {sorted(ours)} != fasttext {sorted(theirs)}")
                return 1
            for label, prob in theirs.items():
                if abs(ours[label] - prob) > TOLERANCE:
                    print(f"document {number}: {label} {ours[label]} != fasttext {prob}")
                    return 1
            ndocs += 1
            nlabels += len(theirs)
    print(f"{ndocs} documents, {nlabels} labels equal to fasttext predict-prob")
    return 0 if ndocs else 1


if __name__ == "__main__":
    if sys.argv[1] == "lines":
        lines(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4]))
