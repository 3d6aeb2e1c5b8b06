/**
 * Classification metrics with scikit-learn's conventions: a class with no predicted (or no gold)
 * examples scores precision (recall) 0 — zero_division=0 — and macro averages run over every
 * declared label, including ones absent from both gold and predictions.
 */

export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** gold examples of the class */
  support: number;
}

export interface ClassificationReport {
  labels: string[];
  /** examples scored (token metrics: tokens whose gold is not ignored) */
  n: number;
  accuracy: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  /** support-weighted F1 (sklearn's `weighted avg`) */
  weightedF1: number;
  perClass: ClassScores[];
  /** confusion[gold][predicted] */
  confusion: number[][];
}

/** Label id that token metrics skip (the Hugging Face / PyTorch ignore_index). */
export const IGNORE_INDEX = -100;

function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** Metrics for gold and predicted class ids (indices into `labels`). */
export function classificationMetrics(gold: ArrayLike<number>, pred: ArrayLike<number>, labels: readonly string[]): ClassificationReport {
  if (gold.length !== pred.length) throw new Error(`metrics: ${gold.length} gold labels but ${pred.length} predictions`);
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i];
    const p = pred[i];
    if (!Number.isInteger(g) || g < 0 || g >= k) throw new Error(`metrics: gold label ${g} at ${i} is not one of the ${k} labels`);
    if (!Number.isInteger(p) || p < 0 || p >= k) throw new Error(`metrics: predicted label ${p} at ${i} is not one of the ${k} labels`);
    confusion[g][p]++;
    if (g === p) correct++;
  }
  const perClass: ClassScores[] = labels.map((label, c) => {
    const tp = confusion[c][c];
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += confusion[c][j];
      predicted += confusion[j][c];
    }
    const fp = predicted - tp;
    const fn = support - tp;
    // sklearn's F-score: 2tp / (2tp + fp + fn), 0 when the class is absent from both sides
    return { label, precision: ratio(tp, predicted), recall: ratio(tp, support), f1: ratio(2 * tp, 2 * tp + fp + fn), support };
  });
  const n = gold.length;
  return {
    labels: [...labels],
    n,
    accuracy: ratio(correct, n),
    macroPrecision: mean(perClass.map((c) => c.precision)),
    macroRecall: mean(perClass.map((c) => c.recall)),
    macroF1: mean(perClass.map((c) => c.f1)),
    weightedF1: ratio(perClass.reduce((a, c) => a + c.f1 * c.support, 0), n),
    perClass,
    confusion,
  };
}

/** Token-level metrics: positions whose gold id is `ignore` (-100: padding, special and continuation tokens) are skipped. */
export function tokenMetrics(gold: ArrayLike<number>, pred: ArrayLike<number>, labels: readonly string[], ignore = IGNORE_INDEX): ClassificationReport {
  if (gold.length !== pred.length) throw new Error(`metrics: ${gold.length} gold labels but ${pred.length} predictions`);
  const g: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < gold.length; i++) {
    if (gold[i] === ignore) continue;
    g.push(gold[i]);
    p.push(pred[i]);
  }
  return classificationMetrics(g, p, labels);
}

/** The headline numbers as a flat record (for `evaluate` results, early stopping and logs). */
export function summary(r: ClassificationReport): Record<string, number> {
  return { accuracy: r.accuracy, macro_f1: r.macroF1, macro_precision: r.macroPrecision, macro_recall: r.macroRecall, weighted_f1: r.weightedF1 };
}

function pad(s: string, w: number, right = false) {
  return right ? s.padEnd(w) : s.padStart(w);
}

/**
 * A compact terminal table: per-class precision/recall/F1/support, the averages, then the
 * confusion matrix (rows gold, columns predicted; columns headed by label index to stay narrow).
 */
export function formatReport(r: ClassificationReport, digits = 3): string {
  const f = (x: number) => x.toFixed(digits);
  const nameW = Math.max(12, ...r.labels.map((l) => l.length));
  const colW = Math.max(9, digits + 4);
  const lines: string[] = [];
  lines.push(pad('', nameW, true) + ['precision', 'recall', 'f1', 'support'].map((h) => pad(h, colW)).join(''));
  for (const c of r.perClass) lines.push(pad(c.label, nameW, true) + [f(c.precision), f(c.recall), f(c.f1), String(c.support)].map((x) => pad(x, colW)).join(''));
  lines.push('');
  lines.push(pad('accuracy', nameW, true) + pad('', colW * 2) + pad(f(r.accuracy), colW) + pad(String(r.n), colW));
  lines.push(pad('macro avg', nameW, true) + [f(r.macroPrecision), f(r.macroRecall), f(r.macroF1), String(r.n)].map((x) => pad(x, colW)).join(''));
  lines.push(pad('weighted f1', nameW, true) + pad('', colW * 2) + pad(f(r.weightedF1), colW) + pad(String(r.n), colW));
  lines.push('');
  const cells = r.confusion.flat().map(String);
  const cw = Math.max(3, ...cells.map((c) => c.length + 1), String(r.labels.length - 1).length + 1);
  const idxW = String(r.labels.length - 1).length;
  lines.push(`confusion (rows gold, columns predicted)`);
  lines.push(pad('', nameW + idxW + 3, true) + r.labels.map((_, j) => pad(String(j), cw)).join(''));
  r.confusion.forEach((row, i) => {
    lines.push(`${pad(String(i), idxW)}  ${pad(r.labels[i], nameW, true)} ` + row.map((x) => pad(String(x), cw)).join(''));
  });
  return lines.join('\n');
}
