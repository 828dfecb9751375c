// Typed readers for the SQL views of prisma/migrations (docs/architecture.md, "SQL views").
// BIGINT params arrive as numbers (db.ts); stddev is null when n = 1. A sweep given by name reads
// its latest version (resolveSweep); `name@2` reads version 2.
import type { Db } from "./db.ts";
import { resolveSweep, type SweepRef } from "./sweeps.ts";

interface SweepColumns {
  sweep_id: number;
  sweep_name: string;
  sweep_version: number;
  /** the row's sweep is the newest version of its name */
  latest: boolean;
}

export interface TrialBestRow extends SweepColumns {
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

/** One configuration (every axis but the seed) of one sweep version: mean ± stddev over its n seeds. */
export interface ConfigScoreRow extends SweepColumns {
  task: string;
  method: string;
  model: string;
  params: number;
  /** null for model tuning (no prompt) */
  prompt_length: number | null;
  init: string | null;
  mean: number;
  stddev: number | null;
  n: number;
}

const ORDER = {
  trial_best: "sweep_id, task, method, params, prompt_length, init, seed, trial_id",
  config_scores: "sweep_id, task, method, params, prompt_length, init",
} as const;

export interface ViewOptions {
  /** one sweep version (name = latest version, name@N, or id); absent: every sweep */
  sweep?: SweepRef;
  /** without `sweep`: only the latest version of each name */
  latestOnly?: boolean;
}

async function readView<T>(db: Db, view: keyof typeof ORDER, opts: ViewOptions): Promise<T[]> {
  const sweepId = opts.sweep === undefined ? null : (await resolveSweep(db, opts.sweep)).id;
  const { rows } = await db.pool.query(
    `SELECT * FROM ${view} WHERE ($1::int IS NULL OR sweep_id = $1) AND ($2::boolean IS NOT TRUE OR latest) ORDER BY ${ORDER[view]}`,
    [sweepId, opts.latestOnly ?? false],
  );
  return rows as T[];
}

/** One row per (sweep version, trial) with its best dev score. */
export const trialBest = (db: Db, opts: ViewOptions = {}) => readView<TrialBestRow>(db, "trial_best", opts);
/** mean/stddev/n over seeds per configuration (task, method, model, prompt length, init); task 'superglue' = SuperGLUE average. */
export const configScores = (db: Db, opts: ViewOptions = {}) => readView<ConfigScoreRow>(db, "config_scores", opts);
