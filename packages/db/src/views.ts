// Typed readers for the SQL views of prisma/migrations/*_views (docs/architecture.md,
// "SQL views"). BIGINT params arrive as numbers (db.ts); stddev is null when n = 1.
import type { Db } from "./db.ts";
import { resolveSweep, type SweepRef } from "./sweeps.ts";

export interface TrialBestRow {
  sweep_id: number;
  sweep_name: string;
  trial_id: string;
  task: string;
  method: string;
  model: string;
  params: number;
  prompt_length: number | null;
  init: string | null;
  seed: number;
  state: string;
  metric: string | null;
  best_score: number | null;
  best_step: number | null;
}

export interface CurveRow {
  sweep_id: number;
  sweep_name: string;
  task: string;
  method: string;
  model: string;
  params: number;
  mean: number;
  stddev: number | null;
  n: number;
}
export type ScaleCurveRow = CurveRow;
export type PromptLengthRow = CurveRow & { prompt_length: number };
export type InitRow = CurveRow & { init: string };

const ORDER: Record<string, string> = {
  trial_best: "sweep_id, task, method, params, prompt_length, init, seed, trial_id",
  scale_curve: "sweep_id, task, method, params",
  prompt_length_ablation: "sweep_id, task, method, params, prompt_length",
  init_ablation: "sweep_id, task, method, params, init",
};

async function readView<T>(db: Db, view: keyof typeof ORDER, opts: { sweep?: SweepRef }): Promise<T[]> {
  const sweepId = opts.sweep === undefined ? null : (await resolveSweep(db, opts.sweep)).id;
  const { rows } = await db.pool.query(`SELECT * FROM ${view} WHERE ($1::int IS NULL OR sweep_id = $1) ORDER BY ${ORDER[view]}`, [sweepId]);
  return rows as T[];
}

/** One row per (sweep, trial) with its best dev score. */
export const trialBest = (db: Db, opts: { sweep?: SweepRef } = {}) => readView<TrialBestRow>(db, "trial_best", opts);
/** mean/stddev/n over seeds per (sweep, task, method, model); task 'superglue' = SuperGLUE average. */
export const scaleCurve = (db: Db, opts: { sweep?: SweepRef } = {}) => readView<ScaleCurveRow>(db, "scale_curve", opts);
/** As scaleCurve, per prompt length. */
export const promptLengthAblation = (db: Db, opts: { sweep?: SweepRef } = {}) => readView<PromptLengthRow>(db, "prompt_length_ablation", opts);
/** As scaleCurve, per prompt initialisation. */
export const initAblation = (db: Db, opts: { sweep?: SweepRef } = {}) => readView<InitRow>(db, "init_ablation", opts);
