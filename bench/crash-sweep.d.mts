export interface SweepResult {
  delayMs: number;
  killed: boolean;
  phase: string;
  rerunCode: number | null;
  identical: boolean;
  cacheClean: boolean;
  reused: number;
  computed: number;
  rerunMs: number;
}
export function makeProject(files?: number, rows?: number): string;
export function sweep(opts?: { points?: number; files?: number; rows?: number; seed?: number; log?: (r: SweepResult) => void }): Promise<{ referenceMs: number; results: SweepResult[] }>;
