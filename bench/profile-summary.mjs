// Summarize a V8 .cpuprofile (from `node --cpu-prof`): top functions and modules by self time.
//
//   node bench/profile-summary.mjs FILE.cpuprofile [--top 20]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';

/** Where a call frame's code lives: a dist/ file, a package, node internals, or V8 itself. */
function moduleOf(url) {
  if (!url) return '(v8/native)';
  if (url.startsWith('node:')) return url;
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + 14).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (p.startsWith(ROOT + '/')) return p.slice(ROOT.length + 1);
  return p;
}

export function summarize(profile, top = 20) {
  const { nodes, samples, timeDeltas } = profile;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map();
  const mods = new Map();
  for (const [id, us] of self) {
    const { callFrame: cf } = byId.get(id);
    const mod = moduleOf(cf.url);
    const name = cf.functionName || (cf.url ? '(anonymous)' : cf.functionName);
    const label = cf.url ? `${name || '(anonymous)'} — ${mod}:${cf.lineNumber + 1}` : name || '(unknown)';
    fns.set(label, (fns.get(label) ?? 0) + us);
    const modLabel = cf.url ? mod : ['(garbage collector)', '(program)', '(idle)'].includes(cf.functionName) ? cf.functionName : '(v8/native builtins)';
    mods.set(modLabel, (mods.get(modLabel) ?? 0) + us);
  }
  const rank = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([label, us]) => ({ label, ms: us / 1000, pct: (100 * us) / total }));
  return { totalMs: total / 1000, functions: rank(fns), modules: rank(mods) };
}

export function printSummary(s, log = console.log) {
  log(`profiled ${(s.totalMs / 1000).toFixed(1)} s of samples`);
  log('\ntop self time by module:');
  for (const m of s.modules) log(`  ${m.pct.toFixed(1).padStart(5)}%  ${(m.ms / 1000).toFixed(2).padStart(7)} s  ${m.label}`);
  log('\ntop self time by function:');
  for (const f of s.functions) log(`  ${f.pct.toFixed(1).padStart(5)}%  ${(f.ms / 1000).toFixed(2).padStart(7)} s  ${f.label}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, flag, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  printSummary(summarize(JSON.parse(readFileSync(file, 'utf8')), flag === '--top' ? Number(n) : 20));
}
