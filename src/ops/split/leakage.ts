import { createHash } from 'node:crypto';
import { defineOp, OpError, type Row, type RowSet } from '../types.js';
import { requireColumns } from '../common.js';
import { fmix32 } from '../../core/hash32.js';
import { dedupeText, foldExact } from '../curate/dedupe.js';
import { nearText } from '../curate/dedupe_near.js';
import { wordsOf } from '../curate/minhash.js';
import { LabelCounts, labelTable } from './labels.js';

/** MinHash signature length; bands × rows per band = SIG. */
const SIG = 64;
/** Stop collecting near-duplicate candidates past this many pairs (a note says so). */
const MAX_PAIRS = 2_000_000;

/**
 * The exact-match key of a row: each column's value as `dedupe` compares it (typed, strings folded:
 * NFKC, lowercase, every whitespace run one space), joined by NUL; undefined when every column is
 * missing, null or blank (such rows are not compared).
 */
export function comparedText(row: Row, columns: string[]): string | undefined {
  let blank = true;
  for (const c of columns) {
    const v = row[c];
    if (v !== null && v !== undefined && !(typeof v === 'string' && foldExact(v) === '')) blank = false;
  }
  return blank ? undefined : dedupeText(row, columns, true);
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const fmix = fmix32;

const SEEDS = Array.from({ length: SIG }, (_, i) => fmix(Math.imul(i + 1, 0x9e3779b9)));

/**
 * Hashes of the word k-shingles of a text, sorted and distinct, with `dedupe_near`'s words (its
 * `fold`: lowercase, digits → 0, punctuation → space, accents dropped), so the audit sees the pairs
 * dedup was meant to catch. A text with fewer than k words is one shingle; a text with no words has none.
 */
export function shingles(text: string, k: number): Uint32Array {
  const words = wordsOf(text, true);
  if (!words.length) return new Uint32Array(0);
  const set = new Set<number>();
  if (words.length <= k) set.add(fnv1a(words.join(' ')));
  else for (let i = 0; i + k <= words.length; i++) set.add(fnv1a(words.slice(i, i + k).join(' ')));
  return Uint32Array.from(set).sort();
}

/** Exact Jaccard similarity of two sorted, distinct hash sets. */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (!a.length && !b.length) return 1;
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      inter++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return inter / (a.length + b.length - inter);
}

/** Rows per LSH band: the largest that still finds a pair at the threshold with probability ≥ 99%. */
export function bandRows(threshold: number): number {
  for (const r of [8, 4, 2]) if (1 - (1 - threshold ** r) ** (SIG / r) >= 0.99) return r;
  return 1;
}

interface Pair {
  a: number;
  b: number;
  sim: number;
}

const fmt = (x: number) => x.toLocaleString('en-US');

export const leakage = defineOp({
  name: 'leakage',
  version: 2,
  kind: 'global',
  summary: 'audit a split for leaks: exact and near-duplicate rows (and shared groups) across parts; fail or fix',
  doc: [
    'Run after `split`: `cell audited = parts | leakage text`. Exact copies are found on the chosen columns compared as `dedupe` compares them (values keep their type; strings after NFKC, lowercasing and making every whitespace run one space); rows whose columns are all missing, null or blank are not compared.',
    'Exact leaks: the same folded text in two parts. Near leaks: rows of different parts whose word-shingle sets (`shingle` words, default 5, of the text simplified as `dedupe_near` does: lowercase, digits → 0, punctuation → space, accents dropped; the same shingles as `dedupe_near` by default, so the audit sees what dedup missed) have Jaccard similarity ≥ `near`, found with MinHash (64 hashes, LSH bands sized for the threshold) and confirmed on the exact shingle sets. With `group`, a group value found in two parts is a leak too.',
    'Notes count leaks per pair of parts (distinct texts, near pairs, groups), rows with a copy in another part, a few examples, and the label distribution per part side by side (`label`, or the input\'s `label` column).',
    '`fix: { drop_from: "test" }` drops that part\'s leaking rows with reason "leak" (and what they leak from). `fail` makes the run fail when any leak is left after the fix. Otherwise every row goes back to its own part unchanged.',
  ].join(' '),
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, default: ['text'], doc: 'columns compared across parts' },
    { name: 'near', type: { kind: 'percent' }, default: 0.8, doc: 'Jaccard similarity from which two rows are near duplicates; 0% skips the near-duplicate search' },
    { name: 'shingle', type: { kind: 'number', integer: true, min: 1, max: 16 }, default: 5, doc: 'words per shingle for near duplicates (5, with the words `dedupe_near` uses by default)' },
    { name: 'group', type: { kind: 'column' }, doc: 'a value of this column found in two parts is a leak (cluster, conversation, parent)' },
    { name: 'label', type: { kind: 'column' }, doc: 'label column shown per part in the notes (default: `label` when the input has it)' },
    { name: 'fail', type: { kind: 'bool' }, default: false, doc: 'fail the run when a leak is left' },
    { name: 'fix', type: { kind: 'record' }, doc: '{ drop_from: "test" } drops the leaking rows of that part (reason "leak")' },
    { name: 'examples', type: { kind: 'number', integer: true, min: 0, max: 100 }, default: 3, doc: 'example leaks shown in the notes' },
  ],
  describe: (p) => `leakage ${(p.columns as string[]).join(', ')}${p.fail ? ' fail' : ''}${p.fix ? ` fix ${(p.fix as { drop_from?: string }).drop_from}` : ''}`,
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'columns', p.columns as string[]);
    const parts = ctx.input?.parts ?? [];
    if (parts.length < 2) {
      ctx.error(undefined, 'leakage compares the parts of a split, but its input has no parts', {
        help: 'run it on a split cell: `cell audited = parts | leakage text`',
      });
    }
    if (p.fix !== undefined) {
      const fix = p.fix as Record<string, unknown>;
      const keys = Object.keys(fix);
      const from = fix.drop_from;
      if (keys.some((k) => k !== 'drop_from') || typeof from !== 'string') {
        ctx.error('fix', '`fix` takes one setting: { drop_from: "<part>" }', { help: `write \`fix: { drop_from: "${parts[parts.length - 1] ?? 'test'}" }\`` });
      } else if (parts.length >= 2 && !parts.includes(from)) {
        ctx.error('fix', `unknown part \`${from}\``, { notes: [`parts of the input: ${parts.join(', ')}`], help: `drop from one of ${parts.join(', ')}` });
      }
    }
    return ctx.input!;
  },
  global: {
    parts: 'all',
    async run(_input, params, ctx, out, extra) {
      const columns = params.columns as string[];
      const threshold = params.near as number;
      const k = params.shingle as number;
      const group = params.group as string | undefined;
      const labelCol = (params.label as string | undefined) ?? (ctx.schema.columns.some((c) => c.name === 'label') ? 'label' : undefined);
      const dropFrom = (params.fix as { drop_from?: string } | undefined)?.drop_from;
      const parts = ctx.schema.parts ?? Object.keys(extra).filter((x) => x.startsWith('part:')).map((x) => x.slice(5));
      const P = parts.length;
      const sets: RowSet[] = parts.map((p) => extra[`part:${p}`] ?? { count: 0, async *rows() {} });
      const N = sets.reduce((n, s) => n + s.count, 0);
      const each = async (fn: (row: Row, g: number, p: number) => Promise<void> | void) => {
        let g = 0;
        for (const [p, s] of sets.entries()) for await (const row of s.rows()) await fn(row, g++, p);
      };

      // pass 1: exact keys, groups, labels, MinHash signatures
      const partOf = new Uint8Array(N);
      const ids: string[] = new Array(N);
      const keys: (string | undefined)[] = new Array(N);
      const firstByKey = new Map<string, Int32Array>();
      const groupOf: (string | undefined)[] = group ? new Array(N) : [];
      const firstByGroup = new Map<string, Int32Array>();
      const sigs = threshold > 0 ? new Uint32Array(N * SIG) : undefined;
      const hasSig = new Uint8Array(N);
      const labels = labelCol ? new LabelCounts(parts) : undefined;
      const firstIn = (map: Map<string, Int32Array>, key: string, p: number, g: number) => {
        let f = map.get(key);
        if (!f) map.set(key, (f = new Int32Array(P).fill(-1)));
        if (f[p] < 0) f[p] = g;
      };
      await each((row, g, p) => {
        partOf[g] = p;
        ids[g] = row.id === undefined || row.id === null ? `#${g}` : String(row.id);
        labels?.add(p, row[labelCol!]);
        if (group) {
          const v = row[group];
          if (v !== null && v !== undefined && v !== '') firstIn(firstByGroup, (groupOf[g] = typeof v === 'string' ? v : JSON.stringify(v)), p, g);
        }
        const text = comparedText(row, columns);
        if (text === undefined) return;
        const key = createHash('sha1').update(text).digest('base64');
        keys[g] = key;
        firstIn(firstByKey, key, p, g);
        if (sigs) {
          const sh = shingles(nearText(row, columns), k);
          if (!sh.length) return;
          hasSig[g] = 1;
          const base = g * SIG;
          for (let i = 0; i < SIG; i++) {
            let m = 0xffffffff;
            const s = SEEDS[i];
            for (let t = 0; t < sh.length; t++) {
              const h = fmix(sh[t] ^ s);
              if (h < m) m = h;
            }
            sigs[base + i] = m;
          }
        }
        if ((g + 1) % 5000 === 0) ctx.progress(g + 1);
      });

      // near-duplicate candidates: LSH buckets holding rows of two parts with different texts
      const candidates = new Set<number>();
      let capped = false;
      if (sigs) {
        const r = bandRows(threshold);
        for (let b = 0; b < SIG / r && !capped; b++) {
          const buckets = new Map<number, number[]>();
          for (let g = 0; g < N; g++) {
            if (!hasSig[g]) continue;
            let h = b;
            for (let i = b * r; i < (b + 1) * r; i++) h = fmix(h ^ sigs[g * SIG + i]) + i;
            h >>>= 0;
            const list = buckets.get(h);
            if (list) list.push(g);
            else buckets.set(h, [g]);
          }
          for (const list of buckets.values()) {
            if (list.length < 2 || list.every((g) => partOf[g] === partOf[list[0]])) continue;
            for (let x = 0; x < list.length && !capped; x++) {
              for (let y = x + 1; y < list.length; y++) {
                const a = list[x];
                const c = list[y];
                if (partOf[a] === partOf[c] || keys[a] === keys[c]) continue;
                candidates.add(a * N + c);
                if (candidates.size >= MAX_PAIRS) {
                  capped = true;
                  break;
                }
              }
            }
          }
        }
      }

      // pass 2: confirm candidates on exact shingle sets
      const near: Pair[] = [];
      if (candidates.size) {
        const need = new Set<number>();
        for (const c of candidates) {
          need.add(Math.floor(c / N));
          need.add(c % N);
        }
        const sh = new Map<number, Uint32Array>();
        await each((row, g) => {
          if (need.has(g)) sh.set(g, shingles(nearText(row, columns), k));
        });
        for (const c of [...candidates].sort((x, y) => x - y)) {
          const a = Math.floor(c / N);
          const b = c % N;
          const sim = jaccard(sh.get(a)!, sh.get(b)!);
          if (sim >= threshold) near.push({ a, b, sim });
        }
      }

      // per pair of parts: distinct texts, near pairs, groups found in both
      const pairIdx = (p: number, q: number) => Math.min(p, q) * P + Math.max(p, q);
      const exactN = new Array<number>(P * P).fill(0);
      const nearN = new Array<number>(P * P).fill(0);
      const groupN = new Array<number>(P * P).fill(0);
      const countShared = (map: Map<string, Int32Array>, into: number[]) => {
        for (const f of map.values()) for (let p = 0; p < P; p++) for (let q = p + 1; q < P; q++) if (f[p] >= 0 && f[q] >= 0) into[pairIdx(p, q)]++;
      };
      countShared(firstByKey, exactN);
      countShared(firstByGroup, groupN);
      for (const { a, b } of near) nearN[pairIdx(partOf[a], partOf[b])]++;

      // why each row leaks (the first reason found), for counts and for `fix`
      const why = new Map<number, string>();
      const elsewhere = (f: Int32Array | undefined, p: number) => {
        if (!f) return -1;
        for (let q = 0; q < P; q++) if (q !== p && f[q] >= 0) return f[q];
        return -1;
      };
      for (let g = 0; g < N; g++) {
        const other = keys[g] === undefined ? -1 : elsewhere(firstByKey.get(keys[g]!), partOf[g]);
        if (other >= 0) why.set(g, `exact copy of ${parts[partOf[other]]}:${ids[other]}`);
      }
      for (const { a, b, sim } of near) {
        if (!why.has(a)) why.set(a, `near copy of ${parts[partOf[b]]}:${ids[b]} (Jaccard ${sim.toFixed(2)})`);
        if (!why.has(b)) why.set(b, `near copy of ${parts[partOf[a]]}:${ids[a]} (Jaccard ${sim.toFixed(2)})`);
      }
      if (group) {
        for (let g = 0; g < N; g++) {
          if (why.has(g) || groupOf[g] === undefined) continue;
          const other = elsewhere(firstByGroup.get(groupOf[g]!), partOf[g]);
          if (other >= 0) why.set(g, `group ${groupOf[g]} also in ${parts[partOf[other]]} (${ids[other]})`);
        }
      }
      const leakedIn = parts.map(() => 0);
      for (const g of why.keys()) leakedIn[partOf[g]]++;

      // examples: the first exact leaks (in row order) and the most similar near pairs, about half each
      const limit = params.examples as number;
      const exactEx: { a: number; b: number; sim?: number }[] = [];
      for (const f of firstByKey.values()) {
        if (exactEx.length >= limit) break;
        const at = [...f].filter((g) => g >= 0);
        if (at.length >= 2) exactEx.push({ a: at[at.length - 1], b: at[0] });
      }
      const nearEx = [...near].sort((x, y) => y.sim - x.sim || x.a - y.a || x.b - y.b).slice(0, limit).map(({ a, b, sim }) => ({ a: Math.max(a, b), b: Math.min(a, b), sim }));
      const nExact = Math.min(exactEx.length, Math.max(limit - nearEx.length, Math.ceil(limit / 2)));
      const examples = [...exactEx.slice(0, nExact), ...nearEx.slice(0, limit - nExact)];
      const want = new Set(examples.flatMap((e) => [e.a, e.b]));
      const snippet = new Map<number, string>();

      // pass 3: re-emit every row to its own part, or drop the leaking rows of the fixed part
      const fixPart = dropFrom === undefined ? -1 : parts.indexOf(dropFrom);
      let fixed = 0;
      await each(async (row, g, p) => {
        if (want.has(g)) {
          const t = columns.map((c) => (typeof row[c] === 'string' ? (row[c] as string) : JSON.stringify(row[c] ?? ''))).join(' | ').replace(/\s+/g, ' ').trim();
          snippet.set(g, t.length > 60 ? `${t.slice(0, 59)}…` : t);
        }
        const reason = p === fixPart ? why.get(g) : undefined;
        if (reason) {
          fixed++;
          await out.drop(row, 'leak', reason);
        } else await out.emit(row, parts[p]);
      });

      // notes
      const pairs: { p: number; q: number }[] = [];
      for (let p = 0; p < P; p++) for (let q = p + 1; q < P; q++) pairs.push({ p, q });
      const sum = (xs: number[]) => pairs.reduce((n, { p, q }) => n + xs[pairIdx(p, q)], 0);
      const [ex, nr, gr] = [sum(exactN), sum(nearN), sum(groupN)];
      // the table counts per pair of parts: distinct texts found in both, near pairs, groups found in both
      const what = `${columns.join(', ')}`;
      const nearWhat = threshold > 0 ? `Jaccard ≥ ${threshold.toFixed(2)} on ${k}-word shingles` : 'near-duplicate search off';
      const lines: string[] = [];
      if (!ex && !nr && !gr) {
        lines.push(`leakage on ${what}: none across ${parts.join(', ')} (exact; near: ${nearWhat}${group ? `; groups: ${group}` : ''})`);
      } else {
        const texts = [...firstByKey.values()].filter((f) => f.filter((g) => g >= 0).length >= 2).length;
        const groups = [...firstByGroup.values()].filter((f) => f.filter((g) => g >= 0).length >= 2).length;
        lines.push(`leakage on ${what}: ${fmt(texts)} text${texts === 1 ? '' : 's'} in several parts, ${fmt(nr)} near pair${nr === 1 ? '' : 's'} (${nearWhat})${group ? `, ${fmt(groups)} group${groups === 1 ? '' : 's'} in several parts (${group})` : ''}`);
        const header = ['pair', 'exact', 'near', ...(group ? ['groups'] : [])];
        const table = [header, ...pairs.map(({ p, q }) => [`${parts[p]} ↔ ${parts[q]}`, fmt(exactN[pairIdx(p, q)]), fmt(nearN[pairIdx(p, q)]), ...(group ? [fmt(groupN[pairIdx(p, q)])] : [])])];
        const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
        for (const r of table) lines.push(r.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  '));
        lines.push(`rows with a copy in another part: ${parts.map((p, j) => `${p} ${fmt(leakedIn[j])}`).join(' · ')}`);
        for (const e of examples) {
          const rel = e.sim === undefined ? '=' : '≈';
          lines.push(`e.g. ${parts[partOf[e.a]]}:${ids[e.a]} ${rel} ${parts[partOf[e.b]]}:${ids[e.b]}${e.sim === undefined ? '' : ` (${e.sim.toFixed(2)})`}  ${JSON.stringify(snippet.get(e.a) ?? '')}`);
        }
      }
      if (capped) lines.push(`near-duplicate search stopped at ${fmt(MAX_PAIRS)} candidate pairs; raise \`near\` to narrow it`);
      if (fixPart >= 0) lines.push(`fix: dropped ${fmt(fixed)} leaking row${fixed === 1 ? '' : 's'} from ${dropFrom} (reason "leak")`);
      if (labels) lines.push(...labelTable(labelCol!, labels));
      for (const l of lines) out.note(l);
      out.metric?.('pairs', Object.fromEntries(pairs.map(({ p, q }) => [`${parts[p]} ↔ ${parts[q]}`, { exact: exactN[pairIdx(p, q)], near: nearN[pairIdx(p, q)], ...(group ? { groups: groupN[pairIdx(p, q)] } : {}) }])));
      out.metric?.('rows_with_copy_elsewhere', Object.fromEntries(parts.map((p, j) => [p, leakedIn[j]])));
      out.metric?.('near', { threshold, shingle_words: k, pairs: near.length, capped });
      if (fixPart >= 0) out.metric?.('fixed', fixed);

      const left = pairs.filter(({ p, q }) => p !== fixPart && q !== fixPart);
      const remaining = left.reduce((n, { p, q }) => n + exactN[pairIdx(p, q)] + nearN[pairIdx(p, q)] + groupN[pairIdx(p, q)], 0);
      if (params.fail && remaining > 0) {
        const detail = left
          .map(({ p, q }) => {
            const i = pairIdx(p, q);
            const bits = [exactN[i] && `${fmt(exactN[i])} exact`, nearN[i] && `${fmt(nearN[i])} near`, groupN[i] && `${fmt(groupN[i])} shared group${groupN[i] === 1 ? '' : 's'}`].filter(Boolean);
            return bits.length ? `  ${parts[p]} ↔ ${parts[q]}: ${bits.join(', ')}` : '';
          })
          .filter(Boolean);
        const eg = examples.filter((e) => partOf[e.a] !== fixPart && partOf[e.b] !== fixPart).slice(0, 3).map((e) => `  e.g. ${parts[partOf[e.a]]}:${ids[e.a]} ${e.sim === undefined ? '=' : '≈'} ${parts[partOf[e.b]]}:${ids[e.b]}`);
        throw new OpError(
          [`leakage across parts on ${what}${fixPart >= 0 ? ` (after dropping leaks from ${dropFrom})` : ''}:`, ...detail, ...eg, `help: dedupe before splitting, split with \`group:\`, or add \`fix: { drop_from: "${parts[P - 1]}" }\``].join('\n'),
        );
      }
    },
  },
});
