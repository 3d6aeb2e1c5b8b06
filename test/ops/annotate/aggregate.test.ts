/** Aggregators and LF analysis against the design notes' vectors (§1.3, §1.4, §2.3). */
import { describe, expect, it } from 'vitest';
import { dawidSkene, logOddsWeight, plurality, type Vote } from '../../../src/ops/annotate/aggregate.js';
import { analyzeLFs, normalizedConflicts, normalizedOverlaps } from '../../../src/ops/annotate/analysis.js';

/** Label matrix rows → per-item votes (voter = LF column). */
const votesOf = (L: number[][]): Vote[][] => L.map((row) => row.flatMap((c, j) => (c >= 0 ? [[j, c] as Vote] : [])));

describe('LF analysis (Snorkel definitions)', () => {
  it('A: the docstring example', () => {
    const L = [[-1, 0, 0], [-1, -1, -1], [1, 0, -1], [-1, 0, -1], [0, 0, 0]];
    const a = analyzeLFs(L, 5, 3);
    expect([a.coverage, a.overlap, a.conflict]).toEqual([0.8, 0.6, 0.2]);
    expect(a.lfCoverages).toEqual([0.4, 0.8, 0.4]);
    expect(a.lfOverlaps).toEqual([0.4, 0.6, 0.4]);
    expect(normalizedOverlaps(a)).toEqual([1, 0.75, 1]);
    expect(a.lfConflicts).toEqual([0.2, 0.2, 0]);
    normalizedConflicts(a).forEach((x, j) => expect(x).toBeCloseTo([0.5, 1 / 3, 0][j], 12));
    expect(a.polarities).toEqual([[0, 1], [0], [0]]);
  });
  it('B: test_analysis.py with gold labels', () => {
    const L = [
      [-1, -1, 0, -1, -1, 0],
      [-1, -1, -1, 2, -1, -1],
      [2, -1, -1, -1, -1, 0],
      [1, -1, 2, -1, 0, 0],
      [-1, -1, -1, -1, -1, -1],
      [1, -1, 0, 2, 1, 0],
    ];
    const Y = [0, 1, 2, 0, 1, 2];
    const a = analyzeLFs(L.flat(), 6, 6, Y);
    const close = (xs: number[], ys: number[]) => xs.forEach((x, i) => expect(x).toBeCloseTo(ys[i], 12));
    close([a.coverage, a.overlap, a.conflict], [5 / 6, 4 / 6, 3 / 6]);
    expect(a.polarities).toEqual([[1, 2], [], [0, 2], [2], [0, 1], [0]]);
    close(a.lfCoverages, [3 / 6, 0, 3 / 6, 2 / 6, 2 / 6, 4 / 6]);
    close(a.lfOverlaps, [3 / 6, 0, 3 / 6, 1 / 6, 2 / 6, 4 / 6]);
    close(normalizedOverlaps(a), [1, 0, 1, 1 / 2, 1, 1]);
    close(a.lfConflicts, [3 / 6, 0, 2 / 6, 1 / 6, 2 / 6, 3 / 6]);
    close(normalizedConflicts(a), [1, 0, 2 / 3, 1, 1, 3 / 4]);
    expect(a.correct).toEqual([1, 0, 1, 1, 1, 2]);
    expect(a.incorrect).toEqual([2, 0, 2, 1, 1, 2]);
    close(a.accuracies!, [1 / 3, 0, 1 / 3, 1 / 2, 1 / 2, 1 / 2]);
  });
});

describe('majority and weighted vote', () => {
  it('C: MajorityLabelVoter probs and tie → abstain', () => {
    const items = votesOf([[0, 0, -1], [-1, 0, 1], [1, -1, 0]]);
    const d = items.map((v) => plurality(v, 2));
    expect(d.map((x) => x.probs)).toEqual([[1, 0], [0.5, 0.5], [0.5, 0.5]]);
    expect(d.map((x) => x.label)).toEqual([0, -1, -1]);
    expect(d[1].tie).toEqual([0, 1]);
  });
  it('Nitzan–Paroush: one p=0.9 voter for A beats two p=0.6 voters for B (plain MV picks B)', () => {
    const w = [logOddsWeight(0.9, 2), logOddsWeight(0.6, 2), logOddsWeight(0.6, 2)];
    expect(w[0]).toBeCloseTo(2.1972, 4);
    expect(w[1] + w[2]).toBeCloseTo(0.8109, 4);
    const votes: Vote[] = [[0, 0], [1, 1], [2, 1]];
    expect(plurality(votes, 2).label).toBe(1);
    const weighted = plurality(votes, 2, { weights: w, softmax: true });
    expect(weighted.label).toBe(0);
    expect(weighted.probs[0]).toBeCloseTo(0.8, 12); // 9 / (9 + 2.25)
    expect(logOddsWeight(1, 2)).toBeCloseTo(Math.log(99), 12); // clipped to 0.99
  });
});

describe('Dawid–Skene EM', () => {
  // crowd-kit test_dawid_skene_step_by_step: classes [no, yes], workers w1..w5
  const answers: Record<string, (0 | 1 | null)[]> = {
    t1: [0, 1, null, 1, 0],
    t2: [1, 1, 1, 0, 0],
    t3: [1, 0, 0, 1, 0],
    t4: [1, 1, 1, 1, 1],
    t5: [1, 0, 0, 0, 0],
  };
  const items: Vote[][] = Object.values(answers).map((ws) => ws.flatMap((c, w) => (c === null ? [] : [[w, c] as Vote])));
  const close = (xs: number[], ys: number[], d = 2) => xs.forEach((x, i) => expect(Math.abs(x - ys[i])).toBeLessThan(0.005 + 10 ** -d / 2));

  it('n_iter = 0: soft-MV init and one M-step', () => {
    const r = dawidSkene(items, 5, 2, { maxIter: 0 });
    close(r.probs.map((p) => p[0]), [0.5, 0.4, 0.6, 0, 0.8]);
    close(r.priors, [0.46, 0.54]);
    expect(r.labels).toEqual([0, 1, 0, 1, 0]); // t1's tie → the first class, "no"
    // errors[w][true][observed]: columns of the notes are true = no / yes
    const obs = (w: number, o: number) => [r.errors[w][0][o], r.errors[w][1][o]];
    close(obs(0, 0), [0.22, 0.19]);
    close(obs(1, 0), [0.61, 0.22]);
    close(obs(2, 0), [0.78, 0.27]);
    close(obs(3, 0), [0.52, 0.3]);
    close(obs(4, 0), [1.0, 0.63]);
    close(obs(4, 1), [0.0, 0.37]);
  });
  it('n_iter = 1: one E-step and M-step more', () => {
    const r = dawidSkene(items, 5, 2, { maxIter: 1 });
    close(r.probs.map((p) => p[0]), [0.35, 0.26, 0.87, 0, 0.95]);
    close(r.priors, [0.49, 0.51]);
    expect(r.labels).toEqual([1, 1, 0, 1, 0]);
    const obs = (w: number, o: number) => [r.errors[w][0][o], r.errors[w][1][o]];
    close(obs(0, 0), [0.14, 0.25]);
    close(obs(1, 0), [0.75, 0.07]);
    close(obs(2, 0), [0.87, 0.09]);
    close(obs(3, 0), [0.5, 0.31]);
    close(obs(4, 0), [1.0, 0.61]);
  });
  it('edge vectors: empty input, and the (worker − task) % 3 pattern for N = 3, 300, 30000 workers', () => {
    const empty = dawidSkene([], 0, 2);
    expect(empty.labels).toEqual([]);
    expect(empty.probs).toEqual([]);
    for (const N of [3, 300, 30000]) {
      const tasks: Vote[][] = [0, 1, 2].map((t) => Array.from({ length: N }, (_, w) => [w, (w - t) % 3 ? 1 : 0] as Vote));
      const r = dawidSkene(tasks, N, 2);
      for (const p of r.probs) {
        expect(p[0]).toBeCloseTo(1 / 3, 6);
        expect(p[1]).toBeCloseTo(2 / 3, 6);
      }
      expect(r.priors[0]).toBeCloseTo(1 / 3, 6);
    }
  });
  it('Dawid & Skene (1979) Table 1: class marginals (0.3996, 0.4220, 0.1118, 0.0667); disagrees with MV on patients 2, 12, 36', () => {
    // patient → observer → ratings (observer 1 rated each patient three times); classes 1..4
    const data: number[][][] = [
      [[1, 1, 1], [1], [1], [1], [1]], [[3, 3, 3], [4], [3], [3], [4]], [[1, 1, 2], [2], [1], [2], [2]], [[2, 2, 2], [3], [1], [2], [1]],
      [[2, 2, 2], [3], [2], [2], [2]], [[2, 2, 2], [3], [3], [2], [2]], [[1, 2, 2], [2], [1], [1], [1]], [[3, 3, 3], [3], [4], [3], [3]],
      [[2, 2, 2], [2], [2], [2], [3]], [[2, 3, 2], [2], [2], [2], [3]], [[4, 4, 4], [4], [4], [4], [4]], [[2, 2, 2], [3], [3], [4], [3]],
      [[1, 1, 1], [1], [1], [1], [1]], [[2, 2, 2], [3], [2], [1], [2]], [[1, 2, 1], [1], [1], [1], [1]], [[1, 1, 1], [2], [1], [1], [1]],
      [[1, 1, 1], [1], [1], [1], [1]], [[1, 1, 1], [1], [1], [1], [1]], [[2, 2, 2], [2], [2], [2], [1]], [[2, 2, 2], [1], [3], [2], [2]],
      [[2, 2, 2], [2], [2], [2], [2]], [[2, 2, 2], [2], [2], [2], [1]], [[2, 2, 2], [3], [2], [2], [2]], [[2, 2, 1], [2], [2], [2], [2]],
      [[1, 1, 1], [1], [1], [1], [1]], [[1, 1, 1], [1], [1], [1], [1]], [[2, 3, 2], [2], [2], [2], [2]], [[1, 1, 1], [1], [1], [1], [1]],
      [[1, 1, 1], [1], [1], [1], [1]], [[1, 1, 2], [1], [1], [2], [1]], [[1, 1, 1], [1], [1], [1], [1]], [[3, 3, 3], [3], [2], [3], [3]],
      [[1, 1, 1], [1], [1], [1], [1]], [[2, 2, 2], [2], [2], [2], [2]], [[2, 2, 2], [3], [2], [3], [2]], [[4, 3, 3], [4], [3], [4], [3]],
      [[2, 2, 1], [2], [2], [3], [2]], [[2, 3, 2], [3], [2], [3], [3]], [[3, 3, 3], [3], [4], [3], [2]], [[1, 1, 1], [1], [1], [1], [1]],
      [[1, 1, 1], [1], [1], [1], [1]], [[1, 2, 1], [2], [1], [1], [1]], [[2, 3, 2], [2], [2], [2], [2]], [[1, 2, 1], [1], [1], [1], [1]],
      [[2, 2, 2], [2], [2], [2], [2]],
    ];
    const items: Vote[][] = data.map((obs) => obs.flatMap((rs, w) => rs.map((c) => [w, c - 1] as Vote)));
    const r = dawidSkene(items, 5, 4, { maxIter: 1000, tol: 1e-10 });
    expect(r.converged).toBe(true);
    [0.3996, 0.422, 0.1118, 0.0667].forEach((p, j) => expect(Math.abs(r.priors[j] - p)).toBeLessThan(1e-3));
    const mv = items.map((v) => plurality(v, 4, { breakTie: (t) => t[0] }).label);
    const differ = r.labels.flatMap((l, i) => (l !== mv[i] ? [i + 1] : []));
    expect(differ).toEqual([2, 12, 36]);
    expect([2, 12, 36].map((p) => [mv[p - 1] + 1, r.labels[p - 1] + 1])).toEqual([[3, 4], [2, 3], [3, 4]]);
  });
});
