// The thin database layer: reads the report's rows from the SQL views of docs/architecture.md
// ("SQL views") and the `evaluations` table (prisma/schema.prisma) through anything with pg's
// `query(text, values)` (a pg Pool or Client). Rows are validated by ./rows.ts.
import { ensembleRow, initRow, neighbourRow, parseRows, promptLengthRow, scaleCurveRow, trialBestRow } from "./rows.ts";
import type { ReportInput } from "./render-report.ts";

export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface SweepRef {
  id: string;
  name: string;
}

/** A sweep by name or numeric id; throws one line listing known sweeps when none matches. */
export async function resolveSweep(db: Queryable, ref: string): Promise<SweepRef> {
  const { rows } = await db.query(`SELECT id::text AS id, name FROM sweeps WHERE name = $1 OR id::text = $1 ORDER BY (name = $1) DESC LIMIT 1`, [ref]);
  if (rows[0]) return { id: String(rows[0].id), name: String(rows[0].name) };
  const known = await db.query(`SELECT name FROM sweeps ORDER BY created_at DESC LIMIT 10`);
  const names = known.rows.map((r) => String(r.name));
  throw new Error(`no sweep named or numbered '${ref}'${names.length ? ` (known: ${names.join(", ")})` : " (the database has no sweeps; submit one with 'ptune submit <sweep.yaml>')"}`);
}

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
 * Nearest-neighbour tokens, when the trainer stored them in the trial's result JSON as
 * result.neighbours = [{ slot, tokens: string[] }, ...] (paper Section 7).
 */
const NEIGHBOUR_SQL = `
SELECT t.id AS trial_id, t.task, t.model, (n ->> 'slot')::int AS slot,
       ARRAY(SELECT jsonb_array_elements_text(n -> 'tokens')) AS tokens
FROM trials t
JOIN sweep_trials st ON st.trial_id = t.id
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t.result -> 'neighbours') = 'array' THEN t.result -> 'neighbours' ELSE '[]'::jsonb END) n
WHERE st.sweep_id = $1::int
ORDER BY t.params, t.id, slot`;

/** Every row the report draws for one sweep (optionally one task). */
export async function loadReportInput(db: Queryable, ref: string, opts: { task?: string } = {}): Promise<ReportInput> {
  const sweep = await resolveSweep(db, ref);
  const byTask = opts.task ? ` AND task = $2` : "";
  const args = opts.task ? [sweep.id, opts.task] : [sweep.id];
  const view = (name: string, order: string) => db.query(`SELECT * FROM ${name} WHERE sweep_id = $1::int${byTask} ORDER BY ${order}`, args);
  const [trials, scale, lengths, inits, ens, nbr] = await Promise.all([
    view("trial_best", "task, params, method, prompt_length, init, seed"),
    view("scale_curve", "task, method, params"),
    view("prompt_length_ablation", "task, method, prompt_length, params"),
    view("init_ablation", "task, method, init, params"),
    db.query(ENSEMBLE_SQL, [sweep.id]),
    db.query(NEIGHBOUR_SQL, [sweep.id]),
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
    trials: parseRows(trialBestRow, trials.rows, "trial_best"),
    scaleCurve: parseRows(scaleCurveRow, scale.rows, "scale_curve"),
    promptLength: parseRows(promptLengthRow, lengths.rows, "prompt_length_ablation"),
    init: parseRows(initRow, inits.rows, "init_ablation"),
    ensembles: opts.task ? ensembles.filter((e) => e.task === opts.task) : ensembles,
    neighbours: parseRows(neighbourRow, nbr.rows, "trials.result.neighbours").filter((n) => !opts.task || n.task === opts.task),
  };
}
