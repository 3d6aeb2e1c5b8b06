import { describe, expect, it } from 'vitest';
import { ftr, ftrProcess, tempProject } from '../../helpers.js';

/** The `local` provider: a GPT-2 folder run in-process — here one the recipe pre-trains itself. */
const TEXTS = Array.from({ length: 24 }, (_, i) => ({
  id: `r${i}`,
  text: ['please refund my order', 'my package has not arrived yet', 'how do I reset my password', 'the app crashes when I log in'][i % 4] + ` number ${i}`,
}));

const recipe = (extra = '') => `recipe local_lm
seed 9
source rows = jsonl "data/rows.jsonl"
cell corpus = rows | train_tokenizer "models/tok.json" vocab_size: 300 min_frequency: 1
export corpus | pretrain "models/lm" arch: gpt2 tokenizer: "models/tok.json" hidden: 32 layers: 1 heads: 2 max_len: 48 steps: 15 batch: 16 lr: 3e-3 backend: cpu
cell para = rows | paraphrase text provider: local model_dir: "models/lm" prompt: "{{text}}" temperature: 0 max_tokens: 4 similarity: [0, 1] length_ratio: [0, 100] ${extra}
`;

describe('paraphrase with provider local', () => {
  const dir = tempProject({ 'data/rows.jsonl': TEXTS.map((t) => JSON.stringify(t)).join('\n') + '\n', 'lm.ftr': recipe() });

  it('generates with the local model, memoizes every answer, and a re-run sends nothing', () => {
    const first = ftrProcess(['run', 'lm.ftr', '--reporter', 'plain'], { cwd: dir });
    expect(first.code, first.err + first.out).toBe(0);
    expect(first.out).toMatch(/provider: 24 requests sent/);
    // the cell's cache is dropped: the memo still answers every request
    const again = ftrProcess(['run', 'lm.ftr', '--reporter', 'plain', '--no-cache'], { cwd: dir });
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/provider: 0 requests sent, 24 answered from the memo/);
  });

  it('checks provider params: local needs model_dir; model_dir is only for local', async () => {
    const noDir = tempProject({ 'data/rows.jsonl': '{"text":"a"}\n', 'r.ftr': 'recipe r\nsource rows = jsonl "data/rows.jsonl"\ncell p = rows | paraphrase text provider: local\n' });
    const r1 = await ftr('check', `${noDir}/r.ftr`);
    expect(r1.code).toBe(1);
    expect(r1.err).toMatch(/provider local needs `model_dir:`/);
    const mixed = tempProject({ 'data/rows.jsonl': '{"text":"a"}\n', 'r.ftr': 'recipe r\nsource rows = jsonl "data/rows.jsonl"\ncell p = rows | paraphrase text model: "m" model_dir: "x"\n' });
    const r2 = await ftr('check', `${mixed}/r.ftr`);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/`model_dir:` is for provider local/);
  });
});
