/**
 * The arithmetic behind `split`: exact part sizes, per-class (stratified) sizes, iterative
 * stratification of multi-label rows and of groups, and stable hash assignment. Pure functions
 * of their inputs (randomness comes in as a seeded `rand`), so they are unit-tested directly.
 *
 * Ratios are turned into integer weights (scaled to 1e6) once; every size below is computed on
 * integers, never with float `ceil`/`floor` of `n·ratio` (0.07·100 = 7.000000000000001).
 */
import { createHash } from 'node:crypto';

const SCALE = 1_000_000;

export function ratioWeights(ratios: number[]): number[] {
  return ratios.map((r) => Math.round(r * SCALE));
}

/**
 * Exact part sizes for n rows: floors of n·ratio, then the remaining rows to the parts with the
 * largest remainders (ties to the earlier part). Integer arithmetic on ratios scaled to 1e6.
 */
export function largestRemainder(n: number, ratios: number[]): number[] {
  const weights = ratioWeights(ratios);
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.floor((n * w) / total));
  const rema = weights.map((w, i) => ({ i, r: (n * w) % total }));
  let left = n - sizes.reduce((a, b) => a + b, 0);
  rema.sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of rema) {
    if (left-- <= 0) break;
    sizes[i]++;
  }
  return sizes;
}

/**
 * Stratified part sizes: `a[c][j]` rows of class c in part j, such that every class adds up to its
 * count and every part to `largestRemainder(n)` — the same sizes as an unstratified split.
 *
 * 1. Each class gets ⌊n_c·r_j⌋ rows in each part. It then has k_c < #parts rows left, and each
 *    part j is short by d_j rows; Σk_c = Σd_j.
 * 2. The leftover rows are handed out one per (class, part) pair — so a class is never more than one
 *    row away from its exact share in any part — to pairs whose part is still short, largest
 *    remainder n_c·r_j mod 1 first; ties go by `tieRank` of the class (a seeded shuffle: like
 *    sklearn's approximate_mode, equal remainders are broken at random), then the earlier part.
 * 3. When that greedy pass leaves a class with rows no short part can take, earlier choices are
 *    moved along an augmenting path (class → part it has no extra row in → class that has one there →
 *    …→ a part still short), which keeps every pair at most one extra row. Only if no such path exists
 *    (not seen in practice) does a short part take a second extra row of a class.
 */
export function stratifiedSizes(counts: number[], ratios: number[], tieRank: number[]): number[][] {
  const weights = ratioWeights(ratios);
  const W = weights.reduce((a, b) => a + b, 0);
  const P = weights.length;
  const n = counts.reduce((a, b) => a + b, 0);
  const sizes = largestRemainder(n, ratios);
  const a = counts.map((nc) => weights.map((w) => Math.floor((nc * w) / W)));
  const rem = counts.map((nc) => weights.map((w) => (nc * w) % W));
  const need = counts.map((nc, c) => nc - a[c].reduce((x, y) => x + y, 0));
  const room = sizes.map((s, j) => s - a.reduce((x, row) => x + row[j], 0));
  const extra = counts.map(() => new Array<number>(P).fill(0));

  const pairs: { c: number; j: number; r: number }[] = [];
  counts.forEach((_, c) => weights.forEach((_, j) => rem[c][j] > 0 && pairs.push({ c, j, r: rem[c][j] })));
  pairs.sort((x, y) => y.r - x.r || tieRank[x.c] - tieRank[y.c] || x.j - y.j);
  for (const { c, j } of pairs) {
    if (need[c] > 0 && room[j] > 0) {
      extra[c][j] = 1;
      need[c]--;
      room[j]--;
    }
  }

  // augmenting paths for what the greedy pass could not place
  const order = counts.map((_, c) => c).sort((x, y) => tieRank[x] - tieRank[y]);
  for (const c0 of order) {
    while (need[c0] > 0) {
      const path = augment(c0, extra, room, rem, true) ?? augment(c0, extra, room, rem, false);
      if (path) {
        for (let k = 0; k < path.length; k++) {
          const { c, j } = path[k];
          extra[c][j] += k % 2 === 0 ? 1 : -1;
        }
        room[path[path.length - 1].j]--;
      } else {
        let best = 0;
        for (let j = 1; j < P; j++) if (room[j] > room[best]) best = j;
        extra[c0][best]++;
        room[best]--;
      }
      need[c0]--;
    }
  }
  return a.map((row, c) => row.map((x, j) => x + extra[c][j]));
}

/**
 * Breadth-first search for an alternating path from class c0: steps (c → j) add an extra row of c to
 * part j (c has none there), steps (j → c') take one away from c' (which has one there); it ends at
 * a part with room. Returned as the list of (class, part) pairs, even positions added, odd removed.
 */
function augment(c0: number, extra: number[][], room: number[], rem: number[][], zeroRestricted: boolean): { c: number; j: number }[] | undefined {
  const P = room.length;
  const seenPart = new Array<boolean>(P).fill(false);
  const seenClass = new Set<number>([c0]);
  type Node = { c: number; j: number; prev?: Node };
  let frontier: { c: number; prev?: Node }[] = [{ c: c0 }];
  while (frontier.length) {
    const next: { c: number; prev?: Node }[] = [];
    for (const { c, prev } of frontier) {
      for (let j = 0; j < P; j++) {
        if (seenPart[j] || extra[c][j] > 0 || (zeroRestricted && rem[c][j] === 0)) continue;
        seenPart[j] = true;
        const add: Node = { c, j, prev };
        if (room[j] > 0) {
          const path: { c: number; j: number }[] = [];
          for (let x: Node | undefined = add; x; x = x.prev) path.unshift({ c: x.c, j: x.j });
          return path;
        }
        for (let c2 = 0; c2 < extra.length; c2++) {
          if (seenClass.has(c2) || extra[c2][j] === 0) continue;
          seenClass.add(c2);
          next.push({ c: c2, prev: { c: c2, j, prev: add } });
        }
      }
    }
    frontier = next;
  }
  return undefined;
}

/** A unit of assignment: one row, or a whole group; `labels` are (label index, rows carrying it). */
export interface Unit {
  size: number;
  labels: [number, number][];
}

/**
 * Iterative stratification (Sechidis, Tsoumakas & Vlahavas 2011) over units — rows for multi-label
 * data, groups when a group column is set (a group's label counts are the sum over its rows).
 *
 * Part j wants `targets[j]` rows and, for each label l, the largest-remainder share of the rows that
 * carry l. Repeatedly take the label with the fewest rows still unassigned (ties: seeded), and send
 * each unassigned unit that carries it (in seeded order) to the part that wants that label most;
 * ties go to the part that wants the most rows, then at random. A part only takes a unit that fits
 * in what it still wants (when none fits: the parts that want the most rows), so with single rows
 * the part sizes come out exact. Units without labels go last, to the part that wants the most
 * rows. Then gaps are repaired: a label missing from a part is swapped in (see fillGaps). Returns
 * the part of each unit.
 */
export function iterativeStratify(units: Unit[], labelCount: number, targets: number[], ratios: number[], rand: () => number): Int32Array {
  const P = targets.length;
  const want = [...targets];
  const total = new Array<number>(labelCount).fill(0);
  const byLabel: number[][] = Array.from({ length: labelCount }, () => []);
  const order = shuffledRanks(units.length, rand);
  for (const [u, unit] of units.entries()) {
    for (const [l, v] of unit.labels) {
      total[l] += v;
      byLabel[l].push(u);
    }
  }
  for (const list of byLabel) list.sort((x, y) => order[x] - order[y]);
  const wantLabel = total.map((t) => largestRemainder(t, ratios));
  const left = [...total];
  const labelTie = shuffledRanks(labelCount, rand);
  const part = new Int32Array(units.length).fill(-1);
  // min-heap of (rows left, tie rank, label); a new entry is pushed whenever a count drops
  const heap = new MinHeap<[number, number, number]>((x, y) => x[0] - y[0] || x[1] - y[1]);
  for (let l = 0; l < labelCount; l++) if (left[l] > 0) heap.push([left[l], labelTie[l], l]);
  const done = new Array<boolean>(labelCount).fill(false);

  const place = (u: number, l: number | undefined) => {
    const unit = units[u];
    let cands: number[] = [];
    for (let j = 0; j < P; j++) if (want[j] >= unit.size) cands.push(j);
    if (!cands.length) {
      const most = Math.max(...want);
      for (let j = 0; j < P; j++) if (want[j] === most) cands.push(j);
    }
    if (l !== undefined) cands = best(cands, (j) => wantLabel[l][j]);
    cands = best(cands, (j) => want[j]);
    const j = cands.length === 1 ? cands[0] : cands[Math.floor(rand() * cands.length)];
    part[u] = j;
    want[j] -= unit.size;
    for (const [l2, v] of unit.labels) {
      wantLabel[l2][j] -= v;
      left[l2] -= v;
      if (!done[l2] && left[l2] > 0) heap.push([left[l2], labelTie[l2], l2]);
    }
  };

  while (heap.size) {
    const [count, , l] = heap.pop()!;
    // stale entry: the label is done or has fewer rows left (its current count was pushed too)
    if (done[l] || count !== left[l]) continue;
    done[l] = true;
    for (const u of byLabel[l]) if (part[u] < 0) place(u, l);
  }
  const rest: number[] = [];
  for (let u = 0; u < units.length; u++) if (part[u] < 0) rest.push(u);
  rest.sort((x, y) => order[x] - order[y]);
  for (const u of rest) place(u, undefined);
  fillGaps(units, part, byLabel, labelCount, targets, order);
  return part;
}

/**
 * Repair after iterative stratification: when a label has no row in a part that wants rows, swap a
 * unit carrying it (from a part that keeps the label without it) with a unit of that part of the same
 * size, provided the swap leaves no other label missing where it was present. Sizes do not change;
 * every swap fills a gap and opens none, so this ends. Units are tried in the seeded order; the search
 * is capped (per gap and in all) so large inputs stay fast.
 */
function fillGaps(units: Unit[], part: Int32Array, byLabel: number[][], labelCount: number, targets: number[], order: Int32Array): void {
  const P = targets.length;
  const cnt = Array.from({ length: labelCount }, () => new Array<number>(P).fill(0));
  const inPart: number[][] = targets.map(() => []);
  units.forEach((u, i) => {
    inPart[part[i]].push(i);
    for (const [l, v] of u.labels) cnt[l][part[i]] += v;
  });
  for (const list of inPart) list.sort((x, y) => order[x] - order[y]);
  let budget = 100_000 + 2 * units.length;
  // does moving unit `out` from part a and `inn` into it leave every label present in a that was present?
  const keeps = (a: number, out: number, inn: number) => {
    for (const [l, v] of units[out].labels) {
      const back = units[inn].labels.find(([l2]) => l2 === l)?.[1] ?? 0;
      if (cnt[l][a] - v + back < 1) return false;
    }
    return true;
  };
  for (let l = 0; l < labelCount; l++) {
    for (let j = 0; j < P; j++) {
      if (cnt[l][j] > 0 || targets[j] === 0) continue;
      let tries = 0;
      search: for (const u of byLabel[l]) {
        const k = part[u];
        // u must be able to leave k without taking the label with it (no row of j carries it)
        if (k === j || cnt[l][k] - (units[u].labels.find(([l2]) => l2 === l)?.[1] ?? 0) < 1) continue;
        for (const w of inPart[j]) {
          if (++tries > 5_000 || --budget < 0) break search;
          if (units[w].size !== units[u].size || !keeps(k, u, w) || !keeps(j, w, u)) continue;
          for (const [l2, v] of units[u].labels) (cnt[l2][k] -= v), (cnt[l2][j] += v);
          for (const [l2, v] of units[w].labels) (cnt[l2][j] -= v), (cnt[l2][k] += v);
          part[u] = j;
          part[w] = k;
          inPart[j][inPart[j].indexOf(w)] = u;
          inPart[k][inPart[k].indexOf(u)] = w;
          break search;
        }
      }
    }
  }
}

function best(cands: number[], score: (j: number) => number): number[] {
  let top = -Infinity;
  let out: number[] = [];
  for (const j of cands) {
    const s = score(j);
    if (s > top) {
      top = s;
      out = [j];
    } else if (s === top) out.push(j);
  }
  return out;
}

/** rank[i] = position of i in a seeded Fisher–Yates shuffle of 0..n-1. */
export function shuffledRanks(n: number, rand: () => number): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[perm[i]] = i;
  return rank;
}

class MinHeap<T> {
  private items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i], a[p]) >= 0) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.less(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Default salt of hash splits: the key scheme of the design notes (§5.5). */
export const HASH_SALT = 'ftr-split-v1';

/** First 4 bytes (big-endian) of sha256(salt ‖ 0x00 ‖ key), as an unsigned 32-bit integer. */
export function hashKey(key: string, salt = HASH_SALT): number {
  return createHash('sha256').update(`${salt}\u0000${key}`, 'utf8').digest().readUInt32BE(0);
}

/** u = hashKey / 2^32 in [0, 1). */
export function hashUnit(key: string, salt = HASH_SALT): number {
  return hashKey(key, salt) / 4294967296;
}

/**
 * The part a hash falls in: the first j with h/2^32 < (r_0 + … + r_j). Compared exactly on integers
 * (h·W < cum·2^32 stays below 2^53), so 80% means u < 0.8 with no float rounding at the boundary.
 */
export function hashPartOf(ratios: number[]): (h: number) => number {
  const weights = ratioWeights(ratios);
  const W = weights.reduce((a, b) => a + b, 0);
  const bounds: { j: number; cum: number }[] = [];
  let cum = 0;
  weights.forEach((w, j) => {
    cum += w;
    if (w > 0) bounds.push({ j, cum: cum * 4294967296 });
  });
  return (h) => {
    for (const b of bounds) if (h * W < b.cum) return b.j;
    return bounds[bounds.length - 1].j;
  };
}

/** The string a key value is hashed as: strings as they are, numbers as written, others as JSON. */
export function keyString(v: unknown): string | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}
