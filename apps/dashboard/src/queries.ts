// Read-only SQL for the dashboard over the tables of prisma/schema.prisma and the views of
// docs/architecture.md that @ptune/db's readers (listSweeps, trialsOfSweep, listWorkers) leave out:
// per-trial progress, training curves (step_metrics) and the figures' cache key.
import { trialsOfSweep, type Db, type TrialRow } from "@ptune/db";
import { sanitizeQueueName, type Backend } from "@ptune/queue";
import { parseSweep, queueNameFor } from "@ptune/sweep";
import type { QueueCounts } from "./views/fragments.ts";

/** A trial of the grid: @ptune/db's TrialRow plus its progress. */
export interface TrialCell extends TrialRow {
  lastStep: number | null;
  updatedAt: string;
}

export interface CurvePoint {
  step: number;
  value: number;
}

export interface TrialCurves {
  trialId: string;
  state: string;
  label: string;
  metrics: Record<string, CurvePoint[]>; // by step_metrics.name, ascending steps
  dev: CurvePoint[]; // dev evaluations of the trial's metric
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v == null ? null : String(v));
const num = (v: unknown) => (v == null ? null : Number(v));

/** The sweep's trials in grid order (model size, method, prompt length, init, task, seed). */
export async function trialCells(db: Db, sweepRef: string): Promise<TrialCell[]> {
  const trials = await trialsOfSweep(db, sweepRef);
  const { rows } = await db.pool.query(
    `SELECT t.id, t.updated_at, (SELECT max(m.step) FROM step_metrics m WHERE m.trial_id = t.id) AS last_step
     FROM trials t WHERE t.id = ANY($1::text[])`,
    [trials.map((t) => t.id)],
  );
  const extra = new Map(rows.map((r) => [String(r.id), r]));
  const cells = trials.map((t) => ({ ...t, lastStep: num(extra.get(t.id)?.last_step), updatedAt: iso(extra.get(t.id)?.updated_at) ?? "" }));
  const key = (t: TrialCell) => [t.method, t.promptLength ?? -1, t.init ?? "", t.task, t.seed];
  return cells.sort((a, b) => a.params - b.params || JSON.stringify(key(a)).localeCompare(JSON.stringify(key(b)), undefined, { numeric: true }));
}

/**
 * Training curves of the sweep's running trials; when none runs, of the `fallback` trials that
 * changed last (so a finished sweep still shows how its trials trained). At most `maxPoints`
 * latest points per series.
 */
export async function curvesOf(db: Db, trials: TrialCell[], opts: { fallback?: number; maxPoints?: number } = {}): Promise<TrialCurves[]> {
  const running = trials.filter((t) => t.state === "running");
  const chosen = running.length
    ? running
    : [...trials].filter((t) => t.lastStep != null).sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)).slice(0, opts.fallback ?? 4);
  if (!chosen.length) return [];
  const ids = chosen.map((t) => t.id);
  const max = opts.maxPoints ?? 400;
  const [steps, evals] = await Promise.all([
    db.pool.query(
      `SELECT trial_id, name, step, value FROM (
         SELECT m.*, row_number() OVER (PARTITION BY trial_id, name ORDER BY step DESC) AS rn
         FROM step_metrics m WHERE trial_id = ANY($1::text[])) x
       WHERE rn <= $2 ORDER BY trial_id, name, step`,
      [ids, max],
    ),
    db.pool.query(
      `SELECT e.trial_id, e.step, (e.metrics ->> t.metric)::float8 AS value
       FROM evaluations e JOIN trials t ON t.id = e.trial_id
       WHERE e.trial_id = ANY($1::text[]) AND e.split = 'dev' AND t.metric IS NOT NULL AND e.metrics ? t.metric
       ORDER BY e.trial_id, e.step`,
      [ids],
    ),
  ]);
  return chosen.map((t) => {
    const metrics: Record<string, CurvePoint[]> = {};
    for (const r of steps.rows) if (r.trial_id === t.id) (metrics[String(r.name)] ??= []).push({ step: Number(r.step), value: Number(r.value) });
    const dev = evals.rows.filter((r) => r.trial_id === t.id).map((r) => ({ step: Number(r.step), value: Number(r.value) }));
    const label = `${t.task} · ${t.model} · ${t.method}${t.promptLength != null ? ` · len ${t.promptLength}` : ""}${t.init ? ` · ${t.init}` : ""} · seed ${t.seed}`;
    return { trialId: t.id, state: t.state, label, metrics, dev };
  });
}

/** Changes whenever a trial of the sweep finishes or improves: the figures' cache key. */
export async function figuresVersion(db: Db, sweepId: string): Promise<string> {
  const { rows } = await db.pool.query(
    `SELECT count(*)::int AS n, coalesce(sum(t.best_score), 0)::float8 AS s, max(t.updated_at) AS u
     FROM sweep_trials st JOIN trials t ON t.id = st.trial_id
     WHERE st.sweep_id = $1::int AND t.state = 'completed'`,
    [sweepId],
  );
  const r = rows[0]!;
  return `${r.n}-${Number(r.s).toFixed(4)}-${iso(r.u) ?? "0"}`;
}

/** The sweep's `pack:` (trials per queue job) from its stored YAML; 1 when absent or unreadable. */
export async function sweepPack(db: Db, sweepId: number): Promise<number> {
  const { rows } = await db.pool.query("SELECT name, yaml FROM sweeps WHERE id = $1", [sweepId]);
  try {
    return parseSweep(String(rows[0]?.yaml ?? ""), `${rows[0]?.name ?? "sweep"}.yaml`, { baseDir: "/" }).pack;
  } catch {
    return 1; // a YAML stored by an older version that no longer parses: show no pack note
  }
}

/** Most pending jobs looked at per queue to count pack jobs (BullMQ returns them in pages). */
const MAX_JOBS_SCANNED = 2000;

/**
 * BullMQ job counts of every queue the trials route to (what Bull Board shows), plus how many
 * of the pending jobs are pack jobs (job data with `trialIds`) and how many trials they hold.
 */
export async function queueCounts(db: Db, backend: Backend): Promise<QueueCounts[]> {
  const { rows } = await db.pool.query("SELECT DISTINCT size FROM trials ORDER BY size");
  const names = [...new Set(rows.map((r) => sanitizeQueueName(queueNameFor(String(r.size)))))];
  return Promise.all(
    names.map(async (queue) => {
      const q = backend.queue(queue);
      const counts = (await q.getJobCounts()) as Record<string, number>;
      const pending = await q.getJobs(["waiting", "prioritized", "active", "delayed"], 0, MAX_JOBS_SCANNED - 1);
      const packs = pending.filter((j) => Array.isArray((j?.data as { trialIds?: unknown })?.trialIds));
      const packedTrials = packs.reduce((n, j) => n + ((j!.data as { trialIds: string[] }).trialIds.length), 0);
      return { queue, counts, packJobs: packs.length, packedTrials };
    }),
  );
}
