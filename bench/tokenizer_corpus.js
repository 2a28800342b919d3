#!/usr/bin/env node
// Build the tokenizer benchmark corpus: about 23 MB of documents from
// ../shared/corpus (English prose, web text, code, math, and translations in
// many scripts), deterministic: each source gives its documents in file order
// until its byte budget is spent.
//   node bench/tokenizer_corpus.js CORPUS_DIR OUT.jsonl
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const [dir, out] = process.argv.slice(2);
if (!dir || !out) {
  console.error('usage: tokenizer_corpus.js CORPUS_DIR OUT.jsonl');
  process.exit(2);
}
const MB = 1e6;
const sources = [
  ['prose_en/sotu-state-of-the-union.jsonl.zst', 3.0],
  ['prose_en/brown-corpus.jsonl.zst', 2.0],
  ['prose_en/moby-dick-chapters.jsonl.zst', 1.0],
  ['prose_en/jargon-file-entries.jsonl.zst', 1.0],
  ['web/jsonl/cc-2019-30-dolma.jsonl.zst', 2.5],
  ['web/jsonl/cc-net-en-head-0091.jsonl.zst', 0.2],
  ['code/python.jsonl.zst', 2.0],
  ['code/java.jsonl.zst', 1.0],
  ['code/go.jsonl.zst', 1.0],
  ['code/javascript.jsonl.zst', 0.8],
  ['code/c.jsonl.zst', 0.8],
  ['code/rust.jsonl.zst', 0.5],
  ['code/shell.jsonl.zst', 0.4],
  ['math/stacks-project-latex.jsonl.zst', 1.5],
  ['math/gsm8k-train.jsonl.zst', 1.0],
  ['multilingual/manpages-translations.jsonl.zst', 2.0],
  ['multilingual/udhr.jsonl.zst', 1.5],
  ['multilingual/debian-reference-translations.jsonl.zst', 1.0],
  ['multilingual/fortunes-multilingual.jsonl.zst', 0.8],
];

const scripts = ['Latin', 'Cyrillic', 'Greek', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Arabic',
  'Hebrew', 'Devanagari', 'Bengali', 'Tamil', 'Thai', 'Georgian', 'Armenian', 'Ethiopic'];
const scriptRe = Object.fromEntries(scripts.map((s) => [s, new RegExp(`\\p{Script=${s}}`, 'gu')]));
const perScript = Object.fromEntries(scripts.map((s) => [s, 0]));
const langs = new Map();

const lines = [];
let total = 0;
for (const [rel, budget] of sources) {
  const text = execFileSync('zstd', ['-dc', path.join(dir, rel)], { maxBuffer: 1 << 30 }).toString('utf8');
  // Sources with a lang field share their budget evenly between languages,
  // so that every script they hold is in the corpus.
  const docs = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const byLang = new Map();
  for (const d of docs) byLang.set(d.lang || '', (byLang.get(d.lang || '') || 0) + 1);
  const cap = (budget * MB) / byLang.size;
  const usedLang = new Map();
  let used = 0;
  for (const doc of docs) {
    const key = doc.lang || '';
    if ((usedLang.get(key) || 0) >= cap) continue;
    const n = Buffer.byteLength(doc.text, 'utf8');
    usedLang.set(key, (usedLang.get(key) || 0) + n);
    used += n;
    lines.push(JSON.stringify({ id: `${rel}:${doc.id}`, text: doc.text, source: rel }));
    for (const s of scripts) perScript[s] += (doc.text.match(scriptRe[s]) || []).length;
    if (doc.lang) {
      // The main non-Latin script of the document, if any.
      let best = null, bestN = 0;
      for (const s of scripts.slice(1)) {
        const c = (doc.text.match(scriptRe[s]) || []).length;
        if (c > bestN) { best = s; bestN = c; }
      }
      if (best && bestN > n / 20) langs.set(doc.lang, best);
    }
  }
  total += used;
  console.error(`${rel}: ${(used / MB).toFixed(2)} MB`);
}
fs.writeFileSync(out, lines.join('\n') + '\n');
console.error(`total ${(total / MB).toFixed(2)} MB of text in ${lines.length} documents`);
console.error('characters per script: ' +
  scripts.filter((s) => perScript[s]).map((s) => `${s} ${perScript[s]}`).join(', '));
console.error(`languages written mainly in a non-Latin script: ${langs.size} (` +
  [...langs].map(([l, s]) => `${l}:${s}`).join(' ') + ')');
