/**
 * Secrets (API keys) are named in recipes, never written: `token: env("API_TOKEN")` stores only
 * the variable's name in params (so cache keys, locks and events never hold the value). An op
 * resolves it at run time; every resolved value is redacted from events before reporters see them.
 */
import { OpError } from '../core/op.js';

export interface SecretRef {
  env: string;
}

const known = new Set<string>();

export function isSecretRef(v: unknown): v is SecretRef {
  return typeof v === 'object' && v !== null && typeof (v as SecretRef).env === 'string' && Object.keys(v).length === 1;
}

/** The secret's value; remembered so it can be redacted from anything shown or stored. */
export function resolveSecret(ref: SecretRef): string {
  const value = process.env[ref.env];
  if (value === undefined || value === '') throw new OpError(`the environment variable ${ref.env} is not set (the recipe reads a secret from it)`);
  if (value.length >= 4) known.add(value);
  return value;
}

/**
 * The forms a secret takes in text: as is, JSON-escaped (a `"` or `\\` in the key becomes
 * `\\"`, `\\\\` inside JSON), and JSON-escaped twice (JSON inside a JSON string).
 */
function formsOf(secret: string): string[] {
  const once = JSON.stringify(secret).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  // longest first, so an escaped form is not half-replaced by the raw one
  return [...new Set([twice, once, secret])].sort((a, b) => b.length - a.length);
}

/** `text` with every resolved secret (in each of its forms) replaced by `***`. */
export function redact(text: string): string {
  if (!known.size) return text;
  let out = text;
  for (const s of known) for (const f of formsOf(s)) out = out.split(f).join('***');
  return out;
}

/** A value with every string in it redacted (walked, so escaping cannot hide a secret). */
export function redactDeep<T>(value: T): T {
  if (!known.size) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [redact(k), walk(x)]));
    return v;
  };
  return walk(JSON.parse(JSON.stringify(value) ?? 'null')) as T;
}
