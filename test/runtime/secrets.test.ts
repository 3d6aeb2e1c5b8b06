import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe } from '../../src/check/checker.js';
import { registry } from '../../src/ops/registry.js';
import { defineOp, type OpDef } from '../../src/ops/types.js';
import { runGraph } from '../../src/runtime/executor.js';
import type { RunEvent } from '../../src/runtime/events.js';
import { buildLock, lockText } from '../../src/runtime/lockfile.js';
import { resolveSecret, isSecretRef } from '../../src/runtime/secrets.js';
import { Store } from '../../src/runtime/store.js';
import { tempProject } from '../helpers.js';

/** An op that uses a secret the way a model provider would, and mentions it in a log line. */
const signed = defineOp({
  name: 'signed',
  version: 1,
  kind: 'map',
  summary: 'test op',
  params: [{ name: 'token', type: { kind: 'secret' }, required: true, doc: 'api token' }],
  schema: (ctx) => ({ ...ctx.input!, columns: [...ctx.input!.columns, { name: 'signed', type: 'bool' }] }),
  map(params, ctx) {
    if (!isSecretRef(params.token)) throw new Error('token should be a reference');
    const token = resolveSecret(params.token);
    ctx.log(`calling the provider with ${token}`);
    return (row) => ({ ...row, signed: token.length > 0 });
  },
});

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? allFiles(join(dir, n)) : [join(dir, n)]));
}

describe('secrets', () => {
  it('are named in the recipe, resolved at run time, and never reach keys, locks, cache files or events', async () => {
    const secret = 'sk-very-secret-value-1234';
    process.env.FTR_TEST_TOKEN = secret;
    const dir = tempProject({ 'r.ftr': 'source d = jsonl "d.jsonl"\ncell s = d | signed token: env("FTR_TEST_TOKEN")\n', 'd.jsonl': '{"text": "a"}\n' });
    const reg = new Map<string, OpDef>([...registry, ['signed', signed]]);
    const { graph, diagnostics } = checkRecipe(join(dir, 'r.ftr'), reg);
    expect(diagnostics).toEqual([]);
    expect(graph!.cells[1].steps[0].params.token).toEqual({ env: 'FTR_TEST_TOKEN' });
    const store = new Store(join(dir, '.ftr'));
    store.init();
    const events: RunEvent[] = [];
    const summary = await runGraph(graph!, { store, emit: (e) => events.push(e) });
    expect(summary.status).toBe('ok');
    const shown = JSON.stringify(events);
    expect(shown).toContain('calling the provider with ***');
    expect(shown).not.toContain(secret);
    for (const f of allFiles(join(dir, '.ftr'))) expect(readFileSync(f, 'utf8'), f).not.toContain(secret);
    expect(lockText(await buildLock(graph!, store))).not.toContain(secret);
    delete process.env.FTR_TEST_TOKEN;
  });

  it('a missing variable is a clear error; a literal secret is refused at check time', () => {
    expect(() => resolveSecret({ env: 'FTR_NOT_SET_ANYWHERE' })).toThrow('the environment variable FTR_NOT_SET_ANYWHERE is not set');
    const dir = tempProject({ 'r.ftr': 'source d = jsonl "d.jsonl"\ncell s = d | signed token: "sk-literal"\n', 'd.jsonl': '{"text": "a"}\n' });
    const reg = new Map<string, OpDef>([...registry, ['signed', signed]]);
    const { diagnostics } = checkRecipe(join(dir, 'r.ftr'), reg);
    expect(diagnostics[0].message).toContain('is a secret: name the environment variable that holds it, like env("API_TOKEN")');
  });
});
