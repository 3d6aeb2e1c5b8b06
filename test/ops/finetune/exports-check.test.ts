/**
 * The checker's rules for `finetune … export:` that keep an export faithful to ftr's predictions:
 * transformers has no mean pooling, so `pooling: mean` with a transformers export is refused.
 */
import { describe, expect, it } from 'vitest';
import { check, HEAD } from '../../check/helpers.js';

const ft = (args: string) => `${HEAD}cell parts = t | split 50% 50%\nexport parts | finetune "m/task" lora base: "m/base" ${args}\n`;

describe('finetune export: pooling', () => {
  it.each(['peft', 'merged'])('pooling: mean with export [%s] is an error saying why and what to do', (e) => {
    const r = check(ft(`pooling: mean export: [${e}]`));
    const d = r.diagnostics.find((x) => /pooling/.test(x.message));
    expect(d?.message).toMatch(new RegExp(`\`pooling: mean\` cannot be exported to \`${e}\`: transformers' …ForSequenceClassification pools \\[CLS\\]`));
    expect(d?.notes?.join(' ')).toMatch(/set `pooling: cls` \(gpt2: last\) to export the task/);
  });

  it('pooling: mean without a transformers export, or auto with one, is fine', () => {
    for (const args of ['pooling: mean', 'pooling: mean export: [axolotl]', 'export: [peft]', 'pooling: cls export: [peft]']) {
      expect(check(ft(args)).diagnostics.filter((x) => /pooling/.test(x.message))).toEqual([]);
    }
  });
});
