/**
 * Hugging Face model folders (src/ml/hf.ts): `saveHf` → `loadPretrained` gives back every weight
 * bit-exactly for each family and task, in torch layouts on disk (a re-saved reference checkpoint
 * is the same tensors); the loader's tolerated variations (sharded files, bare-model names, old
 * LayerNorm names, another label set's head) and its errors, which name the folder or file.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/ml/tf.js';
import { loadPretrained, ModelLoadError, saveHf, tokenizerConfigFiles } from '../../src/ml/hf.js';
import { encodeSafetensors, readSafetensors, SafetensorsError, type StTensor } from '../../src/ml/safetensors.js';
import type { Family, ModelConfig } from '../../src/ml/config.js';
import type { Task, Transformer } from '../../src/ml/model.js';
import { describeBackends, maxAbsDiff, randomModel, randomize, run, tempDir, values } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'models');

const dirs: string[] = [];
function scratch(): string {
  const d = tempDir('ftr-hf-');
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  await useBackend('cpu');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Config values other than the loader's defaults, so that a field config.json lacks shows. */
const NON_DEFAULT: Record<Family, Partial<ModelConfig>> = {
  bert: { eps: 1e-7, act: 'gelu_new', dropout: 0.05, padId: 3, typeVocab: 3 },
  // DistilBERT's config has no eps field: always 1e-12
  distilbert: { act: 'relu', dropout: 0.05, padId: 3 },
  gpt2: { eps: 1e-6, act: 'relu', dropout: 0.05, padId: 3 },
};

/** A random model whose every tensor holds distinct values (LayerNorms and biases included). */
function distinctModel(family: Family, task: Task, seed = 1): Transformer {
  const model = randomModel(family, seed, task, NON_DEFAULT[family]);
  if (task === 'seq_cls' || task === 'token_cls') model.labels = ['neg', 'neu', 'pos'];
  model.params.remove((_, role) => role === 'head');
  model.addHead(seed + 1);
  randomize(model, () => true, seed + 2, 0.5);
  return model;
}

const CASES: { family: Family; task: Task; arch: string }[] = [
  { family: 'bert', task: 'seq_cls', arch: 'BertForSequenceClassification' },
  { family: 'bert', task: 'token_cls', arch: 'BertForTokenClassification' },
  { family: 'bert', task: 'mlm', arch: 'BertForMaskedLM' },
  { family: 'bert', task: 'none', arch: 'BertModel' },
  { family: 'distilbert', task: 'seq_cls', arch: 'DistilBertForSequenceClassification' },
  { family: 'distilbert', task: 'mlm', arch: 'DistilBertForMaskedLM' },
  { family: 'gpt2', task: 'lm', arch: 'GPT2LMHeadModel' },
  { family: 'gpt2', task: 'seq_cls', arch: 'GPT2ForSequenceClassification' },
];

describe('tokenizer_config.json', () => {
  // without it AutoTokenizer builds BertTokenizer for a bert folder: lowercasing, accent-stripping, whatever the vocabulary
  it('makes AutoTokenizer run tokenizer.json as it is, with the file\'s special tokens', () => {
    const wordpiece = JSON.stringify({ added_tokens: ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]'].map((content, id) => ({ id, content, special: true })), model: { type: 'WordPiece' } });
    const w = tokenizerConfigFiles(wordpiece, 64);
    expect(JSON.parse(w['tokenizer_config.json'])).toEqual({ tokenizer_class: 'PreTrainedTokenizerFast', model_max_length: 64, clean_up_tokenization_spaces: false, unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', mask_token: '[MASK]' });
    expect(JSON.parse(w['special_tokens_map.json'])).toEqual({ unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', mask_token: '[MASK]' });
    const bpe = JSON.stringify({ added_tokens: [{ id: 0, content: '<|endoftext|>', special: true }], model: { type: 'BPE' } });
    expect(JSON.parse(tokenizerConfigFiles(bpe, 128)['special_tokens_map.json'])).toEqual({ unk_token: '<|endoftext|>', pad_token: '<|endoftext|>', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>' });
  });
});

describeBackends()('on %s', (backend) => {
  describe('saveHf → loadPretrained', () => {
    it.each(CASES)('$family $task: config, labels and every weight come back bit-exactly', async ({ family, task, arch }) => {
      const model = distinctModel(family, task);
      const dir = scratch();
      try {
        const files = saveHf(dir, model, { tokenizerJson: '{"added_tokens":[]}', metadata: { source: 'test' } });
        expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']);
        const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
        expect(config.architectures).toEqual([arch]);
        expect(readSafetensors(join(dir, 'model.safetensors')).metadata).toEqual({ format: 'pt', source: 'test' });

        const loaded = await loadPretrained(dir, { task });
        try {
          expect(loaded.config).toEqual(model.config);
          expect(loaded.labels).toEqual(model.labels);
          expect(loaded.freshHead).toEqual([]);
          expect(loaded.unused).toEqual([]);
          const want = values(model);
          const got = values(loaded);
          expect([...got.keys()]).toEqual([...want.keys()]);
          for (const [n, v] of want) {
            expect(loaded.params.get(n).shape, n).toEqual(model.params.get(n).shape);
            expect(loaded.params.role(n), n).toBe(model.params.role(n));
            expect(Buffer.from(got.get(n)!.buffer).equals(Buffer.from(v.buffer)), `${n} bit-exact`).toBe(true);
          }
          if (task !== 'none') {
            const a = run(model);
            const b = run(loaded);
            expect(maxAbsDiff(b.logits, a.logits)).toBe(0);
          }
        } finally {
          loaded.dispose();
        }
      } finally {
        model.dispose();
      }
    });

    it('writes torch layouts: nn.Linear as [out, in], GPT-2 Conv1D and embeddings as they are', () => {
      const bert = distinctModel('bert', 'seq_cls');
      const gpt = distinctModel('gpt2', 'lm');
      const bdir = scratch();
      const gdir = scratch();
      try {
        saveHf(bdir, bert);
        saveHf(gdir, gpt);
        const bt = readSafetensors(join(bdir, 'model.safetensors')).tensors;
        const gt = readSafetensors(join(gdir, 'model.safetensors')).tensors;
        const ff1 = 'bert.encoder.layer.0.intermediate.dense.weight';
        expect(bt.get(ff1)!.shape).toEqual([32, 16]);
        const ours = bert.params.get(ff1).dataSync();
        // file[o][i] == ours[i][o]
        for (const [i, o] of [[0, 0], [3, 17], [15, 31]]) expect(bt.get(ff1)!.data[o * 16 + i]).toBe(ours[i * 32 + o]);
        expect(bt.get('classifier.weight')!.shape).toEqual([3, 16]);
        expect(bt.get('bert.embeddings.word_embeddings.weight')!.shape).toEqual([50, 16]);
        expect(gt.get('transformer.h.0.mlp.c_fc.weight')!.shape).toEqual([16, 32]);
        expect(gt.get('transformer.h.0.attn.c_attn.weight')!.shape).toEqual([16, 48]);
        expect(Array.from(gt.get('transformer.h.0.mlp.c_fc.weight')!.data)).toEqual(Array.from(gpt.params.get('transformer.h.0.mlp.c_fc.weight').dataSync()));
        expect(gt.get('transformer.wpe.weight')!.shape).toEqual([40, 16]);
      } finally {
        bert.dispose();
        gpt.dispose();
      }
    });

    it.each([
      { dir: 'tiny-bert', task: 'seq_cls' as Task },
      { dir: 'tiny-distilbert', task: 'seq_cls' as Task },
      { dir: 'tiny-gpt2', task: 'lm' as Task },
    ])('re-saving the $dir reference checkpoint writes the same tensors', async ({ dir, task }) => {
      const src = join(FIXTURES, dir);
      const model = await loadPretrained(src, { task });
      const out = scratch();
      try {
        saveHf(out, model);
        const before = readSafetensors(join(src, 'model.safetensors')).tensors;
        const after = readSafetensors(join(out, 'model.safetensors')).tensors;
        const kept = [...before.keys()].filter((n) => !model.unused.includes(n)).sort();
        expect([...after.keys()].sort()).toEqual(kept);
        for (const n of kept) {
          expect(after.get(n)!.shape, n).toEqual(before.get(n)!.shape);
          expect(maxAbsDiff(after.get(n)!.data, before.get(n)!.data), n).toBe(0);
        }
      } finally {
        model.dispose();
      }
    });
  });
});

describe('loader variations', () => {
  async function savedBert(): Promise<{ dir: string; model: Transformer; tensors: Map<string, StTensor> }> {
    const model = distinctModel('bert', 'seq_cls', 4);
    const dir = scratch();
    saveHf(dir, model);
    return { dir, model, tensors: readSafetensors(join(dir, 'model.safetensors')).tensors };
  }

  async function sameWeights(dir: string, model: Transformer) {
    const loaded = await loadPretrained(dir, { task: 'seq_cls' });
    try {
      const want = values(model);
      for (const [n, v] of values(loaded)) expect(maxAbsDiff(v, want.get(n)!), n).toBe(0);
      expect(loaded.params.names()).toEqual(model.params.names());
    } finally {
      loaded.dispose();
    }
  }

  it('a sharded checkpoint (model.safetensors.index.json) loads the same weights', async () => {
    const { dir, model, tensors } = await savedBert();
    try {
      const names = [...tensors.keys()].sort();
      const half = Math.floor(names.length / 2);
      const shards = [names.slice(0, half), names.slice(half)];
      const sharded = scratch();
      copyFileSync(join(dir, 'config.json'), join(sharded, 'config.json'));
      const weightMap: Record<string, string> = {};
      shards.forEach((part, i) => {
        const file = `model-0000${i + 1}-of-00002.safetensors`;
        writeFileSync(join(sharded, file), encodeSafetensors(new Map(part.map((n) => [n, tensors.get(n)!]))));
        for (const n of part) weightMap[n] = file;
      });
      writeFileSync(join(sharded, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
      await sameWeights(sharded, model);
    } finally {
      model.dispose();
    }
  });

  it('a bare BertModel save (no `bert.` prefix) with old gamma/beta LayerNorm names loads the same weights', async () => {
    const { dir, model, tensors } = await savedBert();
    try {
      const renamed = new Map<string, StTensor>();
      for (const [n, t] of tensors) renamed.set(n.replace(/^bert\./, '').replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'), t);
      expect(renamed.has('embeddings.LayerNorm.gamma')).toBe(true);
      writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(renamed));
      await sameWeights(dir, model);
    } finally {
      model.dispose();
    }
  });

  it('another label set: the checkpoint head is replaced (listed as unused), the base kept', async () => {
    const { dir, model } = await savedBert();
    try {
      const loaded = await loadPretrained(dir, { task: 'seq_cls', labels: ['a', 'b'], seed: 3 });
      try {
        expect(loaded.labels).toEqual(['a', 'b']);
        expect(loaded.freshHead.sort()).toEqual(['classifier.bias', 'classifier.weight']);
        expect(loaded.unused.sort()).toEqual(['classifier.bias', 'classifier.weight']);
        expect(loaded.params.get('classifier.weight').shape).toEqual([16, 2]);
        const want = values(model);
        expect(maxAbsDiff(loaded.params.get('bert.pooler.dense.weight').dataSync(), want.get('bert.pooler.dense.weight')!)).toBe(0);
      } finally {
        loaded.dispose();
      }
      // and loading the base for another task lists the head as unused
      const base = await loadPretrained(dir, { task: 'none' });
      try {
        expect(base.unused.sort()).toEqual(['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight']);
        expect(base.params.names('head')).toEqual([]);
      } finally {
        base.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});

describe('loader errors', () => {
  async function folder(): Promise<string> {
    const model = distinctModel('bert', 'seq_cls', 6);
    const dir = scratch();
    saveHf(dir, model);
    model.dispose();
    return dir;
  }

  async function fails(dir: string, opts: Parameters<typeof loadPretrained>[1], type: new (...a: never[]) => Error, message: string | RegExp) {
    let err: unknown;
    try {
      (await loadPretrained(dir, opts)).dispose();
    } catch (e) {
      err = e;
    }
    expect(err, 'loadPretrained throws').toBeInstanceOf(type);
    if (typeof message === 'string') expect((err as Error).message).toContain(message);
    else expect((err as Error).message).toMatch(message);
  }

  it('no config.json', async () => {
    const dir = scratch();
    await fails(dir, { task: 'none' }, ModelLoadError, `${dir}: no config.json`);
  });

  it('a config.json that is not JSON', async () => {
    const dir = await folder();
    writeFileSync(join(dir, 'config.json'), '{"model_type": "bert",');
    await fails(dir, { task: 'none' }, ModelLoadError, `${join(dir, 'config.json')}: not JSON`);
  });

  it('no weights file; a pytorch_model.bin gets a conversion hint', async () => {
    const dir = await folder();
    rmSync(join(dir, 'model.safetensors'));
    await fails(dir, { task: 'none' }, ModelLoadError, `${dir}: no model.safetensors`);
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    await fails(dir, { task: 'none' }, ModelLoadError, /no model\.safetensors \(pytorch_model\.bin is a pickle: convert it/);
  });

  it('a corrupt weights file names the file', async () => {
    const dir = await folder();
    writeFileSync(join(dir, 'model.safetensors'), new Uint8Array([1, 2, 3]));
    await fails(dir, { task: 'none' }, SafetensorsError, `${join(dir, 'model.safetensors')}: too short`);
  });

  it('a missing base weight names the file and the weight', async () => {
    const dir = await folder();
    const path = join(dir, 'model.safetensors');
    const t = readSafetensors(path).tensors;
    t.delete('bert.encoder.layer.1.output.dense.bias');
    writeFileSync(path, encodeSafetensors(t));
    await fails(dir, { task: 'seq_cls' }, ModelLoadError, `${dir}: model.safetensors lacks 1 base weight(s), e.g. \`bert.encoder.layer.1.output.dense.bias\``);
  });

  it('a weight of the wrong shape names the folder, the tensor, its shape on disk and the expected one', async () => {
    const dir = await folder();
    const path = join(dir, 'model.safetensors');
    const t = readSafetensors(path).tensors;
    // on disk [out, in] = [32, 16]; a [16, 32] tensor is the un-transposed (wrong) layout
    t.set('bert.encoder.layer.0.intermediate.dense.weight', { shape: [16, 32], data: new Float32Array(512) });
    writeFileSync(path, encodeSafetensors(t));
    await fails(dir, { task: 'seq_cls' }, ModelLoadError, `${dir}: \`bert.encoder.layer.0.intermediate.dense.weight\` has shape [16,32], config.json implies [32,16]`);
  });

  it('a config.json the model cannot be built from', async () => {
    const dir = await folder();
    const path = join(dir, 'config.json');
    const c = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...c, num_attention_heads: 5 }));
    await fails(dir, { task: 'none' }, Error, `${path}: hidden size 16 is not divisible by 5 heads`);
  });

  it('a classification head without labels', async () => {
    const dir = await folder();
    const path = join(dir, 'config.json');
    const c = JSON.parse(readFileSync(path, 'utf8'));
    delete c.id2label;
    delete c.label2id;
    writeFileSync(path, JSON.stringify(c));
    await fails(dir, { task: 'seq_cls' }, ModelLoadError, `${dir}: a classification head needs labels`);
  });
});
