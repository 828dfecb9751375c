// The plain rows the report is drawn from: one schema per SQL view of docs/architecture.md
// ("SQL views"), plus the ensemble and nearest-neighbour rows the trainer's evaluations produce.
// node-postgres returns NUMERIC and BIGINT columns as strings, so numbers are coerced here, at
// the boundary, and a bad row fails with one message naming the view, the row and the field.
import { z } from "zod";

const id = z.union([z.string(), z.number(), z.bigint()]).transform(String);
const num = z.union([z.number(), z.string(), z.bigint()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: "custom", message: `expected a finite number, got ${JSON.stringify(String(v))}` });
    return z.NEVER;
  }
  return n;
});
const numOrNull = z.union([num, z.null(), z.undefined()]).transform((v) => (v == null ? null : v));
const strOrNull = z.union([z.string(), z.null(), z.undefined()]).transform((v) => v ?? null);

/** The columns naming a trial's configuration (model, task, method, prompt length, init). */
const configuration = {
  task: z.string(),
  method: z.string(),
  model: z.string(),
  params: num,
  prompt_length: numOrNull,
  init: strOrNull,
};
/** Which sweep version a row belongs to (absent in rows from before sweep versions). */
const sweepColumns = {
  sweep_id: id,
  sweep_name: z.string(),
  sweep_version: num.optional(),
  latest: z.boolean().optional(),
};

export const trialBestRow = z.object({
  ...sweepColumns,
  trial_id: id,
  ...configuration,
  seed: numOrNull,
  state: z.string(),
  metric: strOrNull,
  best_score: numOrNull,
  best_step: numOrNull,
});
/** One configuration (every axis but the seed): mean ± stddev over its n seeds (view config_scores). */
export const configScoreRow = z.object({
  ...sweepColumns,
  ...configuration,
  mean: num,
  stddev: numOrNull, // NULL for a single seed (Postgres stddev_samp of one value)
  n: num,
});

/** One prompt ensemble's score (the trainer's evaluation with split 'ensemble'), paper Table 3. */
export const ensembleRow = z.object({
  ...configuration,
  metric: z.string(),
  score: num, // 0-100
  members: numOrNull, // how many prompts were ensembled
});

/** Nearest vocabulary tokens of one prompt slot (paper Section 7, "Interpretability"). */
export const neighbourRow = z.object({
  trial_id: id,
  task: z.string(),
  model: z.string(),
  slot: num,
  tokens: z.array(z.string()),
});

export type TrialBestRow = z.output<typeof trialBestRow>;
export type ConfigScoreRow = z.output<typeof configScoreRow>;
export type EnsembleRow = z.output<typeof ensembleRow>;
export type NeighbourRow = z.output<typeof neighbourRow>;

/** The baseline configuration (@ptune/sweep Baseline, YAML names); null on an axis = none. */
export interface BaselineRow {
  prompt_length: number | null;
  init: string | null;
}

/** One sweep version's rows of the two views: what the figures are drawn from. */
export interface ViewRows {
  trials: TrialBestRow[];
  configs: ConfigScoreRow[];
  /** The sweep's baseline (sweeps.spec); absent: resolved from the trials' values by the same rule. */
  baseline?: BaselineRow | null;
}

/** Validates rows from `source` (a view name) and returns them typed; throws one clear line. */
export function parseRows<S extends z.ZodType>(schema: S, rows: readonly unknown[], source: string): z.output<S>[] {
  return rows.map((row, i) => {
    const r = schema.safeParse(row);
    if (r.success) return r.data;
    const issue = r.error.issues[0]!;
    const field = issue.path.join(".") || "(row)";
    throw new Error(`${source} row ${i}: field '${field}': ${issue.message}`);
  });
}
