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

const curveBase = {
  sweep_id: id,
  sweep_name: z.string(),
  task: z.string(),
  method: z.string(),
  model: z.string(),
  params: num,
  mean: num,
  stddev: numOrNull, // NULL for a single seed (Postgres stddev_samp of one value)
  n: num,
};

/** The columns naming a trial's configuration (model, task, method, prompt length, init). */
const configuration = {
  task: z.string(),
  method: z.string(),
  model: z.string(),
  params: num,
  prompt_length: numOrNull,
  init: strOrNull,
};

export const trialBestRow = z.object({
  sweep_id: id,
  sweep_name: z.string(),
  trial_id: id,
  ...configuration,
  seed: numOrNull,
  state: z.string(),
  metric: strOrNull,
  best_score: numOrNull,
  best_step: numOrNull,
});
export const scaleCurveRow = z.object(curveBase);
export const promptLengthRow = z.object({ ...curveBase, prompt_length: num });
export const initRow = z.object({ ...curveBase, init: z.string() });

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
export type ScaleCurveRow = z.output<typeof scaleCurveRow>;
export type PromptLengthRow = z.output<typeof promptLengthRow>;
export type InitRow = z.output<typeof initRow>;
export type EnsembleRow = z.output<typeof ensembleRow>;
export type NeighbourRow = z.output<typeof neighbourRow>;

/** One sweep's rows of the four views: what the figures are drawn from. */
export interface ViewRows {
  trials: TrialBestRow[];
  scaleCurve: ScaleCurveRow[];
  promptLength: PromptLengthRow[];
  init: InitRow[];
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
