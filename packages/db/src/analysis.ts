// Writes of the post-training analyses (issue #6): prompt-ensemble evaluations (paper Table 3) and
// nearest-neighbour tokens (paper §7), in the places @ptune/report reads them
// (docs/architecture.md, "What @ptune/report reads besides the views"):
// - an `evaluations` row with split 'ensemble' on one trial of the ensembled configuration, whose
//   metrics hold the score under the trial's metric name (0-100) and `members`;
// - `trials.result.neighbours`.
// They are not fenced: they analyse finished trials (no attempt is writing to them), and both are
// idempotent (an upsert keyed by the configuration's anchor trial; a JSON merge of one key).
import { z } from "zod";
import { transaction, type Db } from "./db.ts";
import { NotFoundError } from "./errors.ts";
import { primaryScore } from "./fenced-writer.ts";
import { trialsOfSweep, type SweepRef, type TrialRow } from "./sweeps.ts";

/** The split of ensemble evaluations (the report also accepts 'ensemble_*'). */
export const ENSEMBLE_SPLIT = "ensemble";
/** Ensembles are not evaluated at a training step: their row sits at step 0 of the anchor trial. */
export const ENSEMBLE_STEP = 0;

export interface EnsembleMemberQuery {
  sweep: SweepRef;
  /** the model's name (sweep `models:` key) or its size */
  model: string;
  task: string;
  promptLength?: number;
  init?: string;
}

/**
 * The completed prompt-tuning trials of a sweep for one model and task (optionally one prompt
 * length / init) that have a best checkpoint: the prompts a Table 3 ensemble combines. Ordered
 * by seed, then id, so "the first K" is reproducible.
 */
export async function ensembleCandidates(db: Db, q: EnsembleMemberQuery): Promise<TrialRow[]> {
  const rows = await trialsOfSweep(db, q.sweep, { state: "completed" });
  const picked = rows.filter(
    (t) =>
      t.method === "prompt_tuning" &&
      (t.model === q.model || t.size === q.model) &&
      t.task === q.task &&
      (q.promptLength === undefined || t.promptLength === q.promptLength) &&
      (q.init === undefined || t.init === q.init),
  );
  if (!picked.length) return [];
  const { rows: withBest } = await db.pool.query<{ trial_id: string }>("SELECT trial_id FROM checkpoints WHERE kind = 'best' AND trial_id = ANY($1)", [
    picked.map((t) => t.id),
  ]);
  const has = new Set(withBest.map((r) => r.trial_id));
  return picked.filter((t) => has.has(t.id)).sort((a, b) => a.seed - b.seed || a.id.localeCompare(b.id));
}

const ensembleInput = z.object({
  members: z.array(z.string().min(1)).min(1),
  configuration: z.array(z.string().min(1)).optional(),
  metrics: z.record(z.string(), z.number()),
});

export interface EnsembleWrite {
  /** the trial the row was written on (the configuration's lowest id) */
  trialId: string;
  split: string;
  step: number;
  /** the stored metrics (task metrics, the trial's metric name when it is a derived one, members) */
  metrics: Record<string, number>;
  /** false when an identical row was already stored (a re-run) */
  changed: boolean;
}

/**
 * Stores one ensemble evaluation for the configuration its `members` (trial ids) belong to:
 * exactly one row, split 'ensemble', step 0, on the lowest id of `configuration` (every trial of
 * the ensembled configuration, e.g. all its seeds; default the members), so that ensembles of
 * any K of the same configuration land on the same trial. A re-run replaces that row (never a
 * second one), and ensemble rows on the configuration's other trials are removed: the report
 * sees one ensemble per configuration, the latest.
 * `metrics` are the task's metrics on the 0-100 scale; when a member's `metric` is a derived
 * name (primaryScore's `mean(...)`), that score is added under it, since the report looks the
 * score up by the trial's metric name.
 */
export async function writeEnsembleEvaluation(db: Db, input: { members: string[]; configuration?: string[]; metrics: Record<string, number> }): Promise<EnsembleWrite> {
  const parsed = ensembleInput.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`writeEnsembleEvaluation: field '${i.path.join(".")}': ${i.message}`);
  }
  const members = [...new Set(parsed.data.members)].sort();
  const group = [...new Set([...members, ...(parsed.data.configuration ?? [])])].sort();
  const anchor = group[0]!;
  return transaction(db, async (c) => {
    const { rows } = await c.query<{ id: string; metric: string | null }>("SELECT id, metric FROM trials WHERE id = ANY($1)", [group]);
    const missing = group.filter((m) => !rows.some((r) => r.id === m));
    if (missing.length) throw new NotFoundError(`writeEnsembleEvaluation: no trial '${missing[0]}'`);
    const metrics: Record<string, number> = { ...parsed.data.metrics };
    for (const r of rows) {
      if (r.metric && !(r.metric in metrics)) {
        const p = primaryScore(parsed.data.metrics, r.metric);
        if (p && p.metric === r.metric) metrics[r.metric] = p.score;
      }
    }
    metrics.members = members.length;
    const json = JSON.stringify(metrics);
    await c.query("DELETE FROM evaluations WHERE split = $1 AND trial_id = ANY($2) AND trial_id <> $3", [ENSEMBLE_SPLIT, group, anchor]);
    const res = await c.query(
      `INSERT INTO evaluations (trial_id, split, step, metrics) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (trial_id, split, step) DO UPDATE SET metrics = EXCLUDED.metrics, created_at = now()
       WHERE evaluations.metrics IS DISTINCT FROM EXCLUDED.metrics`,
      [anchor, ENSEMBLE_SPLIT, ENSEMBLE_STEP, json],
    );
    return { trialId: anchor, split: ENSEMBLE_SPLIT, step: ENSEMBLE_STEP, metrics, changed: (res.rowCount ?? 0) > 0 };
  });
}

/** Ensemble evaluations stored on these trials (split 'ensemble' or 'ensemble_*'). */
export async function ensembleEvaluations(db: Db, trialIds: string[]): Promise<{ trialId: string; split: string; step: number; metrics: Record<string, number> }[]> {
  const { rows } = await db.pool.query(
    `SELECT trial_id, split, step, metrics FROM evaluations
     WHERE trial_id = ANY($1) AND (split = 'ensemble' OR split LIKE 'ensemble\\_%') ORDER BY trial_id, split, step`,
    [trialIds],
  );
  return rows.map((r) => ({ trialId: r.trial_id, split: r.split, step: r.step, metrics: r.metrics }));
}

/**
 * Sets top-level keys of a finished trial's `result` JSON (e.g. `neighbours`), keeping the rest
 * (the trainer's TrialResult). Idempotent. Refused while the trial is queued or running: its
 * worker's finish() would overwrite `result`.
 */
export async function mergeTrialResult(db: Db, trialId: string, patch: Record<string, unknown>): Promise<void> {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) throw new Error("mergeTrialResult: patch must be an object of result keys");
  await transaction(db, async (c) => {
    const { rows } = await c.query<{ state: string }>("SELECT state::text AS state FROM trials WHERE id = $1 FOR UPDATE", [trialId]);
    if (!rows.length) throw new NotFoundError(`no trial '${trialId}'`);
    const state = rows[0]!.state;
    if (state === "queued" || state === "running") throw new Error(`trial '${trialId}' is ${state}: its result is written when it finishes; try again then`);
    await c.query(
      `UPDATE trials SET result = (CASE WHEN jsonb_typeof(result) = 'object' THEN result ELSE '{}'::jsonb END) || $2::jsonb, updated_at = now()
       WHERE id = $1`,
      [trialId, JSON.stringify(patch)],
    );
  });
}

/**
 * A trial id from what a user typed: the full id, or a unique prefix of it (`ptune trials` prints
 * the first 12 characters). Throws NotFoundError naming the ambiguity or the absence.
 */
export async function resolveTrialId(db: Db, idOrPrefix: string): Promise<string> {
  if (!idOrPrefix) throw new NotFoundError("no trial id given");
  const exact = await db.pool.query("SELECT id FROM trials WHERE id = $1", [idOrPrefix]);
  if (exact.rowCount) return idOrPrefix;
  const escaped = idOrPrefix.replace(/[\\%_]/g, (c) => `\\${c}`);
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM trials WHERE id LIKE $1 ORDER BY id LIMIT 4", [`${escaped}%`]);
  if (rows.length === 1) return rows[0]!.id;
  if (!rows.length) throw new NotFoundError(`no trial '${idOrPrefix}' (list them with: ptune trials <sweep>)`);
  throw new NotFoundError(`trial id '${idOrPrefix}' is ambiguous (${rows.slice(0, 3).map((r) => r.id).join(", ")}${rows.length > 3 ? ", ..." : ""}): give more characters`);
}
