/**
 * Model providers for augmentation ops (paraphrase, back-translation), and the memo that makes
 * every provider call happen once: responses are stored under the recipe's `.ftr/memo/` keyed
 * by the sha256 of the exact request, and read back before any request is sent, so a re-run, a
 * run with other filter settings or a run after an interruption pays only for what is missing.
 *
 * Providers: `openai`, any server that speaks OpenAI's `/v1/chat/completions` (OpenAI, vLLM,
 * llama.cpp's server, Ollama, LM Studio, TGI); `local`, a GPT-2-family model folder run in-process
 * with TensorFlow.js (local_model.ts). A new provider is one more entry in BACKENDS: a function
 * from the op's params to a `ChatBackend`.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpError, type ParamSpec, type Params, type SchemaContext } from '../types.js';
import { checkModelFolder } from '../common.js';
import { canonicalJson, sha256 } from '../../runtime/hash.js';
import { isSecretRef, redact, resolveSecret } from '../../runtime/secrets.js';
import { guardedFetch, netNameOf } from '../../core/sandbox.js';
import { backoffMs, retryAfterMs } from '../sources/http.js';
import { didYouMean } from '../../parser/suggest.js';
import { LocalModel } from './local_model.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A provider's answer: the text of the first choice and why generation stopped. */
export interface Completion {
  text: string;
  finish?: string;
}

/** Sends one request; knows nothing of the memo. */
export interface ChatBackend {
  /** the endpoint, without credentials: part of every memo key */
  endpoint: string;
  /** the request body the backend would send (the memo key is its hash) */
  body(messages: ChatMessage[], seed: number): Record<string, unknown>;
  send(body: Record<string, unknown>, signal: AbortSignal): Promise<Completion>;
  /** retries spent so far (429, 5xx, network errors) */
  retried: number;
}

export const PROVIDERS = ['openai', 'local'] as const;

/** Params every provider-backed op takes (spread into its `params`). */
export const PROVIDER_PARAMS: ParamSpec[] = [
  { name: 'provider', type: { kind: 'enum', values: PROVIDERS }, default: 'openai', doc: 'openai: any OpenAI-compatible /v1/chat/completions server (OpenAI, vLLM, llama.cpp, Ollama); local: a GPT-2-family model folder run in-process (`model_dir:`)' },
  { name: 'model', type: { kind: 'string' }, doc: 'openai: model name sent with each request, e.g. "gpt-4o-mini" or "llama3.1:8b"' },
  { name: 'model_dir', type: { kind: 'path', access: 'read' }, doc: 'local: a causal LM folder (config.json, model.safetensors, tokenizer.json), e.g. one a `pretrain arch: gpt2` cell wrote' },
  { name: 'base_url', type: { kind: 'string' }, default: 'https://api.openai.com/v1', doc: 'server URL: …/v1 (or the full …/chat/completions URL); needs --allow-net=HOST' },
  { name: 'api_key', type: { kind: 'secret' }, doc: 'API key from an environment variable, sent as a bearer token: env("OPENAI_API_KEY")' },
  { name: 'temperature', type: { kind: 'number', min: 0, max: 2 }, default: 0.7, doc: 'sampling temperature (0 = greedy; copies then tend to repeat)' },
  { name: 'max_tokens', type: { kind: 'count', min: 1 }, default: 512, doc: 'longest answer, in tokens' },
  { name: 'system', type: { kind: 'string' }, doc: 'system message sent before each prompt' },
  { name: 'rate', type: { kind: 'number', min: 0.01 }, default: 10, doc: 'at most this many requests per second' },
  { name: 'concurrency', type: { kind: 'count', min: 1 }, default: 4, doc: 'requests in flight at once' },
  { name: 'retries', type: { kind: 'count' }, default: 5, doc: 'retries of a request after 429, 5xx or a network error' },
  { name: 'backoff', type: { kind: 'duration' }, default: 1000, doc: 'first wait before a retry; doubles each time (capped at 60s)' },
  { name: 'timeout', type: { kind: 'duration' }, default: 60_000, doc: 'give up on one request after this long (then retry)' },
];

/** Params that change what a provider answers: they name the memo folder. (rate, retries… do not.) */
const ANSWER_PARAMS = ['provider', 'model', 'model_dir', 'base_url', 'temperature', 'max_tokens', 'system'];

export function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.hostname : undefined;
  } catch {
    return undefined;
  }
}

/** `…/v1` → `…/v1/chat/completions`; a full `…/chat/completions` URL as is; a bare server → `…/v1/chat/completions`. */
export function chatEndpoint(baseUrl: string): string {
  const u = new URL(baseUrl);
  const path = u.pathname.replace(/\/+$/, '');
  if (/\/chat\/completions$/.test(path)) u.pathname = path;
  else if (/\/v\d+$/.test(path)) u.pathname = `${path}/chat/completions`;
  else u.pathname = `${path}/v1/chat/completions`;
  return u.toString();
}

/** Check-time checks of the provider params. */
export function checkProviderParams(ctx: SchemaContext): void {
  if (ctx.params.provider === 'local') {
    if (ctx.params.model_dir === undefined) ctx.error('model_dir', 'provider local needs `model_dir:`', { help: 'name a GPT-2-family model folder: `model_dir: "models/gpt2"`' });
    if (ctx.params.model !== undefined) ctx.error('model', '`model:` names a server\'s model; provider local reads `model_dir:`');
    checkModelFolder(ctx, 'model_dir', 'a local model');
    return;
  }
  if (ctx.params.model_dir !== undefined) ctx.error('model_dir', '`model_dir:` is for provider local', { help: 'add `provider: local`, or name the server\'s model with `model:`' });
  if (ctx.params.model === undefined) {
    ctx.error(undefined, '`model:` is required for provider openai', { help: 'name the model the server serves, e.g. `model: "gpt-4o-mini"`' });
    return;
  }
  const url = ctx.params.base_url as string;
  if (!hostOf(url)) ctx.error('base_url', `\`${url}\` is not an http(s) URL`, { help: 'write the server\'s URL: "http://127.0.0.1:8000/v1" or "https://api.openai.com/v1"' });
  else if (new URL(url).username || new URL(url).password) ctx.error('base_url', 'credentials do not go in recipes', { help: 'use `api_key: env("OPENAI_API_KEY")`' });
  if (!(ctx.params.model as string).trim()) ctx.error('model', '`model` is empty', { help: 'name the model the server serves, e.g. "gpt-4o-mini"' });
}

/** The hosts a provider-backed op connects to (for --allow-net). */
export function providerPermissions(params: Params): { net: string[] } {
  if (params.provider === 'local') return { net: [] };
  const host = netNameOf(String(params.base_url));
  return { net: host ? [host] : [] };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** An OpenAI-compatible chat-completions client: rate-limited, retried with backoff on 429, 5xx and network errors. */
export class OpenAIChat implements ChatBackend {
  readonly endpoint: string;
  retried = 0;
  private next = 0;
  private readonly headers: Record<string, string>;

  constructor(private readonly params: Params) {
    this.endpoint = chatEndpoint(params.base_url as string);
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (isSecretRef(params.api_key)) this.headers.authorization = `Bearer ${resolveSecret(params.api_key)}`;
  }

  body(messages: ChatMessage[], seed: number): Record<string, unknown> {
    return {
      model: this.params.model,
      messages,
      temperature: this.params.temperature,
      max_tokens: this.params.max_tokens,
      seed,
    };
  }

  /** Wait for this request's slot under `rate` (slots are handed out in call order). */
  private async slot(signal: AbortSignal): Promise<void> {
    const gap = 1000 / ((this.params.rate as number) ?? 10);
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + gap;
    if (at > now) await sleep(at - now, signal);
  }

  async send(body: Record<string, unknown>, signal: AbortSignal): Promise<Completion> {
    const retries = (this.params.retries as number) ?? 5;
    const backoff = (this.params.backoff as number) ?? 1000;
    const timeout = (this.params.timeout as number) ?? 60_000;
    const payload = JSON.stringify(body);
    let last = '';
    let lastKind: 'net' | 'timeout' | 'http' = 'http';
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.retried++;
      await this.slot(signal);
      let res: Response;
      let wait: number | undefined;
      try {
        // through the one client that decides every redirect hop against --allow-net
        res = await guardedFetch(this.endpoint, { method: 'POST', headers: this.headers, body: payload, signal: anySignal(signal, AbortSignal.timeout(timeout)) });
      } catch (e) {
        if (signal.aborted) throw signal.reason ?? e;
        if (e instanceof OpError) throw e;
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        lastKind = (e as Error).name === 'TimeoutError' ? 'timeout' : 'net';
        last = lastKind === 'timeout' ? `no answer within ${timeout / 1000}s` : cause?.code ?? cause?.message ?? (e as Error).message;
        if (attempt < retries) {
          await sleep(backoffMs(backoff, attempt), signal);
          continue;
        }
        break;
      }
      if (res.status === 429 || res.status >= 500) {
        const text = await res.text().catch(() => '');
        lastKind = 'http';
        last = `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}${text ? ': ' + snippet(text) : ''}`;
        wait = retryAfterMs(res.headers.get('retry-after'));
        if (attempt < retries) {
          await sleep(wait ?? backoffMs(backoff, attempt), signal);
          continue;
        }
        break;
      }
      const text = await res.text();
      if (!res.ok) {
        const hint = res.status === 401 || res.status === 403 ? ' — check `api_key` (the key the server expects, from an environment variable)' : res.status === 404 ? ` — is \`base_url\` right, and does the server serve model "${String(this.params.model)}"?` : '';
        throw new OpError(`POST ${this.endpoint} → HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}: ${snippet(text)}${hint}`);
      }
      return parseCompletion(text, this.endpoint);
    }
    const tries = `${retries + 1} tr${retries === 0 ? 'y' : 'ies'}`;
    if (lastKind === 'net' && UNREACHABLE.has(last)) throw new OpError(`cannot reach ${this.endpoint} (${last}) — is the server running? (${tries}; responses received so far are memoized, a re-run resumes)`);
    if (lastKind === 'net') throw new OpError(`cannot reach ${this.endpoint} (${last}) after ${tries}; responses received so far are memoized, a re-run resumes`);
    throw new OpError(`POST ${this.endpoint} failed ${tries === '1 try' ? 'once' : `${retries + 1} times`} (${last}); gave up after ${retries} retr${retries === 1 ? 'y' : 'ies'} — responses received so far are memoized, a re-run resumes`);
  }
}

/** Aborted when either is (AbortSignal.any where Node has it: ≥ 20.3). */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const c = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) c.abort(s.reason);
    else s.addEventListener('abort', () => c.abort(s.reason), { once: true });
  }
  return c.signal;
}

function snippet(text: string): string {
  return text.slice(0, 200).replace(/\s+/g, ' ').trim();
}

/** The first choice of a chat-completions answer. */
export function parseCompletion(text: string, endpoint: string): Completion {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new OpError(`${endpoint} did not answer with JSON (${(e as Error).message}): ${snippet(text)}`);
  }
  const choice = (body as { choices?: { message?: { content?: unknown }; text?: unknown; finish_reason?: unknown }[] })?.choices?.[0];
  const content = choice?.message?.content ?? choice?.text;
  if (typeof content !== 'string') throw new OpError(`${endpoint} answered without choices[0].message.content — not a chat-completions server? ${snippet(text)}`);
  return { text: content, finish: typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined };
}

export const BACKENDS: Record<(typeof PROVIDERS)[number], (params: Params, baseDir: string) => ChatBackend> = {
  openai: (params) => new OpenAIChat(params),
  local: (params, baseDir) => new LocalModel(params, baseDir),
};

// ---------------------------------------------------------------------------------------------
// memo

interface MemoLine {
  k: string;
  text: string;
  finish?: string;
}

/**
 * Responses by request hash, in `.ftr/memo/<folder>/responses.jsonl` (append-only: each answer is
 * written as soon as it arrives; a line cut short by a kill is skipped on reading) next to an
 * `about.json` that says which op, model and prompts the folder is for.
 */
export class Memo {
  readonly file: string;
  private readonly map = new Map<string, Completion>();
  private loaded = false;
  private tailChecked = false;
  damaged = 0;

  constructor(readonly dir: string, private readonly about: unknown) {
    this.file = join(dir, 'responses.jsonl');
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!existsSync(this.file)) return;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const m = JSON.parse(line) as MemoLine;
        if (typeof m.k === 'string' && typeof m.text === 'string') this.map.set(m.k, { text: m.text, finish: m.finish });
        else this.damaged++;
      } catch {
        this.damaged++;
      }
    }
  }

  get size(): number {
    this.load();
    return this.map.size;
  }

  get(key: string): Completion | undefined {
    this.load();
    return this.map.get(key);
  }

  put(key: string, c: Completion): void {
    this.load();
    this.map.set(key, c);
    if (!existsSync(this.dir)) mkdirSync(this.dir, { recursive: true });
    const about = join(this.dir, 'about.json');
    if (!existsSync(about)) {
      const tmp = `${about}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.about, null, 2) + '\n');
      renameSync(tmp, about);
    }
    // a previous run killed mid-line leaves no newline: start on a fresh line
    let prefix = '';
    if (!this.tailChecked) {
      this.tailChecked = true;
      if (lastByte(this.file) !== undefined && lastByte(this.file) !== 10) prefix = '\n';
    }
    const line: MemoLine = { k: key, text: c.text, ...(c.finish ? { finish: c.finish } : {}) };
    appendFileSync(this.file, prefix + JSON.stringify(line) + '\n');
  }
}

function lastByte(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const size = statSync(file).size;
  if (!size) return undefined;
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0];
  } finally {
    closeSync(fd);
  }
}

/** The memo folder of an op call: named by what changes the answers (op, provider, model, sampling, prompts). */
export function memoFor(opName: string, params: Params, prompts: Record<string, unknown>, memoRoot: string): Memo {
  const about = {
    op: opName,
    ...Object.fromEntries(ANSWER_PARAMS.map((k) => [k, params[k] ?? null])),
    endpoint: params.provider === 'local' ? `local:${String(params.model_dir)}` : chatEndpoint(params.base_url as string),
    prompts,
  };
  const name = sha256(canonicalJson(about)).slice(0, 32);
  return new Memo(join(memoRoot, name), about);
}

// ---------------------------------------------------------------------------------------------
// the memoized, concurrency-limited provider an op uses

export interface ProviderStats {
  sent: number;
  memo: number;
  retried: number;
}

export class MemoProvider {
  readonly stats: ProviderStats = { sent: 0, memo: 0, retried: 0 };
  private readonly inflight = new Map<string, Promise<Completion>>();
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    readonly backend: ChatBackend,
    readonly memo: Memo,
    private readonly concurrency: number,
    private readonly signal: AbortSignal,
  ) {}

  /** The answer to these messages (with this seed): from the memo, or asked once and memoized. */
  complete(messages: ChatMessage[], seed: number): Promise<Completion> {
    const body = this.backend.body(messages, seed);
    const key = sha256(canonicalJson({ endpoint: this.backend.endpoint, body }));
    const hit = this.memo.get(key);
    if (hit) {
      this.stats.memo++;
      return Promise.resolve(hit);
    }
    let p = this.inflight.get(key);
    if (p) {
      this.stats.memo++;
      return p;
    }
    p = this.limited(async () => {
      const again = this.memo.get(key);
      if (again) return again;
      this.stats.sent++;
      const answer = await this.backend.send(body, this.signal);
      // a resolved secret (an API key the server echoed) never enters the memo or the data
      const c = { ...answer, text: redact(answer.text) };
      this.memo.put(key, c);
      return c;
    });
    this.inflight.set(key, p);
    void p.finally(() => this.inflight.delete(key)).catch(() => {});
    return p;
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  /** One line for the cell's notes. */
  summary(): string {
    this.stats.retried = this.backend.retried;
    const { sent, memo, retried } = this.stats;
    const rel = this.memo.dir.slice(this.memo.dir.lastIndexOf('.ftr'));
    return `provider: ${sent.toLocaleString('en-US')} request${sent === 1 ? '' : 's'} sent${retried ? ` (${retried} retr${retried === 1 ? 'y' : 'ies'})` : ''}, ${memo.toLocaleString('en-US')} answered from the memo (${rel}/)${this.memo.damaged ? `; ${this.memo.damaged} damaged memo line${this.memo.damaged === 1 ? '' : 's'} skipped` : ''}`;
  }
}

/** The provider an op call uses: its backend, memo folder and concurrency. */
export function providerFor(opName: string, params: Params, prompts: Record<string, unknown>, ctx: { baseDir: string; signal: AbortSignal; memoDir?: string }): MemoProvider {
  const make = BACKENDS[(params.provider as (typeof PROVIDERS)[number]) ?? 'openai'];
  if (!make) throw new OpError(`unknown provider ${String(params.provider)}`);
  // the memo lives in the run's cache (--cache-dir), the recipe's .ftr/ by default
  const root = ctx.memoDir ?? join(ctx.baseDir, '.ftr', 'memo');
  // in-process models compute one answer at a time
  const concurrency = params.provider === 'local' ? 1 : ((params.concurrency as number) ?? 4);
  return new MemoProvider(make(params, ctx.baseDir), memoFor(opName, params, prompts, root), concurrency, ctx.signal);
}

// ---------------------------------------------------------------------------------------------
// prompt templates

/** `{{ name }}` placeholders of a template, in order of first use. */
export function placeholders(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

/** The template with each placeholder replaced (values that are not strings as JSON; missing ones empty). */
export function render(template: string, values: (name: string) => unknown): string {
  return template.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (_, name: string) => {
    const v = values(name);
    return v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/**
 * Check a template's placeholders at check time: each names a column of the input or one of the
 * op's own values (`reserved`); `needs` lists placeholders one of which must appear.
 */
export function checkTemplate(ctx: SchemaContext, param: string, template: string, reserved: string[], needs?: { any: string[]; columns: boolean; help: string }): void {
  const input = ctx.input;
  const columns = input?.columns.map((c) => c.name) ?? [];
  const names = placeholders(template);
  for (const name of names) {
    if (reserved.includes(name) || columns.includes(name) || input?.open) continue;
    ctx.error(param, `unknown column \`${name}\` in the placeholder {{${name}}} of \`${param}\``, {
      label: 'placeholders name columns of the input',
      notes: [`input columns: ${columns.join(', ') || '(none)'}`, ...(reserved.length ? [`\`${param}\` also knows ${reserved.map((r) => `{{${r}}}`).join(', ')}`] : [])],
      help: didYouMean(name, [...columns, ...reserved]) ?? `write {{column}} with one of: ${[...columns, ...reserved].join(', ')}`,
    });
  }
  if (needs && !names.some((n) => needs.any.includes(n) || (needs.columns && !reserved.includes(n) && (columns.includes(n) || !!input?.open)))) {
    ctx.error(param, `\`${param}\` has no placeholder for the row's text: every row would send the same prompt`, { help: needs.help });
  }
}
