/**
 * `ftr predict FILE [MODEL] --adapter TASK … --text "…"`: load a base model once, then swap each
 * task's small artifact onto it and predict. TASK names a `finetune` cell, its output folder or
 * that folder's name (a `compare` cell's strategies: NAME/STRATEGY).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../check/checker.js';
import type { Graph } from '../check/graph.js';
import { resolvePath } from '../ops/sources/files.js';
import { closest } from '../parser/suggest.js';
import type { Io } from './main.js';

interface TaskRef {
  names: string[];
  dir: string;
  base: string;
  maxLen: number;
}

/** Every task a recipe trains, by the names a user may call it. */
export function recipeTasks(graph: Graph): TaskRef[] {
  const out: TaskRef[] = [];
  for (const cell of graph.cells) {
    for (const step of cell.steps) {
      for (const t of step.op.tasks?.(step.params) ?? []) {
        const clean = t.dir.replace(/[\\/]+$/, '');
        const names = [cell.name, clean, basename(clean)].map((n) => (t.suffix ? `${n}/${t.suffix}` : n));
        out.push({ names, dir: join(resolvePath(t.dir, cell.baseDir).abs, t.suffix ?? ''), base: resolvePath(t.base, cell.baseDir).abs, maxLen: t.maxLen });
      }
    }
  }
  return out;
}

function pickTask(tasks: TaskRef[], name: string): TaskRef {
  const t = tasks.find((x) => x.names.includes(name.replace(/[\\/]+$/, '')));
  if (t) return t;
  const all = tasks.map((x) => x.names[2]);
  const guess = closest(name, all);
  throw new UsageError(`no task \`${name}\` in the recipe${guess ? ` — did you mean \`${guess}\`?` : ''} (tasks: ${all.join(', ') || 'none: add a finetune cell'})`);
}

function softmax(row: Float32Array | number[]): number[] {
  const m = Math.max(...row);
  const e = Array.from(row, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

export interface PredictOptions {
  adapters: string[];
  texts: string[];
  model?: string;
  backend?: string;
  json: boolean;
  /** with json: token ids and raw logits per task (to compare with another library) */
  logits?: boolean;
  top: number;
  maxTokens: number;
}

export async function predictCommand(graph: Graph, o: PredictOptions, io: Io): Promise<number> {
  if (!o.adapters.length) throw new UsageError('name at least one task: --adapter TASK (a finetune cell or its output folder)');
  if (!o.texts.length) throw new UsageError('give inputs: --text "…" (repeatable) or --input FILE (one text per line, or JSONL with a `text` field)');
  const tasks = recipeTasks(graph);
  const picked = o.adapters.map((a) => pickTask(tasks, a));
  for (const t of picked) if (!existsSync(join(t.dir, 'adapter.json'))) throw new UsageError(`\`${t.names[2]}\` has not been trained yet (no ${join(t.dir, 'adapter.json')}): run the recipe first`);
  const { useBackend, tf } = await import('../ml/tf.js');
  const { loadPretrained } = await import('../ml/hf.js');
  const { readTaskManifest, TaskSwitcher } = await import('../ml/strategy.js');
  const { ModelTokenizer, collate, encodeWords, words } = await import('../ml/data.js');
  const { sha256File } = await import('../runtime/hash.js');
  const { baseFingerprint } = await import('../ml/finetune.js');
  const backend = await useBackend((o.backend ?? 'auto') as 'auto');
  const baseDir = o.model ? resolve(o.model) : picked[0].base;
  const t0 = performance.now();
  const base = await loadPretrained(baseDir, { task: 'none' });
  const tok = await ModelTokenizer.load(baseDir);
  const loadMs = performance.now() - t0;
  const fingerprint = await baseFingerprint(baseDir, sha256File);
  const switcher = new TaskSwitcher(base);
  const results: Record<string, unknown>[] = o.texts.map((text) => ({ text }));
  const raw = (j: number, name: string, ids: ArrayLike<number>, logits: unknown) => {
    if (!o.logits) return;
    const r = results[j] as { ids?: Record<string, number[]>; logits?: Record<string, unknown> };
    (r.ids ??= {})[name] = Array.from(ids);
    (r.logits ??= {})[name] = logits;
  };
  const lines: string[] = [`base ${baseDir} loaded in ${Math.round(loadMs)} ms (${backend.detail})`];
  for (const [i, t] of picked.entries()) {
    const m = readTaskManifest(t.dir);
    const name = o.adapters[i];
    if (m.strategy.strategy === 'full') {
      lines.push(`${name}: a full fine-tune is its own model (${join(t.dir, 'model')}); predicting with it directly`);
    } else if (m.baseSha256 !== fingerprint) {
      throw new UsageError(`\`${name}\` was trained on another base (sha256 ${m.baseSha256.slice(0, 12)}; ${baseDir} is ${fingerprint.slice(0, 12)})`);
    }
    const s0 = performance.now();
    const own = m.strategy.strategy === 'full' ? await loadPretrained(join(t.dir, 'model'), { task: m.task, labels: m.labels }) : undefined;
    const model = own ?? base;
    if (!own) switcher.load(t.dir);
    const swapMs = performance.now() - s0;
    const size = statSync(join(t.dir, ...(m.strategy.strategy === 'full' ? ['model', 'model.safetensors'] : ['adapter.safetensors']))).size;
    lines.push(`${name}: ${m.strategy.strategy} ${m.task}, ${(size / 1024).toFixed(1)} KB, ${own ? 'loaded' : 'swapped in'} in ${Math.round(swapMs)} ms`);
    for (const [j, text] of o.texts.entries()) {
      let answer: unknown;
      if (m.task === 'seq_cls') {
        const ids = Int32Array.from(tok.encode(text, m.maxLen).ids);
        const logits = tf.tidy(() => Array.from(model.forward(collate([{ id: '0', ids, weight: 1 }], model.config.padId).batch, { training: false }).logits!.dataSync()));
        raw(j, name, ids, logits);
        const probs = softmax(logits);
        const order = probs.map((p, k) => [p, k] as const).sort((a, b) => b[0] - a[0]).slice(0, o.top);
        answer = order.map(([p, k]) => ({ label: m.labels[k], p: Number(p.toFixed(4)) }));
      } else if (m.task === 'token_cls') {
        const ws = words(text).map((w) => w.word);
        const enc = encodeWords(tok, ws, ws.map(() => 0), m.maxLen);
        const ids = Int32Array.from(enc.ids);
        const out = tf.tidy(() => model.forward(collate([{ id: '0', ids, weight: 1 }], model.config.padId).batch, { training: false }).logits!.arraySync() as number[][][])[0];
        raw(j, name, ids, out);
        const pred = out.map((row) => row.indexOf(Math.max(...row)));
        const tags: string[] = [];
        enc.tags.forEach((first, k) => {
          if (first !== -100) tags.push(m.labels[pred[k]]);
        });
        answer = ws.slice(0, tags.length).map((w, k) => ({ word: w, tag: tags[k] }));
      } else {
        // greedy decoding, no cache: small models, short answers
        const eos = tok.eos();
        const ids = [...tok.pieces(text + '\n')];
        const start = ids.length;
        // prompt and prefix tokens take positions too
        const room = model.config.maxPositions - model.promptTokens - model.prefixTokens;
        while (ids.length - start < o.maxTokens && ids.length < room) {
          const next = tf.tidy(() => {
            const logits = model.forward(collate([{ id: '0', ids: Int32Array.from(ids), weight: 1 }], model.config.padId).batch, { training: false, positions: Int32Array.of(ids.length - 1) }).logits!;
            if (ids.length === start) raw(j, name, ids, Array.from(logits.dataSync()));
            return tf.argMax(logits, -1).dataSync()[0];
          });
          if (next === eos) break;
          ids.push(next);
        }
        answer = ids.length > start ? tok.decode(ids.slice(start)) : '';
      }
      results[j][name] = answer;
    }
    if (own) own.dispose();
  }
  switcher.unload();
  base.dispose();
  if (o.json) {
    for (const r of results) io.out(JSON.stringify(r) + '\n');
    return 0;
  }
  io.err(lines.join('\n') + '\n');
  for (const r of results) {
    io.out(`${JSON.stringify(r.text).slice(0, 100)}\n`);
    for (const name of o.adapters) {
      const a = r[name];
      const shown = Array.isArray(a) && a.length && (a[0] as { p?: number }).p !== undefined
        ? (a as { label: string; p: number }[]).map((x) => `${x.label} ${x.p.toFixed(3)}`).join(' · ')
        : Array.isArray(a)
          ? (a as { word: string; tag: string }[]).map((x) => (x.tag === 'O' ? x.word : `${x.word}/${x.tag}`)).join(' ')
          : JSON.stringify(a);
      io.out(`  ${name}: ${shown}\n`);
    }
  }
  return 0;
}

/** --input FILE: one text per line, or JSONL whose `column` holds the text. */
export function readInputs(path: string, column: string): string[] {
  if (!existsSync(path)) throw new UsageError(`no such file: ${path}`);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      if (!l.trimStart().startsWith('{')) return l;
      try {
        const v = (JSON.parse(l) as Record<string, unknown>)[column];
        return typeof v === 'string' ? v : l;
      } catch {
        return l;
      }
    });
}
