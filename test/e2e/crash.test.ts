import { describe, expect, it } from 'vitest';
// the full sweep (≥ 100 kill points) is `node bench/crash-sweep.mjs`; this is the reduced one
import { sweep } from '../../bench/crash-sweep.mjs';

describe('crash safety', () => {
  it('after SIGKILL at several points, a re-run completes with byte-identical outputs and a clean cache', async () => {
    const { results } = await sweep({ points: 6, files: 3, rows: 8000, seed: 11 });
    for (const r of results) {
      expect(r.rerunCode, JSON.stringify(r)).toBe(0);
      expect(r.identical, JSON.stringify(r)).toBe(true);
      expect(r.cacheClean, JSON.stringify(r)).toBe(true);
    }
    // at least some kills must land mid-run, or the test proves nothing
    expect(results.filter((r) => r.killed).length).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
