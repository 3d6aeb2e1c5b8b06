/**
 * Deny by default, in the spirit of Deno's flags: a recipe reads and writes only inside its own
 * folder (and reads installed packages through `pkg:` paths) unless the run grants more with
 * --allow-read, --allow-write, --allow-net or --allow-run. Checked on the graph, before any
 * data is touched, so a denied access never happens.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isDynamicPattern } from 'tinyglobby';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import { pathsOf, resolvePath } from '../core/paths.js';
import type { Graph } from './graph.js';

export interface Grants {
  /** '*' = anywhere; else absolute paths whose insides are granted */
  read: '*' | string[];
  write: '*' | string[];
  net: '*' | string[];
  run: boolean;
}

export const NO_GRANTS: Grants = { read: [], write: [], net: [], run: false };

/** `--allow-read` (all) or `--allow-read=a,b` (these paths, relative to the working directory). */
export function parseGrant(values: string[] | undefined): '*' | string[] {
  const list = parseList(values);
  return list === '*' ? list : list.map((p) => resolve(p));
}

/** `--allow-net` (all) or `--allow-net=host1,host2` (host names, as written). */
export function parseHosts(values: string[] | undefined): '*' | string[] {
  const list = parseList(values);
  return list === '*' ? list : list.map((h) => h.toLowerCase());
}

function parseList(values: string[] | undefined): '*' | string[] {
  if (!values?.length) return [];
  if (values.some((v) => v === '*' || v === '')) return '*';
  return values.flatMap((v) => v.split(',')).filter(Boolean);
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/** The fixed folder part of a glob (`data/**\/*.jsonl` → `data`). */
function staticPrefix(pattern: string): string {
  if (!isDynamicPattern(pattern)) return pattern;
  const parts = pattern.split('/');
  const i = parts.findIndex((p) => isDynamicPattern(p));
  return parts.slice(0, i).join('/') || '.';
}

export function checkPermissions(graph: Graph, grants: Grants): Diagnostic[] {
  const out: Diagnostic[] = [];
  const root = graph.baseDir;
  for (const cell of graph.cells) {
    for (const step of cell.steps) {
      for (const spec of step.op.params) {
        const held = pathsOf(spec, step.params[spec.name]);
        if (!held) continue;
        const { access } = held;
        for (const value of held.paths) {
        const { abs, pkg } = resolvePath(staticPrefix(value), cell.baseDir);
        if (pkg && access === 'read') continue;
        if (!pkg && inside(abs, root)) continue;
        const granted = grants[access];
        if (granted === '*' || granted.some((g) => inside(abs, g))) continue;
        const flag = `--allow-${access}`;
        out.push(
          diag('E0401', `\`${cell.name}\` would ${access} \`${value}\`, outside the recipe's folder`, step.paramSpans[spec.name] ?? step.span, {
            label: `${access === 'read' ? 'reading' : 'writing'} here is not allowed by default`,
            notes: [`resolves to ${abs}`, `the recipe's folder is ${root}`],
            help: `if you trust this recipe, run with ${flag}=${relative(process.cwd(), abs) || '.'} (or ${flag} for any path)`,
          }),
        );
        }
      }
      const needs = step.op.permissions?.(step.params) ?? {};
      for (const host of needs.net ?? []) {
        if (grants.net === '*' || grants.net.includes(host.toLowerCase())) continue;
        out.push(
          diag('E0402', `\`${cell.name}\` would connect to ${host}`, step.span, {
            label: `\`${step.op.name}\` uses the network`,
            help: `if you trust this recipe, run with --allow-net=${host} (or --allow-net for any host)`,
          }),
        );
      }
      if (needs.run && !grants.run) {
        out.push(
          diag('E0403', `\`${cell.name}\` would run a program or user code`, step.span, {
            label: `\`${step.op.name}\` runs code outside ftr`,
            help: 'if you trust this recipe, run with --allow-run',
          }),
        );
      }
    }
  }
  return out;
}
