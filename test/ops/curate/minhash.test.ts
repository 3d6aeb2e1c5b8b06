import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bandKeys,
  curveLine,
  detectionProbability,
  estimateJaccard,
  indexMemory,
  jaccard,
  jaccardSorted,
  KeyTable,
  knee,
  MinHasher,
  optimalLsh,
  shingles,
  simplifyText,
  simplifyUnicode,
  sortedUnique,
  UnionFind,
} from '../../../src/ops/curate/minhash.js';
import { prng } from '../../../src/runtime/hash.js';

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const S = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9];

describe('the LSH S-curve 1 − (1 − s^r)^b', () => {
  it('matches the curation notes (§4.1) for datatrove 14×8, NeMo 20×13 and DJ 32×8', () => {
    expect(S.map((s) => round3(detectionProbability(s, 14, 8)))).toEqual([0.053, 0.211, 0.565, 0.772, 0.924, 0.988, 1.0]);
    expect(S.map((s) => round3(detectionProbability(s, 20, 13)))).toEqual([0.002, 0.026, 0.177, 0.382, 0.677, 0.924, 0.997]);
    expect(S.map((s) => round3(detectionProbability(s, 32, 8)))).toEqual([0.118, 0.418, 0.85, 0.966, 0.997, 1.0, 1.0]);
  });
  it('knees: datatrove ≈ 0.719, NeMo ≈ 0.794, DJ/text-dedup 25×10 ≈ 0.725', () => {
    expect(round3(knee(14, 8))).toBe(0.719);
    expect(round3(knee(20, 13))).toBe(0.794);
    expect(round3(knee(25, 10))).toBe(0.725);
  });
  it('prints the curve at the documented points', () => {
    expect(curveLine(9, 13)).toBe('0.50 → 0.001 · 0.60 → 0.012 · 0.70 → 0.084 · 0.80 → 0.399 · 0.85 → 0.686 · 0.90 → 0.929 · 0.95 → 0.998');
  });
});

describe('optimalLsh (datasketch _optimal_param: b·r ≤ perms, FP + FN area)', () => {
  it('0.7 with 256 perms gives 25 × 10, as Data-Juicer and text-dedup log (notes §4.1)', () => {
    expect(optimalLsh(0.7, 256)).toMatchObject({ bands: 25, rows: 10 });
  });
  it('0.8 with 128 perms gives 9 × 13 (checked against a Python port of datasketch)', () => {
    const p = optimalLsh(0.8, 128);
    expect([p.bands, p.rows]).toEqual([9, 13]);
    expect(p.falsePositive).toBeCloseTo(0.02531, 4);
    expect(p.falseNegative).toBeCloseTo(0.03328, 4);
  });
  it('other golden points, and a recall weight that trades false positives for misses', () => {
    expect(optimalLsh(0.8, 112)).toMatchObject({ bands: 9, rows: 12 });
    expect(optimalLsh(0.7, 128)).toMatchObject({ bands: 14, rows: 9 });
    expect(optimalLsh(0.5, 200)).toMatchObject({ bands: 33, rows: 6 });
    expect(optimalLsh(0.8, 128, 0.9)).toMatchObject({ bands: 14, rows: 9 });
    // the recall-weighted choice catches more pairs above the threshold
    expect(detectionProbability(0.85, 14, 9)).toBeGreaterThan(0.97);
    expect(detectionProbability(0.85, 9, 13)).toBeLessThan(0.7);
  });
});

describe('text and shingles', () => {
  it('simplifyText follows datatrove: lowercase, numbers → 0, punctuation → space, no accents', () => {
    expect(simplifyText('Café, 3.14 is  ½-ish!  Naïve ÀB')).toBe('cafe 0 is ½ ish naive ab'); // ½ is No, not Nd (Python's \d agrees)
    expect(simplifyText('٣٤ apples, ３ pears')).toBe('0 apples 0 pears');
    expect(simplifyText('1|2|3')).toBe('0 0 0');
    expect(simplifyText('  ')).toBe('');
  });
  it('the ASCII fast path agrees with the general one', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 60 }), (s) => simplifyText(s) === simplifyUnicode(s)), { numRuns: 2000 });
    expect(simplifyText('A\tb--C\n\n3,5 x_y')).toBe(simplifyUnicode('A\tb--C\n\n3,5 x_y'));
  });
  it('word and char shingles on tiny strings, with the short-text fallback', () => {
    expect(shingles('The cat sat on the mat', 'word', 3)).toEqual(['the cat sat', 'cat sat on', 'sat on the', 'on the mat']);
    expect(shingles('Hi there', 'word', 5)).toEqual(['hi there']);
    expect(shingles('', 'word', 5)).toEqual(['']);
    expect(shingles('abcde', 'char', 3)).toEqual(['abc', 'bcd', 'cde']);
    expect(shingles('ab', 'char', 3)).toEqual(['ab']);
  });
  it('Jaccard of shingle sets', () => {
    // {the cat sat, cat sat on, sat on the, on the mat} vs {the cat sat, cat sat on, sat on a, on a mat}: 2 / 6
    expect(jaccard(shingles('the cat sat on the mat', 'word', 3), shingles('the cat sat on a mat', 'word', 3))).toBeCloseTo(1 / 3, 10);
    expect(jaccard(shingles('abcd', 'char', 2), shingles('abce', 'char', 2))).toBeCloseTo(2 / 4, 10);
    expect(jaccard(['a'], ['b'])).toBe(0);
    expect(jaccard([], [])).toBe(1);
    expect(jaccardSorted(Uint32Array.of(1, 2, 3, 4), Uint32Array.of(3, 4, 5, 6))).toBeCloseTo(2 / 6, 10);
    expect(sortedUnique(Uint32Array.of(5, 1, 5, 3, 1))).toEqual(Uint32Array.of(1, 3, 5));
  });
});

describe('MinHash', () => {
  const rand = prng(11);
  const vocab = Array.from({ length: 5000 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + ((i / 26) | 0) % 26)}${String.fromCharCode(97 + ((i / 676) | 0))}`);
  const doc = (n: number) => Array.from({ length: n }, () => vocab[Math.floor(rand() * vocab.length)]);

  it('estimates the Jaccard of a constructed pair closely, and without bias over many pairs', () => {
    const a = doc(200);
    const b = [...a];
    for (const i of [20, 60, 100, 140, 180]) b[i] = 'changed';
    const truth = jaccard(shingles(a.join(' '), 'word', 5), shingles(b.join(' '), 'word', 5));
    expect(truth).toBeCloseTo((196 - 25) / (196 + 25), 10);
    const big = new MinHasher(1024, 3);
    expect(Math.abs(estimateJaccard(big.signature(a.join(' ')), big.signature(b.join(' '))) - truth)).toBeLessThan(0.05);

    const mh = new MinHasher(128, 7);
    const errors: number[] = [];
    for (let t = 0; t < 100; t++) {
      const x = doc(150);
      const y = [...x];
      const k = 1 + Math.floor(rand() * 15);
      for (let e = 0; e < k; e++) y[Math.floor(rand() * y.length)] = vocab[Math.floor(rand() * vocab.length)];
      const j = jaccard(shingles(x.join(' '), 'word', 5), shingles(y.join(' '), 'word', 5));
      errors.push(estimateJaccard(mh.signature(x.join(' ')), mh.signature(y.join(' '))) - j);
    }
    const mean = errors.reduce((p, q) => p + q, 0) / errors.length;
    const meanAbs = errors.reduce((p, q) => p + Math.abs(q), 0) / errors.length;
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(meanAbs).toBeLessThan(0.05);
  });

  it('is a function of the seed; equal texts after folding give equal signatures', () => {
    const t = doc(50).join(' ');
    expect(new MinHasher(64, 1).signature(t)).toEqual(new MinHasher(64, 1).signature(t));
    expect(new MinHasher(64, 1).signature(t)).not.toEqual(new MinHasher(64, 2).signature(t));
    const mh = new MinHasher(64, 1);
    expect(mh.signature('Hello, World! 42 times')).toEqual(mh.signature('hello world 7 TIMES'));
    expect(new MinHasher(64, 1, 'word', 5, false).signature('Hello world')).not.toEqual(new MinHasher(64, 1, 'word', 5, false).signature('hello world'));
    // unrelated texts share almost no MinHash values
    expect(estimateJaccard(mh.signature(doc(100).join(' ')), mh.signature(doc(100).join(' ')))).toBeLessThan(0.05);
  });

  it('band keys agree exactly when a band of the signature agrees', () => {
    const s1 = new Uint32Array(12).map((_, i) => i * 7);
    const s2 = Uint32Array.from(s1);
    s2[5] = 999; // band 1 of 3×4 differs
    const k1 = new Uint32Array(6);
    const k2 = new Uint32Array(6);
    bandKeys(s1, 3, 4, k1, 0);
    bandKeys(s2, 3, 4, k2, 0);
    expect([k1[0], k1[1], k1[4], k1[5]]).toEqual([k2[0], k2[1], k2[4], k2[5]]);
    expect([k1[2], k1[3]]).not.toEqual([k2[2], k2[3]]);
  });
});

describe('KeyTable and UnionFind', () => {
  it('maps 64-bit keys to ints and grows', () => {
    const t = new KeyTable(4);
    for (let i = 0; i < 1000; i++) expect(t.swap(i * 2654435761, i, i)).toBe(-1);
    for (let i = 0; i < 1000; i++) expect(t.get(i * 2654435761, i)).toBe(i);
    expect(t.swap(5 * 2654435761, 5, 77)).toBe(5);
    expect(t.get(1, 1)).toBe(-1);
    expect(t.setIfAbsent(1, 1, 3)).toBe(3);
    expect(t.setIfAbsent(1, 1, 4)).toBe(3);
    expect(t.size).toBe(1001);
    t.clear();
    expect(t.get(0, 0)).toBe(-1);
  });
  it('union-find joins transitively', () => {
    const u = new UnionFind(6);
    u.union(0, 1);
    u.union(2, 3);
    expect(u.union(1, 0)).toBe(false);
    u.union(1, 3);
    expect(u.find(0)).toBe(u.find(2));
    expect(u.sizeOf(3)).toBe(4);
    expect(u.sizeOf(5)).toBe(1);
  });
  it('estimates index memory from the row count only', () => {
    const m = indexMemory(1_000_000, 128, 9, 0, false);
    expect(m.bandKeys).toBe(72_000_000);
    expect(m.buckets).toBe(2 ** 21 * 12);
    expect(m.perCandidate).toBe(512);
  });
});
