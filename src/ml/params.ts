/**
 * One registry of named variables for a model and everything trained on top of it. Names are
 * Hugging Face module paths (`bert.encoder.layer.0.attention.self.query.weight`), so adapters,
 * exports and loaders agree on what a tensor is. Linear weights are stored [in, out].
 */
import { tf } from './tf.js';
import type { StTensor } from './safetensors.js';

/** What a variable belongs to: the base model, the task head, or a strategy's added weights. */
export type Role = 'base' | 'head' | 'lora' | 'adapter' | 'prompt' | 'prefix';

interface Entry {
  v: tf.Variable;
  role: Role;
}

export class ParamStore {
  private readonly entries = new Map<string, Entry>();
  private readonly trainable = new Set<string>();

  /** Register a variable; the store takes ownership of `value` (it is disposed). */
  add(name: string, value: tf.Tensor, role: Role): tf.Variable {
    if (this.entries.has(name)) throw new Error(`variable \`${name}\` is defined twice`);
    const v = tf.variable(value, false, `${name}#${nextId++}`);
    value.dispose();
    this.entries.set(name, { v, role });
    return v;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): tf.Variable {
    const e = this.entries.get(name);
    if (!e) throw new Error(`the model has no variable \`${name}\``);
    return e.v;
  }

  role(name: string): Role | undefined {
    return this.entries.get(name)?.role;
  }

  names(role?: Role): string[] {
    return [...this.entries].filter(([, e]) => !role || e.role === role).map(([n]) => n).sort();
  }

  isTrainable(name: string): boolean {
    return this.trainable.has(name);
  }

  /** Mark exactly the variables `pick` selects as trainable. */
  setTrainable(pick: (name: string, role: Role) => boolean): void {
    this.trainable.clear();
    for (const [n, e] of this.entries) {
      // tfjs differentiates only variables flagged trainable
      e.v.trainable = pick(n, e.role);
      if (e.v.trainable) this.trainable.add(n);
    }
  }

  trainableVars(): Map<string, tf.Variable> {
    return new Map([...this.trainable].sort().map((n) => [n, this.get(n)]));
  }

  size(name: string): number {
    return this.get(name).size;
  }

  /** Parameter count of the variables `filter` selects (all by default). */
  count(filter: (name: string, role: Role) => boolean = () => true): number {
    let n = 0;
    for (const [name, e] of this.entries) if (filter(name, e.role)) n += e.v.size;
    return n;
  }

  /** Values of the selected variables, as plain arrays (for saving). */
  snapshot(filter: (name: string, role: Role) => boolean = () => true): Map<string, StTensor> {
    const out = new Map<string, StTensor>();
    for (const name of this.names()) {
      const e = this.entries.get(name)!;
      if (filter(name, e.role)) out.set(name, { shape: [...e.v.shape], data: e.v.dataSync() as Float32Array });
    }
    return out;
  }

  /** Assign saved values to existing variables; shapes must match. Returns the names assigned. */
  assign(values: Map<string, StTensor>, label = 'weights'): string[] {
    const done: string[] = [];
    for (const [name, t] of values) {
      const v = this.get(name);
      if (v.shape.join('x') !== t.shape.join('x')) throw new Error(`${label}: \`${name}\` has shape [${t.shape}], the model expects [${v.shape}]`);
      // inside tidy: the variable keeps the value, the temporary handle (and the old value) are freed
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
      done.push(name);
    }
    return done;
  }

  /** Drop the variables `filter` selects (a strategy's weights, before loading another task's). */
  remove(filter: (name: string, role: Role) => boolean): void {
    for (const [name, e] of [...this.entries]) {
      if (!filter(name, e.role)) continue;
      e.v.dispose();
      this.entries.delete(name);
      this.trainable.delete(name);
    }
  }

  dispose(): void {
    for (const e of this.entries.values()) e.v.dispose();
    this.entries.clear();
    this.trainable.clear();
  }
}

// tfjs variable names are global: several models in one process need distinct ones
let nextId = 0;
