#!/usr/bin/env node
// Build the corpora of bench/tokenizer_train.sh from ../shared/corpus, with
// text of every category held back for measuring compression:
//   node bench/tokenizer_train_corpus.js CORPUS_DIR OUT_DIR
// Every document of every source below goes to one side or is split: a
// document of 4,000 bytes or more keeps its first 85% (cut at a line break)
// for training and gives the rest to the held-back side; a shorter one is
// held back whole when a hash of its id says so (1 in 8). Deterministic.
// Writes, in OUT_DIR:
//   train.jsonl       training documents {id, text, source, category, lang?}
//   heldout.jsonl     held-back documents, same fields
//   multilingual-train.jsonl, multilingual-heldout.jsonl: the multilingual
//                     category alone (the extension's corpus and its test)
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const [dir, out] = process.argv.slice(2);
if (!dir || !out) {
  console.error('usage: tokenizer_train_corpus.js CORPUS_DIR OUT_DIR');
  process.exit(2);
}
// [file, category, byte cap (0: all)]
const sources = [
  ['prose_en/sotu-state-of-the-union.jsonl.zst', 'general', 0],
  ['prose_en/brown-corpus.jsonl.zst', 'general', 0],
  ['prose_en/moby-dick-chapters.jsonl.zst', 'general', 0],
  ['prose_en/jargon-file-entries.jsonl.zst', 'general', 0],
  ['prose_en/fortunes-en.jsonl.zst', 'general', 0],
  ['prose_en/gnu-standards.jsonl.zst', 'general', 0],
  ['prose_en/debian-reference-en.jsonl.zst', 'general', 0],
  ['web/jsonl/cc-2019-30-dolma.jsonl.zst', 'general', 0],
  ['web/jsonl/cc-net-en-head-0091.jsonl.zst', 'general', 0],
  ['quality/spamassassin-mail.jsonl.zst', 'general', 0],
  ['pii/debian-changelogs.jsonl.zst', 'general', 0],
  ['pii/presidio-synth-dataset-v2.labeled.jsonl.zst', 'general', 0],
  // Licence texts, many near-copies: a little of them.
  ['dedup/debian-copyright-files.docs.jsonl.zst', 'general', 6e6],
  ['math/gsm8k-train.jsonl.zst', 'math', 0],
  ['math/stacks-project-latex.jsonl.zst', 'math', 0],
  ['math/olympiadbench.jsonl.zst', 'math', 0],
  ['math/college-math.jsonl.zst', 'math', 0],
  ['math/minerva-math.jsonl.zst', 'math', 0],
  ['code/python.jsonl.zst', 'code', 0],
  ['code/java.jsonl.zst', 'code', 0],
  ['code/go.jsonl.zst', 'code', 0],
  ['code/javascript.jsonl.zst', 'code', 0],
  ['code/perl.jsonl.zst', 'code', 0],
  ['code/c.jsonl.zst', 'code', 0],
  ['code/rust.jsonl.zst', 'code', 0],
  ['code/shell.jsonl.zst', 'code', 0],
  ['code/ruby.jsonl.zst', 'code', 0],
  ['code/makefile.jsonl.zst', 'code', 0],
  ['multilingual/manpages-translations.jsonl.zst', 'multilingual', 0],
  ['multilingual/udhr.jsonl.zst', 'multilingual', 0],
  ['multilingual/debian-reference-translations.jsonl.zst', 'multilingual', 0],
  ['multilingual/fortunes-multilingual.jsonl.zst', 'multilingual', 0],
  ['toxic/fortunes-offensive-es.jsonl.zst', 'multilingual', 0],
];

const held = (id) => crypto.createHash('sha1').update(id).digest()[0] % 8 === 0;

// The first ~85% of text, cut after a line break, and the rest.
function split(text) {
  const cut = text.indexOf('\n', Math.floor(text.length * 0.85));
  if (cut < 0 || cut + 1 >= text.length) return null;
  return [text.slice(0, cut + 1), text.slice(cut + 1)];
}

fs.mkdirSync(out, { recursive: true });
const files = {};
for (const name of ['train.jsonl', 'heldout.jsonl', 'multilingual-train.jsonl',
  'multilingual-heldout.jsonl'])
  files[name] = fs.openSync(path.join(out, name), 'w');
const put = (name, s) => fs.writeSync(files[name], s);
const bytes = { train: {}, heldout: {} };

function emit(side, rec) {
  const line = JSON.stringify(rec) + '\n';
  put(`${side}.jsonl`, line);
  if (rec.category === 'multilingual') put(`multilingual-${side}.jsonl`, line);
  bytes[side][rec.category] = (bytes[side][rec.category] || 0) + Buffer.byteLength(rec.text);
}

for (const [rel, category, cap] of sources) {
  const raw = execFileSync('zstd', ['-dc', path.join(dir, rel)], { maxBuffer: 1 << 30 }).toString('utf8');
  let used = 0;
  for (const line of raw.split('\n')) {
    if (!line) continue;
    const d = JSON.parse(line);
    if (typeof d.text !== 'string' || !d.text) continue;
    if (cap && used >= cap) break;
    used += Buffer.byteLength(d.text);
    const rec = { id: `${rel}:${d.id}`, source: rel, category };
    if (d.lang) rec.lang = d.lang;
    const parts = Buffer.byteLength(d.text) >= 4000 ? split(d.text) : null;
    if (parts) {
      emit('train', { ...rec, text: parts[0] });
      emit('heldout', { ...rec, id: `${rec.id}:tail`, text: parts[1] });
    } else {
      emit(held(rec.id) ? 'heldout' : 'train', { ...rec, text: d.text });
    }
  }
}
for (const f of Object.values(files)) fs.closeSync(f);
for (const side of ['train', 'heldout']) {
  const t = bytes[side];
  const total = Object.values(t).reduce((a, b) => a + b, 0);
  console.error(`${side}: ${(total / 1e6).toFixed(2)} MB (` +
    Object.entries(t).map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)}`).join(', ') + ')');
}
