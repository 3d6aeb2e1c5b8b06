export interface DiffResult {
  kind: string;
  round: number;
  falseHit: boolean;
  codes: [number, number];
  differs: string[];
  cached: number;
  recomputed: number;
}
export type Runner = (file: string, args: string[]) => Promise<{ code: number; events: { type: string; status?: string }[] }>;
export interface App {
  root: string;
  original: string;
  run: Runner;
}
export const KINDS: Record<string, (ctx: unknown) => unknown>;
export const RECIPE: string;
export function rng(seed: number): () => number;
export function makeProject(seed?: number, rows?: number): string;
export function inProcessRunner(main: (argv: string[], io: { out: (s: string) => void; err: (s: string) => void }) => Promise<number>): Runner;
export function makeApp(): App;
export function differential(opts: { runner: Runner; kinds?: string[]; trials?: number; seed?: number; app?: App; log?: (r: DiffResult) => void }): Promise<DiffResult[]>;
