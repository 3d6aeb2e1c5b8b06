import type { RuleIR, RulesValue } from '../../check/rules.js';
import { didYouMean } from '../../parser/suggest.js';
import { defineOp, OpError, type Column, type Row } from '../types.js';
import { dawidSkeneMatrix, logOddsWeight, plurality, type Decision, type Vote } from './aggregate.js';
import { analyzeLFs } from './analysis.js';
import { compileRules, failingExamples, LexiconError, utf16Index, type CompiledRule, type Hit } from './rules.js';
import { int, num, pct, round6, show, sortLabels, table } from './report.js';

const METHODS = ['majority', 'weighted', 'dawid_skene', 'priority'] as const;
type Method = (typeof METHODS)[number];

export interface OutSpan {
  start: number;
  end: number;
  label: string | number;
  text: string;
  rule: string;
}

interface Candidate extends Hit {
  label: string | number;
  rule: string;
  priority: number;
  order: number;
}

/**
 * Resolve overlapping span candidates: `keep_all` keeps every distinct (start, end, label);
 * `longest` keeps the longest, then the higher priority, then the earlier start, then the earlier
 * rule; `priority` the higher priority first, then the same order. The result is sorted by start.
 */
export function resolveSpans(cands: Candidate[], policy: 'longest' | 'priority' | 'keep_all'): Candidate[] {
  const byPos = (a: Candidate, b: Candidate) => a.start - b.start || a.end - b.end || a.order - b.order;
  if (policy === 'keep_all') {
    const seen = new Set<string>();
    return [...cands].sort(byPos).filter((c) => {
      const key = `${c.start}:${c.end}:${String(c.label)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  const len = (c: Candidate) => c.end - c.start;
  const rank =
    policy === 'longest'
      ? (a: Candidate, b: Candidate) => len(b) - len(a) || b.priority - a.priority || a.start - b.start || a.order - b.order
      : (a: Candidate, b: Candidate) => b.priority - a.priority || len(b) - len(a) || a.start - b.start || a.order - b.order;
  const kept: Candidate[] = [];
  for (const c of [...cands].sort(rank)) if (!kept.some((k) => c.start < k.end && k.start < c.end)) kept.push(c);
  return kept.sort(byPos);
}

const labelKey = (v: unknown): string => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : JSON.stringify(v));

export const annotate = defineOp({
  name: 'annotate',
  version: 1,
  kind: 'global',
  summary: 'label rows with rules (keywords, regexes, lexicons, field conditions), aggregated by majority, weighted vote, priority or a Dawid–Skene label model, with a rule analysis table',
  doc: [
    '`annotate { rule refund: matches(text, /refund|charge ?back/i) -> "billing"; rule login: keywords(text, ["password", "2fa"]) -> "account"; method: weighted }`.',
    'Each `rule NAME: CONDITION -> LABEL` votes LABEL on the rows where CONDITION holds and abstains elsewhere. Conditions are row expressions (as in `keep`: `tier == "gold" -> "priority"`, `present(refund_id) -> "billing"`) plus matchers: `matches(col, /re/)` (or `col ~ /re/`), `keywords(col, ["a", "b"], case: false)` (whole words or phrases, case-insensitive by default) and `lexicon(col, "file.txt", min: 1)` (= `gazetteer`; one term per line, `#` comments; at least `min` hits); the column defaults to `text`; combine with `and`, `or`, `not`. `->` binds loosest of all, so it labels the whole condition, no parentheses needed: `len(text) < 3 or tier == "spam" -> abstain`; `label: "x"` works instead of `-> "x"`. `-> abstain` is a guard: when it fires the row gets no label whatever the other rules say.',
    'Rule options: `weight: 2`, `accuracy: 90%` (weight log((k−1)p/(1−p))), `priority: 10`, and inline tests `examples: { match: ["I want a refund"], no_match: ["refund policy?"] }` (strings fill the rule\'s first column; records give several columns) — `ftr check` runs them and fails at the example that breaks.',
    'Settings go in the block or after it: `method:` majority (plurality; a tie abstains, or goes to the higher-priority rule with `tie: priority`), weighted (Nitzan–Paroush: weight, else log-odds of `accuracy`, else of the empirical accuracy on `gold` rows, else 1; confidence = softmax of the scores), priority (the highest-priority rule that fires; then declaration order) or dawid_skene (EM over the rule votes with an abstain counted as one of a rule\'s answers, `max_iter`, `tol`, `smoothing`). `labels: [billing, account]` declares the label set (a rule labeling outside it is a check error).',
    'Output: `label` (`column:` renames; null when no rule fires, on a tie, or a guard), `label_method` (the method, or no_votes / tie / guard), `label_confidence` (vote share; weighted: softmax; dawid_skene: posterior) and `label_votes` { rule: label } of the rules that fired. `drop_unlabeled` drops unlabeled rows with their reason instead.',
    '`span NAME: MATCHER -> "ORG"` rules tag character spans instead: `spans` = [{start, end, label, text, rule}], offsets in Unicode code points, end-exclusive (as Label Studio, Prodigy, doccano, spaCy; `[...text].slice(start, end)` in JS), overlaps resolved by `overlap:` longest (default), priority or keep_all. All span rules must read one column.',
    'Notes: the rule analysis table with Snorkel\'s definitions — coverage, overlaps and conflicts (fractions of all rows), polarity, and with `gold` correct / incorrect / empirical accuracy — the label counts, and with `gold` the accuracy of the method next to majority vote.',
  ].join(' '),
  params: [
    { name: 'rules', type: { kind: 'rules', clauses: ['rule', 'span'] }, required: true, positional: true, doc: 'the rules block: rule NAME: CONDITION -> "label", span NAME: MATCHER -> "LABEL", and settings' },
    { name: 'method', type: { kind: 'enum', values: METHODS }, default: 'majority', doc: 'how votes become a label: majority, weighted, priority or dawid_skene' },
    { name: 'tie', type: { kind: 'enum', values: ['abstain', 'priority'] }, default: 'abstain', doc: 'a tie under majority/weighted: abstain (no label) or the label of the higher-priority rule' },
    { name: 'labels', type: { kind: 'list', of: { kind: 'any' } }, doc: 'the declared label set; rules labeling outside it are check errors (default: the rules\' labels)' },
    { name: 'column', type: { kind: 'string' }, default: 'label', doc: 'output label column (also names <column>_method, _confidence, _votes)' },
    { name: 'gold', type: { kind: 'column' }, doc: 'column of known labels: empirical accuracy per rule, weights for `weighted`, and accuracy per method' },
    { name: 'overlap', type: { kind: 'enum', values: ['longest', 'priority', 'keep_all'] }, default: 'longest', doc: 'overlapping spans: keep the longest, the higher priority, or all' },
    { name: 'spans', type: { kind: 'string' }, default: 'spans', doc: 'output column of span rules' },
    { name: 'drop_unlabeled', type: { kind: 'bool' }, default: false, doc: 'drop rows left without a label (reason "unlabeled", with why) instead of keeping them with label null' },
    { name: 'max_iter', type: { kind: 'number', integer: true, min: 0 }, default: 100, doc: 'dawid_skene: EM rounds at most' },
    { name: 'tol', type: { kind: 'number', min: 0 }, default: 1e-6, doc: 'dawid_skene: stop when priors and confusions change less than this' },
    { name: 'smoothing', type: { kind: 'number', min: 0 }, default: 0.01, doc: 'dawid_skene: add-α smoothing of the confusion counts' },
    { name: 'hits', type: { kind: 'count', min: 0 }, default: 0, doc: 'matched texts shown per rule in the notes' },
  ],
  describe: (p) => `annotate ${(p.rules as RulesValue).rules.length} rules (${p.method as string})`,
  schema(ctx) {
    const input = ctx.input!;
    const { rules } = ctx.params.rules as RulesValue;
    const column = ctx.params.column as string;
    const declared = ctx.params.labels as unknown[] | undefined;
    if (declared) {
      const keys = declared.map(labelKey);
      for (const r of rules) {
        if (r.kind === 'rule' && r.label !== null && !keys.includes(labelKey(r.label))) {
          ctx.error(`rules.${r.name}.label`, `rule \`${r.name}\` labels ${show(r.label)}, which is not one of \`labels\``, {
            notes: [`labels: ${keys.join(', ')}`],
            help: didYouMean(labelKey(r.label), keys) ?? 'add it to `labels`, or fix the rule',
          });
        }
      }
    }
    let compiled: CompiledRule[] = [];
    try {
      compiled = compileRules(rules, ctx.baseDir);
    } catch (e) {
      if (!(e instanceof LexiconError)) throw e;
      for (const r of rules) if (JSON.stringify(r.when).includes(JSON.stringify(e.file))) ctx.error(`rules.${r.name}`, e.message, { help: 'lexicon paths are relative to the recipe; one term per line' });
      return input;
    }
    // inline rule tests run here, so `ftr check` fails at the example that breaks
    for (const c of compiled) {
      for (const f of failingExamples(c)) {
        const shown = typeof f.example === 'string' ? JSON.stringify(f.example) : JSON.stringify(f.example);
        ctx.error(`rules.${c.rule.name}.examples.${f.which}.${f.index}`, f.which === 'match' ? `rule \`${c.rule.name}\` should match ${shown}, but does not` : `rule \`${c.rule.name}\` should not match ${shown}, but does`, {
          label: f.which === 'match' ? 'this example is not matched' : 'this example is matched',
          notes: ['rule examples are checked by `ftr check` and before every run'],
        });
      }
    }
    const spanCols = [...new Set(compiled.filter((c) => c.rule.kind === 'span').map((c) => c.spanColumn))];
    if (spanCols.length > 1) ctx.error('rules', `span rules read different columns (${spanCols.join(', ')}); spans point into one text`, { help: 'annotate each column in its own step' });
    if (ctx.params.gold !== undefined && ctx.params.gold === column) ctx.error('gold', `the gold column \`${column}\` would be overwritten by the labels`, { help: 'set `column:` to another name, e.g. column: "weak_label"' });
    const hasCls = rules.some((r) => r.kind === 'rule' && r.label !== null);
    const out: Column[] = [];
    if (hasCls) out.push({ name: column, type: 'any' }, { name: `${column}_method`, type: 'string' }, { name: `${column}_confidence`, type: 'number' }, { name: `${column}_votes`, type: 'record' });
    if (spanCols.length) out.push({ name: ctx.params.spans as string, type: 'list' });
    const names = new Set(out.map((c) => c.name));
    return { ...input, columns: [...input.columns.filter((c) => !names.has(c.name)), ...out] };
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      const { rules } = params.rules as RulesValue;
      const method = params.method as Method;
      const column = params.column as string;
      const goldCol = params.gold as string | undefined;
      const compiled = compileRules(rules, ctx.baseDir);
      for (const c of compiled) {
        const bad = failingExamples(c)[0];
        if (bad) throw new OpError(`rule \`${c.rule.name}\` ${bad.which === 'match' ? 'should match' : 'should not match'} ${JSON.stringify(bad.example)}`);
      }
      const cls = compiled.filter((c) => c.rule.kind === 'rule' && c.rule.label !== null);
      const guards = compiled.filter((c) => c.rule.kind === 'rule' && c.rule.label === null);
      const spanRules = compiled.filter((c) => c.rule.kind === 'span');
      const spanCol = spanRules[0]?.spanColumn;

      // the label set: declared, else the rules' labels in sorted order; gold-only labels go after it
      const values = new Map<string, string | number>();
      for (const v of (params.labels as (string | number)[] | undefined) ?? sortLabels(cls.map((c) => c.rule.label as string | number))) values.set(labelKey(v), v);
      const labelIdx = new Map([...values.keys()].map((k, i) => [k, i]));
      const labelVals = [...values.values()];
      const k = labelVals.length;
      const m = cls.length;
      const ruleLabel = cls.map((c) => labelIdx.get(labelKey(c.rule.label))!);
      const n = input.count;
      const L = new Int16Array(n * m).fill(-1);
      const guardOf = new Int32Array(n).fill(-1);
      const gold = new Int32Array(n).fill(-1);
      const goldExtra = new Map<string, number>();
      const spansOf = new Map<number, Candidate[]>();
      const spanFound = new Array<number>(spanRules.length).fill(0);
      const spanRows = new Array<number>(spanRules.length).fill(0);
      const spanKept = new Map<string, number>();
      const hitsWanted = params.hits as number;
      const hits = compiled.map(() => [] as string[]);
      const hitSlot = cls.map((c) => compiled.indexOf(c));

      let i = 0;
      for await (const row of input.rows()) {
        cls.forEach((c, j) => {
          if (c.test(row)) {
            L[i * m + j] = ruleLabel[j];
            if (hits[hitSlot[j]].length < hitsWanted) hits[hitSlot[j]].push(preview(row, c.rule));
          }
        });
        const g = guards.findIndex((c) => c.test(row));
        if (g >= 0) guardOf[i] = g;
        if (goldCol !== undefined) {
          const v = row[goldCol];
          if (v !== null && v !== undefined && v !== '') {
            const key = labelKey(v);
            let idx = labelIdx.get(key);
            if (idx === undefined) {
              idx = goldExtra.get(key);
              if (idx === undefined) goldExtra.set(key, (idx = k + goldExtra.size));
            }
            gold[i] = idx;
          }
        }
        if (spanRules.length) {
          const cands: Candidate[] = [];
          spanRules.forEach((c, s) => {
            const found: Hit[] = [];
            if (c.test(row, found) && found.length) {
              spanFound[s] += found.length;
              spanRows[s]++;
              for (const h of found) cands.push({ ...h, label: c.rule.label as string | number, rule: c.rule.name, priority: c.rule.priority ?? 0, order: s });
            }
          });
          if (cands.length) spansOf.set(i, cands);
        }
        if (++i % 10_000 === 0) ctx.progress(i);
      }

      // weights for `weighted`: explicit, from `accuracy`, from gold, else 1
      const analysis = analyzeLFs(L, n, m, goldCol !== undefined ? gold : undefined);
      const kk = Math.max(k, 2);
      const weightSource: string[] = [];
      const weights = cls.map((c, j) => {
        if (c.rule.weight !== undefined) return weightSource.push('weight'), c.rule.weight;
        if (c.rule.accuracy !== undefined) return weightSource.push('accuracy'), logOddsWeight(c.rule.accuracy, kk);
        if (analysis.correct && analysis.correct[j] + analysis.incorrect![j] > 0) return weightSource.push('gold'), logOddsWeight(analysis.accuracies![j], kk);
        return weightSource.push('default'), 1;
      });
      const priority = cls.map((c) => c.rule.priority ?? 0);
      const byPriority = (votes: Vote[]) => (tied: number[]) => {
        let best: Vote | undefined;
        for (const v of votes) if (tied.includes(v[1]) && (!best || priority[v[0]] > priority[best[0]])) best = v;
        return best![1];
      };
      const votesOf = (r: number): Vote[] => {
        const v: Vote[] = [];
        for (let j = 0; j < m; j++) if (L[r * m + j] >= 0) v.push([j, L[r * m + j]]);
        return v;
      };
      const decide = (which: Method, votes: Vote[]): Decision => {
        const breakTie = params.tie === 'priority' ? byPriority(votes) : undefined;
        if (which === 'weighted') return plurality(votes, k, { weights, softmax: true, breakTie });
        if (which === 'priority') {
          if (!votes.length) return { label: -1, probs: new Array(k).fill(1 / k) };
          const top = votes.reduce((a, b) => (priority[b[0]] > priority[a[0]] ? b : a));
          const d = plurality(votes, k);
          return { label: top[1], probs: d.probs };
        }
        return plurality(votes, k, { breakTie });
      };
      const ds =
        method === 'dawid_skene' && m > 0 && k > 0
          ? dawidSkeneMatrix(L, n, m, k, { maxIter: params.max_iter as number, tol: params.tol as number, smoothing: params.smoothing as number })
          : undefined;

      // second pass: emit
      const counts = new Map<string, number>();
      let differMV = 0;
      const correct = { method: 0, majority: 0, known: 0 };
      i = 0;
      for await (const row of input.rows()) {
        const next: Row = { ...row };
        if (cls.length) {
          const votes = votesOf(i);
          const votesRec: Record<string, unknown> = {};
          for (const [j, c] of votes) votesRec[cls[j].rule.name] = labelVals[c];
          if (guardOf[i] >= 0) votesRec[guards[guardOf[i]].rule.name] = null;
          let label = -1;
          let conf: number | null = null;
          let how: string = method;
          let reason = '';
          const mv = decide('majority', votes);
          if (guardOf[i] >= 0) {
            how = 'guard';
            reason = `guard rule ${guards[guardOf[i]].rule.name} fired`;
          } else if (!votes.length) {
            how = 'no_votes';
            reason = 'no rule fired';
          } else if (ds) {
            label = ds.labels[i];
            conf = ds.probs[i * k + label];
            if (mv.label >= 0 && label !== mv.label) differMV++;
          } else {
            const d = method === 'majority' ? mv : decide(method, votes);
            if (d.label < 0) {
              how = 'tie';
              reason = `tie between ${d.tie!.map((c) => show(labelVals[c])).join(' and ')}`;
            } else {
              label = d.label;
              conf = d.probs[label];
            }
          }
          if (gold[i] >= 0 && guardOf[i] < 0) {
            correct.known++;
            if (label === gold[i]) correct.method++;
            if (mv.label === gold[i]) correct.majority++;
          }
          const shownLabel = label >= 0 ? labelKey(labelVals[label]) : `(${how})`;
          counts.set(shownLabel, (counts.get(shownLabel) ?? 0) + 1);
          if (label < 0 && params.drop_unlabeled) {
            await out.drop(row, 'unlabeled', reason);
            i++;
            continue;
          }
          next[column] = label >= 0 ? labelVals[label] : null;
          next[`${column}_method`] = how;
          next[`${column}_confidence`] = conf === null ? null : round6(conf);
          next[`${column}_votes`] = votesRec;
        }
        if (spanRules.length) {
          const text = typeof row[spanCol!] === 'string' ? (row[spanCol!] as string) : '';
          const kept = resolveSpans(spansOf.get(i) ?? [], params.overlap as 'longest' | 'priority' | 'keep_all');
          const u16 = utf16Index(text);
          next[params.spans as string] = kept.map((c): OutSpan => ({ start: c.start, end: c.end, label: c.label, text: text.slice(u16(c.start), u16(c.end)), rule: c.rule }));
          for (const c of kept) spanKept.set(c.rule, (spanKept.get(c.rule) ?? 0) + 1);
        }
        await out.emit(next);
        if (++i % 10_000 === 0) ctx.progress(i);
      }

      // notes
      if (cls.length) {
        const a = analysis;
        out.metric?.('lf_analysis', {
          rows: n,
          coverage: a.coverage,
          overlap: a.overlap,
          conflict: a.conflict,
          rules: Object.fromEntries(
            cls.map((c, j) => [
              c.rule.name,
              {
                polarity: a.polarities[j].map((x) => show(labelVals[x])),
                coverage: a.lfCoverages[j],
                overlaps: a.lfOverlaps[j],
                conflicts: a.lfConflicts[j],
                ...(a.correct ? { correct: a.correct[j], incorrect: a.incorrect![j], empirical_accuracy: a.correct[j] + a.incorrect![j] ? a.accuracies![j] : null } : {}),
                ...(method === 'weighted' ? { weight: weights[j] } : {}),
              },
            ]),
          ),
        });
        out.note(`${m} rule${m === 1 ? '' : 's'} on ${int(n)} rows · coverage ${pct(a.coverage)} · overlap ${pct(a.overlap)} · conflict ${pct(a.conflict)}${guards.length ? ` · ${guards.length} guard${guards.length === 1 ? '' : 's'}` : ''}`);
        const head = ['rule', 'polarity', 'coverage', 'overlaps', 'conflicts'];
        if (a.correct) head.push('correct', 'incorrect', 'emp.acc');
        if (method === 'weighted') head.push('weight');
        const rowsT = [head];
        cls.forEach((c, j) => {
          const r = [c.rule.name, a.polarities[j].map((x) => show(labelVals[x])).join(', ') || '-', pct(a.lfCoverages[j]), pct(a.lfOverlaps[j]), pct(a.lfConflicts[j])];
          if (a.correct) r.push(int(a.correct[j]), int(a.incorrect![j]), a.correct[j] + a.incorrect![j] ? num(a.accuracies![j]) : '-');
          if (method === 'weighted') r.push(`${num(weights[j])}${weightSource[j] === 'default' ? ' (default)' : weightSource[j] === 'gold' ? ' (gold)' : ''}`);
          rowsT.push(r);
        });
        for (const l of table(rowsT, 2)) out.note(l);
        for (const g of guards) out.note(`guard ${g.rule.name}: ${int(guardOf.reduce((s, x) => s + (x >= 0 && guards[x] === g ? 1 : 0), 0))} rows left unlabeled`);
        const labeled = [...counts].filter(([key]) => !key.startsWith('(')).reduce((s, [, v]) => s + v, 0);
        out.note(`${method}: ${int(labeled)} of ${int(n)} rows labeled — ${[...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([key, v]) => `${key} ${int(v)}`).join(' · ')}`);
        if (ds) out.note(`dawid_skene ${ds.converged ? `converged in ${ds.iterations} rounds` : `stopped after ${ds.iterations} rounds (not converged)`} · priors ${labelVals.map((v, c) => `${show(v)} ${num(ds.priors[c])}`).join(' · ')} · differs from majority vote on ${int(differMV)} rows (where majority vote gives a label)`);
        out.metric?.('labeled', Object.fromEntries(counts));
        if (goldCol !== undefined) {
          out.metric?.('gold', { rows: correct.known, accuracy: correct.known ? correct.method / correct.known : null, majority_accuracy: correct.known ? correct.majority / correct.known : null });
          out.note(`gold (${goldCol}): ${int(correct.known)} rows · accuracy ${method} ${correct.known ? num(correct.method / correct.known) : '-'}${method !== 'majority' ? ` · majority ${correct.known ? num(correct.majority / correct.known) : '-'}` : ''} (unlabeled rows count as wrong)`);
          if (goldExtra.size) out.note(`gold labels no rule produces: ${[...goldExtra.keys()].join(', ')}`);
        }
      }
      if (spanRules.length) {
        const rowsT = [['span rule', 'label', 'rows', 'spans', 'kept']];
        spanRules.forEach((c, s) => rowsT.push([c.rule.name, show(c.rule.label), int(spanRows[s]), int(spanFound[s]), int(spanKept.get(c.rule.name) ?? 0)]));
        for (const l of table(rowsT)) out.note(l);
        out.note(`spans in \`${spanCol}\`: code point offsets, end-exclusive; overlaps resolved by ${params.overlap as string}`);
      }
      compiled.forEach((c, x) => {
        if (hits[x].length) out.note(`${c.rule.name} hits: ${hits[x].map((h) => JSON.stringify(h)).join(' · ')}`);
      });
    },
  },
});

function preview(row: Row, rule: RuleIR): string {
  const v = row[rule.columns[0] ?? 'text'];
  const s = typeof v === 'string' ? v : JSON.stringify(v ?? null);
  return [...s].length > 60 ? [...s].slice(0, 59).join('') + '…' : s;
}
