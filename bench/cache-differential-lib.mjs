// Cache differential test (#12): a seeded generator of recipe, data and cache edits; after each
// edit, a cached run and a `--no-cache` run of a fresh copy must write the same bytes. Used by
// bench/cache-differential.mjs (full sweep, built CLI) and test/runtime/cache-differential.test.ts
// (reduced, in-process from src/).
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, utimesSync, lutimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { prng } from '../dist/runtime/hash.js';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIRS = ['out'];

/** The project's seeded PRNG (sfc32, src/runtime/hash.ts) with helpers for deterministic edit sequences. */
export function rng(seed) {
  const next = prng(seed);
  const r = () => next();
  r.int = (n) => Math.floor(next() * n);
  r.pick = (xs) => xs[Math.floor(next() * xs.length)];
  return r;
}

const WORDS = ['please', 'update', 'thanks', 'urgent', 'order', 'account', 'phone', 'change', 'data', 'help', 'billing', 'login', 'shipping', 'refund', 'she', 'he', 'her', 'his'];

function row(r, n) {
  const len = r.int(9) === 0 ? 2 : 6 + r.int(10);
  const body = Array.from({ length: len }, () => r.pick(WORDS)).join(' ');
  return JSON.stringify({ id: `r${n}`, body, label: r.pick(['a', 'b', 'c']) });
}

const EVAL_LINE = 'please update the billing account data now';

export const RECIPE = `recipe diff
seed 7
param min = 12
use "lib/base.ftr"
source docs = jsonl "data/*.jsonl" { id: .id, text: .body, label: .label }
cell clean = docs | normalize | keep len(text) >= min "too short"
cell tagged = clean | bias_detect text dims: [custom] lexicon_file: "lexicon.json"
cell decont = tagged | decontaminate files: ["eval/*.jsonl"] n: 5
cell toks = decont | tokenize tokenizer_file: "tok/tokenizer.json" ids
cell parts = toks | split { train: 60%, val: 20%, test: 20% }
cell side = extra | normalize
export parts | write "out/parts/"
export tagged | write "out/tagged.jsonl"
export side | write "out/side.jsonl"
`;

const BASE = `recipe base
source extra = jsonl "data/extra.jsonl" { text: .body, label: .label }
`;

/** A project exercising sources, globs, a symlink, a lexicon, an eval set, a tokenizer and a `use`d recipe. */
export function makeProject(seed = 1, rows = 40) {
  const r = rng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'ftr-diff-'));
  const files = {
    'r.ftr': RECIPE,
    'lib/base.ftr': BASE,
    'lexicon.json': JSON.stringify({ billing_terms: ['billing'], login_terms: ['login'] }),
    'eval/a.jsonl': JSON.stringify({ text: EVAL_LINE }) + '\n',
    'tok/tokenizer.json': readFileSync(join(ROOT, 'test/fixtures/tokenizers/wordpiece-tickets.json'), 'utf8'),
  };
  let n = 0;
  for (const f of ['data/a.jsonl', 'data/b.jsonl', 'pool/x.jsonl', 'pool/y.jsonl', 'lib/data/extra.jsonl', 'lib/data/extra2.jsonl']) {
    files[f] = Array.from({ length: rows }, () => row(r, n++)).join('\n') + '\n';
  }
  // one row that the eval set contaminates
  files['data/a.jsonl'] += JSON.stringify({ id: 'contaminated', body: `${EVAL_LINE} indeed`, label: 'a' }) + '\n';
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  symlinkSync('../pool/x.jsonl', join(dir, 'data/link.jsonl'));
  // whole-millisecond times, so a restored mtime is exact
  const t = new Date('2024-01-01T00:00:00Z');
  for (const f of Object.keys(files)) utimesSync(join(dir, f), t, t);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// edit helpers

/** Replace `from` by `to` in a file; `keepTimes` puts the old mtime back (cp -p, touch -r, sync tools). */
function editFile(path, fn, keepTimes = false) {
  const st = statSync(path);
  writeFileSync(path, fn(readFileSync(path, 'utf8')));
  if (keepTimes) utimesSync(path, st.atime, st.mtime);
}

/** Change one row's text without changing the file's size (a letter for a letter). */
function sameSizeRowEdit(r, path) {
  editFile(
    path,
    (text) => {
      const lines = text.split('\n');
      const i = r.int(lines.length - 1);
      lines[i] = lines[i].replace(/"(body|text)":"([a-z])/, (_, k, c) => `"${k}":"${c === 'x' ? 'y' : 'x'}`);
      return lines.join('\n');
    },
    true,
  );
}

function objectFiles(dir) {
  const root = join(dir, '.ftr', 'objects');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f)));
}

/** Objects the last run's cells hold as output (so damaging them matters to a later run). */
function liveObjects(dir) {
  const stateDir = join(dir, '.ftr', 'state');
  const out = new Set();
  for (const f of readdirSync(stateDir)) {
    const st = JSON.parse(readFileSync(join(stateDir, f), 'utf8'));
    for (const c of Object.values(st.cells)) {
      for (const s of c.stages) {
        const p = join(dir, '.ftr', 'actions', s.key.slice(0, 2), `${s.key}.json`);
        if (!existsSync(p)) continue;
        try {
          const e = JSON.parse(readFileSync(p, 'utf8'));
          for (const ref of Object.values(e.output?.parts ?? {}).flat()) out.add(join(dir, '.ftr', 'objects', ref.hash.slice(0, 2), ref.hash));
        } catch {
          // a damaged entry: nothing to add
        }
      }
    }
  }
  return [...out].filter((p) => existsSync(p)).sort();
}

/** The stage entries the last run used. */
function liveEntries(dir) {
  const stateDir = join(dir, '.ftr', 'state');
  const out = new Set();
  for (const f of readdirSync(stateDir)) {
    for (const c of Object.values(JSON.parse(readFileSync(join(stateDir, f), 'utf8')).cells)) {
      for (const s of c.stages) out.add(join(dir, '.ftr', 'actions', s.key.slice(0, 2), `${s.key}.json`));
    }
  }
  return [...out].filter((p) => existsSync(p)).sort();
}

/** Something downstream re-runs (and reads upstream objects): toggle the keep threshold. */
function bumpMin(dir) {
  editFile(join(dir, 'r.ftr'), (t) => (t.includes('param min = 12') ? t.replace('param min = 12', 'param min = 13') : t.replace(/param min = \d+/, 'param min = 12')));
}

function swapVocab(text) {
  const a = text.match(/"please": (\d+)/);
  const b = text.match(/"thanks": (\d+)/);
  return text.replace(/"please": \d+/, `"please": ${b[1]}`).replace(/"thanks": \d+/, `"thanks": ${a[1]}`);
}

/**
 * The edit kinds: name → apply(ctx). ctx: { dir, r, runCached, app } — an edit may run the
 * recipe in between (edit then revert), or run a private copy of the built CLI (code edits).
 */
export const KINDS = {
  'data: append a row': ({ dir, r }) => appendFileSync(join(dir, 'data/a.jsonl'), row(r, 10_000 + r.int(1000)) + '\n'),
  'data: edit a row (new mtime)': ({ dir }) => editFile(join(dir, 'data/b.jsonl'), (t) => t.replace(/"body":"(\w+)/, (_, w) => `"body":"${w} changed`)),
  'data: same-size edit, mtime restored': ({ dir, r }) => sameSizeRowEdit(r, join(dir, 'data/b.jsonl')),
  'data: same-size edit, mtime kept by touch -r': ({ dir, r }) => sameSizeRowEdit(r, join(dir, 'data/a.jsonl')),
  'data: delete a row': ({ dir }) => editFile(join(dir, 'data/b.jsonl'), (t) => t.split('\n').slice(1).join('\n')),
  'data: add a file to the glob': ({ dir, r }) => writeFileSync(join(dir, `data/new-${r.int(1e6)}.jsonl`), row(r, 20_000 + r.int(1000)) + '\n'),
  'data: remove a file from the glob': ({ dir }) => {
    const extra = readdirSync(join(dir, 'data')).filter((f) => f.startsWith('new-'));
    if (extra.length) rmSync(join(dir, 'data', extra[0]));
    else renameSync(join(dir, 'data/b.jsonl'), join(dir, 'data/b.jsonl.off'));
  },
  'data: restore a removed file': ({ dir }) => {
    if (existsSync(join(dir, 'data/b.jsonl.off'))) renameSync(join(dir, 'data/b.jsonl.off'), join(dir, 'data/b.jsonl'));
    else appendFileSync(join(dir, 'data/b.jsonl'), '');
  },
  'data: mv swap of two equal-size, equal-mtime files': ({ dir }) => {
    const a = join(dir, 'pool/x.jsonl');
    const b = join(dir, 'pool/y.jsonl');
    // make them equal size and time first (pad the shorter one), then swap
    const [sa, sb] = [statSync(a).size, statSync(b).size];
    if (sa < sb) appendFileSync(a, ' '.repeat(sb - sa));
    if (sb < sa) appendFileSync(b, ' '.repeat(sa - sb));
    const t = new Date('2024-02-02T00:00:00Z');
    utimesSync(a, t, t);
    utimesSync(b, t, t);
    renameSync(a, join(dir, 'pool/tmp'));
    renameSync(b, a);
    renameSync(join(dir, 'pool/tmp'), b);
  },
  'data: touch (new mtime, same bytes)': ({ dir }) => {
    const t = new Date();
    utimesSync(join(dir, 'data/a.jsonl'), t, t);
  },
  'data: cp -p another file over it': ({ dir }) => {
    const st = statSync(join(dir, 'pool/y.jsonl'));
    cpSync(join(dir, 'pool/y.jsonl'), join(dir, 'pool/x.jsonl'));
    utimesSync(join(dir, 'pool/x.jsonl'), st.atime, st.mtime);
  },
  'symlink: retarget': ({ dir }) => {
    const link = join(dir, 'data/link.jsonl');
    const to = readFileSync(link).equals(readFileSync(join(dir, 'pool/x.jsonl'))) ? '../pool/y.jsonl' : '../pool/x.jsonl';
    unlinkSync(link);
    symlinkSync(to, link);
  },
  'symlink: retarget, link time restored': ({ dir }) => {
    const link = join(dir, 'data/link.jsonl');
    const st = lstatSync(link);
    const to = readFileSync(link).equals(readFileSync(join(dir, 'pool/x.jsonl'))) ? '../pool/y.jsonl' : '../pool/x.jsonl';
    unlinkSync(link);
    symlinkSync(to, link);
    lutimesSync(link, st.atime, st.mtime);
  },
  'symlink: target edited in place, mtime restored': ({ dir, r }) => sameSizeRowEdit(r, join(dir, 'pool/x.jsonl')),
  'lexicon: edit': ({ dir, r }) => editFile(join(dir, 'lexicon.json'), () => JSON.stringify({ [`g${r.int(100)}`]: [r.pick(WORDS)], login_terms: ['login'] })),
  'lexicon: same-size edit, mtime restored': ({ dir }) => editFile(join(dir, 'lexicon.json'), (t) => (t.includes('"login"') ? t.replace('"login"', '"phone"') : t.replace('"phone"', '"login"')), true),
  'eval set: edit': ({ dir, r }) => writeFileSync(join(dir, 'eval/a.jsonl'), JSON.stringify({ text: Array.from({ length: 8 }, () => r.pick(WORDS)).join(' ') }) + '\n'),
  'eval set: restore the contaminating line, mtime restored': ({ dir }) => editFile(join(dir, 'eval/a.jsonl'), () => JSON.stringify({ text: EVAL_LINE }) + '\n', true),
  'eval set: add a file': ({ dir, r }) => writeFileSync(join(dir, `eval/e${r.int(100)}.jsonl`), JSON.stringify({ text: Array.from({ length: 6 }, () => r.pick(WORDS)).join(' ') }) + '\n'),
  'tokenizer: swap two vocab ids (same size, mtime restored)': ({ dir }) => editFile(join(dir, 'tok/tokenizer.json'), swapVocab, true),
  'tokenizer: swap two vocab ids': ({ dir }) => editFile(join(dir, 'tok/tokenizer.json'), swapVocab),
  'use: edit the used recipe': ({ dir }) => editFile(join(dir, 'lib/base.ftr'), (t) => (t.includes('extra.jsonl') ? t.replace('extra.jsonl', 'extra2.jsonl') : t.replace('extra2.jsonl', 'extra.jsonl'))),
  'use: data of the used recipe, same-size edit, mtime restored': ({ dir, r }) => sameSizeRowEdit(r, join(dir, 'lib/data/extra.jsonl')),
  'param: edit': ({ dir }) => bumpMin(dir),
  'param: edit and revert': async ({ dir, runCached }) => {
    const before = readFileSync(join(dir, 'r.ftr'), 'utf8');
    editFile(join(dir, 'r.ftr'), (t) => t.replace('n: 5', 'n: 4'));
    await runCached();
    writeFileSync(join(dir, 'r.ftr'), before);
  },
  'param: seed': ({ dir, r }) => editFile(join(dir, 'r.ftr'), (t) => t.replace(/^seed \d+/m, `seed ${r.int(1000)}`)),
  'reorder: split ratios': ({ dir }) => editFile(join(dir, 'r.ftr'), (t) => t.replace(/split \{ (\w+: \d+%), (\w+: \d+%), (\w+: \d+%) \}/, 'split { $2, $3, $1 }')),
  'reorder: source mapping': ({ dir }) => editFile(join(dir, 'r.ftr'), (t) => t.replace(/\{ (\w+: \.\w+), (\w+: \.\w+), (\w+: \.\w+) \}/, '{ $2, $3, $1 }')),
  'reorder: lexicon file records': ({ dir }) => editFile(join(dir, 'lexicon.json'), (t) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(t)).reverse())), true),
  'output: same-size edit, mtime restored': ({ dir, r }) => sameSizeRowEdit(r, join(dir, 'out/tagged.jsonl')),
  'output: deleted': ({ dir }) => rmSync(join(dir, 'out/side.jsonl'), { force: true }),
  'cache: truncate an object': ({ dir, r }) => {
    const objs = liveObjects(dir);
    if (objs.length) truncateSync(r.pick(objs), 10);
    bumpMin(dir);
  },
  'cache: empty an object': ({ dir, r }) => {
    const objs = liveObjects(dir);
    if (objs.length) writeFileSync(r.pick(objs), '');
    bumpMin(dir);
  },
  'cache: flip a byte in an object (same size)': ({ dir, r }) => {
    const objs = liveObjects(dir);
    if (!objs.length) return;
    const p = r.pick(objs);
    const b = readFileSync(p);
    const i = r.int(b.length);
    b[i] = b[i] === 0x61 ? 0x62 : 0x61;
    writeFileSync(p, b);
    bumpMin(dir);
  },
  'cache: edit a row inside an object': ({ dir, r }) => {
    const objs = liveObjects(dir);
    if (objs.length) editFile(r.pick(objs), (t) => t.replace(/"text":"(\w)/, '"text":"Z$1'));
    bumpMin(dir);
  },
  'cache: delete an object': ({ dir, r }) => {
    const objs = objectFiles(dir);
    if (objs.length) rmSync(r.pick(objs));
    bumpMin(dir);
  },
  'cache: edit an action entry': ({ dir, r }) => {
    const entries = liveEntries(dir);
    if (!entries.length) return;
    const p = r.pick(entries);
    const e = JSON.parse(readFileSync(p, 'utf8'));
    // point it at another stage's outputs: valid JSON, plausible content
    const other = JSON.parse(readFileSync(r.pick(entries), 'utf8'));
    if (e.output && other.output) e.output = other.output;
    if (e.dropped) e.dropped.tampered = 1;
    writeFileSync(p, JSON.stringify(e));
  },
  'cache: truncate an action entry': ({ dir, r }) => {
    const entries = liveEntries(dir);
    if (entries.length) truncateSync(r.pick(entries), 17);
  },
  'cache: tamper with the file index': ({ dir }) => {
    const p = join(dir, '.ftr', 'files.json');
    if (!existsSync(p)) return;
    const index = JSON.parse(readFileSync(p, 'utf8'));
    const keys = Object.keys(index.files ?? index).filter((k) => k.includes('/data/'));
    const files = index.files ?? index;
    // claim every data file has the hash of the first one
    for (const k of keys) files[k].hash = files[keys[0]].hash;
    writeFileSync(p, JSON.stringify(index));
    sameSizeRowEdit(rng(keys.length), join(dir, 'data/a.jsonl'));
  },
  'code: edit an op (built CLI)': async ({ dir, app }) => {
    if (!app) return 'skipped';
    // a behaviour change in `normalize`, appended to its built module
    appendFileSync(join(app.root, 'dist/ops/clean/normalize.js'), `\nnormalize.map = ((m) => (p, c) => { const f = m(p, c); return (row) => { const o = f(row); return o && typeof o.text === 'string' ? { ...o, text: o.text + ' v2' } : o; }; })(normalize.map);\n`);
  },
  'code: revert the op edit (built CLI)': async ({ app }) => {
    if (!app) return 'skipped';
    writeFileSync(join(app.root, 'dist/ops/clean/normalize.js'), app.original);
  },
};

// ---------------------------------------------------------------------------------------------
// runs

function snapshot(dir) {
  const out = {};
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  for (const o of OUT_DIRS) walk(join(dir, o));
  return out;
}

/** In-process runs through `main` (src in tests, dist in the bench), stdout captured. */
export function inProcessRunner(main) {
  return async (file, args) => {
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = (chunk) => {
      out += String(chunk);
      return true;
    };
    let code;
    try {
      code = await main(['run', file, '--json', ...args], { out: () => undefined, err: () => undefined });
    } finally {
      process.stdout.write = write;
    }
    return { code, events: out.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
  };
}

/** A private copy of the built CLI (dist/ + bin/), whose op modules an edit may change. */
export function makeApp() {
  const root = mkdtempSync(join(tmpdir(), 'ftr-app-'));
  cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  const original = readFileSync(join(root, 'dist/ops/clean/normalize.js'), 'utf8');
  const run = async (file, args) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/ftr.js'), 'run', file, '--json', ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    return { code: r.status, events: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
  };
  return { root, original, run };
}

/**
 * Apply `trials` seeded edits per kind (kinds in a seeded order, round after round) to one project;
 * after each, compare a cached run with a --no-cache run of a fresh copy. A false hit: the cached
 * run wrote other bytes (or exited otherwise) than the fresh one.
 */
export async function differential({ runner, kinds = Object.keys(KINDS), trials = 1, seed = 1, app, log = () => undefined }) {
  const r = rng(seed);
  const dir = makeProject(seed);
  const file = join(dir, 'r.ftr');
  // code edits run every step through the private CLI, so the cache they meet is the one it made
  const codeKinds = kinds.filter((k) => k.startsWith('code:'));
  const useApp = app && codeKinds.length > 0;
  const run = (args = []) => (useApp ? app.run(file, args) : runner(file, args));
  const first = await run();
  if (first.code !== 0) throw new Error(`the differential project does not run: ${JSON.stringify(first.events.filter((e) => e.status === 'failed'))}`);
  const results = [];
  for (let round = 0; round < trials; round++) {
    const order = [...kinds].sort(() => r() - 0.5);
    for (const kind of order) {
      const skipped = (await KINDS[kind]({ dir, r, app: useApp ? app : undefined, runCached: () => run() })) === 'skipped';
      if (skipped) continue;
      const cached = await run();
      const mine = snapshot(dir);
      const twin = mkdtempSync(join(tmpdir(), 'ftr-diff-fresh-'));
      cpSync(dir, twin, { recursive: true, verbatimSymlinks: true, filter: (src) => !['.ftr', ...OUT_DIRS].includes(relative(dir, src)) });
      const fresh = await (useApp ? app.run(join(twin, 'r.ftr'), ['--no-cache']) : runner(join(twin, 'r.ftr'), ['--no-cache']));
      const theirs = snapshot(twin);
      rmSync(twin, { recursive: true, force: true });
      const differs = Object.keys({ ...mine, ...theirs }).filter((k) => mine[k] !== theirs[k]);
      const cells = cached.events.filter((e) => e.type === 'cell' && (e.status === 'cached' || e.status === 'done'));
      const result = {
        kind,
        round,
        falseHit: cached.code !== fresh.code || differs.length > 0,
        codes: [cached.code, fresh.code],
        differs,
        cached: cells.filter((e) => e.status === 'cached').length,
        recomputed: cells.filter((e) => e.status === 'done').length,
      };
      results.push(result);
      log(result);
      // resynchronise after a false hit, so the next kind is judged on its own
      if (result.falseHit) await run(['--no-cache']);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return results;
}
