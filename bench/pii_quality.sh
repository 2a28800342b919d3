#!/bin/bash
# bench/pii_quality.sh: precision and recall of `curate pii` on labelled data.
#
#  1. presidio synth dataset v2 (../shared/corpus/pii): template-generated
#     sentences with spans in code points; bench/pii_score.py converts them
#     to bytes and counts a prediction as right when it overlaps a gold span
#     of the same type. Targets: >= 0.95 for e-mail, IP, card, IBAN (and
#     SSN); >= 0.85 for phone numbers. Exit 1 when one is missed.
#  2. Debian changelogs: every "<name@host>" trailer address must be found
#     (recall only: the other addresses in the text are not labelled).
#  3. dolma's CC fixture: its two e-mail spans found, its 0.1-score
#     non-address not.
#  4. SpamAssassin mails (real 2002 mail): every number written after a
#     "Tel:", "Phone:", "Fax:", "Mobile:" or "Cell:" label (7+ digits) must be
#     found by the phone detector (recall only).
# usage: bench/pii_quality.sh   (from the top of a built tree)
set -eu
. "$(dirname "$0")/lib.sh"
W=$TOP/bench/work/pii
mkdir -p "$W"
[ -d "$CORPUS/pii" ] || { echo "no corpus at $CORPUS" >&2; exit 77; }

zstd -dcq "$CORPUS/pii/presidio-synth-dataset-v2.labeled.jsonl.zst" > "$W/presidio.jsonl"
"$CURATE" pii -q --annotate "$W/presidio.jsonl" -o "$W/presidio.pred.jsonl"
echo "presidio synth dataset v2 ($(wc -l < "$W/presidio.jsonl") documents), overlap match:"
python3 "$TOP/bench/pii_score.py" "$W/presidio.jsonl" "$W/presidio.pred.jsonl" --min \
	EMAIL_ADDRESS=0.95,0.95 IP_ADDRESS=0.95,0.95 CREDIT_CARD=0.95,0.95 \
	IBAN_CODE=0.95,0.95 US_SSN=0.95,0.95 PHONE_NUMBER=0.85,0.85

zstd -dcq "$CORPUS/quality/spamassassin-mail.jsonl.zst" > "$W/mail.jsonl"
"$CURATE" pii -q --annotate --types phone "$W/mail.jsonl" -o "$W/mail.pred.jsonl"
zstd -dcq "$CORPUS/pii/debian-changelogs.jsonl.zst" > "$W/changelogs.jsonl"
zstd -dcq "$CORPUS/pii/dolma-cc-email-spans.jsonl.zst" > "$W/dolma.jsonl"
"$CURATE" pii -q --annotate --types email "$W/changelogs.jsonl" -o "$W/changelogs.pred.jsonl"
"$CURATE" pii -q --annotate --types email "$W/dolma.jsonl" -o "$W/dolma.pred.jsonl"
python3 - "$W" <<'PY'
import json, re, sys
w = sys.argv[1]
def spans(d):
    t = d["text"].encode()
    return {t[s["start"]:s["end"]].decode() for s in d.get("metadata", {}).get("pii", [])}, t
want = found = 0
for line in open(f"{w}/changelogs.pred.jsonl", encoding="utf-8"):
    d = json.loads(line)
    got, t = spans(d)
    addrs = re.findall(r"<([^<>@\s]+@[^<>@\s]+)>", d["text"])
    want += len(addrs)
    found += sum(a in got for a in addrs)
print(f"debian changelogs: {found}/{want} '<name@host>' addresses found, recall {found / want:.3f}")
ok = bad = 0
for line in open(f"{w}/dolma.pred.jsonl", encoding="utf-8"):
    d = json.loads(line)
    got, _ = spans(d)
    for s in d.get("spans", []):
        if s["type"] != "email":
            continue
        if s["score"] > 0.5:
            ok += s["value"] in got
        else:
            bad += any(s["value"].strip(": \n") in g for g in got)
print(f"dolma CC fixture: {ok}/3 labelled addresses found, {bad} non-address detected")
label = re.compile(r"(?i)\b(?:tel|phone|telephone|fax|mobile|cell)\b\.?\s*(?:\([a-z]+\))?"
                   r"\s*[:.]?\s*(\+?[\d(][\d ().-]{5,}\d)")
pw = pf = 0
for line in open(f"{w}/mail.pred.jsonl", encoding="utf-8"):
    d = json.loads(line)
    t = d["text"]
    got = [(s["start"], s["end"]) for s in d.get("metadata", {}).get("pii", [])]
    for m in label.finditer(t):
        if sum(c.isdigit() for c in m.group(1)) < 7:
            continue
        b = len(t[:m.start(1)].encode())
        e = b + len(m.group(1).encode())
        pw += 1
        pf += any(x < e and b < y for x, y in got)
print(f"spamassassin mail: {pf}/{pw} labelled phone numbers found, recall {pf / pw:.3f}")
sys.exit(0 if found == want and ok == 3 and bad == 0 and pf >= 0.85 * pw else 1)
PY
