// Cache differential sweep (#12): every edit kind × N seeded trials; after each edit a cached run
// and a --no-cache run of a fresh copy must write the same bytes. Prints kinds × trials and false
// hits (must be 0).
//   npm run build && node bench/cache-differential.mjs [--trials 5] [--seed 1] [--dist DIR]
// --dist runs another build (e.g. an older commit's dist/) to show what the sweep catches there.
// Code edits (an op's built module changed, then reverted) run through a private copy of the CLI.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { differential, inProcessRunner, KINDS, makeApp } from './cache-differential-lib.mjs';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '5' }, seed: { type: 'string', default: '1' }, dist: { type: 'string' }, 'no-code': { type: 'boolean' } } });
const trials = Number(values.trials);
const seed = Number(values.seed);
const dist = resolve(values.dist ?? new URL('../dist', import.meta.url).pathname);
const { main } = await import(`${dist}/cli/main.js`);

const t0 = Date.now();
const all = [];
const log = (r) => process.stderr.write(`${r.falseHit ? 'FALSE HIT' : 'ok'.padEnd(9)} ${r.kind}${r.falseHit ? ` — ${r.differs.slice(0, 3).join(', ')} codes ${r.codes}` : ''}\n`);
const dataKinds = Object.keys(KINDS).filter((k) => !k.startsWith('code:'));
all.push(...(await differential({ runner: inProcessRunner(main), kinds: dataKinds, trials, seed, log })));
if (!values['no-code'] && !values.dist) {
  // code edits: each trial edits `normalize`'s built module and reverts it, with a few data edits between
  const app = makeApp();
  const codeKinds = [...Object.keys(KINDS).filter((k) => k.startsWith('code:')), 'data: append a row', 'param: edit'];
  all.push(...(await differential({ runner: app.run, kinds: codeKinds, trials, seed: seed + 1, app, log })));
}

const kinds = Object.keys(KINDS).filter((k) => all.some((r) => r.kind === k));
const rows = kinds.map((k) => {
  const rs = all.filter((r) => r.kind === k);
  return { kind: k, trials: rs.length, falseHits: rs.filter((r) => r.falseHit).length, recomputed: rs.reduce((n, r) => n + r.recomputed, 0), cached: rs.reduce((n, r) => n + r.cached, 0) };
});
const w = Math.max(...kinds.map((k) => k.length));
console.log(`| ${'edit kind'.padEnd(w)} | trials | false hits | cells recomputed | cells cached |`);
console.log(`|${'-'.repeat(w + 2)}|-------:|-----------:|-----------------:|-------------:|`);
for (const r of rows) console.log(`| ${r.kind.padEnd(w)} | ${String(r.trials).padStart(6)} | ${String(r.falseHits).padStart(10)} | ${String(r.recomputed).padStart(16)} | ${String(r.cached).padStart(12)} |`);
const falseHits = all.filter((r) => r.falseHit).length;
console.log(`\n${kinds.length} kinds, ${all.length} trials, ${falseHits} false hits, ${((Date.now() - t0) / 1000).toFixed(0)} s (seed ${seed}, ${dist})`);
process.exitCode = falseHits ? 1 : 0;
