import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe } from '../../src/check/checker.js';
import { checkPermissions, NO_GRANTS } from '../../src/check/permissions.js';
import { registry } from '../../src/ops/registry.js';
import { defineOp, type OpDef } from '../../src/ops/types.js';
import { tempProject } from '../helpers.js';

/** An op that would run a program, as a user-code or subprocess op declares it. */
const shell = defineOp({
  name: 'shell',
  version: 1,
  kind: 'map',
  summary: 'test op',
  params: [{ name: 'cmd', type: { kind: 'string' }, positional: true, required: true, doc: 'command' }],
  permissions: () => ({ run: true }),
  schema: (ctx) => ctx.input!,
  map: () => (row) => row,
});

describe('--allow-run', () => {
  it('an op that runs code is denied unless the run grants it', () => {
    const dir = tempProject({ 'r.ftr': 'source d = jsonl "d.jsonl"\ncell c = d | shell "tr a-z A-Z"\n', 'd.jsonl': '{"text": "a"}\n' });
    const { graph } = checkRecipe(join(dir, 'r.ftr'), new Map<string, OpDef>([...registry, ['shell', shell]]));
    const denied = checkPermissions(graph!, NO_GRANTS);
    expect(denied.map((d) => [d.code, d.message, d.help])).toEqual([['E0403', '`c` would run a program or user code', 'if you trust this recipe, run with --allow-run']]);
    expect(checkPermissions(graph!, { ...NO_GRANTS, run: true })).toEqual([]);
  });

  it('network hosts are granted one by one, case-insensitively', () => {
    const net = defineOp({ ...shell, name: 'fetchy', permissions: () => ({ net: ['API.example.org'] }) });
    const dir = tempProject({ 'r.ftr': 'source d = jsonl "d.jsonl"\ncell c = d | fetchy "x"\n', 'd.jsonl': '{"text": "a"}\n' });
    const { graph } = checkRecipe(join(dir, 'r.ftr'), new Map<string, OpDef>([...registry, ['fetchy', net]]));
    expect(checkPermissions(graph!, NO_GRANTS)[0].code).toBe('E0402');
    expect(checkPermissions(graph!, { ...NO_GRANTS, net: ['other.org'] })[0].code).toBe('E0402');
    expect(checkPermissions(graph!, { ...NO_GRANTS, net: ['api.example.org'] })).toEqual([]);
  });
});
