import { defineOp, type Column } from '../types.js';

export const concat = defineOp({
  name: 'concat',
  version: 1,
  kind: 'global',
  summary: 'rows of several cells one after another (columns are the union)',
  doc: '`cell all = concat tickets, faq`. Used after `|`, the pipeline input comes first. A column missing from one input is null in its rows.',
  params: [{ name: 'cells', type: { kind: 'list', of: { kind: 'dataset' } }, positional: true, variadic: true, required: true, doc: 'cells to append' }],
  describe: (p) => `concat ${(p.cells as string[]).join(', ')}`,
  schema(ctx) {
    const columns: Column[] = [...(ctx.input?.columns ?? [])];
    // appending a split cell would silently lose which row was in which part
    (ctx.params.cells as string[]).forEach((name, i) => {
      const parts = ctx.datasets[`cells[${i}]`]?.parts;
      if (parts) ctx.error('cells', `\`${name}\` is split into ${parts.join(', ')}: concat joins whole datasets`, { help: `name one part: \`${name}.${parts[0]}\`` });
    });
    for (const s of Object.values(ctx.datasets)) {
      for (const c of s.columns) {
        const have = columns.find((x) => x.name === c.name);
        if (!have) columns.push(c);
        else if (have.type !== c.type) have.type = 'any';
      }
    }
    return { columns, open: ctx.input?.open || Object.values(ctx.datasets).some((s) => s.open) || undefined };
  },
  global: {
    parts: 'refuse',
    async run(input, params, ctx, out, extra) {
      const names = Object.keys(extra).sort((a, b) => Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0]));
      const columns = ctx.schema.columns.map((c) => c.name);
      let n = 0;
      for (const set of [input, ...names.map((k) => extra[k])]) {
        for await (const row of set.rows()) {
          const full: Record<string, unknown> = {};
          for (const c of columns) full[c] = row[c] ?? null;
          await out.emit(full);
          if (++n % 1000 === 0) ctx.progress(n);
        }
      }
    },
  },
});
