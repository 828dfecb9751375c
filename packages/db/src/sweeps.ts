// Sweeps and their trials: submission (idempotent), versions, cancellation, retry, status.
// A trial's id is its configuration hash (@ptune/sweep trialHash), so overlapping sweeps share
// trials and a re-submitted sweep inserts nothing new (INSERT ... ON CONFLICT DO NOTHING).
// A sweep name stands for one canonical spec (issue 9): a submission whose spec differs from the
// latest version's is refused (SweepChangedError) unless it asks for a new version.
import { canonicalJson, summarizeSpecChanges } from "@ptune/sweep";
import type pg from "pg";
import { z } from "zod";
import { copyRows } from "./copy-rows.ts";
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
type TrialInputParsed = z.output<typeof trialInput>;

const sweepInput = z.object({
  name: z.string().min(1).max(200),
  yaml: z.string(),
  trials: z.array(trialInput),
  /** The canonical spec (@ptune/sweep canonicalSpec); absent: no version check (tests, tools). */
  spec: z.record(z.string(), z.unknown()).optional(),
  /** Start a new version when the spec differs from the latest version's. */
  newVersion: z.boolean().optional(),
});

/**
 * A submission whose canonical spec differs from the latest version of the same name. The message
 * says what changed and how to go on: `sweep 'x' exists with a different spec: training.steps
 * 40 -> 60. Re-run with --new-version to start version 2, or rename the sweep.`
 */
export class SweepChangedError extends Error {
  override readonly name = "SweepChangedError";
  constructor(
    readonly sweep: string,
    /** the latest stored version */
    readonly version: number,
    /** `; `-separated changes, e.g. `training.steps 40 -> 60; grid.seed [0,1] -> [0,1,2]` */
    readonly changes: string,
  ) {
    super(`sweep '${sweep}' exists with a different spec${version > 1 ? ` (version ${version})` : ""}: ${changes}. Re-run with --new-version to start version ${version + 1}, or rename the sweep.`);
  }
}

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
 * Records a sweep and its trials. Re-delivery is a no-op: the sweep is matched by name and, when
 * `spec` is given, its canonical spec (its YAML is updated to the latest submission), trials by
 * id, memberships by (sweep, trial). A changed spec throws SweepChangedError, or with
 * `newVersion` records version N + 1 (trials common to both versions are shared, not re-run).
 * `created` counts trials new to the database, `existing` those already there (from an earlier
 * submission or an overlapping sweep). `trialIds` are the distinct ids in submission order.
 *
 * Set-based (issue #5: 10,000 trials took 10-36 s through Prisma's createMany): one transaction
 * of a few statements whatever the sweep's size, issued one after another on one connection.
 * Submissions are serialised by one transaction-scoped advisory lock (SUBMIT_LOCK, taken after
 * the sweep's own name lock, so the order is always name then submit: no deadlock): the `known` query then sees every trial a concurrent submission added, so the
 * fresh trials are COPYed straight into `trials` (no staging table, no ON CONFLICT pass), and a
 * new sweep version's memberships straight into `sweep_trials` (issue 10: 300,000 trials took
 * 298 s to submit; bench/upsert-sweep.ts measures this function).
 */
export async function upsertSweep(
  db: Db,
  input: { name: string; yaml: string; trials: TrialInput[]; spec?: Record<string, unknown>; newVersion?: boolean },
): Promise<{ sweepId: number; version: number; sweepCreated: boolean; created: number; existing: number; trialIds: string[] }> {
  const { name, yaml, trials, spec, newVersion } = parse(sweepInput, input, "upsertSweep");
  // A repeated id keeps its first position and its last definition (as a Map does).
  const byId = new Map(trials.map((t) => [t.id, t]));
  const trialIds = [...byId.keys()];
  // Id order: the rows are written (and their index entries appended) in key order.
  const sorted = [...trialIds].sort();
  return transaction(db, async (c) => {
    const sweep = await upsertSweepRow(c, name, yaml, spec, newVersion ?? false);
    const head = { sweepId: sweep.id, version: sweep.version, sweepCreated: sweep.created };
    if (!sorted.length) return { ...head, created: 0, existing: 0, trialIds };
    await c.query("SELECT pg_advisory_xact_lock(hashtextextended('ptune.submit', 0))"); // SUBMIT_LOCK
    // Ship configs only for trials the database lacks: a re-submission sends ids, not 6 MB of JSON.
    const known = await c.query<{ id: string }>("SELECT id FROM trials WHERE id = ANY($1::text[])", [sorted]);
    const knownIds = new Set(known.rows.map((r) => r.id));
    const fresh = knownIds.size ? sorted.filter((id) => !knownIds.has(id)) : sorted;
    const created = fresh.length ? await insertTrials(c, fresh.map((id) => byId.get(id)!)) : 0;
    if (sweep.created) {
      // a new sweep row has no memberships yet: nothing to skip
      await copyRows(c, "sweep_trials", ["sweep_id", "trial_id"], sorted.map((id) => [sweep.id, id]));
    } else {
      await c.query(
        `INSERT INTO sweep_trials (sweep_id, trial_id) SELECT $1, u.id FROM unnest($2::text[]) AS u(id) ON CONFLICT DO NOTHING`,
        [sweep.id, sorted],
      );
    }
    return { ...head, created, existing: sorted.length - created, trialIds };
  });
}

/**
 * The row of the sweep's version this submission belongs to. Submissions of one name are
 * serialised by a transaction-scoped advisory lock, so two first submissions cannot both insert
 * version 1 and a new version is numbered once. Matching the latest version: same canonical spec
 * (or no spec on either side: rows from before versions are adopted) updates its YAML; a
 * different spec is refused, or with `newVersion` inserted as version + 1.
 */
async function upsertSweepRow(
  c: pg.PoolClient,
  name: string,
  yaml: string,
  spec: Record<string, unknown> | undefined,
  newVersion: boolean,
): Promise<{ id: number; version: number; created: boolean }> {
  await c.query("SELECT pg_advisory_xact_lock(hashtextextended('ptune.sweep:' || $1, 0))", [name]);
  const { rows } = await c.query<{ id: number; version: number; spec: unknown }>(
    "SELECT id, version, spec FROM sweeps WHERE name = $1 ORDER BY version DESC LIMIT 1",
    [name],
  );
  const json = spec === undefined ? null : JSON.stringify(spec);
  const insert = async (version: number) => {
    const ins = await c.query<{ id: number }>("INSERT INTO sweeps (name, version, yaml, spec) VALUES ($1, $2, $3, $4::jsonb) RETURNING id", [name, version, yaml, json]);
    return { id: ins.rows[0]!.id, version, created: true };
  };
  const latest = rows[0];
  if (!latest) return insert(1);
  const same = spec === undefined || latest.spec == null || canonicalJson(latest.spec) === canonicalJson(spec);
  if (!same && !newVersion) throw new SweepChangedError(name, latest.version, summarizeSpecChanges(latest.spec, spec));
  if (!same) return insert(latest.version + 1);
  await c.query("UPDATE sweeps SET yaml = $2, spec = coalesce($3::jsonb, spec) WHERE id = $1", [latest.id, yaml, json]);
  return { id: latest.id, version: latest.version, created: false };
}

const TRIAL_INPUT_COLUMNS = ["id", "config", "model", "size", "task", "method", "prompt_length", "init", "seed", "params", "metric"] as const;

/**
 * Inserts trials the database lacks (in id order); returns how many. COPY (copy-rows.ts) straight
 * into `trials`: under SUBMIT_LOCK no other submission can have added one of them since `known`
 * was read (COPY cannot skip conflicts, so this relies on the lock).
 */
async function insertTrials(c: pg.PoolClient, trials: TrialInputParsed[]): Promise<number> {
  return copyRows(
    c,
    "trials",
    TRIAL_INPUT_COLUMNS,
    trials.map((t) => [t.id, t.config, t.model, t.size ?? t.model, t.task, t.method, t.promptLength ?? null, t.init ?? null, t.seed, t.params, t.metric ?? null]),
  );
}

export interface ResolvedSweep {
  id: number;
  name: string;
  version: number;
  state: string;
  /** whether this is the newest version of its name */
  latest: boolean;
}

const SWEEP_COLUMNS = `id, name, version, state::text AS state,
  (version = (SELECT max(v.version) FROM sweeps v WHERE v.name = sweeps.name)) AS latest`;

/**
 * A sweep version's row: `name` = its latest version, `name@3` (or `name@v3`) = version 3, a
 * number = that row's id. Throws NotFoundError naming the sweep.
 */
export async function resolveSweep(db: Db, ref: SweepRef): Promise<ResolvedSweep> {
  if (typeof ref === "string") {
    const at = /^(.+)@v?(\d+)$/.exec(ref);
    const byName = at
      ? await db.pool.query(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE name = $1 AND version = $2`, [at[1], Number(at[2])])
      : await db.pool.query(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE name = $1 ORDER BY version DESC LIMIT 1`, [ref]);
    if (byName.rowCount) return byName.rows[0];
    if (at) {
      const versions = await db.pool.query<{ version: number }>("SELECT version FROM sweeps WHERE name = $1 ORDER BY version", [at[1]]);
      if (versions.rowCount) throw new NotFoundError(`sweep '${at[1]}' has no version ${at[2]} (versions: ${versions.rows.map((r) => r.version).join(", ")})`);
    }
  }
  const id = typeof ref === "number" ? ref : /^\d+$/.test(ref) ? Number(ref) : NaN;
  if (Number.isInteger(id)) {
    const byId = await db.pool.query(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE id = $1`, [id]);
    if (byId.rowCount) return byId.rows[0];
  }
  throw new NotFoundError(`no sweep named '${ref}' (list them with: ptune status)`);
}

/**
 * Cancels a sweep version: its queued and running trials become `cancelled`, unless another
 * active sweep shares them (another version of the same name does not keep them alive). A running attempt's next fenced write then throws StaleAttemptError('cancelled').
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
                         WHERE o.trial_id = t.id AND s.id <> $1 AND s.state = 'active' AND s.name <> $2)
       RETURNING t.id`,
      [sweep.id, sweep.name],
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
  version: number;
  /** the newest version of its name (older versions stay listed and queryable as name@version) */
  latest: boolean;
  /** The stored state: active | cancelled (what cancelSweep sets). */
  state: string;
  /**
   * What a person wants to know (issue 9: a sweep whose trials all ended was shown "active"):
   * cancelled; finished = no trial queued or running; else active.
   */
  status: SweepStatus;
  createdAt: Date;
  trials: number;
  counts: Record<TrialState, number>;
}

export type SweepStatus = "active" | "finished" | "cancelled";

/** active while a trial is queued or running; finished when every trial ended; cancelled when cancelled. */
export function sweepStatusOf(state: string, counts: Pick<Record<TrialState, number>, "queued" | "running">): SweepStatus {
  if (state === "cancelled") return "cancelled";
  return counts.queued + counts.running > 0 ? "active" : "finished";
}

const countColumns = TRIAL_STATES.map((s) => `count(t.id) FILTER (WHERE t.state = '${s}')::int AS "${s}"`).join(", ");

/** Every sweep version (`latestOnly`: the newest of each name), newest first, with its trial counts per state. */
export async function listSweeps(db: Db, opts: { latestOnly?: boolean } = {}): Promise<SweepSummary[]> {
  const { rows } = await db.pool.query(
    `SELECT * FROM (
       SELECT s.id, s.name, s.version, s.state::text AS state, s.created_at,
              (s.version = (SELECT max(v.version) FROM sweeps v WHERE v.name = s.name)) AS latest,
              count(t.id)::int AS trials, ${countColumns}
       FROM sweeps s LEFT JOIN sweep_trials st ON st.sweep_id = s.id LEFT JOIN trials t ON t.id = st.trial_id
       GROUP BY s.id) x
     WHERE $1::boolean IS NOT TRUE OR latest
     ORDER BY created_at DESC, id DESC`,
    [opts.latestOnly ?? false],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    version: r.version,
    latest: r.latest,
    state: r.state,
    status: sweepStatusOf(r.state, { queued: r.queued, running: r.running }),
    createdAt: r.created_at,
    trials: r.trials,
    counts: Object.fromEntries(TRIAL_STATES.map((s) => [s, r[s]])) as Record<TrialState, number>,
  }));
}

/** Trial counts of one sweep per (size, task, state), plus totals per state. */
export async function sweepStatus(
  db: Db,
  ref: SweepRef,
): Promise<{ sweep: ResolvedSweep; totals: Record<TrialState, number>; groups: { size: string; task: string; state: TrialState; n: number }[] }> {
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

/**
 * The state of every trial of a sweep, keyed by trial id: what a re-submission needs to decide
 * which trials still want a job, without shipping each trial's config JSON (issue #5).
 */
export async function trialStates(db: Db, ref: SweepRef): Promise<Map<string, TrialState>> {
  const sweep = await resolveSweep(db, ref);
  const { rows } = await db.pool.query<{ id: string; state: TrialState }>(
    "SELECT t.id, t.state::text AS state FROM sweep_trials st JOIN trials t ON t.id = st.trial_id WHERE st.sweep_id = $1",
    [sweep.id],
  );
  const out = new Map<string, TrialState>();
  for (const r of rows) out.set(r.id, r.state);
  return out;
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
