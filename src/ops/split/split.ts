import { prng } from '../../runtime/hash.js';
import { defineOp } from '../types.js';

/**
 * Exact part sizes for n rows: floors of n·ratio, then the remaining rows to the parts with the
 * largest remainders (ties to the earlier part). Integer arithmetic on ratios scaled to 1e6.
 */
export function largestRemainder(n: number, ratios: number[]): number[] {
  const scale = 1_000_000;
  const weights = ratios.map((r) => Math.round(r * scale));
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.floor((n * w) / total));
  const rema = weights.map((w, i) => ({ i, r: (n * w) % total }));
  let left = n - sizes.reduce((a, b) => a + b, 0);
  rema.sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of rema) {
    if (left-- <= 0) break;
    sizes[i]++;
  }
  return sizes;
}

export const split = defineOp({
  name: 'split',
  version: 1,
  kind: 'global',
  random: true,
  summary: 'seeded train/validation/test split with exact sizes (80/10/10 by default)',
  doc: '`split` alone gives train 80%, val 10%, test 10%. Write `split 90% 5% 5%` or `split { train: 70%, dev: 15%, test: 15% }` for other parts; percentages must add up to 100%. Sizes are exact (largest remainder); which rows go where depends only on the seed and the input. Refer to a part as `cell.train`.',
  params: [
    { name: 'ratios', type: { kind: 'ratios', names: ['train', 'val', 'test'] }, positional: true, variadic: true, default: { train: 0.8, val: 0.1, test: 0.1 }, doc: 'part names and percentages' },
  ],
  describe: (p) => `split ${Object.values(p.ratios as Record<string, number>).map((r) => Math.round(r * 1000) / 10).join('/')}`,
  schema(ctx) {
    return { columns: ctx.input!.columns, parts: Object.keys(ctx.params.ratios as Record<string, number>) };
  },
  global: {
    parts: 'merge',
    async run(input, params, ctx, out) {
      const ratios = params.ratios as Record<string, number>;
      const names = Object.keys(ratios);
      const sizes = largestRemainder(input.count, Object.values(ratios));
      // shuffle row indices (Fisher–Yates with the step's seed), then cut into consecutive parts
      const order = new Uint32Array(input.count);
      for (let i = 0; i < order.length; i++) order[i] = i;
      const rand = prng(ctx.seed);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      const partOf = new Uint8Array(input.count);
      let pos = 0;
      sizes.forEach((size, p) => {
        for (let k = 0; k < size; k++) partOf[order[pos++]] = p;
      });
      let i = 0;
      for await (const row of input.rows()) await out.emit(row, names[partOf[i++]]);
    },
  },
});
