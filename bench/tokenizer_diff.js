#!/usr/bin/env node
// Differential test: random strings (every plane, the code points Unicode
// 15-16 added, all White_Space, contractions, special tokens) through
// tiktoken (npm, WASM, allowed_special "all"), written as the JSONL input and
// the expected ids for `curate tokenize --emit ids --allow-special`.
//   node bench/tokenizer_diff.js VOCAB_DIR OUT_DIR [N]
'use strict';
const fs = require('fs');
const path = require('path');
const { Tiktoken } = require('tiktoken');

const [dir, out, nArg] = process.argv.slice(2);
const N = Number(nArg || 20000);
const specials = {};
for (const line of fs.readFileSync(path.join(dir, 'llama3-special-tokens.tsv'), 'utf8').split('\n')) {
  if (!line) continue;
  const [id, tok] = line.split('\t');
  specials[tok] = Number(id);
}
const PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|" +
  " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const enc = new Tiktoken(fs.readFileSync(path.join(dir, 'llama3.tiktoken'), 'utf8'), specials, PATTERN);

let seed = 12345;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const pool = [
  0x20, 0x20, 0x9, 0xa, 0xd, 0xb, 0xc, 0x85, 0xa0, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029,
  0x202f, 0x205f, 0x3000, 0x180e, 0x200b, 0xfeff, 0x27, 0x27, 0x73, 0x53, 0x17f, 0x74, 0x54,
  0x72, 0x65, 0x45, 0x6c, 0x4c, 0x64, 0x6d, 0x76, 0x212a, 0x30, 0x39, 0x2e, 0x2c, 0x3c, 0x7c,
  0x3e, 0x1c89, 0xa7cb, 0x105c0, 0x10d40, 0x11f50, 0x13460, 0x16d40, 0x1ccf0, 0x1e5d0, 0x2ebf0,
  0x31350, 0x323b0, 0x1f600, 0x4e00, 0x3042, 0xac00, 0x410, 0x627, 0x905, 0x300, 0x301, 0x660,
  0xff10, 0xbd, 0x2160,
];
const docs = [];
for (let i = 0; i < N; i++) {
  const n = 1 + rnd(40);
  let s = '';
  for (let k = 0; k < n; k++) {
    const r = rnd(10);
    let cp = r < 6 ? pool[rnd(pool.length)] : r < 8 ? rnd(0x3000) : rnd(0x110000);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
    s += String.fromCodePoint(cp);
    if (rnd(30) === 0) s += '<|eot_id|>';
  }
  docs.push(s);
}
fs.writeFileSync(path.join(out, 'diff.jsonl'), docs.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
fs.writeFileSync(path.join(out, 'diff-want.txt'),
  docs.map((t) => Array.from(enc.encode(t, 'all')).join(' ')).join('\n') + '\n');
