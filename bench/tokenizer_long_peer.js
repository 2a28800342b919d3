#!/usr/bin/env node
// tiktoken (npm, WASM) on runs of spaces, to show its merge loop growing
// quadratically where curate's does not (bench/tokenizer_long.sh).
//   node bench/tokenizer_long_peer.js VOCAB_DIR N...
'use strict';
const fs = require('fs');
const path = require('path');
const { Tiktoken } = require('tiktoken');

const [dir, ...sizes] = process.argv.slice(2);
const specials = {};
for (const line of fs.readFileSync(path.join(dir, 'llama3-special-tokens.tsv'), 'utf8').split('\n')) {
  if (!line) continue;
  const [id, tok] = line.split('\t');
  specials[tok] = Number(id);
}
const PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|" +
  " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const enc = new Tiktoken(fs.readFileSync(path.join(dir, 'llama3.tiktoken'), 'utf8'), specials, PATTERN);
for (const n of sizes.map(Number)) {
  const s = ' '.repeat(n);
  const t0 = process.hrtime.bigint();
  const k = enc.encode(s, 'all').length;
  console.log(`${n} ${k} ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3)}`);
}
