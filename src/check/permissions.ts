/**
 * Deny by default, in the spirit of Deno's flags: a recipe reads and writes only inside its own
 * folder (and reads installed packages through `pkg:` paths) unless the run grants more with
 * --allow-read, --allow-write, --allow-net or --allow-run. Checked on each step's params before
 * the step's schema is computed (sources sample files then), so a denied access never happens;
 * decisions are on real paths (src/core/sandbox.ts), so a symlink does not lead out.
 */
import { CODES } from '../parser/codes.js';
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import { pathsOf, resolvePath } from '../core/paths.js';
import type { OpDef, Params } from '../core/op.js';
import type { Span } from '../parser/ast.js';
import { accessProblem, climbs, escapesUnder, netAllowed, realPath, type Grants, type Policy } from '../core/sandbox.js';
import type { Graph } from './graph.js';

export { NO_GRANTS, type Grants } from '../core/sandbox.js';

/** `--allow-read` (all) or `--allow-read=a,b` (these paths, relative to the working directory). */
export function parseGrant(values: string[] | undefined): '*' | string[] {
  const list = parseList(values);
  return list === '*' ? list : list.map((p) => resolve(p));
}

/** `--allow-net` (all) or `--allow-net=host1,host2:8080` (host names, a port optional). */
export function parseHosts(values: string[] | undefined): '*' | string[] {
  const list = parseList(values);
  return list === '*' ? list : list.map((h) => h.toLowerCase());
}

function parseList(values: string[] | undefined): '*' | string[] {
  if (!values?.length) return [];
  if (values.some((v) => v === '*' || v === '')) return '*';
  return values.flatMap((v) => v.split(',')).filter(Boolean);
}

/** The fixed folder part of a glob (`data/**\/*.jsonl` → `data`). */
function staticPrefix(pattern: string): string {
  if (!isDynamicPattern(pattern)) return pattern;
  const parts = pattern.split('/');
  const i = parts.findIndex((p) => isDynamicPattern(p));
  return parts.slice(0, i).join('/') || '.';
}

/** One step as the checks see it: the op, its bound params, where it sits. */
export interface StepAccess {
  cell: string;
  op: OpDef;
  params: Params;
  baseDir: string;
  span: Span;
  paramSpans: Record<string, Span>;
}

const MAX_EXPANSION = 20_000;

/**
 * Paths a step's params would read or write that the grants do not allow: the path itself, the
 * real path it resolves to, each file a glob or folder expands to (bounded), and `..` in a
 * `pkg:` path or after a glob's wildcard (which could climb anywhere).
 */
export function pathDiagnostics(step: StepAccess, root: string, grants: Grants): Diagnostic[] {
  const out: Diagnostic[] = [];
  const policy: Policy = { root: realPath(root), grants, packages: new Set() };
  for (const spec of step.op.params) {
    const held = pathsOf(spec, step.params[spec.name]);
    if (!held) continue;
    const { access } = held;
    const flag = `--allow-${access}`;
    const span = step.paramSpans[spec.name] ?? step.span;
    const deny = (value: string, abs: string, real: string, why?: string) =>
      out.push(
        diag(CODES.READ_DENIED, `\`${step.cell}\` would ${access} \`${value}\`, outside the recipe's folder`, span, {
          label: `${access === 'read' ? 'reading' : 'writing'} here is not allowed by default`,
          notes: [...(why ? [why] : []), `resolves to ${real}`, `the recipe's folder is ${policy.root}`],
          help: `if you trust this recipe, run with ${flag}=${relative(process.cwd(), real === abs ? abs : real) || '.'} (or ${flag} for any path)`,
        }),
      );
    for (const value of held.paths) {
      const { abs, pkg } = resolvePath(value, step.baseDir);
      if (pkg && climbs(value)) {
        out.push(
          diag(CODES.READ_DENIED, `\`${step.cell}\` would ${access} \`${value}\`: a \`pkg:\` path cannot contain \`..\``, span, {
            label: '`..` climbs out of the package',
            help: `name a file inside the package; to read a file elsewhere, give its path and run with ${flag}=PATH`,
          }),
        );
        continue;
      }
      if (isDynamicPattern(value) && climbs(value.slice(value.search(/[*?{[]/)))) {
        out.push(
          diag(CODES.READ_DENIED, `\`${step.cell}\` would ${access} \`${value}\`: \`..\` after a wildcard can reach any folder`, span, {
            label: '`..` after a wildcard',
            help: `write the folder before the wildcard (\`../data/*.jsonl\`) and run with ${flag}=FOLDER if it is outside the recipe's folder`,
          }),
        );
        continue;
      }
      if (pkg && access === 'read') {
        policy.packages.add(realPath(pkg.dir));
        // a link inside the package may still lead out: decided on each file below
      }
      const prefix = resolvePath(staticPrefix(value), step.baseDir).abs;
      const real = accessProblem(prefix, access, policy);
      if (real !== undefined) {
        deny(value, prefix, real);
        continue;
      }
      // each file the path expands to: a symlink inside the folder may point out
      const leaks = expansionEscapes(value, abs, pkg?.dir, step.baseDir, access, policy);
      if (leaks.length) {
        const first = leaks[0];
        deny(value, first, realPath(first), `${relative(step.baseDir, first) || first} is a link that leads out${leaks.length > 1 ? ` (and ${leaks.length - 1} more)` : ''}`);
      }
    }
  }
  return out;
}

function expansionEscapes(value: string, abs: string, pkgDir: string | undefined, baseDir: string, access: 'read' | 'write', policy: Policy): string[] {
  if (isDynamicPattern(value)) {
    const cwd = pkgDir ?? baseDir;
    const pattern = pkgDir ? relative(pkgDir, abs).split('\\').join('/') : value;
    let files: string[];
    try {
      files = globSync(pattern, { cwd, absolute: true, onlyFiles: false, dot: false, followSymbolicLinks: false }).slice(0, MAX_EXPANSION);
    } catch {
      return [];
    }
    const out = files.filter((f) => accessProblem(f, access, policy) !== undefined);
    for (const f of files) if (!out.length && isDir(f)) out.push(...escapesUnder(f, access, policy, MAX_EXPANSION));
    return out;
  }
  return isDir(abs) ? escapesUnder(abs, access, policy, MAX_EXPANSION) : [];
}

function isDir(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Hosts and programs a step needs that the grants do not allow. */
export function otherDiagnostics(step: StepAccess, grants: Grants): Diagnostic[] {
  const out: Diagnostic[] = [];
  const needs = step.op.permissions?.(step.params) ?? {};
  for (const host of needs.net ?? []) {
    if (netAllowed(`http://${host}`, grants.net) || (grants.net !== '*' && grants.net.includes(host.toLowerCase()))) continue;
    const name = host.replace(/:\d+$/, '');
    out.push(
      diag(CODES.NET_DENIED, `\`${step.cell}\` would connect to ${host}`, step.span, {
        label: `\`${step.op.name}\` uses the network`,
        help: `if you trust this recipe, run with --allow-net=${name} (or --allow-net for any host)`,
      }),
    );
  }
  if (needs.run && !grants.run) {
    out.push(
      diag(CODES.RUN_DENIED, `\`${step.cell}\` would run a program or user code`, step.span, {
        label: `\`${step.op.name}\` runs code outside ftr`,
        help: 'if you trust this recipe, run with --allow-run',
      }),
    );
  }
  return out;
}

export function checkPermissions(graph: Graph, grants: Grants): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const cell of graph.cells) {
    for (const step of cell.steps) {
      const s: StepAccess = { cell: cell.name, op: step.op, params: step.params, baseDir: cell.baseDir, span: step.span, paramSpans: step.paramSpans };
      out.push(...pathDiagnostics(s, graph.baseDir, grants), ...otherDiagnostics(s, grants));
    }
  }
  return out;
}
