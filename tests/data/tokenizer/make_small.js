#!/usr/bin/env node
// Make the small tokenizer pair for tests/check_tokenizer.c: the first 1,000
// Llama 3 ranks as a tiktoken file and as a Hugging Face tokenizer.json with
// the same ranks (byte-level keys), four added tokens and a few merges.
//   node tests/data/tokenizer/make_small.js
'use strict';
const fs = require('fs');
const path = require('path');
const here = __dirname;
const src = path.join(here, '..', '..', '..', 'data', 'tokenizers', 'llama3.tiktoken');
const N = 1000;

const lines = fs.readFileSync(src, 'utf8').split('\n').slice(0, N);
fs.writeFileSync(path.join(here, 'small.tiktoken'), lines.join('\n') + '\n');

// GPT-2 byte-level alphabet.
const b2u = {};
let extra = 0;
for (let b = 0; b < 256; b++) {
  const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  b2u[b] = String.fromCodePoint(printable ? b : 256 + extra++);
}
const vocab = {};
for (const line of lines) {
  const [b64, rank] = line.split(' ');
  const bytes = Buffer.from(b64, 'base64');
  vocab[[...bytes].map((b) => b2u[b]).join('')] = Number(rank);
}
const specials = ['<|begin_of_text|>', '<|end_of_text|>', '<|x|>', '<|longer_x|>'];
fs.writeFileSync(path.join(here, 'small-special-tokens.tsv'),
  specials.map((s, i) => `${N + i}\t${s}\n`).join(''));
const json = {
  version: '1.0',
  added_tokens: specials.map((s, i) => ({ id: N + i, content: s, single_word: false,
    lstrip: false, rstrip: false, normalized: false, special: true })),
  pre_tokenizer: { type: 'ByteLevel' },
  model: { type: 'BPE', ignore_merges: true, vocab, merges: ['Ġ t', 'Ġ a'] },
};
fs.writeFileSync(path.join(here, 'small.json'), JSON.stringify(json, null, 1) + '\n');
