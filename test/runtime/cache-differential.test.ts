// Cache differential (#12), reduced: every edit kind once, in-process from src/, each compared
// byte for byte with a --no-cache run of a fresh copy. The full sweep (several trials per kind,
// code edits through a private built CLI) is `node bench/cache-differential.mjs`.
import { describe, expect, it } from 'vitest';
import { differential, inProcessRunner, KINDS, type DiffResult } from '../../bench/cache-differential-lib.mjs';
import { main } from '../../src/cli/main.js';

describe('cache differential', () => {
  it('≥ 30 kinds of edits, one trial each: no false cache hit', async () => {
    const kinds = Object.keys(KINDS).filter((k) => !k.startsWith('code:'));
    expect(kinds.length).toBeGreaterThanOrEqual(30);
    const results: DiffResult[] = await differential({ runner: inProcessRunner(main), kinds, trials: 1, seed: 11 });
    expect(results.length).toBe(kinds.length);
    expect(results.filter((r) => r.falseHit).map((r) => `${r.kind}: ${r.codes} ${r.differs.join(' ')}`)).toEqual([]);
    // the cache was in play: most runs reused something
    expect(results.filter((r) => r.cached > 0).length).toBeGreaterThan(kinds.length / 2);
  }, 120_000);
});
