#!/usr/bin/env node
// The tables of bench/tokenizer_train.sh, from the files it leaves in its
// work folder: node bench/tokenizer_train_report.js bench/work/train
'use strict';
const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');
const json = (f) => JSON.parse(read(f));
const time = (name) => {
  const [s, kb, user, sys] = read(`${name}.time`).trim().split(/\s+/).map(Number);
  return { s, mb: kb / 1024, cpu: user + sys };
};
const cats = ['general', 'math', 'code', 'multilingual'];

// 1. Training.
const hfTrain = json('hf-train.json');
const rows = [
  ['curate -j 1', 'curate-j1'], ['curate -j 2', 'curate-j2'],
  ['curate -j 1 --mem-limit 64M', 'curate-64m'],
  ['HF tokenizers 0.23.2 (1 thread)', 'hf'], ['sentencepiece 0.1.97 BPE (1 thread)', 'spm'],
  ['curate -j 1, whole documents', 'curate-docs'],
];
const hf = time('hf');
console.log('\n| trainer (30,000 ordinary tokens) | wall s | CPU s | HF / this (wall) | HF / this (CPU) | peak RSS MB | counts |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const [label, name] of rows) {
  const t = time(name);
  let counts = '';
  if (name.startsWith('curate')) {
    const r = json(`${name}.json`).sink;
    counts = r.counts === 'exact' ? 'exact' :
      `sketch: ${r.count_prunes} prunes, counts low by <= ${r.count_undercount_max}`;
    counts += `; ${r.distinct_pieces} distinct pieces; trainer ${(r.trainer_peak_bytes / 1048576).toFixed(0)} MiB`;
  }
  console.log(`| ${label} | ${t.s.toFixed(2)} | ${t.cpu.toFixed(2)} | ${(hf.s / t.s).toFixed(2)} | ` +
    `${(hf.cpu / t.cpu).toFixed(2)} | ${t.mb.toFixed(0)} | ${counts} |`);
}
console.log(`\nHF's train() alone: ${hfTrain.seconds.toFixed(2)} s (the rest is node starting and saving).`);

// 2. Compression: bytes per token on held-back text.
const spm = Object.fromEntries(read('spm-tokens.txt').trim().split('\n').map((l) => l.split(' ')).map(([c, n]) => [c, Number(n)]));
const ours = (name) => {
  const s = json(`${name}-stats.json`);
  const g = (k) => (k === 'all' ? s.total : s.by.category[k]);
  return (k) => g(k).bytes / g(k).tokens[0];
};
const hfStats = json('hf-stats.json');
const bytes = (k) => (k === 'all' ? hfStats.total.bytes : hfStats[k].bytes);
const hfBpt = (k) => (k === 'all' ? hfStats.total : hfStats[k]).bytes / (k === 'all' ? hfStats.total : hfStats[k]).tokens;
const spmBpt = (k) => bytes(k) / (k === 'all' ? cats.reduce((a, c) => a + spm[c], 0) : spm[k]);
const vocabs = [
  ['curate -j 1', ours('curate-j1')], ['curate --mem-limit 64M', ours('curate-64m')],
  ['curate, whole documents', ours('curate-docs')], ['HF tokenizers', hfBpt], ['sentencepiece BPE', spmBpt],
];
console.log('\n| vocabulary | ' + cats.join(' | ') + ' | all | all vs HF |');
console.log('| --- |' + ' ---: |'.repeat(cats.length + 2));
for (const [label, f] of vocabs) {
  const all = f('all');
  console.log(`| ${label} | ${cats.map((c) => f(c).toFixed(3)).join(' | ')} | ${all.toFixed(3)} | ` +
    `${((all / hfBpt('all') - 1) * 100).toFixed(2)}% |`);
}
console.log(`\nheld-back text: ${cats.map((c) => `${c} ${(bytes(c) / 1e6).toFixed(2)} MB`).join(', ')}; ` +
  'bytes per token, higher is better');

// 3. The extension: characters per token per language.
const ext = json('extend.json').sink;
const lang = json('extend-lang.json');
const cat = json('extend-category.json');
const t = time('extend');
console.log(`\nextend: ${ext.merges} merges on ${(json('extend.json').bytes_in / 1e6).toFixed(2)} MB ` +
  `in ${t.s.toFixed(2)} s, peak RSS ${t.mb.toFixed(0)} MB; ${read('extend-used.txt').trim()} of the ` +
  'new tokens appear when the extended vocabulary encodes that text');
const cpt = (g, k) => g.characters_per_token[k];
console.log('\n| held-back text | characters | Llama 3 first 100K | + 28,256 learned here | real Llama 3 (128K) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
const line = (label, g) => console.log(`| ${label} | ${g.characters} | ${cpt(g, 2).toFixed(3)} | ` +
  `${cpt(g, 0).toFixed(3)} | ${cpt(g, 1).toFixed(3)} |`);
line('multilingual, all', lang.total);
for (const [k, g] of Object.entries(lang.by.lang).filter(([, g]) => g.characters >= 20000)
  .sort((a, b) => b[1].characters - a[1].characters))
  line(k, g);
for (const c of ['general', 'math', 'code'])
  line(`${c} (category)`, cat.by.category[c]);
