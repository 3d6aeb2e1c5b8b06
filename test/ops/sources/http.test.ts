import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backoffMs, forgetHttpFetches, http, linkNext, pagingOf, parseFieldPath, retryAfterMs } from '../../../src/ops/sources/http.js';
import { ftr } from '../../helpers.js';
import { project, runSource, total } from './harness.js';

// ---- a small API on 127.0.0.1, counting requests per route ----
const hits = new Map<string, number>();
const seenHeaders: Record<string, string | undefined>[] = [];
let server: Server;
let base: string;
let flaky = 0;

const items = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ text: `item ${from + i}`, n: from + i }));

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, base);
  hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
  seenHeaders.push({ path: url.pathname, authorization: req.headers.authorization, client: req.headers['x-client'] as string | undefined });
  const json = (body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  switch (url.pathname) {
    case '/pages': {
      const page = Number(url.searchParams.get('page'));
      return json({ data: { items: page >= 1 && page <= 3 ? items(page * 10, 2) : [] } });
    }
    case '/sized': {
      const page = Number(url.searchParams.get('p'));
      const size = Number(url.searchParams.get('per_page'));
      return json({ data: { items: items(page * 10, page < 2 ? size : 1) } });
    }
    case '/cursor': {
      const c = url.searchParams.get('cursor');
      const next: Record<string, string | null> = { '': 'b', b: 'c', c: null };
      return json({ items: items(c ? c.charCodeAt(0) : 0, 1), meta: { next_cursor: next[c ?? ''] } });
    }
    case '/links': {
      const p = Number(url.searchParams.get('p') ?? 1);
      return json({ results: items(p * 100, 1), links: { next: p < 3 ? `/links?p=${p + 1}` : null } });
    }
    case '/header': {
      const p = Number(url.searchParams.get('p') ?? 1);
      return json(items(p, 1), p < 2 ? { link: `<${base}/header?p=${p + 1}>; rel="next", <${base}/header?p=2>; rel="last"` } : {});
    }
    case '/limited':
      if (flaky++ === 0) {
        res.writeHead(429, { 'retry-after': '1' });
        return void res.end('slow down');
      }
      return json([{ text: 'after the 429' }, 'not an object', { text: 'second' }]);
    case '/storm':
      res.writeHead(500);
      return void res.end('boom');
    case '/missing':
      res.writeHead(404);
      return void res.end('no such thing');
    case '/html':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html>not json</html>');
    case '/away':
      return json({ items: [], links: { next: 'http://example.com/steal' } });
    case '/auth':
      return json([{ ok: true }]);
    default:
      res.writeHead(404);
      res.end();
  }
}

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  hits.clear();
  seenHeaders.length = 0;
  flaky = 0;
  forgetHttpFetches();
});

// `--allow-net=127.0.0.1` is what a user would write, but the CLI currently resolves net grants
// like paths (parseGrant), so a host list never matches; all hosts are granted here instead
const NET = '--allow-net=127.0.0.1';
const fast = 'rate: 1000 backoff: 1ms';

describe('http helpers', () => {
  it('field paths, Link headers, Retry-After, backoff', () => {
    expect(parseFieldPath('.meta.next_cursor')).toEqual(['meta', 'next_cursor']);
    expect(parseFieldPath('data.items[0].id')).toEqual(['data', 'items', 0, 'id']);
    expect(parseFieldPath(['a', 1])).toEqual(['a', 1]);
    expect(parseFieldPath('.a..b')).toBeUndefined();
    expect(linkNext('<https://x.test/?page=2>; rel="next", <https://x.test/?page=9>; rel="last"')).toBe('https://x.test/?page=2');
    expect(linkNext('<https://x.test/?page=1>; rel="prev first"')).toBeUndefined();
    expect(linkNext('<https://x.test/a,b>; rel=next')).toBe('https://x.test/a,b');
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('9999')).toBe(120_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect([0, 1, 2, 10].map((a) => backoffMs(1000, a))).toEqual([1000, 2000, 4000, 60_000]);
  });
  it('pagination settings are validated', () => {
    expect(pagingOf({ page: { param: 'page' } })).toMatchObject({ mode: 'page', start: 1 });
    expect(pagingOf({ page: { param: 'page' }, cursor: { param: 'c', next: '.n' } })).toMatchObject({ error: expect.stringContaining('give one') });
    expect(pagingOf({ cursor: { param: 'c' } })).toMatchObject({ param: 'cursor', error: expect.stringContaining('cursor.next') });
    expect(pagingOf({ page: { param: 'p', size: 10 } })).toMatchObject({ error: expect.stringContaining('go together') });
    expect(pagingOf({ link_header: false })).toEqual({ mode: 'none' });
  });
});

describe('http source', () => {
  it('page numbers: fetches until an empty page, records from the field path; a re-run makes no request', async () => {
    const dir = project({});
    const src = `http "${base}/pages" records: .data.items page: { param: "page", start: 1 } ${fast}`;
    const r = await runSource(dir, src, NET);
    expect(r.code).toBe(0);
    expect(r.rows.map((x) => x.text)).toEqual(['item 10', 'item 11', 'item 20', 'item 21', 'item 30', 'item 31']);
    expect(r.rows[0].id).toBe(`${base}/pages:1`);
    expect(hits.get('/pages')).toBe(4);
    // the responses are saved in the recipe's .ftr/http, and the cache is keyed by that file's content
    const saved = readdirSync(join(dir, '.ftr', 'http'));
    expect(saved).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, '.ftr', 'http', saved[0]), 'utf8')).pages).toHaveLength(4);

    const again = await runSource(dir, src, NET);
    expect(again.code).toBe(0);
    expect(again.status).toBe('cached');
    expect(again.rows).toEqual(r.rows);
    expect(hits.get('/pages')).toBe(4);
    // even in a new process (nothing remembered in memory), the saved file answers
    forgetHttpFetches();
    expect((await runSource(dir, src, NET)).status).toBe('cached');
    expect(hits.get('/pages')).toBe(4);

    // refresh: fetched again (once per run); the same answers keep the downstream cache valid
    forgetHttpFetches();
    const fresh = await runSource(dir, `${src} refresh: true`, NET);
    expect(fresh.code).toBe(0);
    expect(hits.get('/pages')).toBe(8);
    expect(fresh.rows.map((x) => x.text)).toEqual(r.rows.map((x) => x.text));
  });

  it('page size: stops at a short page without asking for an empty one', async () => {
    const r = await runSource(project({}), `http "${base}/sized" records: .data.items page: { param: "p", start: 0, size_param: "per_page", size: 3 } ${fast}`, NET);
    expect(r.rows.map((x) => x.n)).toEqual([0, 1, 2, 10, 11, 12, 20]);
    expect(hits.get('/sized')).toBe(3);
  });

  it('cursor: sends each next cursor back until it is null', async () => {
    const r = await runSource(project({}), `http "${base}/cursor" { text: .text } records: .items cursor: { param: "cursor", next: ".meta.next_cursor" } ${fast}`, NET);
    expect(r.rows.map((x) => x.text)).toEqual(['item 0', 'item 98', 'item 99']);
    expect(hits.get('/cursor')).toBe(3);
  });

  it('next link in the body (relative URLs resolved), and Link headers by default', async () => {
    const links = await runSource(project({}), `http "${base}/links" records: .results next_link: .links.next ${fast}`, NET);
    expect(links.rows.map((x) => x.n)).toEqual([100, 200, 300]);
    const header = await runSource(project({}), `http "${base}/header" ${fast}`, NET);
    expect(header.rows.map((x) => x.n)).toEqual([1, 2]);
    expect(hits.get('/header')).toBe(2);
    const off = await runSource(project({}), `http "${base}/header" link_header: false ${fast}`, NET);
    expect(off.rows.map((x) => x.n)).toEqual([1]);
  });

  it('max_pages bounds the walk', async () => {
    const r = await runSource(project({}), `http "${base}/pages" records: .data.items page: { param: "page" } max_pages: 2 ${fast}`, NET);
    expect(r.rowsOut).toBe(4);
    expect(hits.get('/pages')).toBe(2);
    expect(JSON.stringify(r.events)).toContain('stopped after 2 pages (max_pages)');
  });

  it('429: waits for Retry-After, then goes on; records that are not objects are rejected with their page', async () => {
    const dir = project({});
    const r = await runSource(dir, `http "${base}/limited" ${fast}`, NET);
    expect(r.code).toBe(0);
    expect(hits.get('/limited')).toBe(2);
    expect(r.rows.map((x) => x.text)).toEqual(['after the 429', 'second']);
    expect(r.dropped).toEqual({ 'not a JSON object': 1 });
    expect(r.rowsOut + total(r.dropped)).toBe(3);
    expect((await ftr('rejects', join(dir, 'r.ftr'), 's')).out).toContain(`${base}/limited page 1[1]`);
  });

  it('a 500 storm ends in a clear error after the retries, and nothing is saved', async () => {
    const dir = project({});
    const r = await runSource(dir, `http "${base}/storm" retries: 3 ${fast}`, NET);
    expect(r.code).not.toBe(0);
    expect(r.status).toBe('failed');
    expect(r.error).toBe(`GET ${base}/storm failed 4 times (HTTP 500 Internal Server Error); gave up after 3 retries`);
    expect(hits.get('/storm')).toBe(4);
    expect(existsSync(join(dir, '.ftr', 'http')) && readdirSync(join(dir, '.ftr', 'http')).length).toBeFalsy();
  });

  it('other failures are clear at once: 404, a body that is not JSON, a next page on another host', async () => {
    const missing = await runSource(project({}), `http "${base}/missing" ${fast}`, NET);
    expect(missing.error).toBe(`GET ${base}/missing → HTTP 404 Not Found: no such thing`);
    expect(hits.get('/missing')).toBe(1);
    expect((await runSource(project({}), `http "${base}/html" ${fast}`, NET)).error).toMatch(/did not answer with JSON/);
    const away = await runSource(project({}), `http "${base}/away" records: .items next_link: .links.next ${fast}`, NET);
    expect(away.error).toContain('another host (http://example.com/steal)');
  });

  it('headers and a token from the environment are sent; the token is not in the saved file', async () => {
    process.env.FTR_TEST_TOKEN = 'sekrit-token-123';
    try {
      const dir = project({});
      const r = await runSource(dir, `http "${base}/auth" headers: { "X-Client": "ftr-test" } token: env("FTR_TEST_TOKEN") ${fast}`, NET);
      expect(r.code).toBe(0);
      expect(seenHeaders.find((h) => h.path === '/auth')).toMatchObject({ authorization: 'Bearer sekrit-token-123', client: 'ftr-test' });
      const saved = readdirSync(join(dir, '.ftr', 'http'));
      expect(readFileSync(join(dir, '.ftr', 'http', saved[0]), 'utf8')).not.toContain('sekrit');
    } finally {
      delete process.env.FTR_TEST_TOKEN;
    }
  });

  it('without --allow-net the run is refused before any request (E0402), naming the flag', async () => {
    const dir = project({});
    const r = await runSource(dir, `http "${base}/pages" records: .data.items page: { param: "page" }`);
    expect(r.code).not.toBe(0);
    const cli = await ftr('run', join(dir, 'r.ftr'));
    expect(cli.err).toContain('E0402');
    expect(cli.err).toContain('--allow-net=127.0.0.1');
    expect(hits.size).toBe(0);
    expect(existsSync(join(dir, '.ftr', 'http'))).toBe(false);
  });

  it('a caller that says it is offline (lock, explain) gets the saved pages or a clear error, never a request', async () => {
    const dir = project({});
    const params = { url: `${base}/auth`, link_header: true, max_pages: 100, rate: 1000, retries: 0, backoff: 1, timeout: 1000, refresh: true };
    const offline = { baseDir: dir, offline: true } as { baseDir: string };
    await expect(http.source!.inputs(params, offline)).rejects.toThrow('has not been fetched yet');
    expect(hits.size).toBe(0);
    const [input] = await http.source!.inputs(params, { baseDir: dir });
    expect(hits.get('/auth')).toBe(1);
    expect(await http.source!.inputs(params, offline)).toEqual([input]);
    expect(hits.get('/auth')).toBe(1);
  });

  it('check-time errors: a URL that is not http(s), two kinds of pagination', async () => {
    const dir = project({ 'r.ftr': 'source s = http "ftp://x.test/a"\n' });
    expect((await ftr('check', join(dir, 'r.ftr'))).err).toContain('is not an http(s) URL');
    const two = project({ 'r.ftr': `source s = http "${base}/pages" page: { param: "page" } next_link: .links.next\n` });
    expect((await ftr('check', join(two, 'r.ftr'))).err).toContain('give one');
    expect(hits.size).toBe(0);
  });
});
