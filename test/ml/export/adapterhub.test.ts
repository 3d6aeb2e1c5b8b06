import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAdapterHub, writeAdapterHub, type AdapterHubAdapter } from '../../../src/ml/export/adapterhub.js';
import { readSafetensors, type StTensor } from '../../../src/ml/safetensors.js';
import { at, plain, seq, tempDir } from './helpers.js';

const d = 8;
const rf = 4;
const m = d / rf;

function adapterAt(prefix: string, start: number): [string, StTensor][] {
  return [
    [`${prefix}.adapters.default.adapter_down.0.weight`, seq([d, m], start)],
    [`${prefix}.adapters.default.adapter_down.0.bias`, seq([m], start + 100)],
    [`${prefix}.adapters.default.adapter_up.weight`, seq([m, d], start + 200)],
    [`${prefix}.adapters.default.adapter_up.bias`, seq([d], start + 300)],
  ];
}

/** Houlsby adapters in layers 0 and 1 of a 3-layer BERT, a trained LayerNorm and pooler, and a head. */
function bertHoulsby(): AdapterHubAdapter {
  const tensors = new Map<string, StTensor>([
    ...adapterAt('bert.encoder.layer.0.attention.output', 1000),
    ...adapterAt('bert.encoder.layer.0.output', 2000),
    ...adapterAt('bert.encoder.layer.1.attention.output', 3000),
    ...adapterAt('bert.encoder.layer.1.output', 4000),
    ['bert.encoder.layer.0.attention.output.LayerNorm.weight', seq([d], 5000)],
    ['bert.encoder.layer.0.attention.output.LayerNorm.bias', seq([d], 5100)],
    ['bert.pooler.dense.weight', seq([d, d], 6000)],
    ['bert.pooler.dense.bias', seq([d], 6100)],
  ]);
  return {
    name: 'sst2',
    tensors,
    family: 'bert',
    placement: 'houlsby',
    reductionFactor: rf,
    nonLinearity: 'swish',
    hidden: d,
    numLayers: 3,
    baseModel: 'prajjwal1/bert-tiny',
    dropout: 0,
    head: {
      tensors: new Map([
        ['classifier.weight', seq([d, 3], 7000)],
        ['classifier.bias', seq([3], 7100)],
      ]),
      config: { task: 'seq_cls', labels: ['neg', 'neu', 'pos'] },
    },
  };
}

const BN_KEYS = [
  'adapter_residual_before_ln', 'cross_adapter', 'dropout', 'factorized_phm_W', 'factorized_phm_rule', 'hypercomplex_nonlinearity',
  'init_weights', 'inv_adapter', 'inv_adapter_reduction_factor', 'is_parallel', 'learn_phm', 'leave_out', 'ln_after', 'ln_before',
  'mh_adapter', 'non_linearity', 'original_ln_after', 'original_ln_before', 'output_adapter', 'phm_bias', 'phm_c_init', 'phm_dim',
  'phm_init_range', 'phm_layer', 'phm_rank', 'reduction_factor', 'residual_before_ln', 'scaling', 'shared_W_phm', 'shared_phm_rule',
  'stochastic_depth', 'use_gating',
];

describe('writeAdapterHub', () => {
  it('writes build_full_config with a BnConfig describing ftr\'s adapter form', () => {
    const dir = tempDir();
    const files = writeAdapterHub(dir, bertHoulsby());
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['adapter_config.json', 'adapter.safetensors', 'pytorch_adapter.bin', 'head_config.json', 'model_head.safetensors', 'pytorch_model_head.bin']);
    // adapters' Adapter.__init__ takes scaling only as a float or a name: JSON `1` raised "Unknown scaling type: 1"
    expect(readFileSync(join(dir, 'adapter_config.json'), 'utf8')).toMatch(/"scaling": 1\.0,\n/);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(Object.keys(cfg)).toEqual(['config', 'hidden_size', 'model_class', 'model_name', 'model_type', 'name', 'version']);
    expect(cfg).toMatchObject({ hidden_size: d, model_class: 'BertForSequenceClassification', model_name: 'prajjwal1/bert-tiny', model_type: 'bert', name: 'sst2', version: 'adapters.1.2.0' });
    expect(Object.keys(cfg.config)).toEqual(BN_KEYS);
    expect(cfg.config).toMatchObject({
      mh_adapter: true, output_adapter: true, reduction_factor: rf, non_linearity: 'swish', leave_out: [2],
      original_ln_before: false, original_ln_after: true, residual_before_ln: true, is_parallel: false, scaling: 1, ln_before: false, ln_after: false,
    });
  });

  it('renames `default` to the adapter name and stores Linear weights [out, in]', () => {
    const a = bertHoulsby();
    const dir = tempDir();
    writeAdapterHub(dir, a);
    const st = readSafetensors(join(dir, 'adapter.safetensors'));
    expect(st.metadata).toEqual({});
    const keys = [...st.tensors.keys()];
    expect(keys).toHaveLength(16 + 4);
    expect(keys.filter((k) => k.includes('.default.'))).toEqual([]);
    const down = st.tensors.get('bert.encoder.layer.1.attention.output.adapters.sst2.adapter_down.0.weight')!;
    const ours = a.tensors.get('bert.encoder.layer.1.attention.output.adapters.default.adapter_down.0.weight')!;
    expect(down.shape).toEqual([m, d]);
    for (let i = 0; i < d; i++) for (let j = 0; j < m; j++) expect(at(down, j, i)).toBe(at(ours, i, j));
    expect(st.tensors.get('bert.encoder.layer.0.output.adapters.sst2.adapter_up.weight')!.shape).toEqual([d, m]);
    expect(Array.from(st.tensors.get('bert.encoder.layer.0.output.adapters.sst2.adapter_up.bias')!.data)).toEqual(Array.from(seq([d], 2300).data));
    // trained base tensors keep their Hugging Face names
    expect(Array.from(st.tensors.get('bert.encoder.layer.0.attention.output.LayerNorm.weight')!.data)).toEqual(Array.from(seq([d], 5000).data));
    expect(at(st.tensors.get('bert.pooler.dense.weight')!, 1, 0)).toBe(at(a.tensors.get('bert.pooler.dense.weight')!, 0, 1));
  });

  it('writes a static head: head_config.json with label2id/num_labels and model_head.safetensors', () => {
    const dir = tempDir();
    writeAdapterHub(dir, bertHoulsby());
    const h = JSON.parse(readFileSync(join(dir, 'head_config.json'), 'utf8'));
    expect(h).toEqual({
      config: null, hidden_size: d, label2id: { neg: 0, neu: 1, pos: 2 }, model_class: 'BertForSequenceClassification',
      model_name: 'prajjwal1/bert-tiny', model_type: 'bert', name: null, num_labels: 3, version: 'adapters.1.2.0',
    });
    const st = readSafetensors(join(dir, 'model_head.safetensors')).tensors;
    expect([...st.keys()].sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(st.get('classifier.weight')!.shape).toEqual([3, d]);
  });

  it('round-trips exactly (head included) and writes the same bytes twice', () => {
    const a = bertHoulsby();
    const dir = tempDir();
    writeAdapterHub(dir, a);
    const back = readAdapterHub(dir);
    const norm = (x: AdapterHubAdapter) => ({ ...x, tensors: plain(x.tensors), head: x.head && { ...x.head, tensors: plain(x.head.tensors) } });
    expect(norm(back)).toEqual(norm(a));
    const dir2 = tempDir();
    writeAdapterHub(dir2, bertHoulsby());
    for (const f of ['adapter_config.json', 'adapter.safetensors', 'head_config.json', 'model_head.safetensors']) expect(readFileSync(join(dir, f)).equals(readFileSync(join(dir2, f)))).toBe(true);
  });

  it('Pfeiffer on DistilBERT: output adapters only', () => {
    const a: AdapterHubAdapter = {
      name: 'topic', family: 'distilbert', placement: 'pfeiffer', reductionFactor: rf, nonLinearity: 'relu', hidden: d, numLayers: 2, baseModel: 'distilbert-base-uncased', dropout: 0.1,
      tensors: new Map([...adapterAt('distilbert.transformer.layer.0.output_adapters', 0), ...adapterAt('distilbert.transformer.layer.1.output_adapters', 500)]),
    };
    const dir = tempDir();
    writeAdapterHub(dir, a);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ model_class: 'DistilBertModel', model_type: 'distilbert' });
    expect(cfg.config).toMatchObject({ mh_adapter: false, output_adapter: true, non_linearity: 'relu', leave_out: [], dropout: 0.1 });
    expect([...readSafetensors(join(dir, 'adapter.safetensors')).tensors.keys()]).toContain('distilbert.transformer.layer.1.output_adapters.adapters.topic.adapter_down.0.weight');
    const back = readAdapterHub(dir);
    expect({ ...back, tensors: plain(back.tensors) }).toEqual({ ...a, tensors: plain(a.tensors) });

    a.tensors = new Map([...a.tensors, ...adapterAt('distilbert.transformer.layer.0.attention_adapters', 900)]);
    expect(() => writeAdapterHub(tempDir(), a)).toThrow(/Pfeiffer placement has only the FFN one/);
  });

  it('GPT-2 Houlsby: attention_adapters / output_adapters on the block, layers without adapters left out', () => {
    const a: AdapterHubAdapter = {
      name: 'chat', family: 'gpt2', placement: 'houlsby', reductionFactor: rf, nonLinearity: 'swish', hidden: d, numLayers: 2, baseModel: 'gpt2', dropout: 0,
      tensors: new Map([
        ...adapterAt('transformer.h.1.attention_adapters', 0),
        ...adapterAt('transformer.h.1.output_adapters', 500),
        ['transformer.h.1.ln_1.weight', seq([d], 9)],
      ]),
    };
    const dir = tempDir();
    writeAdapterHub(dir, a);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ model_class: 'GPT2Model', model_type: 'gpt2' });
    expect(cfg.config.leave_out).toEqual([0]);
    const st = readSafetensors(join(dir, 'adapter.safetensors')).tensors;
    expect(st.get('transformer.h.1.attention_adapters.adapters.chat.adapter_down.0.weight')!.shape).toEqual([m, d]);
    const back = readAdapterHub(dir);
    expect({ ...back, tensors: plain(back.tensors) }).toEqual({ ...a, tensors: plain(a.tensors) });
  });

  it('refuses shapes and layouts AdapterHub would build differently', () => {
    const dir = tempDir();
    const wrongSize = bertHoulsby();
    wrongSize.reductionFactor = 2;
    expect(() => writeAdapterHub(dir, wrongSize)).toThrow(/`adapter_down\.0\.weight` should be \[8, 4\] \(hidden 8 \/ reduction factor 2\), got \[8, 2\]/);
    const half = bertHoulsby();
    for (const [k] of adapterAt('bert.encoder.layer.1.attention.output', 0)) half.tensors.delete(k);
    expect(() => writeAdapterHub(dir, half)).toThrow(/layer 1: houlsby placement needs both the attention and the FFN adapter/);
    const badHead = bertHoulsby();
    badHead.head!.tensors.set('bert.pooler.dense.weight', seq([d, d]));
    expect(() => writeAdapterHub(dir, badHead)).toThrow(/base-model tensors go in `tensors`/);
    const headInTensors = bertHoulsby();
    headInTensors.tensors.set('classifier.weight', seq([d, 3]));
    expect(() => writeAdapterHub(dir, headInTensors)).toThrow(/head tensors go in `head`/);
    expect(() => writeAdapterHub(dir, { ...bertHoulsby(), name: 'a.b' })).toThrow(/adapter name/);
  });
});

describe('readAdapterHub', () => {
  it('refuses an adapter that computes something else (SeqBn default: adapter after the LayerNorm)', () => {
    const dir = tempDir();
    writeAdapterHub(dir, bertHoulsby());
    const cfgPath = join(dir, 'adapter_config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.config.original_ln_before = true;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    expect(() => readAdapterHub(dir)).toThrow(/original_ln_before=true .*is not the adapter form ftr computes/);
    cfg.config.original_ln_before = false;
    cfg.config.reduction_factor = { default: 16 };
    writeFileSync(cfgPath, JSON.stringify(cfg));
    expect(() => readAdapterHub(dir)).toThrow(/per-layer reduction_factor/);
  });
});
