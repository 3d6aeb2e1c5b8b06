import { it } from 'vitest';
import { split } from '../../../src/ops/split/split.js';
import { leakage } from '../../../src/ops/split/leakage.js';
import { runGlobal } from './harness.js';
import { prng } from '../../../src/runtime/hash.js';
it('perf', async () => {
  const rand = prng(1);
  const words = Array.from({ length: 5000 }, (_, i) => `w${i}`);
  const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: `r${i}`, label: `c${Math.floor(rand() * 50)}`, tags: [`t${Math.floor(rand() * 30)}`, `t${Math.floor(rand() * 300)}`], cluster: `g${Math.floor(rand() * 50000)}` }));
  for (const p of [{}, { stratify: 'label' }, { stratify: 'tags' }, { group: 'cluster' }, { group: 'cluster', stratify: 'label' }, { by: 'hash' }]) {
    const t = Date.now();
    const r = await runGlobal(split, rows, { ratios: { train: 0.8, val: 0.1, test: 0.1 }, ...p });
    console.log(JSON.stringify(p), Date.now() - t, 'ms', Object.values(r.parts).map((x) => x.length));
  }
  const texts = Array.from({ length: 50_000 }, (_, i) => ({ id: `d${i}`, text: Array.from({ length: 40 }, () => words[Math.floor(rand() * 5000)]).join(' ') }));
  const t = Date.now();
  const r = await runGlobal(leakage, [], {}, { parts: { train: texts.slice(0, 40000), val: texts.slice(40000, 45000), test: [...texts.slice(45000), ...texts.slice(0, 100)] } });
  console.log('leakage', Date.now() - t, 'ms', r.notes.slice(0, 6).join('\n'));
}, 120000);
