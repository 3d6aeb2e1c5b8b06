import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { forgetHttpFetches } from '../../src/ops/sources/http.js';
import { guardedFetch, setPolicy, NO_GRANTS } from '../../src/core/sandbox.js';
import { redact, redactDeep, resolveSecret } from '../../src/runtime/secrets.js';
import { runJson, tempProject } from '../helpers.js';

/** A server on 127.0.0.1 that answers with `handle` and counts requests. */
class Tiny {
  server!: Server;
  url = '';
  port = 0;
  requests = 0;
  bodies: string[] = [];
  constructor(readonly handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {}
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.requests++;
        this.bodies.push(body);
        this.handle(req, res, body);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const completion = (text: string) => JSON.stringify({ choices: [{ message: { content: text }, finish_reason: 'stop' }] });
// the other host: a chat server and a JSON API
const target = new Tiny((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.method === 'POST' ? completion('stolen') : JSON.stringify([{ text: 'from the other host' }]));
});
// the granted host: every request is redirected (307 keeps the POST and its body) to the other one
const redirector = new Tiny((req, res) => {
  res.writeHead(307, { location: `${target.url}${req.url}` });
  res.end();
});
beforeAll(async () => {
  await target.start();
  await redirector.start();
});
afterAll(async () => {
  await target.stop();
  await redirector.stop();
});
beforeEach(() => {
  target.requests = redirector.requests = 0;
  target.bodies.length = 0;
  forgetHttpFetches();
});

function recipe(cell: string): string {
  const dir = tempProject({ 'd.jsonl': '{"text": "private row text"}\n', 'r.ftr': `source d = jsonl "d.jsonl"\n${cell}\n` });
  return join(dir, 'r.ftr');
}

describe('one HTTP client decides every redirect hop against --allow-net', () => {
  it('paraphrase does not follow a 307 to a port that is not granted (and posts nothing there)', async () => {
    const file = recipe(`cell aug = d | paraphrase text base_url: "${redirector.url}/v1" model: "m" retries: 0 backoff: 1ms\nexport aug | write "out/"`);
    const r = await runJson(file, `--allow-net=127.0.0.1:${redirector.port}`);
    expect(r.code).toBe(3);
    expect(redirector.requests).toBe(1);
    expect(target.requests).toBe(0);
    const error = r.cells.get('aug')!.error!;
    expect(error).toContain(`--allow-net=127.0.0.1`);
    expect(error).toContain(`127.0.0.1:${target.port}`);
    // both granted: the redirect is followed with its body
    const ok = await runJson(file, `--allow-net=127.0.0.1:${redirector.port},127.0.0.1:${target.port}`);
    expect(ok.code).toBe(0);
    expect(target.bodies[0]).toContain('private row text');
  });

  it('the http source does not follow a redirect to another port', async () => {
    const file = recipe(`source h = http "${redirector.url}/items" rate: 1000 backoff: 1ms retries: 0\nexport h | write "out.jsonl"`);
    const r = await runJson(file, `--allow-net=127.0.0.1:${redirector.port}`);
    expect(r.code).toBe(3);
    expect(target.requests).toBe(0);
    expect(r.cells.get('h')!.error).toContain('--allow-net');
  });

  it('with no policy set (library use), a redirect stays on the first host and port', async () => {
    setPolicy(undefined);
    await expect(guardedFetch(`${redirector.url}/x`)).rejects.toThrow('--allow-net');
    expect(target.requests).toBe(0);
    setPolicy(tempProject({}), { ...NO_GRANTS, net: [`127.0.0.1:${redirector.port}`] });
    try {
      await expect(guardedFetch(`${redirector.url}/x`)).rejects.toThrow(`connecting to 127.0.0.1:${target.port} (a redirect from ${redirector.url}/x) is not allowed`);
    } finally {
      setPolicy(undefined);
    }
  });
});

function allText(dir: string): string {
  return readdirSync(dir)
    .map((n) => join(dir, n))
    .map((p) => (statSync(p).isDirectory() ? allText(p) : readFileSync(p, 'latin1')))
    .join('\n');
}

describe('secrets', () => {
  it('a key with `"`, `\\` and a newline is redacted in every escaped form', () => {
    process.env.FTR_TEST_QUOTED = 'k"ey\\with\nstuff-123';
    try {
      const key = resolveSecret({ env: 'FTR_TEST_QUOTED' });
      const event = { type: 'cell', error: `HTTP 401: {"error": ${JSON.stringify(`bad key ${key}`)}}` };
      const shown = JSON.stringify(redactDeep(event));
      expect(shown).not.toContain(JSON.stringify(key).slice(1, -1));
      expect(shown).not.toContain('stuff-123');
      expect(redact(JSON.stringify({ a: key }))).toBe('{"a":"***"}');
    } finally {
      delete process.env.FTR_TEST_QUOTED;
    }
  });

  it('a key with `"` that a server echoes in an error is redacted in --json events', async () => {
    const echo = new Tiny((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `invalid key: ${req.headers.authorization}` }));
    });
    await echo.start();
    process.env.FTR_TEST_KEY = 'sk-"quoted"-key-777';
    try {
      const file = recipe(`cell aug = d | paraphrase text base_url: "${echo.url}/v1" model: "m" api_key: env("FTR_TEST_KEY") retries: 0\nexport aug | write "out/"`);
      const lines: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((c: string) => (lines.push(String(c)), true)) as typeof process.stdout.write;
      let code: number;
      try {
        const { main } = await import('../../src/cli/main.js');
        code = await main(['run', file, '--json', '--allow-net=127.0.0.1'], { out: (s) => void lines.push(s), err: (s) => void lines.push(s) });
      } finally {
        process.stdout.write = write;
      }
      expect(code).toBe(3);
      const text = lines.join('');
      expect(text).toContain('invalid key');
      expect(text).not.toContain('key-777');
    } finally {
      delete process.env.FTR_TEST_KEY;
      await echo.stop();
    }
  });

  it('a token the server echoes back is not stored by the http source (saved responses, cache, outputs)', async () => {
    const echo = new Tiny((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ text: 'hello', you_sent: req.headers.authorization, quoted: JSON.stringify({ t: req.headers.authorization }) }]));
    });
    await echo.start();
    process.env.FTR_TEST_TOKEN2 = 'tok"en-echoed-999';
    try {
      const file = recipe(`source h = http "${echo.url}/items" token: env("FTR_TEST_TOKEN2") rate: 1000\nexport h | write "out.jsonl"`);
      const r = await runJson(file, '--allow-net=127.0.0.1');
      expect(r.code).toBe(0);
      const out = readFileSync(join(file, '..', 'out.jsonl'), 'utf8');
      expect(out).toContain('hello');
      expect(out).toContain('***');
      expect(allText(join(file, '..'))).not.toContain('echoed-999');
    } finally {
      delete process.env.FTR_TEST_TOKEN2;
      await echo.stop();
    }
  });
});
