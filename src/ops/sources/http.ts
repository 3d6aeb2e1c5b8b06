import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineOp, OpError, type Column, type Params, type ReadItem, type SchemaContext, type SourceInput } from '../types.js';
import { depthExceeds, getPath, MAX_DEPTH, withProvenance } from '../common.js';
import { canonicalJson } from '../../runtime/hash.js';
import { isSecretRef, redact, resolveSecret } from '../../runtime/secrets.js';
import { guardedFetch, netNameOf } from '../../core/sandbox.js';
import { mapRecord } from './jsonl.js';

type Path = (string | number)[];
type Mapping = Record<string, Path>;

/** What was fetched, as saved under `.ftr/http/`: the runtime hashes this file like any source file. */
export interface Saved {
  v: 1;
  url: string;
  pages: { url: string; body: unknown }[];
  /** max_pages stopped the walk while a next page was still announced */
  truncated: boolean;
}

interface Paging {
  mode: 'none' | 'page' | 'cursor' | 'next_link' | 'link_header';
  param?: string;
  start?: number | string;
  sizeParam?: string;
  size?: number;
  next?: Path;
}

/** `.data.items`, `data.items[0]`, or an already-parsed path → keys; undefined when it is not a path. */
export function parseFieldPath(v: unknown): Path | undefined {
  if (Array.isArray(v) && v.every((k) => typeof k === 'string' || typeof k === 'number')) return v as Path;
  if (v && typeof v === 'object' && Array.isArray((v as { field?: unknown }).field)) return parseFieldPath((v as { field: unknown }).field);
  if (typeof v !== 'string') return undefined;
  const s = v.trim().replace(/^\./, '');
  if (!s) return undefined;
  const out: Path = [];
  for (const part of s.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    if (m[1]) out.push(m[1]);
    else if (!m[2]) return undefined;
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** The pagination a call asks for, or the problem with it (param name, message). */
export function pagingOf(params: Params): Paging | { param: string; error: string } {
  const modes = ['page', 'cursor', 'next_link'].filter((k) => params[k] !== undefined);
  if (modes.length > 1) return { param: modes[1], error: `\`${modes.join('` and `')}\` are different kinds of pagination: give one` };
  if (params.page !== undefined) {
    const p = params.page as Record<string, unknown>;
    if (typeof p.param !== 'string' || !p.param) return { param: 'page', error: '`page` needs the query parameter that numbers pages: { param: "page", start: 1 }' };
    const start = p.start ?? 1;
    if (typeof start !== 'number' || !Number.isInteger(start)) return { param: 'page', error: '`page.start` must be a whole number' };
    const extra = Object.keys(p).filter((k) => !['param', 'start', 'size_param', 'size'].includes(k));
    if (extra.length) return { param: 'page', error: `\`page\` has no \`${extra[0]}\` (it takes param, start, size_param, size)` };
    if ((p.size_param === undefined) !== (p.size === undefined)) return { param: 'page', error: '`page.size_param` and `page.size` go together: { param: "page", size_param: "per_page", size: 100 }' };
    if (p.size !== undefined && (typeof p.size !== 'number' || !Number.isInteger(p.size) || p.size < 1)) return { param: 'page', error: '`page.size` must be a whole number ≥ 1' };
    return { mode: 'page', param: p.param, start, sizeParam: p.size_param as string | undefined, size: p.size as number | undefined };
  }
  if (params.cursor !== undefined) {
    const c = params.cursor as Record<string, unknown>;
    if (typeof c.param !== 'string' || !c.param) return { param: 'cursor', error: '`cursor` needs the query parameter to send the cursor in: { param: "cursor", next: ".meta.next_cursor" }' };
    const next = parseFieldPath(c.next);
    if (!next) return { param: 'cursor', error: '`cursor.next` must be the field path of the next cursor in each response, like ".meta.next_cursor"' };
    const extra = Object.keys(c).filter((k) => !['param', 'next', 'start'].includes(k));
    if (extra.length) return { param: 'cursor', error: `\`cursor\` has no \`${extra[0]}\` (it takes param, next, start)` };
    if (c.start !== undefined && typeof c.start !== 'string' && typeof c.start !== 'number') return { param: 'cursor', error: '`cursor.start` must be a string or number' };
    return { mode: 'cursor', param: c.param, next, start: c.start as string | number | undefined };
  }
  if (params.next_link !== undefined) {
    const next = parseFieldPath(params.next_link);
    if (!next) return { param: 'next_link', error: '`next_link` must be a field path like .links.next' };
    return { mode: 'next_link', next };
  }
  return { mode: params.link_header === false ? 'none' : 'link_header' };
}

/** The records of one page: the array at `records`, the page itself if it is an array, or the one value there. */
export function recordsOf(body: unknown, path: Path | undefined): unknown[] {
  const at = path ? getPath(body, path) : body;
  if (Array.isArray(at)) return at;
  return at === null || at === undefined ? [] : [at];
}

/** `Link: <https://…?page=2>; rel="next", <…>; rel="last"` → the next URL. */
export function linkNext(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>(.*)/.exec(part.trim());
    if (m && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2])) return m[1];
  }
  return undefined;
}

/** Retry-After: seconds or an HTTP date → milliseconds to wait (capped), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now(), cap = 120_000): number | undefined {
  if (!header) return undefined;
  const v = header.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.min(cap, Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.min(cap, Math.max(0, t - now));
}

/** Exponential backoff: base, 2×base, 4×base… capped at a minute. */
export function backoffMs(base: number, attempt: number): number {
  return Math.min(60_000, base * 2 ** attempt);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Fetch-affecting params → the saved file's name: change one and the pages are fetched anew. */
export function savedPath(params: Params, baseDir: string): string {
  const key = canonicalJson({
    url: params.url,
    records: params.records ?? null,
    page: params.page ?? null,
    cursor: params.cursor ?? null,
    next_link: params.next_link ?? null,
    link_header: params.link_header ?? null,
    max_pages: params.max_pages ?? null,
    headers: params.headers ?? null,
    token: params.token ?? null,
    token_header: params.token_header ?? null,
  });
  return join(baseDir, '.ftr', 'http', createHash('sha256').update(key).digest('hex').slice(0, 32) + '.json');
}

function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.hostname : undefined;
  } catch {
    return undefined;
  }
}

class Client {
  private last = 0;
  readonly requests: string[] = [];
  constructor(
    private readonly host: string,
    private readonly headers: Record<string, string>,
    private readonly opts: { rate: number; retries: number; backoff: number; timeout: number },
  ) {}

  /** GET one URL as JSON: rate-limited, retried with backoff on 429, 5xx and network errors, same-host redirects followed. */
  async getJson(url: string): Promise<{ body: unknown; link: string | null }> {
    let target = url;
    let lastError = '';
    for (let attempt = 0, redirects = 0; attempt <= this.opts.retries; ) {
      const wait = this.last + 1000 / this.opts.rate - Date.now();
      if (wait > 0) await sleep(wait);
      this.last = Date.now();
      let res: Response;
      try {
        // each hop through the one client that decides it against --allow-net
        res = await guardedFetch(target, { headers: this.headers, maxRedirects: 0, signal: AbortSignal.timeout(this.opts.timeout) });
      } catch (e) {
        if (e instanceof OpError) throw e;
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        lastError = (e as Error).name === 'TimeoutError' ? `no answer within ${this.opts.timeout / 1000}s` : cause?.code ?? cause?.message ?? (e as Error).message;
        if (attempt++ < this.opts.retries) await sleep(backoffMs(this.opts.backoff, attempt - 1));
        continue;
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel();
        const next = new URL(res.headers.get('location')!, target).toString();
        if (hostOf(next) !== this.host) throw new OpError(`GET ${target} redirects to ${next}, another host than ${this.host}, which the recipe names: not followed`);
        if (++redirects > 5) throw new OpError(`GET ${url}: more than 5 redirects`);
        target = next;
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        lastError = `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
        const after = retryAfterMs(res.headers.get('retry-after'));
        await res.body?.cancel();
        if (attempt++ < this.opts.retries) await sleep(after ?? backoffMs(this.opts.backoff, attempt - 1));
        continue;
      }
      const text = await res.text();
      if (!res.ok) throw new OpError(`GET ${target} → HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`);
      try {
        return { body: JSON.parse(text), link: res.headers.get('link') };
      } catch (e) {
        throw new OpError(`GET ${target} did not answer with JSON (${(e as Error).message}): ${text.slice(0, 200).replace(/\s+/g, ' ')}`);
      }
    }
    throw new OpError(`GET ${target} failed ${this.opts.retries + 1} times (${lastError}); gave up after ${this.opts.retries} retr${this.opts.retries === 1 ? 'y' : 'ies'}`);
  }
}

function withQuery(url: string, set: Record<string, string | number | undefined>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(set)) if (v !== undefined) u.searchParams.set(k, String(v));
  return u.toString();
}

/** Walk the pages the params describe and return them (fetching only; records are read later from the saved file). */
export async function fetchPages(params: Params): Promise<Saved> {
  const url = params.url as string;
  const host = hostOf(url);
  if (!host) throw new OpError(`\`${url}\` is not an http(s) URL`);
  const paging = pagingOf(params);
  if ('error' in paging) throw new OpError(paging.error);
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [k, v] of Object.entries((params.headers as Record<string, unknown>) ?? {})) headers[k.toLowerCase()] = String(v);
  if (params.token !== undefined && isSecretRef(params.token)) {
    const secret = resolveSecret(params.token);
    if (typeof params.token_header === 'string') headers[params.token_header.toLowerCase()] = secret;
    else headers.authorization = `Bearer ${secret}`;
  }
  const client = new Client(host, headers, {
    rate: (params.rate as number) ?? 5,
    retries: (params.retries as number) ?? 5,
    backoff: (params.backoff as number) ?? 1000,
    timeout: (params.timeout as number) ?? 30_000,
  });
  const maxPages = (params.max_pages as number) ?? 100;
  const records = params.records as Path | undefined;
  const pages: Saved['pages'] = [];
  const seen = new Set<string>();
  let next: string | undefined =
    paging.mode === 'page' ? withQuery(url, { [paging.param!]: paging.start, ...(paging.sizeParam ? { [paging.sizeParam]: paging.size } : {}) })
    : paging.mode === 'cursor' && paging.start !== undefined ? withQuery(url, { [paging.param!]: paging.start })
    : url;
  let truncated = false;
  for (let n = 0; next !== undefined; n++) {
    if (n >= maxPages) {
      truncated = true;
      break;
    }
    const pageUrl: string = next;
    seen.add(pageUrl);
    const { body, link } = await client.getJson(pageUrl);
    pages.push({ url: pageUrl, body });
    next = undefined;
    switch (paging.mode) {
      case 'page': {
        const got = recordsOf(body, records).length;
        if (got === 0 || (paging.size !== undefined && got < paging.size)) break;
        next = withQuery(url, { [paging.param!]: (paging.start as number) + n + 1, ...(paging.sizeParam ? { [paging.sizeParam]: paging.size } : {}) });
        break;
      }
      case 'cursor': {
        const c = getPath(body, paging.next!);
        if (c === null || c === '' || c === false || typeof c === 'object') break;
        next = withQuery(url, { [paging.param!]: c as string | number });
        break;
      }
      case 'next_link':
      case 'link_header': {
        const target = paging.mode === 'next_link' ? getPath(body, paging.next!) : linkNext(link);
        if (typeof target !== 'string' || !target) break;
        next = new URL(target, pageUrl).toString();
        if (hostOf(next) !== host) throw new OpError(`page ${n + 1} of ${url} links its next page on another host (${next}); ftr only fetches from ${host}, the host the recipe names`);
        break;
      }
    }
    if (next !== undefined && seen.has(next)) next = undefined;
  }
  return { v: 1, url, pages, truncated };
}

/** Fetches (and refetches, with `refresh`) made by this process, by saved file: one per run, however often inputs() is asked. */
const fetched = new Map<string, Promise<void>>();

/** Forget this process's fetches, so `refresh: true` fetches again (tests; a long-lived host process). */
export function forgetHttpFetches(): void {
  fetched.clear();
}

async function ensureSaved(params: Params, file: string): Promise<void> {
  if (!params.refresh && existsSync(file) && !fetched.has(file)) return;
  if (!fetched.has(file)) {
    const job = (async () => {
      const saved = await fetchPages(params);
      mkdirSync(join(file, '..'), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      // a server that echoes the token back must not get it stored: the saved file feeds the cache and outputs
      writeFileSync(tmp, redact(JSON.stringify(saved)));
      renameSync(tmp, file);
    })();
    fetched.set(file, job);
    job.catch(() => fetched.delete(file));
  }
  await fetched.get(file);
}

export async function* readSaved(input: SourceInput, params: Params, ctx: { log(message: string): void }): AsyncIterable<ReadItem> {
  let saved: Saved;
  try {
    saved = JSON.parse(readFileSync(input.path, 'utf8')) as Saved;
  } catch (e) {
    throw new OpError(`cannot read the saved responses of ${input.label} (${input.path}): ${(e as Error).message} — run again with refresh: true`);
  }
  const records = params.records as Path | undefined;
  const mapping = params.fields as Mapping | undefined;
  let line = 0;
  for (const [p, page] of saved.pages.entries()) {
    const at = records ? getPath(page.body, records) : page.body;
    if (records && (at === null || at === undefined)) ctx.log(`page ${p + 1} (${page.url}) has nothing at .${records.join('.')}`);
    for (const [i, r] of recordsOf(page.body, records).entries()) {
      const location = `${page.url} page ${p + 1}[${i}]`;
      if (!r || typeof r !== 'object' || Array.isArray(r)) {
        yield { reject: { reason: 'not a JSON object', location, raw: depthExceeds(r) ? undefined : JSON.stringify(r)?.slice(0, 500) } };
        continue;
      }
      if (depthExceeds(r)) {
        yield { reject: { reason: 'nested too deeply', detail: `more than ${MAX_DEPTH} levels`, location } };
        continue;
      }
      yield { row: mapRecord(r as Record<string, unknown>, mapping), line: ++line };
    }
  }
  if (saved.truncated) ctx.log(`stopped after ${saved.pages.length} pages (max_pages); the last one announced more`);
}

export const http = defineOp({
  name: 'http',
  version: 1,
  kind: 'source',
  summary: 'read JSON records from an HTTP API, following its pages (page numbers, cursors, next links); responses saved for re-runs',
  doc: [
    '`http "https://api.example.com/items" records: .data.items` GETs the URL and takes the array at `records` from each response (the response itself when it is an array). A mapping `{ text: .body, label: .tag }` picks fields as in jsonl. Records that are not objects are rejected with their page and index.',
    'Pagination (one of): `page: { param: "page", start: 1 }` counts pages until one has no records (add `size_param: "per_page", size: 100` to send a page size and stop at a short page); `cursor: { param: "cursor", next: ".meta.next_cursor" }` sends each response\'s cursor back until it is null or empty (`next` is a field path in quotes; `start:` for a first cursor); `next_link: .links.next` follows a URL in each response; without these, a `Link: <…>; rel="next"` header is followed (`link_header: false` turns that off). `max_pages` (default 100) bounds the walk. Next pages and redirects must stay on the URL\'s host.',
    'Politeness: at most `rate` requests per second (default 5); 429, 5xx and network errors are retried up to `retries` times (default 5) with exponential backoff from `backoff` (default 1s, doubling, capped at 60s), or after the server\'s Retry-After (capped at 2 minutes); when the retries run out the run fails naming the URL and the last error. Other 4xx answers and non-JSON bodies fail at once.',
    'Auth: `headers: { "X-Client": "ftr" }`; `token: env("API_TOKEN")` is sent as `Authorization: Bearer …` (or raw in `token_header`); the value never enters caches, locks or logs.',
    'Caching: the pages are fetched once and saved under the recipe folder, `.ftr/http/<hash>.json` (named by the params that change what is fetched); the run reads records from that file, so its content hash keys the cache like any source file and a re-run makes no request. `refresh: true` fetches again (once per run); unchanged answers keep the cache valid. Needs `--allow-net=HOST`.',
  ].join(' '),
  params: [
    { name: 'url', type: { kind: 'string' }, required: true, positional: true, doc: 'http(s) URL of the first page' },
    { name: 'fields', type: { kind: 'mapping' }, positional: true, doc: 'columns to take: { text: .body.text, label: .intent }' },
    { name: 'records', type: { kind: 'field' }, doc: 'field path of the array of records in each response, e.g. .data.items' },
    { name: 'page', type: { kind: 'record' }, doc: 'page-number pagination: { param: "page", start: 1 } (+ size_param, size)' },
    { name: 'cursor', type: { kind: 'record' }, doc: 'cursor pagination: { param: "cursor", next: ".meta.next_cursor" } (+ start)' },
    { name: 'next_link', type: { kind: 'field' }, doc: 'field path of the next page\'s URL in each response, e.g. .links.next' },
    { name: 'link_header', type: { kind: 'bool' }, default: true, doc: 'follow Link rel="next" headers when no other pagination is given' },
    { name: 'max_pages', type: { kind: 'count', min: 1 }, default: 100, doc: 'stop after this many pages' },
    { name: 'rate', type: { kind: 'number', min: 0.01 }, default: 5, doc: 'at most this many requests per second' },
    { name: 'retries', type: { kind: 'count' }, default: 5, doc: 'retries of a request after 429, 5xx or a network error' },
    { name: 'backoff', type: { kind: 'duration' }, default: 1000, doc: 'first wait before a retry; doubles each time (capped at 60s)' },
    { name: 'timeout', type: { kind: 'duration' }, default: 30_000, doc: 'give up on one request after this long (then retry)' },
    { name: 'headers', type: { kind: 'record' }, doc: 'extra request headers: { "X-Client": "ftr" }' },
    { name: 'token', type: { kind: 'secret' }, doc: 'bearer token from an environment variable: env("API_TOKEN")' },
    { name: 'token_header', type: { kind: 'string' }, doc: 'send the token raw in this header instead of Authorization: Bearer' },
    { name: 'refresh', type: { kind: 'bool' }, default: false, doc: 'fetch again instead of reading the saved responses' },
  ],
  describe: (p) => `http ${p.url}`,
  permissions(params) {
    const host = netNameOf(String(params.url));
    return { net: host ? [host] : [] };
  },
  schema(ctx: SchemaContext) {
    const url = ctx.params.url as string;
    if (!hostOf(url)) ctx.error('url', `\`${url}\` is not an http(s) URL`, { help: 'write the full URL: "https://api.example.com/items"' });
    const paging = pagingOf(ctx.params);
    if ('error' in paging) ctx.error(paging.param, paging.error);
    const headers = ctx.params.headers as Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(headers ?? {})) {
      if (typeof v !== 'string' && typeof v !== 'number') ctx.error('headers', `header \`${k}\` must be a string`);
      if (/^authorization$/i.test(k)) ctx.error('headers', 'credentials do not go in recipes: use `token: env("API_TOKEN")`');
    }
    const mapping = ctx.params.fields as Mapping | undefined;
    if (mapping) return { columns: withProvenance(Object.keys(mapping).map((name): Column => ({ name, type: 'any' }))) };
    // the records are not known before the first fetch
    return { columns: withProvenance([]), open: true };
  },
  source: {
    async inputs(params: Params, ctx) {
      const file = savedPath(params, ctx.baseDir);
      // a caller that must not touch the network (a lock, an explain) may say so; the saved pages still answer
      if (ctx.offline) {
        if (!existsSync(file)) throw new OpError(`${params.url as string} has not been fetched yet: run the recipe (with --allow-net) first`);
      } else await ensureSaved(params, file);
      return [{ label: params.url as string, path: file }];
    },
    read: readSaved,
  },
});
