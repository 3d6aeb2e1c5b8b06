/**
 * A deterministic OpenAI-compatible chat-completions server on 127.0.0.1 for the provider tests:
 * answers POST /v1/chat/completions with a fixed transform of the prompt's last paragraph, counts
 * requests, and can fail on demand (500 storms, 429s, 401s).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
  max_tokens?: number;
  seed?: number;
}

/** The row's text in a prompt: its last paragraph. */
export const lastParagraph = (s: string) => s.split('\n\n').pop()!.trim();

/** Default answer: the words of the prompt's last paragraph in reverse order, then `(v<seed>)` for copies after the first. */
export function reverseWords(body: ChatBody): string {
  const user = body.messages.filter((m) => m.role === 'user').pop()!.content;
  const words = lastParagraph(user).split(/\s+/).reverse().join(' ');
  return body.seed && body.seed > 1 ? `${words} (v${body.seed})` : words;
}

export interface Reply {
  status?: number;
  content?: string;
  finish?: string;
  headers?: Record<string, string>;
  raw?: string;
}

export class ChatServer {
  server!: Server;
  url = '';
  /** requests received (all, failed ones included) */
  requests = 0;
  /** requests answered with 200 */
  answered = 0;
  bodies: ChatBody[] = [];
  authorizations: (string | undefined)[] = [];
  /** answer the next N requests with HTTP 500 */
  failNext = 0;
  /** answer every request with this status */
  failAll: number | undefined;
  /** how to answer (default: reverse the words) */
  reply: (body: ChatBody) => Reply | string = reverseWords;
  /** called on each request before it is answered, with its 1-based number */
  onRequest: ((n: number) => void) | undefined;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  reset(): void {
    this.requests = 0;
    this.answered = 0;
    this.bodies = [];
    this.authorizations = [];
    this.failNext = 0;
    this.failAll = undefined;
    this.reply = reverseWords;
    this.onRequest = undefined;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const n = ++this.requests;
    this.onRequest?.(n);
    this.authorizations.push(req.headers.authorization);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
    }
    if (this.failAll !== undefined || this.failNext > 0) {
      if (this.failNext > 0) this.failNext--;
      res.writeHead(this.failAll ?? 500, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { message: 'the model is overloaded' } }));
    }
    const body = JSON.parse(raw) as ChatBody;
    this.bodies.push(body);
    const r = this.reply(body);
    const reply: Reply = typeof r === 'string' ? { content: r } : r;
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    if ((reply.status ?? 200) === 200) this.answered++;
    res.end(
      reply.raw ??
        JSON.stringify({
          id: `chatcmpl-${n}`,
          object: 'chat.completion',
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: reply.content ?? '' }, finish_reason: reply.finish ?? 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
    );
  }
}
