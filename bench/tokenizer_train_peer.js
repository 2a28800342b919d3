#!/usr/bin/env node
// Hugging Face tokenizers (npm `tokenizers`, native) as the peer of
// `curate tokenizer train`, for bench/tokenizer_train.sh.
//
//   node tokenizer_train_peer.js train LINES.txt OUT.json
//     Train a byte-level BPE the Llama 3 way: the Split pre-tokenizer with the
//     Llama 3 regex, then ByteLevel (no prefix space, no regex of its own),
//     exactly Llama 3's tokenizer.json. The npm package's only way to train is
//     Tokenizer.train(files), with the model's default BpeTrainer: vocabulary
//     30,000, min_frequency 0, no special tokens, an alphabet of the bytes the
//     text holds. Prints {"seconds", "vocab"} (seconds of train() alone).
//   node tokenizer_train_peer.js lines CORPUS.jsonl LINES.txt LINES.jsonl
//     What the peers train on: every document's text ending in a line break,
//     back to back (Tokenizer.train and spm_train read files line by line),
//     and the same lines as records ({"text": line with its line break}) so
//     that curate counts exactly the pieces the peers count.
//   node tokenizer_train_peer.js tokens OUT.json HEX.txt
//     The trained vocabulary's tokens in id order, as hex, one a line.
//   node tokenizer_train_peer.js tiktoken-hex FILE.tiktoken HEX.txt
//     The same for a tiktoken file (tokens by rank).
//   node tokenizer_train_peer.js eval OUT.json CORPUS.jsonl KEY
//     Encode every document; print {VALUE: {documents, bytes, characters,
//     tokens}} per value of field KEY, and "total".
'use strict';
const fs = require('fs');
const { Tokenizer, byteLevelAlphabet } = require('tokenizers');

const PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|" +
  " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const now = () => Number(process.hrtime.bigint()) / 1e9;

function untrained() {
  return Tokenizer.fromString(JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: PATTERN }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
      end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: {}, merges: [] },
  }));
}

// GPT-2's byte-level characters back to bytes.
function byteOf() {
  const m = new Map();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    m.set(String.fromCodePoint(printable ? b : 256 + extra++), b);
  }
  return m;
}

async function main() {
  const [mode, a, b, key] = process.argv.slice(2);
  if (mode === 'lines') {
    const txt = fs.openSync(b, 'w'), rec = fs.openSync(key, 'w');
    for (const line of fs.readFileSync(a, 'utf8').split('\n')) {
      if (!line) continue;
      const t = JSON.parse(line).text;
      const text = t.endsWith('\n') ? t : t + '\n';
      fs.writeSync(txt, text);
      for (const l of text.split(/(?<=\n)/)) fs.writeSync(rec, JSON.stringify({ text: l }) + '\n');
    }
    fs.closeSync(txt);
    fs.closeSync(rec);
  } else if (mode === 'train') {
    const tk = untrained();
    const t0 = now();
    tk.train([a]);
    const seconds = now() - t0;
    tk.save(b, false);
    console.log(JSON.stringify({ seconds, vocab: tk.getVocabSize(true),
      alphabet: byteLevelAlphabet().length }));
  } else if (mode === 'tokens') {
    const vocab = JSON.parse(fs.readFileSync(a, 'utf8')).model.vocab;
    const map = byteOf();
    const byId = [];
    for (const [s, id] of Object.entries(vocab))
      byId[id] = Buffer.from([...s].map((c) => map.get(c))).toString('hex');
    fs.writeFileSync(b, byId.join('\n') + '\n');
  } else if (mode === 'tiktoken-hex') {
    const byRank = [];
    for (const line of fs.readFileSync(a, 'utf8').split('\n')) {
      if (!line) continue;
      const [b64, rank] = line.split(' ');
      byRank[Number(rank)] = Buffer.from(b64, 'base64').toString('hex');
    }
    fs.writeFileSync(b, byRank.join('\n') + '\n');
  } else if (mode === 'eval') {
    const tk = Tokenizer.fromFile(a);
    const docs = fs.readFileSync(b, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const out = {};
    const add = (k, d, n) => {
      const g = out[k] || (out[k] = { documents: 0, bytes: 0, characters: 0, tokens: 0 });
      g.documents++;
      g.bytes += Buffer.byteLength(d.text);
      g.characters += [...d.text].length;
      g.tokens += n;
    };
    for (let i = 0; i < docs.length; i += 256) {
      const part = docs.slice(i, i + 256);
      const encs = await tk.encodeBatch(part.map((d) => d.text), { addSpecialTokens: false });
      part.forEach((d, k) => {
        add('total', d, encs[k].getLength());
        add(d[key] || '(none)', d, encs[k].getLength());
      });
    }
    console.log(JSON.stringify(out));
  } else {
    console.error('usage: tokenizer_train_peer.js train|tokens|eval ...');
    process.exit(2);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
