// The thin database layer: the views through @ptune/db's readers (docs/architecture.md, "SQL
// views"), plus ensemble evaluations and nearest neighbours (tables of prisma/schema.prisma) by SQL
// on its pool. Rows are validated by ./rows.ts.
import { configScores, resolveSweep, trialBest, type Db } from "@ptune/db";
import { configScoreRow, ensembleRow, neighbourRow, parseRows, trialBestRow, type BaselineRow } from "./rows.ts";
import type { ReportInput } from "./render-report.ts";

/** Ensemble evaluations (split 'ensemble' or 'ensemble_*'): the score is the trial's dev metric. */
const ENSEMBLE_SQL = `
SELECT t.task, t.method, t.model, t.params, t.prompt_length, t.init, t.metric,
       (e.metrics ->> t.metric)::float8 AS score,
       (e.metrics ->> 'members')::float8 AS members
FROM evaluations e
JOIN trials t ON t.id = e.trial_id
JOIN sweep_trials st ON st.trial_id = t.id
WHERE st.sweep_id = $1::int AND (e.split = 'ensemble' OR e.split LIKE 'ensemble\\_%')
  AND t.metric IS NOT NULL AND e.metrics ? t.metric
ORDER BY t.task, t.params, e.step DESC`;

/**
 * Nearest-neighbour tokens (paper §7 "Interpretability") stored in the trial's result JSON as
 * result.neighbours: either the trainer's nearestNeighbours() output ([slot][k] of { token, ... })
 * or [{ slot, tokens: string[] }].
 */
const NEIGHBOUR_SQL = `
SELECT t.id AS trial_id, t.task, t.model,
       CASE WHEN jsonb_typeof(n.v) = 'array' THEN n.i - 1 ELSE (n.v ->> 'slot')::int END AS slot,
       CASE WHEN jsonb_typeof(n.v) = 'array' THEN ARRAY(SELECT x ->> 'token' FROM jsonb_array_elements(n.v) x)
            ELSE ARRAY(SELECT jsonb_array_elements_text(n.v -> 'tokens')) END AS tokens
FROM trials t
JOIN sweep_trials st ON st.trial_id = t.id
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t.result -> 'neighbours') = 'array' THEN t.result -> 'neighbours' ELSE '[]'::jsonb END)
     WITH ORDINALITY AS n(v, i)
WHERE st.sweep_id = $1::int
ORDER BY t.params, t.id, slot`;

/** The baseline stored in the sweep version's canonical spec (null before sweep versions). */
async function storedBaseline(db: Db, sweepId: number): Promise<BaselineRow | null> {
  const { rows } = await db.pool.query("SELECT spec -> 'baseline' AS b FROM sweeps WHERE id = $1", [sweepId]);
  const b = rows[0]?.b as { prompt_length?: number | null; init?: string | null } | null | undefined;
  return b ? { prompt_length: b.prompt_length ?? null, init: b.init ?? null } : null;
}

/**
 * Every row the report draws for one sweep version (name = its latest version, `name@N`, or id);
 * renderReport applies `task`.
 */
export async function loadReportInput(db: Db, ref: string, opts: { task?: string } = {}): Promise<ReportInput> {
  const found = await resolveSweep(db, ref);
  const sweep = { id: String(found.id), name: found.name, version: found.version };
  const [trials, configs, baseline, ens, nbr] = await Promise.all([
    trialBest(db, { sweep: found.id }),
    configScores(db, { sweep: found.id }),
    storedBaseline(db, found.id),
    db.pool.query(ENSEMBLE_SQL, [found.id]),
    db.pool.query(NEIGHBOUR_SQL, [found.id]),
  ]);
  // Latest ensemble evaluation per configuration (rows are ordered newest step first).
  const seen = new Set<string>();
  const ensembles = parseRows(ensembleRow, ens.rows, "evaluations (split 'ensemble')").filter((e) => {
    const k = JSON.stringify([e.task, e.model, e.method, e.prompt_length, e.init]);
    return seen.has(k) ? false : (seen.add(k), true);
  });
  return {
    sweep,
    task: opts.task,
    trials: parseRows(trialBestRow, trials, "trial_best"),
    configs: parseRows(configScoreRow, configs, "config_scores"),
    baseline,
    ensembles: ensembles,
    neighbours: parseRows(neighbourRow, nbr.rows, "trials.result.neighbours"),
  };
}
