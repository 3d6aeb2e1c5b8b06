import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftrProcess, ftrSpawn, tempProject } from '../helpers.js';
import { findNative } from '../../src/ml/native.js';

const NATIVE_INSTALLED = findNative() !== undefined;

/**
 * Pre-train, fine-tune two tasks on one base, compare strategies, predict with swapped adapters —
 * through the real CLI on a small synthetic corpus whose labels are learnable from words.
 */
const TOPIC = {
  sports: ['match', 'goal', 'team', 'coach', 'season', 'player', 'score', 'league', 'stadium', 'referee'],
  cooking: ['recipe', 'oven', 'flour', 'sauce', 'garlic', 'kitchen', 'butter', 'simmer', 'bake', 'onion'],
};
const TONE = { good: ['great', 'wonderful', 'happy', 'love', 'excellent'], bad: ['awful', 'terrible', 'sad', 'hate', 'poor'] };
const FILLER = ['the', 'a', 'we', 'it', 'was', 'and', 'then', 'our', 'this', 'with', 'after', 'today', 'really', 'very', 'some'];

function corpus(n: number, seed: number): string {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const topic = rand() < 0.5 ? 'sports' : 'cooking';
    const tone = rand() < 0.5 ? 'good' : 'bad';
    const words: string[] = [];
    for (let k = 0; k < 10; k++) words.push(k % 3 === 0 ? pick(TOPIC[topic]) : k % 4 === 1 ? pick(TONE[tone]) : pick(FILLER));
    lines.push(JSON.stringify({ id: `r${i}`, text: words.join(' '), topic, tone }));
  }
  return lines.join('\n') + '\n';
}

const RECIPE = (frozenLr: string) => `recipe tiny_ft
seed 5

source rows = jsonl "data/rows.jsonl"
cell parts = rows | split 70% 15% 15% stratify: topic
cell corpus = parts | train_tokenizer "models/tok.json" model: wordpiece vocab_size: 200 min_frequency: 1
export corpus | pretrain "models/base" tokenizer: "models/tok.json" hidden: 32 layers: 1 heads: 2 max_len: 16 steps: 150 batch: 16 lr: 3e-3

export parts | finetune "models/topic" adapter base: "models/base" label: topic max_len: 16 epochs: 20 batch: 16 export: [adapterhub]
export parts | finetune "models/tone" lora base: "models/base" label: tone max_len: 16 epochs: 20 batch: 16 workers: 2 export: [peft, merged, axolotl, llama_factory]
export parts | finetune "models/exp" lora base: "models/base" label: tone max_len: 16 steps: 3 batch: 16 pooling: cls export: [peft, merged]
export parts | finetune "models/topic-frozen" frozen base: "models/base" label: topic max_len: 16 epochs: 4 batch: 16 lr: ${frozenLr} backend: cpu
export parts | compare "models/compare" strategies: [full, lora, prompt, prefix] base: "models/base" label: topic max_len: 16 epochs: 2 batch: 16 virtual_tokens: 6 backend: cpu
`;

describe('fine-tuning from the CLI', () => {
  const dir = tempProject({ 'data/rows.jsonl': corpus(240, 11), 'ft.ftr': RECIPE('3e-3') });
  const metrics = (task: string) => JSON.parse(readFileSync(join(dir, 'models', task, 'metrics.json'), 'utf8'));

  it('pre-trains a base, fine-tunes tasks on it, compares strategies and exports', () => {
    const r = ftrProcess(['run', 'ft.ftr', '--reporter', 'plain'], { cwd: dir });
    expect(r.code, r.err + r.out).toBe(0);
    // the file the tokenizer cell writes orders the pretrain cell after it, and so on down
    for (const f of ['models/tok.json', 'models/base/config.json', 'models/base/model.safetensors', 'models/base/tokenizer.json']) expect(existsSync(join(dir, f)), f).toBe(true);
    // per-task artifacts are small and separate from the base
    const base = readFileSync(join(dir, 'models/base/model.safetensors')).byteLength;
    const adapter = readFileSync(join(dir, 'models/topic/adapter.safetensors')).byteLength;
    expect(adapter).toBeLessThan(base / 2);
    const topic = metrics('topic');
    expect(topic.strategy).toBe('adapter');
    expect(topic.cost.trainable).toBeLessThan(topic.cost.total / 2);
    expect(topic.test.accuracy).toBeGreaterThan(0.75);
    // trained on 2 threads (data parallel)
    expect(metrics('tone').test.accuracy).toBeGreaterThan(0.6);
    expect(r.out).toMatch(/steps on 2 threads/);
    expect(topic.history.length).toBeGreaterThan(5);
    expect(topic.test.confusion).toHaveLength(2);
    // exports
    for (const f of ['exp/peft/adapter_config.json', 'exp/peft/adapter_model.safetensors', 'exp/merged/model.safetensors', 'exp/merged/tokenizer_config.json'])
      expect(existsSync(join(dir, 'models', f)), f).toBe(true);
    // pooling auto on this base (no trained pooler) is the mean, which transformers cannot compute: not exported, and why
    for (const f of ['topic/adapterhub', 'tone/peft', 'tone/merged']) expect(existsSync(join(dir, 'models', f)), f).toBe(false);
    expect(r.out).toMatch(/export adapterhub: not written — the task pools the mean of the tokens \(pooling auto: the base has no trained pooler/);
    // a classification task is not what Axolotl / LLaMA-Factory train: no config, the reason in the notes
    expect(existsSync(join(dir, 'models/tone/trainers'))).toBe(false);
    expect(r.out).toMatch(/export axolotl: not written — a classification task is not something Axolotl trains/);
    expect(JSON.parse(readFileSync(join(dir, 'models/exp/peft/adapter_config.json'), 'utf8')).peft_type).toBe('LORA');
    // the comparison, measured
    const cmp = JSON.parse(readFileSync(join(dir, 'models/compare/compare.json'), 'utf8'));
    expect(Object.keys(cmp.strategies)).toEqual(['full', 'lora', 'prompt', 'prefix']);
    expect(cmp.strategies.full.trainable_pct).toBe(100);
    expect(cmp.strategies.lora.trainable).toBeLessThan(cmp.strategies.full.trainable);
    expect(cmp.strategies.prompt.artifact_bytes).toBeLessThan(cmp.strategies.full.artifact_bytes);
    expect(r.out).toMatch(/\| strategy +\| trainable/);
    expect(r.out).toMatch(/parameters trained/);
  });

  it('a second run trains nothing', () => {
    const r = ftrProcess(['run', 'ft.ftr', '--reporter', 'plain'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/0 ran, 0 failed/);
  });

  it('predict loads the base once and swaps the tasks in', () => {
    // unseen rows from the same generator, through both tasks in one call
    const fresh = corpus(40, 99).trim().split('\n').map((l) => JSON.parse(l));
    writeFileSync(join(dir, 'fresh.jsonl'), fresh.map((r) => JSON.stringify({ text: r.text })).join('\n') + '\n');
    const r = ftrProcess(['predict', 'ft.ftr', '--adapter', 'topic', '--adapter', 'tone', '--input', 'fresh.jsonl', '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(40);
    const acc = (task: 'topic' | 'tone') => rows.filter((row, i) => row[task][0].label === fresh[i][task]).length / rows.length;
    expect(acc('topic')).toBeGreaterThan(0.65);
    expect(acc('tone')).toBeGreaterThan(0.6);
    const plain = ftrProcess(['predict', 'ft.ftr', '--adapter', 'topic', '--text', 'the coach and the referee'], { cwd: dir });
    expect(plain.err).toMatch(/loaded in \d+ ms/);
    expect(plain.err).toMatch(/topic: adapter seq_cls, [\d.]+ KB, swapped in/);
    expect(plain.out).toMatch(/topic: (sports|cooking) [\d.]+ · (sports|cooking)/);
    const bad = ftrProcess(['predict', 'ft.ftr', '--adapter', 'topik', '--text', 'x'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/did you mean `topic`/);
  });

  it('frozen: another learning rate reuses the cached features', () => {
    writeFileSync(join(dir, 'ft.ftr'), RECIPE('1e-2'));
    const r = ftrProcess(['run', 'ft.ftr', '--reporter', 'plain'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/1 ran/);
    expect(r.out).toMatch(/features from cache/);
    expect(metrics('topic-frozen').features_cached).toBe(true);
  });

  it('an interrupted fine-tune resumes from its checkpoint', async () => {
    writeFileSync(join(dir, 'ft.ftr'), RECIPE('3e-3').replace('epochs: 20 batch: 16 export: [adapterhub]', 'epochs: 200 batch: 16 checkpoint_every: 2 export: [adapterhub]'));
    const child = ftrSpawn(['run', 'ft.ftr', '--reporter', 'plain'], dir);
    let out = '';
    await new Promise<void>((done) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/adapter step ([2-9]|\d\d+)\//.test(out) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', () => done());
    });
    expect(child.exitCode).toBe(130);
    const r = ftrProcess(['run', 'ft.ftr', '--reporter', 'plain'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/resumed at \d+/);
    expect(metrics('topic').resumed_from).toBeGreaterThan(0);
    // 200 epochs of a tiny model: on the native backend (per-op overhead: ~20% more CPU per step
    // than wasm at this size) and a loaded machine, ~100 s
  }, 240_000);
});

/** Token classification (word tags) on an encoder and instruction tuning (prompt → response) on GPT-2. */
describe('fine-tuning tasks beyond classification', () => {
  const CITIES = ['paris', 'london', 'tokyo', 'lima', 'oslo', 'cairo'];
  const NAMES = ['anna', 'omar', 'li', 'sofia', 'ivan', 'maria'];
  const VERBS = ['visited', 'left', 'loves', 'saw'];
  let s = 3;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const ner = Array.from({ length: 200 }, (_, i) => {
    const words = [pick(NAMES), pick(VERBS), pick(CITIES), 'today'];
    return JSON.stringify({ id: `n${i}`, text: words.join(' '), words, tags: ['B-PER', 'O', 'B-LOC', 'O'] });
  });
  const qa = Array.from({ length: 120 }, (_, i) => {
    const city = CITIES[i % CITIES.length];
    return JSON.stringify({ id: `q${i}`, text: `where is ${city}`, prompt: `where is ${city}`, response: `${city} is far` });
  });
  const dir = tempProject({
    'data/ner.jsonl': ner.join('\n') + '\n',
    'data/qa.jsonl': qa.join('\n') + '\n',
    't.ftr': `recipe tasks
seed 2
source ner = jsonl "data/ner.jsonl"
source qa = jsonl "data/qa.jsonl"
cell nparts = ner | split 70% 15% 15%
cell ntok = nparts | train_tokenizer "m/ner-tok.json" model: wordpiece vocab_size: 120 min_frequency: 1
export ntok | pretrain "m/ner-base" tokenizer: "m/ner-tok.json" hidden: 32 layers: 1 heads: 2 max_len: 16 steps: 60 batch: 16 lr: 3e-3
export nparts | finetune "m/ner" lora task: tokens words: words tags: tags base: "m/ner-base" max_len: 16 epochs: 15 batch: 16 r: 4
cell qparts = qa | split 80% 10% 10%
cell qtok = qparts | train_tokenizer "m/lm-tok.json" vocab_size: 300 min_frequency: 1
export qtok | pretrain "m/lm-base" arch: gpt2 tokenizer: "m/lm-tok.json" hidden: 32 layers: 1 heads: 2 max_len: 24 steps: 60 batch: 16 lr: 3e-3
export qparts | finetune "m/qa" lora task: generate base: "m/lm-base" max_len: 24 epochs: 20 batch: 16 lr: 3e-3 export: [peft, axolotl]
`,
  });

  it('tags words (NER) with a LoRA encoder and answers prompts with a LoRA GPT-2', () => {
    const r = ftrProcess(['run', 't.ftr', '--reporter', 'plain'], { cwd: dir });
    expect(r.code, r.err + r.out).toBe(0);
    const ner = JSON.parse(readFileSync(join(dir, 'm/ner/metrics.json'), 'utf8'));
    expect(ner.task).toBe('token_cls');
    expect(ner.labels).toEqual(['O', 'B-LOC', 'B-PER']);
    expect(ner.test.accuracy).toBeGreaterThan(0.8);
    const qa = JSON.parse(readFileSync(join(dir, 'm/qa/metrics.json'), 'utf8'));
    expect(qa.task).toBe('lm');
    expect(qa.test.loss).toBeLessThan(qa.history[0].loss);
    expect(qa.test.perplexity).toBeGreaterThan(1);
    expect(JSON.parse(readFileSync(join(dir, 'm/qa/peft/adapter_config.json'), 'utf8')).task_type).toBe('CAUSAL_LM');
    expect(readFileSync(join(dir, 'm/qa/trainers/data/train.jsonl'), 'utf8')).toContain('"instruction":"where is');

    const tags = ftrProcess(['predict', 't.ftr', '--adapter', 'ner', '--text', 'omar visited oslo today', '--json'], { cwd: dir });
    expect(tags.code, tags.err).toBe(0);
    const words = JSON.parse(tags.out).ner as { word: string; tag: string }[];
    expect(words.map((w) => w.word)).toEqual(['omar', 'visited', 'oslo', 'today']);
    expect(words.filter((w) => w.tag !== 'O').length).toBeGreaterThan(0);
    const gen = ftrProcess(['predict', 't.ftr', '--adapter', 'qa', '--text', 'where is tokyo', '--max-tokens', '6', '--json'], { cwd: dir });
    expect(gen.code, gen.err).toBe(0);
    expect(typeof JSON.parse(gen.out).qa).toBe('string');
  });
});

describe('ftr run --backend', () => {
  const dir = tempProject({
    'data/rows.jsonl': corpus(40, 4),
    'b.ftr': `recipe be
source rows = jsonl "data/rows.jsonl"
cell corpus = rows | train_tokenizer "m/tok.json" model: wordpiece vocab_size: 150 min_frequency: 1
export corpus | pretrain "m/base" tokenizer: "m/tok.json" hidden: 16 layers: 1 heads: 2 max_len: 16 steps: 3 batch: 8
`,
  });

  it('sets every training cell\'s backend, says which one ran, and explains a backend that cannot start', () => {
    const cpu = ftrProcess(['run', 'b.ftr', '--reporter', 'plain', '--backend', 'cpu'], { cwd: dir });
    expect(cpu.code, cpu.err).toBe(0);
    expect(cpu.out).toMatch(/tfjs-backend-cpu/);
    const wasm = ftrProcess(['run', 'b.ftr', '--reporter', 'plain', '--backend', 'wasm'], { cwd: dir });
    expect(wasm.out).toMatch(/tfjs-backend-wasm/);
    // FTR_NATIVE_DIR at an empty folder: no native backend, whether or not `npm run native` ran here
    const native = ftrProcess(['run', 'b.ftr', '--reporter', 'plain', '--backend', 'tensorflow'], { cwd: dir, env: { FTR_NATIVE_DIR: join(dir, 'no-native') } });
    expect(native.code).toBe(3);
    expect(native.out).toMatch(/the `tensorflow` backend needs @tensorflow\/tfjs-node: `npm run native` builds it/);
    const bad = ftrProcess(['run', 'b.ftr', '--backend', 'gpu'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--backend must be one of auto, wasm, cpu, tensorflow .*not `gpu`/);
  });

  it.skipIf(!NATIVE_INSTALLED)('auto trains on the native backend once installed: it retrains (the key names the backend), says so, and prints no CPU-feature banner', () => {
    const p = tempProject({ 'data/rows.jsonl': corpus(40, 4), 'b.ftr': readFileSync(join(dir, 'b.ftr'), 'utf8') });
    const without = ftrProcess(['run', 'b.ftr', '--reporter', 'plain'], { cwd: p, env: { FTR_NATIVE_DIR: join(p, 'no-native') } });
    expect(without.code, without.err).toBe(0);
    expect(without.out).toMatch(/tfjs-backend-wasm/);
    const withNative = ftrProcess(['run', 'b.ftr', '--reporter', 'plain'], { cwd: p });
    expect(withNative.code, withNative.err).toBe(0);
    expect(withNative.out).toMatch(/@tensorflow\/tfjs-node 4\.22\.0 \(TensorFlow 2\.\d+\.\d+, all cores\)/);
    expect(withNative.err).not.toMatch(/cpu_feature_guard/);
    // and a third run finds the native backend's result in the cache
    const again = ftrProcess(['run', 'b.ftr', '--json'], { cwd: p });
    const events = again.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; cell?: string; status?: string });
    expect(events.filter((e) => e.type === 'cell' && e.status === 'done')).toEqual([]);
    expect(events.some((e) => e.type === 'cell' && e.status === 'cached')).toBe(true);
  });
});
