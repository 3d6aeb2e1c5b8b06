/**
 * Turning several votes per item into one label: majority vote (Snorkel's MajorityLabelVoter:
 * ties abstain), weighted vote with Nitzan–Paroush log-odds weights, and the Dawid–Skene EM label
 * model (crowd-kit's DawidSkene: soft-majority init, M-step, E-step in log space). Votes are
 * (voter, class) pairs; a voter may vote more than once on an item (Dawid & Skene's observer 1).
 */

/** One vote: voter index (annotator or rule) and class index. */
export type Vote = [voter: number, cls: number];

export interface Decision {
  /** class index, or -1 when the vote abstains (no votes, or a tie under `abstain`) */
  label: number;
  /** probability (or share) of each class */
  probs: number[];
  /** the tied classes when the label is -1 because of a tie */
  tie?: number[];
}

/**
 * Weighted plurality: score_c = Σ weight of the votes for c. The top class wins; a tie abstains,
 * or goes to `breakTie(tied)` when given. Probabilities are vote shares (unweighted, as Snorkel's
 * MajorityLabelVoter) or, for `softmax`, exp(score_c) / Σ exp — the posterior of independent
 * voters with log-odds weights under a uniform prior.
 */
export function plurality(votes: Vote[], k: number, opts: { weights?: ArrayLike<number>; softmax?: boolean; breakTie?: (tied: number[]) => number } = {}): Decision {
  const score = new Array<number>(k).fill(0);
  for (const [v, c] of votes) score[c] += opts.weights ? opts.weights[v] : 1;
  if (!votes.length) return { label: -1, probs: new Array(k).fill(1 / k) };
  let probs: number[];
  if (opts.softmax) {
    const max = Math.max(...score);
    const e = score.map((s) => Math.exp(s - max));
    const z = e.reduce((a, b) => a + b, 0);
    probs = e.map((x) => x / z);
  } else {
    const z = score.reduce((a, b) => a + b, 0);
    probs = z > 0 ? score.map((s) => s / z) : new Array(k).fill(1 / k);
  }
  const best = Math.max(...score);
  // scores are sums of the same few weights: compare with a tolerance so float order cannot pick a winner
  const tied = score.flatMap((s, c) => (Math.abs(s - best) <= 1e-12 * Math.max(1, Math.abs(best)) ? [c] : []));
  if (tied.length === 1) return { label: tied[0], probs };
  if (opts.breakTie) return { label: opts.breakTie(tied), probs, tie: tied };
  return { label: -1, probs, tie: tied };
}

/**
 * Nitzan–Paroush weight of an independent voter with accuracy p among k classes:
 * log((k − 1)·p / (1 − p)), p clipped to [0.01, 0.99].
 */
export function logOddsWeight(p: number, k: number): number {
  const q = Math.min(0.99, Math.max(0.01, p));
  return Math.log(((Math.max(k, 2) - 1) * q) / (1 - q));
}

export interface DawidSkeneOptions {
  /** E+M rounds after the initial M-step (0: init + one M-step only) */
  maxIter?: number;
  /** stop when Σ|Δπ| and Σ|Δθ| both fall below this */
  tol?: number;
  /** add-α smoothing of the confusion counts (0: none, like crowd-kit) */
  smoothing?: number;
}

export interface DawidSkeneResult {
  /** posterior T[i][j] = P(true class j | item i's votes) */
  probs: number[][];
  /** argmax of probs (ties: the lowest class index, as crowd-kit); -1 for items without votes */
  labels: number[];
  /** class priors π */
  priors: number[];
  /** errors[w][j][l] = P(voter w says l | true class j) */
  errors: number[][][];
  iterations: number;
  converged: boolean;
}

/**
 * Dawid & Skene (1979) EM. Init: the soft majority vote (normalised vote counts per item).
 * M-step: π_j = mean_i T_ij; θ_w[j][l] ∝ Σ_i T_ij · count_iwl (+ smoothing), normalised over l (a
 * voter with no mass on class j gets a uniform row). E-step: T_ij ∝ π_j Π_w Π_l θ_w[j][l]^count_iwl,
 * in log space. Items without votes keep the prior and label -1; they do not enter π.
 */
export function dawidSkene(items: Vote[][], voters: number, k: number, opts: DawidSkeneOptions = {}): DawidSkeneResult {
  const maxIter = opts.maxIter ?? 100;
  const tol = opts.tol ?? 1e-6;
  const alpha = opts.smoothing ?? 0;
  const voted = items.map((v) => v.length > 0);
  const nVoted = voted.filter(Boolean).length;
  let T: number[][] = items.map((votes) => {
    const row = new Array<number>(k).fill(0);
    for (const [, c] of votes) row[c]++;
    const z = row.reduce((a, b) => a + b, 0);
    return z ? row.map((x) => x / z) : new Array(k).fill(1 / k);
  });

  const mStep = (T: number[][]): { priors: number[]; errors: number[][][] } => {
    const priors = new Array<number>(k).fill(0);
    T.forEach((row, i) => {
      if (voted[i]) row.forEach((p, j) => (priors[j] += p));
    });
    for (let j = 0; j < k; j++) priors[j] = nVoted ? priors[j] / nVoted : 1 / k;
    const errors = Array.from({ length: voters }, () => Array.from({ length: k }, () => new Array<number>(k).fill(alpha)));
    items.forEach((votes, i) => {
      for (const [w, l] of votes) for (let j = 0; j < k; j++) errors[w][j][l] += T[i][j];
    });
    for (const e of errors) {
      for (let j = 0; j < k; j++) {
        const z = e[j].reduce((a, b) => a + b, 0);
        for (let l = 0; l < k; l++) e[j][l] = z > 0 ? e[j][l] / z : 1 / k;
      }
    }
    return { priors, errors };
  };

  const eStep = (priors: number[], errors: number[][][]): number[][] =>
    items.map((votes, i) => {
      if (!voted[i]) return [...priors];
      const log = priors.map((p) => Math.log(p));
      for (const [w, l] of votes) for (let j = 0; j < k; j++) log[j] += Math.log(errors[w][j][l]);
      const max = Math.max(...log);
      if (max === -Infinity) return new Array(k).fill(1 / k);
      const e = log.map((x) => Math.exp(x - max));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / z);
    });

  let { priors, errors } = mStep(T);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    T = eStep(priors, errors);
    const next = mStep(T);
    iterations++;
    let dp = 0;
    let de = 0;
    for (let j = 0; j < k; j++) dp += Math.abs(next.priors[j] - priors[j]);
    for (let w = 0; w < voters; w++) for (let j = 0; j < k; j++) for (let l = 0; l < k; l++) de += Math.abs(next.errors[w][j][l] - errors[w][j][l]);
    priors = next.priors;
    errors = next.errors;
    if (dp < tol && de < tol) {
      converged = true;
      break;
    }
  }
  const labels = T.map((row, i) => {
    if (!voted[i]) return -1;
    let best = 0;
    for (let j = 1; j < k; j++) if (row[j] > row[best]) best = j;
    return best;
  });
  return { probs: T, labels, priors, errors, iterations, converged };
}

/**
 * Dawid–Skene over a dense label matrix (rules as voters): L[i·m + j] is rule j's class on row i,
 * or -1. Unlike annotators, a rule that does not fire has said something — so an abstain is one
 * more observed answer (index k) of every rule on every row that some rule labels. Without that,
 * a rule that only ever outputs one label would carry no information (its confusion row would be
 * 1 for every true class). Rows no rule labels take no part and get label -1.
 */
export function dawidSkeneMatrix(L: ArrayLike<number>, n: number, m: number, k: number, opts: DawidSkeneOptions = {}): { probs: Float64Array; labels: Int32Array; priors: number[]; errors: number[][][]; iterations: number; converged: boolean } {
  const maxIter = opts.maxIter ?? 100;
  const tol = opts.tol ?? 1e-6;
  const alpha = opts.smoothing ?? 0;
  const K = k + 1;
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if (L[i * m + j] >= 0) {
        rows.push(i);
        break;
      }
    }
  }
  const T = new Float64Array(n * k);
  for (const i of rows) {
    let z = 0;
    for (let j = 0; j < m; j++) {
      const c = L[i * m + j];
      if (c >= 0) {
        T[i * k + c]++;
        z++;
      }
    }
    for (let c = 0; c < k; c++) T[i * k + c] /= z;
  }
  const obs = (i: number, j: number) => (L[i * m + j] >= 0 ? L[i * m + j] : k);
  const mStep = () => {
    const priors = new Array<number>(k).fill(0);
    for (const i of rows) for (let c = 0; c < k; c++) priors[c] += T[i * k + c];
    for (let c = 0; c < k; c++) priors[c] = rows.length ? priors[c] / rows.length : 1 / k;
    const errors = Array.from({ length: m }, () => Array.from({ length: k }, () => new Array<number>(K).fill(alpha)));
    for (const i of rows) for (let j = 0; j < m; j++) {
      const l = obs(i, j);
      for (let c = 0; c < k; c++) errors[j][c][l] += T[i * k + c];
    }
    for (const e of errors) for (let c = 0; c < k; c++) {
      const z = e[c].reduce((a, b) => a + b, 0);
      for (let l = 0; l < K; l++) e[c][l] = z > 0 ? e[c][l] / z : 1 / K;
    }
    return { priors, errors };
  };
  let { priors, errors } = mStep();
  let iterations = 0;
  let converged = false;
  const log = new Array<number>(k);
  while (iterations < maxIter) {
    for (const i of rows) {
      for (let c = 0; c < k; c++) log[c] = Math.log(priors[c]);
      for (let j = 0; j < m; j++) {
        const l = obs(i, j);
        for (let c = 0; c < k; c++) log[c] += Math.log(errors[j][c][l]);
      }
      const max = Math.max(...log);
      let z = 0;
      for (let c = 0; c < k; c++) {
        const e = max === -Infinity ? 1 : Math.exp(log[c] - max);
        T[i * k + c] = e;
        z += e;
      }
      for (let c = 0; c < k; c++) T[i * k + c] /= z;
    }
    const next = mStep();
    iterations++;
    let dp = 0;
    let de = 0;
    for (let c = 0; c < k; c++) dp += Math.abs(next.priors[c] - priors[c]);
    for (let j = 0; j < m; j++) for (let c = 0; c < k; c++) for (let l = 0; l < K; l++) de += Math.abs(next.errors[j][c][l] - errors[j][c][l]);
    priors = next.priors;
    errors = next.errors;
    if (dp < tol && de < tol) {
      converged = true;
      break;
    }
  }
  const labels = new Int32Array(n).fill(-1);
  for (const i of rows) {
    let best = 0;
    for (let c = 1; c < k; c++) if (T[i * k + c] > T[i * k + best]) best = c;
    labels[i] = best;
  }
  return { probs: T, labels, priors, errors, iterations, converged };
}
