/**
 * The permission model at the moment of access: every read, write and connection a recipe makes
 * is decided here, on the real path (symlinks resolved) or the real host of each hop. The
 * checker decides on the params before any data is touched (src/check/permissions.ts); this
 * module repeats the decision for what only shows at access time: each file a glob or a folder
 * expands to, a symlink inside the recipe folder, a redirect.
 *
 * The policy is process-wide (set by the CLI for one command): library callers that set none
 * keep the old, unchecked behaviour, except that redirects never leave the first host.
 */
import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { OpError } from './op.js';

export interface Grants {
  /** '*' = anywhere; else absolute paths whose insides are granted */
  read: '*' | string[];
  write: '*' | string[];
  /** '*' = any host; else `host` (any port) or `host:port` */
  net: '*' | string[];
  run: boolean;
}

export const NO_GRANTS: Grants = { read: [], write: [], net: [], run: false };

export interface Policy {
  /** the recipe's folder (real path) */
  root: string;
  grants: Grants;
  /** package folders `pkg:` paths resolved to (real paths): readable */
  packages: Set<string>;
}

let active: Policy | undefined;

/** Install the policy for this process (a CLI command); `undefined` removes it. */
export function setPolicy(root: string | undefined, grants?: Grants): void {
  active = root === undefined ? undefined : { root: realPath(root), grants: grants ?? NO_GRANTS, packages: new Set() };
}

export function activePolicy(): Policy | undefined {
  return active;
}

/** A package folder a `pkg:` path names: reads inside it are allowed. */
export function allowPackage(dir: string): void {
  active?.packages.add(realPath(dir));
}

/** A refused access: the message names the flag that would grant it, never the file's content. */
export class PermissionError extends OpError {
  constructor(
    message: string,
    readonly flag: string,
  ) {
    super(message);
  }
}

/**
 * The path with every symlink resolved: the real path of its longest existing ancestor, then
 * the rest as written (a file that does not exist yet is decided by the folder it would be in).
 */
export function realPath(abs: string): string {
  const rest: string[] = [];
  let p = abs;
  for (;;) {
    try {
      const real = realpathSync(p);
      return rest.length ? join(real, ...rest.reverse()) : real;
    } catch {
      // a dangling symlink: decide on where it points, not on its name
      try {
        if (lstatSync(p).isSymbolicLink()) return join('/nonexistent-symlink-target', p);
      } catch {
        // does not exist: go up
      }
      const up = dirname(p);
      if (up === p) return abs;
      rest.push(basename(p));
      p = up;
    }
  }
}

export function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/** A path segment `..` (path or glob): `pkg:` paths and globs may not climb with it. */
export function climbs(pattern: string): boolean {
  return pattern.split(/[\\/]/).includes('..');
}

/** Why reading or writing `abs` is refused under `policy`, or undefined when it is allowed. */
export function accessProblem(abs: string, access: 'read' | 'write', policy: Policy | undefined = active): string | undefined {
  if (!policy) return undefined;
  const real = realPath(abs);
  if (inside(real, policy.root)) return undefined;
  if (access === 'read' && [...policy.packages].some((d) => inside(real, d))) return undefined;
  const granted = policy.grants[access];
  if (granted === '*' || granted.some((g) => inside(real, realPath(g)))) return undefined;
  return real;
}

/** A message naming the flag; `shown` is the path as the recipe wrote it (or a file it expands to). */
export function deniedMessage(shown: string, access: 'read' | 'write', real: string): string {
  const flag = `--allow-${access}`;
  const via = real !== shown ? ` (it resolves to ${real})` : '';
  return `${access === 'read' ? 'reading' : 'writing'} \`${shown}\`${via} is not allowed: it is outside the recipe's folder — if you trust this recipe, run with ${flag}=${dirname(real)} (or ${flag} for any path)`;
}

/** Throw a PermissionError unless the active policy allows the access. */
export function guard(abs: string, access: 'read' | 'write', shown = abs): void {
  const real = accessProblem(abs, access);
  if (real !== undefined) throw new PermissionError(deniedMessage(shown, access, real), `--allow-${access}`);
}

/**
 * Files under a folder whose real path leaves the allowed places (symlinks inside it that
 * point out), at most `limit` of them; a bounded walk that does not follow folder links.
 */
export function escapesUnder(dir: string, access: 'read' | 'write', policy: Policy | undefined = active, limit = 20_000): string[] {
  if (!policy || !existsSync(dir)) return [];
  const out: string[] = [];
  const stack = [dir];
  let seen = 0;
  while (stack.length && seen < limit) {
    const d = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++seen > limit) break;
      const p = join(d, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) {
        if (accessProblem(p, access, policy) !== undefined) out.push(p);
      } else if (st.isDirectory()) stack.push(p);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// network

/** What `--allow-net` must name for a URL: its host, with the port when the URL gives one. */
export function netNameOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** `host` and `host:port` of an http(s) URL, or undefined. */
export function hostOfUrl(url: string): { hostname: string; host: string } | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return { hostname: u.hostname.toLowerCase(), host: `${u.hostname.toLowerCase()}:${port}` };
  } catch {
    return undefined;
  }
}

/** Does `--allow-net` grant this URL's host? An entry `host` grants every port, `host:port` one. */
export function netAllowed(url: string, net: '*' | string[]): boolean {
  const h = hostOfUrl(url);
  if (!h) return false;
  if (net === '*') return true;
  return net.some((g) => g === h.hostname || g === h.host || (g.startsWith('[') && g === `[${h.hostname}]`));
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The one HTTP client of ftr: `fetch` with redirects followed by hand, so that every hop is
 * decided against --allow-net (or, with no policy, must stay on the first host). 301/302/303
 * turn into a GET without a body, as browsers do; 307/308 repeat the request.
 */
export async function guardedFetch(url: string, init: RequestInit & { maxRedirects?: number } = {}): Promise<Response> {
  const first = hostOfUrl(url);
  if (!first) throw new OpError(`\`${url}\` is not an http(s) URL`);
  const allowed = (target: string) => (active ? netAllowed(target, active.grants.net) : hostOfUrl(target)?.host === first.host);
  let target = url;
  let req: RequestInit = { ...init, redirect: 'manual' };
  for (let hops = 0; ; hops++) {
    if (!allowed(target)) {
      const h = hostOfUrl(target);
      const why = target === url ? '' : ` (a redirect from ${url})`;
      throw new PermissionError(`connecting to ${h?.host ?? target}${why} is not allowed — if you trust this recipe, run with --allow-net=${h?.hostname ?? target} (or --allow-net for any host)`, '--allow-net');
    }
    const res = await fetch(target, req);
    if (!REDIRECTS.has(res.status) || init.maxRedirects === 0) return res;
    const location = res.headers.get('location');
    if (!location) return res;
    await res.body?.cancel().catch(() => undefined);
    if (hops >= (init.maxRedirects ?? 5)) throw new OpError(`${url}: more than ${init.maxRedirects ?? 5} redirects`);
    target = new URL(location, target).toString();
    if (res.status !== 307 && res.status !== 308 && req.method && req.method !== 'GET' && req.method !== 'HEAD') {
      req = { ...req, method: 'GET', body: undefined };
    }
  }
}
