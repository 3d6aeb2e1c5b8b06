#!/usr/bin/env node
// Benchmark: what a CLI process pays before it does any work (fresh process per sample).
//
//   npm run build && node bench/startup.mjs [--runs 7] [--json]
//
// Measures, as medians over fresh processes:
//   node -e 0                      bare Node start-up (wall)
//   import chevrotain              the parser library (it pulls in lodash-es, many small ESM files)
//   import dist/cli/main.js        the rest of what `ftr check` loads (parser construction, ops…)
//   import dist/ui/reporter.js     what `ftr run` adds for plain/JSON output (Ink and React load
//                                  only when the Ink view is chosen)
//   ftr --version                  the whole CLI, doing nothing (wall)
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fmtMs, FTR, median, requireBuild, ROOT, runTimed, table, tempDir } from './lib.mjs';

export async function startupBreakdown(runs = 7) {
  const dir = tempDir('startup');
  const script = join(dir, 'imports.mjs');
  const url = (p) => JSON.stringify(pathToFileURL(join(ROOT, p)).href);
  writeFileSync(
    script,
    `const t0 = performance.now();
await import(${url('node_modules/chevrotain/lib/src/api.js')});
const t1 = performance.now();
await import(${url('dist/cli/main.js')});
const t2 = performance.now();
await import(${url('dist/ui/reporter.js')});
const t3 = performance.now();
console.log(JSON.stringify({ chevrotain: t1 - t0, main: t2 - t1, reporter: t3 - t2 }));
`,
  );
  const bare = [];
  const version = [];
  const parts = { chevrotain: [], main: [], reporter: [] };
  for (let k = 0; k < runs; k++) {
    bare.push((await runTimed(process.execPath, ['-e', '0'], { timeV: false })).wallMs);
    version.push((await runTimed(process.execPath, [FTR, '--version'], { timeV: false })).wallMs);
    const r = await runTimed(process.execPath, [script], { timeV: false });
    if (r.code !== 0) throw new Error(r.stderr);
    const j = JSON.parse(r.stdout);
    for (const key of Object.keys(parts)) parts[key].push(j[key]);
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    runs,
    nodeMs: median(bare),
    chevrotainMs: median(parts.chevrotain),
    mainMs: median(parts.main),
    reporterMs: median(parts.reporter),
    versionMs: median(version),
  };
}

export function startupTable(s) {
  return table(
    ['what', `median ms (${s.runs} fresh processes)`],
    [
      ['`node -e 0` (bare Node start-up, wall)', fmtMs(s.nodeMs)],
      ['import `chevrotain` (+ lodash-es)', fmtMs(s.chevrotainMs)],
      ['import `dist/cli/main.js` (rest of it: parser construction, ops, globbing…)', fmtMs(s.mainMs)],
      ['import `dist/ui/reporter.js` (plain and JSON reporters; Ink and React load only for the Ink view)', fmtMs(s.reporterMs)],
      ['`ftr --version` (whole CLI doing nothing, wall)', fmtMs(s.versionMs)],
    ],
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '7' }, json: { type: 'boolean', default: false } } });
  requireBuild();
  if (!opt.json) console.log(`measuring ${ROOT}\n`);
  const s = await startupBreakdown(Number(opt.runs));
  console.log(opt.json ? JSON.stringify(s, null, 2) : startupTable(s));
}
