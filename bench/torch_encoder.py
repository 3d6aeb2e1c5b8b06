# The bench encoder in PyTorch (bench/finetune.mjs, bench/backends.mjs): the same BERT math as
# ftr's Transformer on the same weights (a safetensors file ftr wrote) and ids; the forward pass
# is written out for the caller to compare, then AdamW steps per strategy (full, lora) are timed.
# Argument: one JSON object (see the callers). Prints one JSON line.
import json, sys, time, math, os
a = json.loads(sys.argv[1])
import torch, torch.nn.functional as F
import numpy as np
def med(xs):
    s = sorted(xs); n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
def read_st(path):
    b = open(path, 'rb').read()
    n = int.from_bytes(b[:8], 'little'); h = json.loads(b[8:8 + n]); base = 8 + n; out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(b, dtype='<f4', count=(e - s) // 4, offset=base + s).reshape(v['shape']).copy())
    return out
torch.manual_seed(0)
B, T, L, H, d = a['batch'], a['seq'], a['layers'], a['heads'], a['hidden']; dh = d // H; eps = a['eps']; drop = a['dropout']
ids = torch.from_numpy(np.fromfile(a['ids'], dtype='<i4').reshape(B, T).astype(np.int64))
labels = torch.from_numpy(np.fromfile(a['labels'], dtype='<i4').astype(np.int64))
base = read_st(a['weights'])
def forward(P, ids, train, lora=None):
    dp = lambda x, r=drop: F.dropout(x, r, train) if r > 0 else x
    def lin(x, p):
        y = F.linear(x, P[p + '.weight'], P.get(p + '.bias'))
        if lora is not None and p in lora:
            A, Bm, scale, r = lora[p]
            y = y + (dp(x, r) @ A @ Bm) * scale
        return y
    ln = lambda x, p: F.layer_norm(x, (d,), P[p + '.weight'], P[p + '.bias'], eps)
    e = 'bert.embeddings'
    x = F.embedding(ids, P[e + '.word_embeddings.weight']) + P[e + '.position_embeddings.weight'][:T] + P[e + '.token_type_embeddings.weight'][0]
    x = dp(ln(x, e + '.LayerNorm')).reshape(B * T, d)
    for l in range(L):
        p = 'bert.encoder.layer.%d' % l
        q, k, v = (lin(x, p + '.attention.self.' + m).reshape(B, T, H, dh).transpose(1, 2) for m in ('query', 'key', 'value'))
        s = dp(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), -1))
        ctx = (s @ v).transpose(1, 2).reshape(B * T, d)
        h1 = ln(dp(lin(ctx, p + '.attention.output.dense')) + x, p + '.attention.output.LayerNorm')
        x = ln(dp(lin(F.gelu(lin(h1, p + '.intermediate.dense')), p + '.output.dense')) + h1, p + '.output.LayerNorm')
    feats = x.reshape(B, T, d)[:, 0]
    return feats, lin(dp(torch.tanh(lin(feats, 'bert.pooler.dense'))), 'classifier')
res = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'capability': torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, 'cpu') else None}
try:
    import ctypes
    f = ctypes.CDLL('libopenblas.so.0').openblas_get_config; f.restype = ctypes.c_char_p; res['blas'] = f().decode()
except (OSError, AttributeError):
    res['blas'] = None
with torch.no_grad():
    feats, _ = forward(base, ids, False)
    feats.numpy().astype('<f4').tofile(a['out'])
    walls = []
    for _ in range(a['reps']):
        t = time.perf_counter(); forward(base, ids, False); walls.append(time.perf_counter() - t)
    res['forwardMs'] = med(walls) * 1000
    x = torch.rand(1024, 1024); y = torch.rand(1024, 1024)
    for _ in range(3): x @ y
    walls = []
    for _ in range(8):
        t = time.perf_counter(); x @ y; walls.append(time.perf_counter() - t)
    res['matmul1024Ms'] = med(walls) * 1000
def decays(n, t): return t.dim() >= 2 and 'bias' not in n.lower() and 'norm' not in n.lower()
def train(strategy):
    P = {k: v.clone() for k, v in base.items()}
    lora = None
    if strategy == 'full':
        trainable = {k: v for k, v in P.items()}
    else:
        trainable = {k: v for k, v in P.items() if k.startswith('bert.pooler.') or k.startswith('classifier.')}
        lora = {}
        g = torch.Generator().manual_seed(7)
        for l in range(L):
            for m in a['lora']['targets']:
                p = 'bert.encoder.layer.%d.attention.self.%s' % (l, m)
                bound = 1 / math.sqrt(d)
                A = (torch.rand(d, a['lora']['r'], generator=g) * 2 - 1) * bound
                Bm = torch.zeros(a['lora']['r'], d)
                lora[p] = (A, Bm, a['lora']['alpha'] / a['lora']['r'], a['lora']['dropout'])
                trainable[p + '.lora_A.weight'] = A; trainable[p + '.lora_B.weight'] = Bm
    for t in trainable.values(): t.requires_grad_(True)
    groups = [{'params': [t for n, t in trainable.items() if decays(n, t)], 'weight_decay': a['train']['weightDecay']},
              {'params': [t for n, t in trainable.items() if not decays(n, t)], 'weight_decay': 0.0}]
    opt = torch.optim.AdamW(groups, lr=a['train']['lr'])
    params = list(trainable.values())
    walls, cpus, losses = [], [], []
    for step in range(a['warmup'] + a['steps']):
        c = time.process_time(); t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        _, logits = forward(P, ids, True, lora)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, a['train']['clipNorm'])
        opt.step()
        losses.append(loss.item())
        if step >= a['warmup']:
            walls.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
    return {'wallMs': med(walls) * 1000, 'cpuMs': med(cpus) * 1000, 'trainable': sum(t.numel() for t in params), 'loss': losses}
res['train'] = {s: train(s) for s in a['strategies']}
import resource
# peak resident memory of this process (KiB on Linux): weights, activations, gradients, optimizer state
res['maxRssKb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(res))
