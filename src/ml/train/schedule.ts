/**
 * Learning-rate schedules with Hugging Face transformers' formulas (optimization.py):
 * `get_constant_schedule_with_warmup`, `get_linear_schedule_with_warmup` and
 * `get_cosine_schedule_with_warmup` (num_cycles 0.5). `step` counts optimizer steps taken
 * before this one, as LambdaLR does: the first update uses the multiplier at step 0, which is 0
 * when there is warm-up.
 */

export const SCHEDULES = ['constant', 'linear', 'cosine'] as const;
export type Schedule = (typeof SCHEDULES)[number];

export interface ScheduleSpec {
  /** peak learning rate */
  lr: number;
  schedule: Schedule;
  warmupSteps: number;
  totalSteps: number;
}

/** The multiplier of the peak rate at `step` (0-based). */
export function lrLambda(step: number, schedule: Schedule, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  switch (schedule) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    case 'cosine': {
      const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
    }
    default:
      throw new Error(`unknown learning-rate schedule \`${String(schedule)}\` (expected ${SCHEDULES.join(', ')})`);
  }
}

/** The learning rate of the update at `step` (0-based optimizer steps). */
export function lrAt(step: number, spec: ScheduleSpec): number {
  return spec.lr * lrLambda(step, spec.schedule, spec.warmupSteps, spec.totalSteps);
}

/**
 * Warm-up as given to the trainer: below 1 a fraction of the total steps, rounded up (HF's
 * `get_warmup_steps` for warmup_ratio), otherwise a step count.
 */
export function warmupSteps(warmup: number | undefined, totalSteps: number): number {
  if (!warmup || warmup <= 0) return 0;
  if (!Number.isFinite(warmup)) throw new Error(`warm-up must be a finite number, got ${warmup}`);
  return warmup < 1 ? Math.ceil(totalSteps * warmup) : Math.round(warmup);
}
