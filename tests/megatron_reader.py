#!/usr/bin/env python3
"""Independent reader for curate's Megatron-LM shards (standard library only).

Parses every .idx/.bin pair listed in DIR/manifest.json by the layout of
Megatron-LM's MMapIndexedDataset (megatron/core/datasets/indexed_dataset.py):

  .idx: b"MMIDIDX\\x00\\x00", <Q version (1), <B dtype code, <Q sequence count S,
        <Q document-index count D, int32[S] lengths, int64[S] byte pointers,
        int64[D] document indices (0 first, S last)
  .bin: the token ids, little-endian, no header

and checks it against itself and the manifest. With --tiktoken FILE it also
decodes every document (split after each <|end_of_text|>) and, with --jsonl,
compares them with the input documents: --exact wants the same multiset,
otherwise every decoded document must be one of the inputs.

usage: megatron_reader.py DIR [--tiktoken FILE] [--jsonl FILE ...] [--exact]
Exit 0 when all checks pass, 1 otherwise (the first problem is printed).
"""
import base64
import collections
import json
import os
import struct
import sys

DTYPES = {1: ("B", 1), 2: ("b", 1), 3: ("h", 2), 4: ("i", 4), 5: ("q", 8), 8: ("H", 2)}
END_OF_TEXT = 128001


def fail(msg):
    print("megatron_reader: FAIL " + msg)
    sys.exit(1)


def read_idx(path, bin_size):
    with open(path, "rb") as f:
        data = f.read()
    name = os.path.basename(path)
    if data[:9] != b"MMIDIDX\x00\x00":
        fail(name + ": bad magic")
    version, = struct.unpack_from("<Q", data, 9)
    code, = struct.unpack_from("<B", data, 17)
    s, d = struct.unpack_from("<QQ", data, 18)
    if version != 1 or code not in DTYPES:
        fail("%s: version %d dtype %d" % (name, version, code))
    if len(data) != 34 + 4 * s + 8 * s + 8 * d:
        fail("%s: size %d for S=%d D=%d" % (name, len(data), s, d))
    lens = struct.unpack_from("<%di" % s, data, 34)
    ptrs = struct.unpack_from("<%dq" % s, data, 34 + 4 * s)
    docs = struct.unpack_from("<%dq" % d, data, 34 + 12 * s)
    item = DTYPES[code][1]
    at = 0
    for i in range(s):
        if lens[i] < 0 or ptrs[i] != at:
            fail("%s: sequence %d: length %d pointer %d, expected pointer %d"
                 % (name, i, lens[i], ptrs[i], at))
        at += lens[i] * item
    if at != bin_size:
        fail("%s: .bin has %d bytes, index says %d" % (name, bin_size, at))
    if not docs or docs[0] != 0 or docs[-1] != s or list(docs) != sorted(docs):
        fail("%s: bad document indices" % name)
    return code, lens, ptrs


def load_vocab(path):
    vocab = {}
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                tok, rank = line.split()
                vocab[int(rank)] = base64.b64decode(tok)
    return vocab


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    out_dir = argv[1]
    tiktoken, jsonl, exact = None, [], False
    i = 2
    while i < len(argv):
        if argv[i] == "--tiktoken":
            tiktoken = argv[i + 1]
            i += 2
        elif argv[i] == "--jsonl":
            i += 1
            while i < len(argv) and not argv[i].startswith("--"):
                jsonl.append(argv[i])
                i += 1
        elif argv[i] == "--exact":
            exact = True
            i += 1
        else:
            fail("unknown argument " + argv[i])
    with open(os.path.join(out_dir, "manifest.json")) as f:
        manifest = json.load(f)
    vocab_size = manifest["tokenizer"]["vocab_size"]
    vocab = load_vocab(tiktoken) if tiktoken else None
    decoded = collections.Counter()
    total = 0
    for sh in manifest["shards"]:
        base = os.path.join(out_dir, sh["name"])
        with open(base + ".bin", "rb") as f:
            blob = f.read()
        code, lens, ptrs = read_idx(base + ".idx", len(blob))
        fmt, item = DTYPES[code]
        if (vocab_size >= 65500) != (code == 4):
            fail("%s: dtype code %d for a vocabulary of %d" % (sh["name"], code, vocab_size))
        ids = struct.unpack("<%d%s" % (len(blob) // item, fmt), blob)
        if len(ids) != sh["tokens"] or len(lens) != sh["sequences"]:
            fail("%s: %d tokens %d sequences, manifest %d %d"
                 % (sh["name"], len(ids), len(lens), sh["tokens"], sh["sequences"]))
        bad = [t for t in ids if t < 0 or t >= vocab_size]
        if bad:
            fail("%s: id %d out of the vocabulary" % (sh["name"], bad[0]))
        total += len(ids)
        if vocab is None:
            continue
        for k in range(len(lens)):
            seq = ids[ptrs[k] // item: ptrs[k] // item + lens[k]]
            if not seq or seq[-1] != END_OF_TEXT or END_OF_TEXT in seq[:-1]:
                fail("%s: sequence %d is not one document ending in <|end_of_text|>"
                     % (sh["name"], k))
            text = b"".join(vocab[t] for t in seq[:-1]).decode("utf-8")
            decoded[text] += 1
    if total != manifest["tokens"] + manifest["padding_tokens"]:
        fail("shards hold %d tokens, manifest %d" % (total, manifest["tokens"]))
    if jsonl:
        inputs = collections.Counter()
        for p in jsonl:
            with open(p, encoding="utf-8") as f:
                for line in f:
                    t = json.loads(line)["text"]
                    if t:
                        inputs[t] += 1
        if exact and decoded != inputs:
            fail("decoded documents differ from the inputs (%d vs %d)"
                 % (sum(decoded.values()), sum(inputs.values())))
        if not exact and decoded - inputs:
            fail("a decoded document is not among the inputs")
        print("megatron_reader: %d documents decoded and matched" % sum(decoded.values()))
    print("megatron_reader: ok: %d shards, %d tokens" % (len(manifest["shards"]), total))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
