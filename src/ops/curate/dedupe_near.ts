import { mkdirSync, renameSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { defineOp, OpError, type Row } from '../types.js';
import { requireColumns } from '../common.js';
import { beats, checkKeep, KEEP_POLICIES, rowLength, scoreOf, type KeepPolicy } from './dedupe.js';
import {
  bandKeys,
  curveLine,
  estimateJaccard,
  fmtBytes,
  indexMemory,
  jaccardSorted,
  KeyTable,
  detectionProbability,
  knee,
  MinHasher,
  optimalLsh,
  sortedUnique,
  UnionFind,
  type ShingleKind,
} from './minhash.js';

/** The compared text of a row: the chosen columns joined by newlines (null → empty). */
export function nearText(row: Row, columns: string[]): string {
  if (columns.length === 1) {
    const v = row[columns[0]];
    return typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
  }
  return columns
    .map((c) => {
      const v = row[c];
      return typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
    })
    .join('\n');
}

/** bands × rows from explicit params, or solved from the threshold. */
export function lshOf(params: Record<string, unknown>): { bands: number; rows: number; solved: boolean } {
  const bands = params.bands as number | undefined;
  const rows = params.rows as number | undefined;
  if (bands !== undefined && rows !== undefined) return { bands, rows, solved: false };
  const p = optimalLsh(params.threshold as number, params.perms as number, (params.recall_weight as number | undefined) ?? 0.5, (params.min_recall as number | undefined) ?? 0);
  return { bands: p.bands, rows: p.rows, solved: true };
}

/** A growable list of distinct pairs (a < b), deduplicated through a KeyTable. */
class PairList {
  a = new Int32Array(1024);
  b = new Int32Array(1024);
  length = 0;
  private seen = new KeyTable(1024);

  add(x: number, y: number): void {
    const lo = Math.min(x, y);
    const hi = Math.max(x, y);
    if (this.seen.get(lo, hi) !== -1) return;
    this.seen.swap(lo, hi, 1);
    if (this.length === this.a.length) {
      const a = new Int32Array(this.length * 2);
      const b = new Int32Array(this.length * 2);
      a.set(this.a);
      b.set(this.b);
      this.a = a;
      this.b = b;
    }
    this.a[this.length] = lo;
    this.b[this.length] = hi;
    this.length++;
  }

  dropIndex(): void {
    this.seen = new KeyTable(16);
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');
const j2 = (x: number) => x.toFixed(2);

export const dedupe_near = defineOp({
  name: 'dedupe_near',
  version: 2,
  kind: 'global',
  random: true,
  summary: 'drop near-duplicates (MinHash LSH over word or char shingles), keeping one row per cluster and adding a `cluster` column',
  doc:
    'Each row\'s text (the chosen columns, simplified like datatrove\'s `simplify_text` when `fold`: lowercase, digits → 0, punctuation → space, accents dropped) is cut into shingles — word n-grams (default 5) or char n-grams — and summarised by `perms` MinHash values (32-bit, seeded by the step seed, so runs are reproducible). ' +
    'Rows whose signatures agree on all `rows` values of at least one of `bands` bands are candidate pairs; a pair of Jaccard similarity s becomes a candidate with probability 1 − (1 − s^rows)^bands (the S-curve, printed before the work starts, with an estimate of the index memory). ' +
    'Without `bands`/`rows`, they are solved from `threshold`: among the b·r ≤ perms that find a pair at the threshold itself with probability ≥ `min_recall` (95% by default; the note states the probability), the one that minimises the false-positive area ∫₀ᵗ P(s) ds plus the false-negative area ∫ₜ¹ 1 − P(s) ds (datasketch\'s optimiser; `recall_weight` above 50% weighs misses more; 0.8 with 128 hashes gives 13 × 7, P(0.8) = 0.953; without the floor it would be 14 × 9, P(0.8) = 0.867). ' +
    'With `verify`, candidate pairs are re-read in a second pass and kept only when their exact shingle Jaccard is ≥ `threshold`. Pairs join into clusters (union-find); one row per cluster stays (`keep`), the others are dropped with reason "near-duplicate" and the kept row\'s id and their Jaccard to it (estimated from the signatures, or exact with `verify`). ' +
    'Every output row gets `cluster`: the id of its cluster\'s kept row (its own id when it has no near-duplicate), so `split` can group by it. `mode: mark` keeps every row (nothing dropped) with its `cluster`, so `split group: cluster` puts near-duplicates on one side instead of deleting them. `export_clusters: "clusters.jsonl"` writes one line per cluster of two or more rows: {cluster, kept, members}. ' +
    'Memory: 8 bytes per band per row plus one band\'s bucket table and a union-find (no row text); then a signature per cluster (its kept row\'s, for the Jaccard estimates) or, with `verify`, a shingle set per candidate row, read in a second pass. Rows are bucketed band by band; with `verify` each row is checked against the first and the previous row of each bucket it lands in.',
  params: [
    { name: 'columns', type: { kind: 'columns' }, positional: true, default: ['text'], doc: 'columns compared (joined by newlines)' },
    { name: 'threshold', type: { kind: 'percent' }, default: 0.8, doc: 'Jaccard similarity that makes two rows near-duplicates (solves bands × rows; the bar for `verify`)' },
    { name: 'perms', type: { kind: 'number', integer: true, min: 1, max: 1024 }, default: 128, doc: 'MinHash values per row' },
    { name: 'bands', type: { kind: 'number', integer: true, min: 1 }, doc: 'LSH bands (with `rows`; default: solved from threshold)' },
    { name: 'rows', type: { kind: 'number', integer: true, min: 1 }, doc: 'MinHash values per band (with `bands`; bands × rows ≤ perms)' },
    { name: 'shingle', type: { kind: 'enum', values: ['word', 'char'] }, default: 'word', doc: 'shingle unit: word n-grams or char n-grams' },
    { name: 'n', type: { kind: 'number', integer: true, min: 1, max: 1000 }, default: 5, doc: 'shingle length in words or chars (shorter texts are one shingle)' },
    { name: 'fold', type: { kind: 'bool' }, default: true, doc: 'simplify the text first (lowercase, digits → 0, punctuation → space, no accents)' },
    { name: 'verify', type: { kind: 'bool' }, default: true, doc: 'check candidate pairs by exact Jaccard ≥ threshold (a second pass over candidate rows); `verify: false` trusts the LSH estimate' },
    { name: 'keep', type: { kind: 'enum', values: KEEP_POLICIES }, default: 'first', doc: 'which row of a cluster stays: first, last, longest, or highest (by `score`)' },
    { name: 'score', type: { kind: 'column' }, doc: 'numeric column for `keep highest`' },
    { name: 'recall_weight', type: { kind: 'percent' }, default: 0.9, doc: 'weight of missed pairs vs false candidates when solving bands × rows (90% by default: recall first, `verify` removes the false candidates; 50%: the plain sum)' },
    { name: 'min_recall', type: { kind: 'percent' }, default: 0.95, doc: 'when solving bands × rows: the least probability of finding a pair whose Jaccard is the threshold itself (0: no floor)' },
    { name: 'mode', type: { kind: 'enum', values: ['drop', 'mark'] }, default: 'drop', doc: '`drop` keeps one row per cluster; `mark` keeps every row and only adds `cluster` (then `split group: cluster` keeps near-duplicates on one side)' },
    { name: 'export_clusters', type: { kind: 'path', access: 'write' }, doc: 'write clusters of 2+ rows as JSON Lines {cluster, kept, members}, relative to the recipe' },
  ],
  describe: (p) => `dedupe_near ${(p.columns as string[]).join(', ')} ≥ ${p.threshold}`,
  schema(ctx) {
    const p = ctx.params;
    requireColumns(ctx, 'columns', p.columns as string[]);
    checkKeep(ctx);
    const bands = p.bands as number | undefined;
    const rows = p.rows as number | undefined;
    if ((bands === undefined) !== (rows === undefined)) {
      ctx.error(bands === undefined ? 'rows' : 'bands', 'give `bands` and `rows` together, or neither', {
        help: 'without them, bands × rows are solved from `threshold`',
      });
    } else if (bands !== undefined && rows !== undefined && bands * rows > (p.perms as number)) {
      ctx.error('bands', `bands × rows = ${bands * rows} is more than perms = ${p.perms}`, {
        help: `set \`perms: ${bands * rows}\` or fewer bands or rows`,
        notes: ['each band uses `rows` of the row\'s `perms` MinHash values'],
      });
    }
    if ((p.threshold as number) <= 0 || (p.threshold as number) >= 1) ctx.error('threshold', 'threshold must be between 0 and 1 (exclusive)');
    const columns = ctx.input!.columns.filter((c) => c.name !== 'cluster');
    return { ...ctx.input!, columns: [...columns, { name: 'cluster', type: 'string' }] };
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const columns = params.columns as string[];
      const threshold = params.threshold as number;
      const perms = params.perms as number;
      const kind = params.shingle as ShingleKind;
      const n = params.n as number;
      const verify = params.verify as boolean;
      const keep = params.keep as KeepPolicy;
      const score = params.score as string | undefined;
      const { bands, rows, solved } = lshOf(params);
      if (bands * rows > perms) throw new OpError(`bands × rows = ${bands * rows} is more than perms = ${perms}`);
      const N = input.count;
      const needValue = keep === 'longest' || keep === 'highest';

      // what the index will catch, and what it will cost, before any work
      const mem = indexMemory(N, perms, bands, (needValue ? 8 : 0) + (verify ? 4 : 0), verify);
      const atThreshold = detectionProbability(threshold, bands, rows);
      const minRecall = params.min_recall as number;
      const header = `LSH ${bands} bands × ${rows} rows of ${perms} MinHash values over ${kind} ${n}-grams (${solved ? `solved for Jaccard ${threshold}` : 'as given'}; knee ≈ ${j2(knee(bands, rows))})`;
      const curve = `P(candidate | jaccard): ${curveLine(bands, rows)}`;
      const memLine = `index memory ≈ ${fmtBytes(mem.total)} for ${fmt(N)} rows (band keys ${fmtBytes(mem.bandKeys)}, buckets ${fmtBytes(mem.buckets)}, union-find ${fmtBytes(mem.unionFind)}, per-row maps ${fmtBytes(mem.perRow)}) + ~${fmtBytes(mem.perCandidate)} ${verify ? 'per candidate row (its shingle set, for verify)' : 'per cluster (its kept row\'s signature)'}`;
      const recallLine = `a pair at Jaccard ${threshold} exactly is a candidate with probability ${atThreshold.toFixed(3)}${solved ? (minRecall > 0 ? ` (bands × rows solved for ≥ ${minRecall}; \`min_recall\`)` : '') : atThreshold < minRecall ? ` ⚠ below ${minRecall}: more bands of fewer rows would find more` : ''}`;
      out.metric?.('lsh', { bands, rows, perms, threshold, p_candidate_at_threshold: atThreshold, knee: knee(bands, rows) });
      for (const line of [header, curve, recallLine, memLine]) {
        ctx.log(line);
        out.note(line);
      }

      // pass 1: signatures → band keys (8 bytes per band per row); the signature buffer is reused
      const hasher = new MinHasher(perms, ctx.seed, kind, n, params.fold as boolean);
      const keys = new Uint32Array(N * bands * 2);
      const value = needValue ? new Float64Array(N) : undefined;
      const sig = new Uint32Array(perms);
      // rows with no text at all (missing, null, blank) are not compared: "" and null are not near-duplicates
      const blank = new Uint8Array(N);
      let blanks = 0;
      let count = 0;
      for await (const row of input.rows()) {
        if (count >= N) throw new OpError(`dedupe_near: input has more rows than its count (${N})`);
        const text = nearText(row, columns);
        if (!text.trim()) {
          blank[count] = 1;
          blanks++;
        }
        hasher.signature(text, sig);
        bandKeys(sig, bands, rows, keys, count * bands * 2);
        if (value) value[count] = keep === 'longest' ? rowLength(row, columns) : scoreOf(row, score);
        count++;
        if (count % 1000 === 0) ctx.progress(count);
      }
      ctx.progress(count);

      // buckets, one band at a time. Without verify, each row joins the first row of its bucket.
      // With verify, each row is paired with the bucket's first and previous rows: a chain
      // s → c1 → c2 of copies of s still links c2 to s when c1–c2 alone falls below the threshold.
      const uf = new UnionFind(count);
      const pairs = verify ? new PairList() : undefined;
      const lastOf = verify ? new Int32Array(count) : undefined;
      const table = new KeyTable(count);
      const stride = bands * 2;
      for (let j = 0; j < bands; j++) {
        if (j) table.clear();
        for (let i = 0; i < count; i++) {
          if (blank[i]) continue;
          const o = i * stride + 2 * j;
          const first = table.setIfAbsent(keys[o], keys[o + 1], i);
          if (first === i) {
            if (lastOf) lastOf[i] = i;
            continue;
          }
          if (!pairs) {
            uf.union(first, i);
            continue;
          }
          const last = lastOf![first];
          pairs.add(last, i);
          if (last !== first) pairs.add(first, i);
          lastOf![first] = i;
        }
      }
      pairs?.dropIndex();

      // candidate rows: in a cluster (or, with verify, in a candidate pair)
      const cand = new Int32Array(count).fill(-1);
      let numCand = 0;
      if (pairs) {
        for (let e = 0; e < pairs.length; e++) {
          if (cand[pairs.a[e]] === -1) cand[pairs.a[e]] = numCand++;
          if (cand[pairs.b[e]] === -1) cand[pairs.b[e]] = numCand++;
        }
      } else {
        for (let i = 0; i < count; i++) if (uf.sizeOf(i) > 1) cand[i] = numCand++;
      }
      const exporting = Boolean(params.export_clusters);
      // ids of candidate rows: needed with verify (links), for the clusters file
      const ids: string[] | undefined = verify || exporting ? new Array(numCand) : undefined;

      // verify: pass 2 reads each candidate row's exact shingle set; pairs below the threshold go
      const sets: Uint32Array[] | undefined = verify ? new Array(numCand) : undefined;
      const bestPartner = verify ? new Int32Array(numCand).fill(-1) : undefined;
      const bestJ = verify ? new Float64Array(numCand) : undefined;
      const exact = (x: number, y: number) => jaccardSorted(sets![cand[x]], sets![cand[y]]);
      if (pairs && numCand) {
        let i = 0;
        for await (const row of input.rows()) {
          const c = cand[i++];
          if (c === -1) continue;
          ids![c] = String(row.id ?? i);
          sets![c] = sortedUnique(hasher.shingler.hashes(nearText(row, columns)));
        }
        let passed = 0;
        for (let e = 0; e < pairs.length; e++) {
          const x = pairs.a[e];
          const y = pairs.b[e];
          const sim = exact(x, y);
          if (sim < threshold) continue;
          passed++;
          uf.union(x, y);
          for (const [u, v] of [[x, y], [y, x]]) {
            if (sim > bestJ![cand[u]]) {
              bestJ![cand[u]] = sim;
              bestPartner![cand[u]] = v;
            }
          }
        }
        out.metric?.('verify', { candidate_pairs: pairs.length, passed, false_positives: pairs.length - passed });
        out.note(`verify: ${fmt(pairs.length)} candidate pair${pairs.length === 1 ? '' : 's'} checked, ${fmt(passed)} with exact Jaccard ≥ ${threshold}, ${fmt(pairs.length - passed)} false positive${pairs.length - passed === 1 ? '' : 's'} removed`);
      }

      // one kept row per cluster (ties: the earlier row), found in input order; clusters numbered
      const keptOf = new Int32Array(count).fill(-1);
      for (let i = 0; i < count; i++) {
        if (cand[i] === -1) continue;
        const r = uf.find(i);
        if (uf.size[r] < 2) continue;
        const k = keptOf[r];
        if (k === -1 || beats(keep, value ? value[i] : 0, value ? value[k] : 0)) keptOf[r] = i;
      }
      const clusterNo = new Int32Array(count).fill(-1);
      let clusters = 0;
      let largest = 0;
      for (let i = 0; i < count; i++) {
        if (cand[i] === -1) continue;
        const r = uf.find(i);
        if (uf.size[r] < 2 || keptOf[r] !== i) continue;
        clusterNo[r] = clusters++;
        largest = Math.max(largest, uf.size[r]);
      }
      const keptId: string[] = new Array(clusters);

      // with verify: each dropped row's exact Jaccard to its kept row, then the shingle sets can go
      const toKept = verify ? new Float64Array(numCand) : undefined;
      if (verify) {
        for (let i = 0; i < count; i++) {
          if (cand[i] === -1) continue;
          const r = uf.find(i);
          if (uf.size[r] < 2) continue;
          if (keptOf[r] === i) keptId[clusterNo[r]] = ids![cand[i]];
          else toKept![cand[i]] = exact(i, keptOf[r]);
        }
        sets!.length = 0;
      }

      // without verify: the kept rows' signatures (estimates for their members) and ids; a pass
      // of its own unless each kept row comes before its members (keep first) and no file is wanted
      const keptSigs = verify ? undefined : new Uint32Array(clusters * perms);
      const keptSeen = verify ? undefined : new Uint8Array(clusters);
      const sigOf = (c: number) => keptSigs!.subarray(c * perms, (c + 1) * perms);
      if (!verify && numCand && (keep !== 'first' || exporting)) {
        let i = 0;
        for await (const row of input.rows()) {
          const c = cand[i++];
          if (c === -1) continue;
          if (ids) ids[c] = String(row.id ?? i);
          const r = uf.find(i - 1);
          if (keptOf[r] !== i - 1) continue;
          const k = clusterNo[r];
          keptId[k] = String(row.id ?? i);
          hasher.signature(nearText(row, columns), sigOf(k));
          keptSeen![k] = 1;
        }
      }

      if (exporting) {
        const path = resolve(ctx.baseDir, params.export_clusters as string);
        const members: string[][] = Array.from({ length: clusters }, () => []);
        for (let i = 0; i < count; i++) {
          if (cand[i] === -1) continue;
          const r = uf.find(i);
          if (uf.size[r] >= 2) members[clusterNo[r]].push(ids![cand[i]]);
        }
        const lines = members.map((m, k) => JSON.stringify({ cluster: keptId[k], kept: keptId[k], members: m }) + '\n');
        mkdirSync(dirname(path), { recursive: true });
        const tmp = `${path}.tmp-${process.pid}`;
        await writeFile(tmp, lines.join(''));
        renameSync(tmp, path);
        await out.wrote?.(path);
        out.note(`wrote ${relative(ctx.baseDir, path)} (${fmt(clusters)} cluster${clusters === 1 ? '' : 's'})`);
      }

      // pass 3: rows in input order, each with its cluster id; the non-kept members of a cluster dropped
      const scratch = new Uint32Array(perms);
      let i = 0;
      let dropped = 0;
      for await (const row of input.rows()) {
        const c = cand[i];
        const r = c === -1 ? -1 : uf.find(i);
        if (r === -1 || uf.size[r] < 2) {
          await out.emit({ ...row, cluster: String(row.id ?? i + 1) });
          i++;
          continue;
        }
        const k = clusterNo[r];
        if (keptOf[r] === i) {
          if (!verify && !keptSeen![k]) {
            keptId[k] = String(row.id ?? i + 1);
            hasher.signature(nearText(row, columns), sigOf(k));
            keptSeen![k] = 1;
          }
          await out.emit({ ...row, cluster: keptId[k] });
          i++;
          continue;
        }
        const cluster = keptId[k];
        if (params.mode === 'mark') {
          dropped++;
          await out.emit({ ...row, cluster });
          i++;
          continue;
        }
        let detail: string;
        if (verify) {
          const sim = toKept![c];
          const via = bestPartner![c];
          detail = `near-duplicate of ${cluster} (jaccard ${j2(sim)} exact`;
          detail += sim >= threshold || via === -1 || via === keptOf[r] ? ` ≥ ${threshold})` : ` to it; linked through ${ids![cand[via]]}, jaccard ${j2(bestJ![c])} ≥ ${threshold})`;
        } else {
          const sim = estimateJaccard(hasher.signature(nearText(row, columns), scratch), sigOf(k));
          detail = `near-duplicate of ${cluster} (jaccard ${j2(sim)} estimated; LSH ${bands}×${rows}, threshold ${threshold})`;
        }
        dropped++;
        await out.drop({ ...row, cluster }, 'near-duplicate', detail);
        i++;
      }
      if (blanks) out.note(`${fmt(blanks)} row${blanks === 1 ? '' : 's'} without text (missing, null or blank) not compared`);
      out.metric?.('rows', count);
      out.metric?.('not_compared', blanks);
      out.metric?.('clusters', clusters);
      out.metric?.('largest_cluster', largest);
      out.metric?.(params.mode === 'mark' ? 'marked' : 'dropped', dropped);
      if (params.mode === 'mark') out.note(`${fmt(dropped)} near-duplicate${dropped === 1 ? '' : 's'} marked in ${fmt(count)} rows, none dropped (mode mark): ${fmt(clusters)} cluster${clusters === 1 ? '' : 's'} (largest ${fmt(largest)} rows); \`cluster\` is the id of each cluster's ${keep} row`);
      else out.note(`${fmt(dropped)} near-duplicate${dropped === 1 ? '' : 's'} dropped from ${fmt(count)} rows: ${fmt(clusters)} cluster${clusters === 1 ? '' : 's'} (largest ${fmt(largest)} rows), keep ${keep}`);
    },
  },
});
