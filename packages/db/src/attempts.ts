// Claiming a trial: each run of a trial is an attempt, numbered 1, 2, ... The number is the
// fencing token (Kleppmann, "How to do distributed locking", 2016): the database accepts a
// write only when it carries the trial's current attempt number, so a worker that lost its
// BullMQ lock (stalled, killed, orphaned child; ENVIRONMENT.md) cannot overwrite the new one.
import { transaction, type Db } from "./db.ts";
import { NotFoundError, TrialClosedError } from "./errors.ts";

export interface StoredCheckpoint {
  trialId: string;
  kind: "latest" | "best";
  step: number;
  /** The attempt that wrote it. */
  attempt: number;
  /** The trainer's serialised TrainState, as saved. */
  state: Uint8Array;
  createdAt: Date;
}

export interface Claim {
  /** The new fencing token: pass it to FencedWriter. */
  attempt: number;
  /** The latest checkpoint to resume from, or null to start from scratch. */
  resumeFrom: StoredCheckpoint | null;
}

/**
 * Starts a new attempt of `trialId` on `workerId`: atomically (row lock on the trial) bumps
 * current_attempt, marks the trial running, supersedes a still-running previous attempt and
 * returns the checkpoint to resume from. Throws TrialClosedError when the trial is completed or
 * cancelled (the job has nothing to do) and NotFoundError for an unknown trial.
 */
export async function claimAttempt(db: Db, trialId: string, workerId: string): Promise<Claim> {
  if (!trialId || !workerId) throw new Error("claimAttempt: trialId and workerId must be non-empty strings");
  return transaction(db, async (c) => {
    const { rows } = await c.query<{ state: string; current_attempt: number }>(
      "SELECT state::text AS state, current_attempt FROM trials WHERE id = $1 FOR UPDATE",
      [trialId],
    );
    if (!rows.length) throw new NotFoundError(`no trial '${trialId}' (was its sweep submitted to this database?)`);
    const { state, current_attempt } = rows[0]!;
    if (state === "completed" || state === "cancelled") throw new TrialClosedError(trialId, state);
    const attempt = current_attempt + 1;
    await c.query("UPDATE attempts SET outcome = 'superseded', ended_at = now() WHERE trial_id = $1 AND outcome = 'running'", [trialId]);
    await c.query(
      `UPDATE trials SET current_attempt = $2, attempts = attempts + 1, state = 'running', error = NULL, updated_at = now()
       WHERE id = $1`,
      [trialId, attempt],
    );
    await c.query("INSERT INTO attempts (trial_id, number, worker_id) VALUES ($1, $2, $3)", [trialId, attempt, workerId]);
    const resumeFrom = await readCheckpoint(c, trialId, "latest");
    return { attempt, resumeFrom };
  });
}

/** The trial's latest checkpoint, or null. */
export async function loadLatestCheckpoint(db: Db, trialId: string): Promise<StoredCheckpoint | null> {
  return readCheckpoint(db.pool, trialId, "latest");
}

/** The trial's best checkpoint (best dev score so far), or null. */
export async function loadBestCheckpoint(db: Db, trialId: string): Promise<StoredCheckpoint | null> {
  return readCheckpoint(db.pool, trialId, "best");
}

type Queryable = Pick<Db["pool"], "query">;

async function readCheckpoint(q: Queryable, trialId: string, kind: "latest" | "best"): Promise<StoredCheckpoint | null> {
  const { rows } = await q.query(
    "SELECT trial_id, kind::text AS kind, step, attempt, state, created_at FROM checkpoints WHERE trial_id = $1 AND kind = $2",
    [trialId, kind],
  );
  if (!rows.length) return null;
  const r = rows[0];
  const buf = r.state as Buffer;
  return {
    trialId: r.trial_id,
    kind: r.kind,
    step: r.step,
    attempt: r.attempt,
    state: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
    createdAt: r.created_at,
  };
}

export interface AttemptRow {
  trialId: string;
  number: number;
  workerId: string;
  startedAt: Date;
  endedAt: Date | null;
  outcome: string;
  error: string | null;
}

/** The attempts of one trial, oldest first. */
export async function attemptsOfTrial(db: Db, trialId: string): Promise<AttemptRow[]> {
  const rows = await db.prisma.attempt.findMany({ where: { trialId }, orderBy: { number: "asc" } });
  return rows.map((r) => ({
    trialId: r.trialId,
    number: r.number,
    workerId: r.workerId,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    outcome: r.outcome,
    error: r.error,
  }));
}

/**
 * Fails the trial's current attempt when it is the running attempt `workerId` claimed: the
 * worker's main thread records a deterministic input error (bad checkpoint, data, limits) the
 * sandbox threw, so the trial fails at once with its message (packages/queue failure.ts). Fenced
 * by (worker, attempt): a newer attempt elsewhere is left alone. Returns whether it recorded.
 */
export async function failWorkerAttempt(db: Db, trialId: string, workerId: string, error: string): Promise<boolean> {
  return transaction(db, async (c) => {
    const { rows } = await c.query<{ current_attempt: number }>(
      `SELECT t.current_attempt FROM trials t
       WHERE t.id = $1 AND t.state = 'running'
         AND EXISTS (SELECT 1 FROM attempts a WHERE a.trial_id = t.id AND a.number = t.current_attempt AND a.worker_id = $2 AND a.outcome = 'running')
       FOR UPDATE`,
      [trialId, workerId],
    );
    if (!rows.length) return false;
    const n = rows[0]!.current_attempt;
    await c.query("UPDATE trials SET state = 'failed', error = $2, updated_at = now() WHERE id = $1", [trialId, error]);
    await c.query("UPDATE attempts SET outcome = 'failed', ended_at = now(), error = $3 WHERE trial_id = $1 AND number = $2", [trialId, n, error]);
    return true;
  });
}
