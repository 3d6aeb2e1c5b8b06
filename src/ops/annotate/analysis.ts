/**
 * Labeling-function analysis with Snorkel's exact definitions (snorkel/labeling/analysis.py):
 * L is n×m with class indexes and -1 for abstain.
 *   coverage      rows with ≥ 1 vote                  lf coverage   rows where LF j votes
 *   overlap       rows with ≥ 2 votes                 lf overlaps   rows where j votes and ≥ 2 vote
 *   conflict      rows whose votes are not all equal  lf conflicts  rows where j votes and the row conflicts
 *   polarity      sorted distinct outputs of LF j     correct/incorrect/empirical accuracy against gold Y
 * All are fractions of n (use the `normalized*` helpers for Snorkel's normalize_by_* variants).
 */

export interface LFAnalysis {
  n: number;
  m: number;
  coverage: number;
  overlap: number;
  conflict: number;
  lfCoverages: number[];
  lfOverlaps: number[];
  lfConflicts: number[];
  polarities: number[][];
  /** the same as row counts: rows where LF j votes, and of those the overlap and conflict rows */
  counts: { coverage: number[]; overlaps: number[]; conflicts: number[] };
  /** with gold: counts over rows whose gold label is known (≥ 0) */
  correct?: number[];
  incorrect?: number[];
  /** correct / (correct + incorrect); 0 when the LF never votes on a gold row (as Snorkel) */
  accuracies?: number[];
}

/** `L[i*m + j]` or `L[i][j]`; `gold[i]` < 0 means unknown. */
export function analyzeLFs(L: ArrayLike<number> | number[][], n: number, m: number, gold?: ArrayLike<number>): LFAnalysis {
  const at = Array.isArray(L[0]) ? (i: number, j: number) => (L as number[][])[i][j] : (i: number, j: number) => (L as ArrayLike<number>)[i * m + j];
  let covered = 0;
  let overlapping = 0;
  let conflicting = 0;
  const cov = new Array<number>(m).fill(0);
  const ovl = new Array<number>(m).fill(0);
  const con = new Array<number>(m).fill(0);
  const pol = Array.from({ length: m }, () => new Set<number>());
  const correct = gold ? new Array<number>(m).fill(0) : undefined;
  const incorrect = gold ? new Array<number>(m).fill(0) : undefined;
  for (let i = 0; i < n; i++) {
    let votes = 0;
    let first = -1;
    let differ = false;
    for (let j = 0; j < m; j++) {
      const v = at(i, j);
      if (v < 0) continue;
      votes++;
      if (first < 0) first = v;
      else if (v !== first) differ = true;
      cov[j]++;
      pol[j].add(v);
      if (gold && correct && incorrect && gold[i] >= 0) {
        if (v === gold[i]) correct[j]++;
        else incorrect[j]++;
      }
    }
    if (votes >= 1) covered++;
    if (votes >= 2) overlapping++;
    if (differ) conflicting++;
    if (votes >= 2 || differ) {
      for (let j = 0; j < m; j++) {
        if (at(i, j) < 0) continue;
        if (votes >= 2) ovl[j]++;
        if (differ) con[j]++;
      }
    }
  }
  const frac = (x: number) => (n ? x / n : 0);
  const out: LFAnalysis = {
    n,
    m,
    coverage: frac(covered),
    overlap: frac(overlapping),
    conflict: frac(conflicting),
    lfCoverages: cov.map(frac),
    lfOverlaps: ovl.map(frac),
    lfConflicts: con.map(frac),
    polarities: pol.map((s) => [...s].sort((a, b) => a - b)),
    counts: { coverage: cov, overlaps: ovl, conflicts: con },
  };
  if (correct && incorrect) {
    out.correct = correct;
    out.incorrect = incorrect;
    out.accuracies = correct.map((c, j) => (c + incorrect[j] ? c / (c + incorrect[j]) : 0));
  }
  return out;
}

/** Snorkel's `lf_overlaps(normalize_by_coverage=True)`. */
export function normalizedOverlaps(a: LFAnalysis): number[] {
  return a.counts.overlaps.map((o, j) => (a.counts.coverage[j] ? o / a.counts.coverage[j] : 0));
}

/** Snorkel's `lf_conflicts(normalize_by_overlaps=True)`. */
export function normalizedConflicts(a: LFAnalysis): number[] {
  return a.counts.conflicts.map((c, j) => (a.counts.overlaps[j] ? c / a.counts.overlaps[j] : 0));
}
