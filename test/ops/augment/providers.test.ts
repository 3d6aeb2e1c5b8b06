import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatEndpoint, Memo, parseCompletion, placeholders, render } from '../../../src/ops/augment/providers.js';
import { BIN, ftr, readJsonl, runJson, tempProject } from '../../helpers.js';
import { ChatServer, lastParagraph, type ChatBody } from './chat-server.js';

const server = new ChatServer();
beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => server.reset());

const ROWS = [
  { id: 'r1', text: 'I want a refund for my order', label: 'billing' },
  { id: 'r2', text: 'The app crashes when I log in', label: 'bug' },
  { id: 'r3', text: 'Please cancel my subscription today', label: 'billing' },
];

/** A project whose `aug` cell runs the given op on ROWS (`write` exports it to out/aug.jsonl). */
function project(op: string, rows = ROWS): string {
  const dir = tempProject({
    'd.jsonl': rows.map((r) => JSON.stringify(r)).join('\n') + '\n',
    'r.ftr': `recipe p\nseed 3\nsource d = jsonl "d.jsonl"\ncell aug = d | ${op}\nexport aug | write "out/" shuffle: false\n`,
  });
  return join(dir, 'r.ftr');
}

const fast = () => `base_url: "${server.url}/v1" model: "m1" backoff: 1ms rate: 1000`;
const NET = '--allow-net=127.0.0.1';
const out = (file: string) => readJsonl(join(file, '..', 'out', 'aug.jsonl'));

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? allFiles(join(dir, n)) : [join(dir, n)]));
}

describe('provider pieces', () => {
  it('endpoints, templates and chat answers', () => {
    expect(chatEndpoint('http://127.0.0.1:8000/v1')).toBe('http://127.0.0.1:8000/v1/chat/completions');
    expect(chatEndpoint('http://127.0.0.1:8000/v1/')).toBe('http://127.0.0.1:8000/v1/chat/completions');
    expect(chatEndpoint('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/v1/chat/completions');
    expect(chatEndpoint('https://x.example/openai/v1/chat/completions')).toBe('https://x.example/openai/v1/chat/completions');
    expect(placeholders('a {{ text }} b {{label}} {{text}}')).toEqual(['text', 'label']);
    expect(render('x {{text}} / {{n}} / {{none}}', (k) => ({ text: 'hi', n: 3 })[k])).toBe('x hi / 3 / ');
    expect(parseCompletion('{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]}', 'u')).toEqual({ text: 'ok', finish: 'stop' });
    expect(() => parseCompletion('{"data":[]}', 'http://h/v1/chat/completions')).toThrow('without choices[0].message.content');
    expect(() => parseCompletion('<html>', 'http://h/v1/chat/completions')).toThrow('did not answer with JSON');
  });

  it('the memo skips a line cut short by a kill and appends after it on a fresh line', () => {
    const dir = join(tempProject({}), 'memo');
    const m = new Memo(dir, { op: 't' });
    m.put('k1', { text: 'one' });
    // a kill mid-write: half a line, no newline
    appendFileSync(m.file, '{"k":"k2","te');
    const again = new Memo(dir, { op: 't' });
    expect(again.get('k1')).toEqual({ text: 'one' });
    expect(again.get('k2')).toBeUndefined();
    again.put('k3', { text: 'three', finish: 'stop' });
    const third = new Memo(dir, { op: 't' });
    expect(third.get('k3')).toEqual({ text: 'three', finish: 'stop' });
    expect(third.damaged).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'about.json'), 'utf8'))).toEqual({ op: 't' });
  });
});

describe('paraphrase', () => {
  it('adds copies with lineage, one memoized request per row and copy', async () => {
    const file = project(`paraphrase text copies: 2 ${fast()}`);
    const r = await runJson(file, NET);
    expect(r.code).toBe(0);
    expect(server.requests).toBe(6);
    const rows = out(file);
    expect(rows.map((x) => x.id)).toEqual(['r1', 'r1#para1', 'r1#para2', 'r2', 'r2#para1', 'r2#para2', 'r3', 'r3#para1', 'r3#para2']);
    expect(rows[1]).toEqual({ id: 'r1#para1', source: 'd', text: 'order my for refund a want I', label: 'billing', parent: 'r1', augmentation: 'paraphrase' });
    expect(rows[2].text).toBe('order my for refund a want I (v2)');
    expect(rows[0]).toMatchObject({ id: 'r1', parent: null, augmentation: null });
    // the request: model, sampling, the row's text in the default prompt, seed = copy number
    const b = server.bodies.find((x) => x.seed === 2 && lastParagraph(x.messages[0].content) === ROWS[0].text)!;
    expect(b).toMatchObject({ model: 'm1', temperature: 0.7, max_tokens: 512 });
    expect(b.messages[0].content).toMatch(/^Paraphrase the following text/);
    const notes = r.cells.get('aug')!.notes!;
    expect(notes).toContain('paraphrase: 6 copies of 3 rows → 6 kept, 0 rejected');
    expect(notes.some((l) => /^provider: 6 requests sent, 0 answered from the memo \(\.ftr\/memo\/[0-9a-f]{32}\/\)$/.test(l))).toBe(true);

    // a re-run that recomputes (no cache) pays nothing: every answer comes from the memo
    server.reset();
    const again = await runJson(file, NET, '--no-cache');
    expect(again.code).toBe(0);
    expect(server.requests).toBe(0);
    expect(out(file)).toEqual(rows);
    expect(again.cells.get('aug')!.notes).toContain(notes.find((l) => l.startsWith('provider:'))!.replace('6 requests sent, 0 answered', '0 requests sent, 6 answered'));

    // other filters: same requests, still nothing paid; another prompt: new requests
    writeRecipe(file, `paraphrase text copies: 2 ${fast()} length_ratio: [0.5, 2]`);
    expect((await runJson(file, NET)).code).toBe(0);
    expect(server.requests).toBe(0);
    writeRecipe(file, `paraphrase text copies: 2 ${fast()} prompt: "Reword: {{text}}"`);
    expect((await runJson(file, NET)).code).toBe(0);
    expect(server.requests).toBe(6);
  });

  it('checks placeholders against the schema: an unknown column is a check-time error with did-you-mean', async () => {
    const file = project(`paraphrase text ${fast()} prompt: "Rewrite this {{lable}} ticket: {{text}}"`);
    const r = await ftr('check', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[E0201]: unknown column `lable` in the placeholder {{lable}} of `prompt`');
    expect(r.err).toContain('did you mean `label`?');
    const none = await ftr('check', project(`paraphrase text ${fast()} prompt: "Rewrite this ticket"`));
    expect(none.err).toContain('`prompt` has no placeholder for the row\'s text');
    const url = await ftr('check', project('paraphrase text model: "m" base_url: "localhost:8000"'));
    expect(url.err).toContain('`localhost:8000` is not an http(s) URL');
    expect(server.requests).toBe(0);
  });

  it('needs --allow-net for the base_url host (E0402), and sends nothing without it', async () => {
    const file = project(`paraphrase text ${fast()}`);
    const r = await ftr('run', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[E0402]: `aug` would connect to 127.0.0.1');
    expect(r.err).toContain('--allow-net=127.0.0.1');
    expect(server.requests).toBe(0);
    expect((await ftr('run', file, '--allow-net=other.example')).code).toBe(1);
    expect(server.requests).toBe(0);
  });

  it('rides out a 500 storm with retries; a storm longer than the retries fails the run naming the error', async () => {
    server.failNext = 4;
    const file = project(`paraphrase text ${fast()} concurrency: 1 retries: 5`);
    const r = await runJson(file, NET);
    expect(r.code).toBe(0);
    expect(server.requests).toBe(3 + 4);
    expect(out(file).filter((x) => x.augmentation === 'paraphrase')).toHaveLength(3);
    expect(r.cells.get('aug')!.notes!.find((l) => l.startsWith('provider:'))).toMatch(/^provider: 3 requests sent \(4 retries\)/);

    server.reset();
    server.failAll = 500;
    const storm = await runJson(project(`paraphrase text ${fast()} retries: 2`), NET);
    expect(storm.code).toBe(3);
    const err = storm.cells.get('aug')!.error!;
    expect(err).toContain(`POST ${server.url}/v1/chat/completions failed 3 times (HTTP 500 Internal Server Error: {"error":{"message":"the model is overloaded"}}); gave up after 2 retries`);
  });

  it('honours 429 Retry-After and fails at once on 401 with a hint about the key', async () => {
    let first = true;
    server.reply = (b) => {
      if (first) {
        first = false;
        return { status: 429, headers: { 'retry-after': '0' }, raw: '{"error":"slow down"}' };
      }
      return `${lastParagraph(b.messages[0].content)}, please`;
    };
    const file = project(`paraphrase text ${fast()} concurrency: 1`, ROWS.slice(0, 1));
    expect((await runJson(file, NET)).code).toBe(0);
    expect(out(file)[1].text).toBe('I want a refund for my order, please');
    expect(server.requests).toBe(2);

    server.reset();
    server.failAll = 401;
    const r = await runJson(project(`paraphrase text ${fast()}`), NET);
    expect(r.code).toBe(3);
    expect(r.cells.get('aug')!.error).toContain('HTTP 401');
    expect(r.cells.get('aug')!.error).toContain('check `api_key`');
    expect(server.requests).toBe(3); // one per row in flight, none retried
  });

  it('a down endpoint is a clear error: cannot reach … (ECONNREFUSED) — is the server running?', async () => {
    const down = new ChatServer();
    await down.start();
    const url = down.url;
    await down.stop();
    const file = project(`paraphrase text base_url: "${url}/v1" model: "m" retries: 1 backoff: 1ms`);
    const r = await runJson(file, NET);
    expect(r.code).toBe(3);
    expect(r.cells.get('aug')!.error).toContain(`cannot reach ${url}/v1/chat/completions (ECONNREFUSED) — is the server running?`);
  });

  it('sends the API key from env() as a bearer token, and it never reaches events, caches or the memo', async () => {
    const secret = 'sk-augment-secret-98765';
    process.env.FTR_AUG_KEY = secret;
    try {
      server.reply = (b) => `${lastParagraph(b.messages[0].content)} with key ${secret}?`;
      const file = project(`paraphrase text ${fast()} api_key: env("FTR_AUG_KEY")`);
      const r = await runJson(file, NET);
      expect(r.code).toBe(0);
      expect(server.authorizations.every((a) => a === `Bearer ${secret}`)).toBe(true);
      expect(JSON.stringify(r.events)).not.toContain(secret);
      const files = allFiles(join(file, '..', '.ftr'));
      expect(files.some((f) => f.endsWith('responses.jsonl'))).toBe(true);
      for (const f of files) expect(readFileSync(f).toString('latin1'), f).not.toContain(secret);
      // a failure message never shows it either
      server.reset();
      server.failAll = 401;
      writeRecipe(file, `paraphrase text ${fast()} api_key: env("FTR_AUG_KEY") prompt: "again {{text}}"`);
      const failed = await runJson(file, NET);
      expect(failed.code).toBe(3);
      expect(JSON.stringify(failed.events)).not.toContain(secret);
    } finally {
      delete process.env.FTR_AUG_KEY;
    }
  });

  it('rejects truncated, refused and empty answers with their reason; filters reject with the measured value', async () => {
    server.reply = (b: ChatBody) => {
      const t = lastParagraph(b.messages[0].content);
      if (t.startsWith('I want')) return { content: 'I want a ref', finish: 'length' };
      if (t.startsWith('The app')) return { content: '', finish: 'stop' };
      return t.replace('today', 'now');
    };
    const file = project(`paraphrase text ${fast()} similarity: [10%, 80%]`);
    const r = await runJson(file, NET);
    expect(r.code).toBe(0);
    expect(out(file).map((x) => x.id)).toEqual(['r1', 'r2', 'r3']);
    const rej = await ftr('rejects', file, 'aug', '--json');
    const rejects = rej.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { reason: string; detail: string; id: string });
    const byId = Object.fromEntries(rejects.map((x) => [x.id, x]));
    expect(byId['r1#para1']).toMatchObject({ reason: 'truncated answer', detail: 'paraphrase 1 stopped at max_tokens (512)' });
    expect(byId['r2#para1']).toMatchObject({ reason: 'empty answer' });
    expect(byId['r3#para1'].reason).toBe('too similar');
    expect(byId['r3#para1'].detail).toMatch(/^similarity 0\.\d\d > max 0\.80 \(chars\)$/);
  });

  it('an interrupted run (killed after N answers) is resumed by a re-run that pays only for the rest', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ id: `q${i}`, text: `question number ${i} about billing`, label: 'billing' }));
    const file = project(`paraphrase text ${fast()} concurrency: 1`, rows);
    const N = 5;
    const child = spawn(process.execPath, [BIN, 'run', file, NET, '--reporter', 'plain'], { env: { ...process.env, CI: 'true' } });
    // the (N+1)th request arrives only after the Nth answer was memoized (one request at a time): kill then
    server.onRequest = (n) => {
      if (n === N + 1) child.kill('SIGKILL');
    };
    const code = await new Promise<number | null>((r) => child.on('exit', (c, sig) => r(sig ? null : c)));
    expect(code).toBeNull();
    const memo = allFiles(join(file, '..', '.ftr', 'memo')).find((f) => f.endsWith('responses.jsonl'))!;
    expect(readFileSync(memo, 'utf8').split('\n').filter(Boolean)).toHaveLength(N);
    expect(existsSync(join(file, '..', 'out', 'aug.jsonl'))).toBe(false);

    server.reset();
    const r = await runJson(file, NET);
    expect(r.code).toBe(0);
    expect(server.requests).toBe(rows.length - N);
    expect(out(file).filter((x) => x.augmentation === 'paraphrase')).toHaveLength(rows.length);
    expect(r.cells.get('aug')!.notes!.find((l) => l.startsWith('provider:'))).toMatch(new RegExp(`^provider: ${rows.length - N} requests sent, ${N} answered from the memo`));
  });
});

describe('back_translate', () => {
  const pivot = (b: ChatBody) => {
    const user = b.messages[0].content;
    const t = lastParagraph(user);
    if (/into German/.test(user)) return `[de] ${t}`;
    if (/into French/.test(user)) return `[fr] ${t}`;
    const back = t.startsWith('[fr] ') ? t.replace('I want', 'I wish for').replace('crashes', 'dies').replace('Please', 'Do') : t.replace('I want', 'I would like').replace('crashes', 'breaks').replace('Please', 'Kindly');
    return back.replace(/^\[(de|fr)\] /, '');
  };

  it('translates to the pivot and back (two memoized requests per copy); one copy per pivot', async () => {
    server.reply = pivot;
    const file = project(`back_translate text via: [de, fr] ${fast()}`);
    const r = await runJson(file, NET);
    expect(r.code).toBe(0);
    expect(server.requests).toBe(3 * 2 * 2);
    const rows = out(file);
    expect(rows.map((x) => x.id)).toEqual(['r1', 'r1#bt-de1', 'r1#bt-fr1', 'r2', 'r2#bt-de1', 'r2#bt-fr1', 'r3', 'r3#bt-de1', 'r3#bt-fr1']);
    expect(rows[1]).toMatchObject({ text: 'I would like a refund for my order', parent: 'r1', augmentation: 'back_translate:de' });
    // prompts: the pivot's name, then the translation back into `from`
    const there = server.bodies.find((b) => b.messages[0].content.includes('into German'))!;
    expect(there.messages[0].content).toMatch(/^Translate the following text into German\. Answer with the translation only\.\n\n/);
    expect(server.bodies.some((b) => b.messages[0].content.startsWith('Translate the following text into English.') && lastParagraph(b.messages[0].content).startsWith('[fr] '))).toBe(true);

    server.reset();
    expect((await runJson(file, NET, '--no-cache')).code).toBe(0);
    expect(server.requests).toBe(0);
  });

  it('accepts a single pivot and checks its templates', async () => {
    server.reply = pivot;
    const file = project(`back_translate text via: "de" ${fast()}`);
    expect((await runJson(file, NET)).code).toBe(0);
    expect(out(file).map((x) => x.id)).toContain('r2#bt-de1');
    const bad = await ftr('check', project(`back_translate text ${fast()} back_prompt: "Into {{from}}: {{translaton}}"`));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('unknown column `translaton`');
    expect(bad.err).toContain('did you mean `translation`?');
  });
});

function writeRecipe(file: string, op: string): void {
  writeFileSync(file, `recipe p\nseed 3\nsource d = jsonl "d.jsonl"\ncell aug = d | ${op}\nexport aug | write "out/" shuffle: false\n`);
}
