// Readability.js (@mozilla/readability) on a DOM from jsdom or linkedom,
// for bench/extract.sh: reads the pages into memory, extracts each one as
// the article-extraction benchmark's runner does (article.textContent) and
// times the DOM parse and the extraction together, on this one thread.
//
//   node extract_peers.js jsdom|linkedom OUT.json FILE.html...
//
// Prints one JSON line: engine, pages, bytes, seconds (wall) and cpu_seconds.
'use strict';
const fs = require('fs');
const path = require('path');
const { Readability } = require('@mozilla/readability');

const [dom, out, ...files] = process.argv.slice(2);
let parse;
if (dom === 'jsdom') {
  const { JSDOM, VirtualConsole } = require('jsdom');
  // A console that goes nowhere: jsdom reports every stylesheet it cannot read.
  const quiet = new VirtualConsole();
  parse = (html) => new JSDOM(html, { url: 'https://example.com/', virtualConsole: quiet })
    .window.document;
} else if (dom === 'linkedom') {
  const { parseHTML } = require('linkedom');
  parse = (html) => parseHTML(html).document;
} else {
  console.error('usage: extract_peers.js jsdom|linkedom OUT.json FILE.html...');
  process.exit(2);
}

const pages = files.map((f) => [path.basename(f).split('.')[0], fs.readFileSync(f, 'utf8')]);
const result = {};
let bytes = 0;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (const [id, html] of pages) {
  bytes += Buffer.byteLength(html);
  let text = '';
  try {
    const article = new Readability(parse(html)).parse();
    text = article && article.textContent ? article.textContent : '';
  } catch (e) {
    text = '';
  }
  result[id] = { articleBody: text };
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
fs.writeFileSync(out, JSON.stringify(result));
console.log(JSON.stringify({
  engine: `readability.js+${dom}`, pages: pages.length, bytes, seconds,
  cpu_seconds: (cpu.user + cpu.system) / 1e6,
}));
