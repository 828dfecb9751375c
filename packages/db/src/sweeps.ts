// Sweeps and their trials: submission (idempotent), cancellation, retry, status.
// A trial's id is its configuration hash (@ptune/sweep trialHash), so overlapping sweeps share
// trials and a re-submitted sweep inserts nothing new (INSERT ... ON CONFLICT DO NOTHING).
import { z } from "zod";
import { transaction, type Db } from "./db.ts";
import { NotFoundError } from "./errors.ts";

export const TRIAL_STATES = ["queued", "running", "completed", "failed", "cancelled"] as const;
export type TrialState = (typeof TRIAL_STATES)[number];

/** One expanded trial as @ptune/sweep produces it (extra keys are ignored). */
export const trialInput = z.object({
  id: z.string().min(1),
  model: z.string().min(1),
  /** Queue routing / status key; defaults to `model`. */
  size: z.string().min(1).optional(),
  task: z.string().min(1),
  method: z.string().min(1),
  promptLength: z.number().int().positive().nullish(),
  init: z.string().min(1).nullish(),
  seed: z.number().int(),
  /** The model's parameter count (x axis of the scale curve). */
  params: z.number().int().nonnegative(),
  /** The dev metric that counts as the trial's score (see fenced-writer.ts primaryScore). */
  metric: z.string().min(1).nullish(),
  /** The full trial configuration, stored as JSON and handed to the trainer. */
  config: z.record(z.string(), z.unknown()),
});
export type TrialInput = z.input<typeof trialInput>;

const sweepInput = z.object({
  name: z.string().min(1).max(200),
  yaml: z.string(),
  trials: z.array(trialInput),
});

export interface TrialRow {
  id: string;
  model: string;
  size: string;
  task: string;
  method: string;
  promptLength: number | null;
  init: string | null;
  seed: number;
  params: number;
  metric: string | null;
  config: Record<string, unknown>;
  state: TrialState;
  attempts: number;
  currentAttempt: number;
  bestScore: number | null;
  bestStep: number | null;
  result: unknown;
  error: string | null;
}

/** A sweep named by its name or its numeric id. */
export type SweepRef = string | number;

/** Validates at the boundary; one message naming the field. */
function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new Error(`${what}: field '${issue.path.join(".") || "(root)"}': ${issue.message}`);
}

/**
 * Records a sweep and its trials. Re-delivery is a no-op: the sweep is matched by name (its YAML
 * is updated to the latest submission), trials by id, memberships by (sweep, trial).
 * `created` counts trials new to the database, `existing` those already there (from an earlier
 * submission or an overlapping sweep).
 */
export async function upsertSweep(
  db: Db,
  input: { name: string; yaml: string; trials: TrialInput[] },
): Promise<{ sweepId: number; sweepCreated: boolean; created: number; existing: number; trialIds: string[] }> {
  const { name, yaml, trials } = parse(sweepInput, input, "upsertSweep");
  const unique = [...new Map(trials.map((t) => [t.id, t])).values()];
  return db.prisma.$transaction(
    async (tx) => {
      const prior = await tx.sweep.findUnique({ where: { name }, select: { id: true } });
      const sweep = prior
        ? await tx.sweep.update({ where: { id: prior.id }, data: { yaml }, select: { id: true } })
        : await tx.sweep.create({ data: { name, yaml }, select: { id: true } });
      const inserted = await tx.trial.createMany({
        data: unique.map((t) => ({
          id: t.id,
          config: t.config as object,
          model: t.model,
          size: t.size ?? t.model,
          task: t.task,
          method: t.method,
          promptLength: t.promptLength ?? null,
          init: t.init ?? null,
          seed: t.seed,
          params: BigInt(t.params),
          metric: t.metric ?? null,
        })),
        skipDuplicates: true,
      });
      await tx.sweepTrial.createMany({
        data: unique.map((t) => ({ sweepId: sweep.id, trialId: t.id })),
        skipDuplicates: true,
      });
      return {
        sweepId: sweep.id,
        sweepCreated: !prior,
        created: inserted.count,
        existing: unique.length - inserted.count,
        trialIds: unique.map((t) => t.id),
      };
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}

/** The sweep's id; throws NotFoundError naming the sweep. */
export async function resolveSweep(db: Db, ref: SweepRef): Promise<{ id: number; name: string; state: string }> {
  const byName = typeof ref === "string" ? await db.pool.query("SELECT id, name, state::text FROM sweeps WHERE name = $1", [ref]) : null;
  if (byName?.rowCount) return byName.rows[0];
  const id = typeof ref === "number" ? ref : /^\d+$/.test(ref) ? Number(ref) : NaN;
  if (Number.isInteger(id)) {
    const byId = await db.pool.query("SELECT id, name, state::text FROM sweeps WHERE id = $1", [id]);
    if (byId.rowCount) return byId.rows[0];
  }
  throw new NotFoundError(`no sweep named '${ref}' (list them with: ptune status)`);
}

/**
 * Cancels a sweep: its queued and running trials become `cancelled`, unless another active sweep
 * shares them. A running attempt's next fenced write then throws StaleAttemptError('cancelled').
 * Returns the cancelled trial ids (the queue removes their jobs).
 */
export async function cancelSweep(db: Db, ref: SweepRef): Promise<{ sweepId: number; cancelled: string[] }> {
  const sweep = await resolveSweep(db, ref);
  return transaction(db, async (c) => {
    await c.query("UPDATE sweeps SET state = 'cancelled' WHERE id = $1", [sweep.id]);
    const { rows } = await c.query<{ id: string }>(
      `UPDATE trials t SET state = 'cancelled', updated_at = now()
       WHERE t.id IN (SELECT trial_id FROM sweep_trials WHERE sweep_id = $1)
         AND t.state IN ('queued', 'running')
         AND NOT EXISTS (SELECT 1 FROM sweep_trials o JOIN sweeps s ON s.id = o.sweep_id
                         WHERE o.trial_id = t.id AND s.id <> $1 AND s.state = 'active')
       RETURNING t.id`,
      [sweep.id],
    );
    const ids = rows.map((r) => r.id).sort();
    await c.query("UPDATE attempts SET outcome = 'cancelled', ended_at = now() WHERE trial_id = ANY($1) AND outcome = 'running'", [ids]);
    return { sweepId: sweep.id, cancelled: ids };
  });
}

/** Puts the sweep's failed trials back in the queue state; returns them (to be re-enqueued). */
export async function retryFailed(db: Db, ref: SweepRef): Promise<TrialRow[]> {
  const sweep = await resolveSweep(db, ref);
  const { rows } = await db.pool.query(
    `UPDATE trials SET state = 'queued', error = NULL, updated_at = now()
     WHERE id IN (SELECT trial_id FROM sweep_trials WHERE sweep_id = $1) AND state = 'failed'
     RETURNING ${TRIAL_COLUMNS}`,
    [sweep.id],
  );
  return rows.map(toTrialRow).sort((a, b) => a.id.localeCompare(b.id));
}

export interface SweepSummary {
  id: number;
  name: string;
  state: string;
  createdAt: Date;
  trials: number;
  counts: Record<TrialState, number>;
}

const countColumns = TRIAL_STATES.map((s) => `count(t.id) FILTER (WHERE t.state = '${s}')::int AS "${s}"`).join(", ");

/** Every sweep, newest first, with its trial counts per state. */
export async function listSweeps(db: Db): Promise<SweepSummary[]> {
  const { rows } = await db.pool.query(
    `SELECT s.id, s.name, s.state::text AS state, s.created_at, count(t.id)::int AS trials, ${countColumns}
     FROM sweeps s LEFT JOIN sweep_trials st ON st.sweep_id = s.id LEFT JOIN trials t ON t.id = st.trial_id
     GROUP BY s.id ORDER BY s.created_at DESC, s.id DESC`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    state: r.state,
    createdAt: r.created_at,
    trials: r.trials,
    counts: Object.fromEntries(TRIAL_STATES.map((s) => [s, r[s]])) as Record<TrialState, number>,
  }));
}

/** Trial counts of one sweep per (size, task, state), plus totals per state. */
export async function sweepStatus(
  db: Db,
  ref: SweepRef,
): Promise<{ sweep: { id: number; name: string; state: string }; totals: Record<TrialState, number>; groups: { size: string; task: string; state: TrialState; n: number }[] }> {
  const sweep = await resolveSweep(db, ref);
  const { rows } = await db.pool.query<{ size: string; task: string; state: TrialState; n: number }>(
    `SELECT t.size, t.task, t.state::text AS state, count(*)::int AS n
     FROM sweep_trials st JOIN trials t ON t.id = st.trial_id WHERE st.sweep_id = $1
     GROUP BY t.size, t.task, t.state ORDER BY t.size, t.task, t.state`,
    [sweep.id],
  );
  const totals = Object.fromEntries(TRIAL_STATES.map((s) => [s, 0])) as Record<TrialState, number>;
  for (const r of rows) totals[r.state] += r.n;
  return { sweep, totals, groups: rows };
}

/** The sweep's trials (optionally in one state), ordered by id. */
export async function trialsOfSweep(db: Db, ref: SweepRef, opts: { state?: TrialState } = {}): Promise<TrialRow[]> {
  const sweep = await resolveSweep(db, ref);
  const { rows } = await db.pool.query(
    `SELECT ${TRIAL_COLUMNS} FROM trials WHERE id IN (SELECT trial_id FROM sweep_trials WHERE sweep_id = $1)
     AND ($2::text IS NULL OR state::text = $2) ORDER BY id`,
    [sweep.id, opts.state ?? null],
  );
  return rows.map(toTrialRow);
}

/** One trial by id, or null. */
export async function getTrial(db: Db, trialId: string): Promise<TrialRow | null> {
  const { rows } = await db.pool.query(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE id = $1`, [trialId]);
  return rows.length ? toTrialRow(rows[0]) : null;
}

const TRIAL_COLUMNS = `id, model, size, task, method, prompt_length, init, seed, params, metric, config,
  state::text AS state, attempts, current_attempt, best_score, best_step, result, error`;

function toTrialRow(r: Record<string, any>): TrialRow {
  return {
    id: r.id,
    model: r.model,
    size: r.size,
    task: r.task,
    method: r.method,
    promptLength: r.prompt_length,
    init: r.init,
    seed: r.seed,
    params: Number(r.params),
    metric: r.metric,
    config: r.config,
    state: r.state,
    attempts: r.attempts,
    currentAttempt: r.current_attempt,
    bestScore: r.best_score,
    bestStep: r.best_step,
    result: r.result,
    error: r.error,
  };
}
