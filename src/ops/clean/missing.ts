import { FUNCTIONS } from '../../core/expr.js';
import { defineOp, type Column, type ColType, type Row, type SchemaContext } from '../types.js';
import { requireColumns, typeOf } from '../common.js';
import { table } from '../bias/metrics.js';

/** Missing as in expressions (`missing(x)`): null, absent, a blank string, an empty list. */
export const isMissing = (v: unknown): boolean => FUNCTIONS.missing.impl(v) as boolean;

export type Policy =
  | { kind: 'drop' }
  | { kind: 'keep'; flag: boolean }
  | { kind: 'fill'; value: unknown; flag: boolean }
  | { kind: 'fill_from'; column: string; flag: boolean };

const WORDS = ['drop', 'flag', 'keep'];
const KEYS = ['fill', 'fill_from', 'flag'];

/** A column's policy as written (`drop`, `flag`, `keep`, `{ fill: v }`, `{ fill_from: col }`, with `flag: true`), or an error message. */
export function parsePolicy(v: unknown): Policy | string {
  if (typeof v === 'string') {
    if (v === 'drop') return { kind: 'drop' };
    if (v === 'flag') return { kind: 'keep', flag: true };
    if (v === 'keep') return { kind: 'keep', flag: false };
    return `unknown policy ${JSON.stringify(v)}: write ${WORDS.join(', ')}, { fill: value } or { fill_from: column }`;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `a policy is ${WORDS.join(', ')}, { fill: value } or { fill_from: column }, found ${JSON.stringify(v)}`;
  const r = v as Record<string, unknown>;
  const bad = Object.keys(r).filter((k) => !KEYS.includes(k));
  if (bad.length) return `unknown key${bad.length > 1 ? 's' : ''} ${bad.map((k) => `\`${k}\``).join(', ')} in a policy (keys: ${KEYS.join(', ')})`;
  if (r.flag !== undefined && typeof r.flag !== 'boolean') return '`flag` is true or false';
  const flag = r.flag === true;
  if ('fill' in r && 'fill_from' in r) return 'a policy has `fill` or `fill_from`, not both';
  if ('fill' in r) {
    if (r.fill === null || isMissing(r.fill)) return '`fill` needs a value that is not itself missing (null, "", [])';
    return { kind: 'fill', value: r.fill, flag };
  }
  if ('fill_from' in r) {
    if (typeof r.fill_from !== 'string') return '`fill_from` names a column';
    return { kind: 'fill_from', column: r.fill_from, flag };
  }
  return { kind: 'keep', flag };
}

export function parsePolicies(p: unknown): [string, Policy][] {
  return Object.entries((p as Record<string, unknown> | undefined) ?? {}).map(([c, v]) => [c, parsePolicy(v) as Policy]);
}

const flagName = (c: string) => `${c}_missing`;

function hasFlag(p: Policy): boolean {
  return p.kind !== 'drop' && p.flag;
}

/** How a value is missing, for the rejects' detail. */
function whyMissing(v: unknown): string {
  if (v === undefined) return 'absent';
  if (v === null) return 'null';
  if (typeof v === 'string') return v === '' ? 'an empty string' : 'blank';
  return 'an empty list';
}

const fmt = (n: number) => n.toLocaleString('en-US');
const pct = (k: number, n: number) => (n ? `${(Math.round((k / n) * 1000) / 10).toFixed(1)}%` : '-');

function describePolicy(p: Policy): string {
  const f = hasFlag(p) ? ' + flag' : '';
  switch (p.kind) {
    case 'drop':
      return 'drop';
    case 'keep':
      return p.flag ? 'flag' : 'keep';
    case 'fill':
      return `fill ${JSON.stringify(p.value)}${f}`;
    case 'fill_from':
      return `fill from ${p.column}${f}`;
  }
}

export const missing = defineOp({
  name: 'missing',
  version: 1,
  kind: 'global',
  summary: 'per-column policies for missing values (drop, fill, fill_from, flag) and a missing-value report',
  doc: [
    '`missing { label: drop, text: flag, title: { fill_from: subject }, lang: { fill: "en" } }`. A value is missing when it is null, absent, a blank string or an empty list — as `missing()` in expressions.',
    'Policies: `drop` drops the row (reason "missing <column>"); `{ fill: value }` puts a constant in; `{ fill_from: other }` copies another column\'s value (when that is missing too, the value stays missing); `flag` adds a bool column `<column>_missing`, also with a fill: `{ fill: 0, flag: true }`; `keep` only reports. Every policy reads the row as it came in (a fill_from copies the other column\'s incoming value), so the order they are written in does not matter; a row missing several `drop` columns is dropped for the first in column order.',
    '`missing` alone only reports. Notes: for every column, how many values are missing (and %) before and after.',
  ].join(' '),
  params: [{ name: 'policies', type: { kind: 'record' }, positional: true, doc: 'column → drop, flag, keep, { fill: value }, { fill_from: column } (+ flag: true)' }],
  describe: (p) => {
    const ps = parsePolicies(p.policies);
    return ps.length ? `missing ${ps.map(([c, q]) => `${c}: ${typeof q === 'string' ? '?' : describePolicy(q)}`).join(', ')}` : 'missing (report)';
  },
  schema(ctx) {
    const input = ctx.input!;
    const policies: [string, Policy][] = [];
    for (const [c, v] of Object.entries((ctx.params.policies as Record<string, unknown> | undefined) ?? {})) {
      requireColumns(ctx, 'policies', [c]);
      const p = parsePolicy(v);
      if (typeof p === 'string') ctx.error('policies', `\`${c}\`: ${p}`);
      else policies.push([c, p]);
    }
    return outputSchema(ctx, input.columns, policies);
  },
  global: {
    parts: 'across',
    async run(input, params, ctx, out) {
      // in the schema's column order (a record's own order is not part of the cache key)
      const order = ctx.schema.columns.map((c) => c.name);
      const rank = (c: string) => (order.includes(c) ? order.indexOf(c) : order.length);
      const policies = parsePolicies(params.policies).sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const flags = new Set(policies.filter(([, p]) => hasFlag(p)).map(([c]) => flagName(c)));
      // reported columns: the schema's (not the flags this step adds), then any others the rows hold
      const cols: string[] = ctx.schema.columns.map((c) => c.name).filter((c) => !flags.has(c));
      const known = new Set(cols);
      const before = new Map<string, number>(cols.map((c) => [c, 0]));
      const after = new Map<string, number>(cols.map((c) => [c, 0]));
      const drops = new Map<string, number>();
      let n = 0;
      let kept = 0;
      for await (const row of input.rows()) {
        for (const k of Object.keys(row)) {
          if (!known.has(k) && !flags.has(k)) {
            // first seen now: it was absent (missing) from every row before
            known.add(k);
            cols.push(k);
            before.set(k, n);
            after.set(k, kept);
          }
        }
        for (const c of cols) if (isMissing(row[c])) before.set(c, before.get(c)! + 1);
        n++;
        const dropOn = policies.find(([c, p]) => p.kind === 'drop' && isMissing(row[c]));
        if (dropOn) {
          const c = dropOn[0];
          drops.set(c, (drops.get(c) ?? 0) + 1);
          await out.drop(row, `missing ${c}`, `\`${c}\` is ${whyMissing(row[c])}`);
        } else {
          // every policy reads the row as it came in, so the order they are written in does not matter
          const next: Row = { ...row };
          for (const [c, p] of policies) {
            if (p.kind === 'drop') continue;
            const was = isMissing(row[c]);
            if (p.kind === 'fill' && was) next[c] = p.value;
            else if (p.kind === 'fill_from' && was && !isMissing(row[p.column])) next[c] = row[p.column];
            if (p.flag) next[flagName(c)] = was;
          }
          for (const c of cols) if (isMissing(next[c])) after.set(c, after.get(c)! + 1);
          kept++;
          await out.emit(next);
        }
        if (n % 10_000 === 0) ctx.progress(n);
      }
      const policyOf = new Map(policies.map(([c, p]) => [c, describePolicy(p)]));
      out.note(`missing values in ${fmt(n)} rows${n !== kept ? `; ${fmt(n - kept)} dropped (${[...drops].map(([c, k]) => `${c} ${fmt(k)}`).join(', ')}), ${fmt(kept)} kept` : ''}`);
      const rows = cols.map((c) => [c, policyOf.get(c) ?? '-', fmt(before.get(c)!), pct(before.get(c)!, n), fmt(after.get(c)!), pct(after.get(c)!, kept)]);
      for (const l of table([['column', 'policy', 'before', '%', 'after', '%'], ...rows])) out.note(l);
    },
  },
});

function outputSchema(ctx: SchemaContext, columns: Column[], policies: [string, Policy][]) {
  const cols = columns.map((c) => ({ ...c }));
  for (const [c, p] of policies) {
    const col = cols.find((x) => x.name === c);
    if (!col) continue;
    if (p.kind === 'fill') {
      const t = typeOf(p.value);
      if (col.type !== 'any' && t !== col.type) {
        ctx.error('policies', `\`${c}\` holds ${col.type} values, but its fill ${JSON.stringify(p.value)} is a ${t}`, { help: `fill it with a ${col.type}` });
      }
    }
    if (p.kind === 'fill_from') {
      requireColumns(ctx, 'policies', [p.column]);
      if (p.column === c) ctx.error('policies', `\`${c}\` cannot be filled from itself`);
      const from = cols.find((x) => x.name === p.column);
      if (from && from.type !== col.type) col.type = 'any' as ColType;
    }
  }
  for (const [c, p] of policies) {
    if (!hasFlag(p)) continue;
    const name = flagName(c);
    const at = cols.findIndex((x) => x.name === name);
    if (at >= 0) cols[at] = { name, type: 'bool' };
    else cols.push({ name, type: 'bool' });
  }
  return { ...ctx.input!, columns: cols };
}
