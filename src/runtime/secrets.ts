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

/** `text` with every resolved secret replaced by `***`. */
export function redact(text: string): string {
  if (!known.size) return text;
  let out = text;
  for (const s of known) out = out.split(s).join('***');
  return out;
}

export function redactDeep<T>(value: T): T {
  if (!known.size) return value;
  return JSON.parse(redact(JSON.stringify(value))) as T;
}
