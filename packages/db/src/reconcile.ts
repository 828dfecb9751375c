// The database side of the queue reconciler (@ptune/queue reconcile.ts): which trials need work
// but may have lost their job, and settling the trials whose job BullMQ gave up on.
//
// "Live attempt" = an attempt with outcome `running` whose worker's heartbeat (workers.heartbeat_at,
// written every heartbeat interval by the daemon) is younger than `staleMs` and that worker has not
// said it stopped. A trial with a live attempt is never re-queued by the reconciler, whatever the
// queue says: its worker still has it (e.g. Redis lost the job while the worker trains on).
import type pg from "pg";
import { transaction, type Db } from "./db.ts";

export interface OrphanCandidate {
  id: string;
  /** routing key (queueNameFor(size)) */
  size: string;
  state: "queued" | "running";
  /** the lowest active sweep holding the trial (the job's sweepId) */
  sweepId: number;
  priority: number | undefined;
  updatedAt: Date;
}

/**
 * Trials `queued`/`running` in an active sweep, untouched for `graceMs` (a submit in progress is
 * left alone), without a live attempt. The queue decides which of them really lack a job.
 */
export async function orphanCandidates(db: Db, opts: { staleMs: number; graceMs: number; sweepId?: number }): Promise<OrphanCandidate[]> {
  const { rows } = await db.pool.query(
    `SELECT t.id, t.size, t.state::text AS state, t.updated_at, (t.config->>'priority') AS priority, sw.sweep_id
     FROM trials t
     CROSS JOIN LATERAL (SELECT min(st.sweep_id) AS sweep_id FROM sweep_trials st JOIN sweeps s ON s.id = st.sweep_id
                         WHERE st.trial_id = t.id AND s.state = 'active') sw
     WHERE t.state IN ('queued', 'running')
       AND sw.sweep_id IS NOT NULL
       AND t.updated_at < now() - make_interval(secs => $1::float8 / 1000)
       AND ($3::int IS NULL OR sw.sweep_id = $3 OR t.id IN (SELECT trial_id FROM sweep_trials WHERE sweep_id = $3))
       AND NOT EXISTS (
         SELECT 1 FROM attempts a JOIN workers w ON w.id = a.worker_id
         WHERE a.trial_id = t.id AND a.outcome = 'running' AND w.state <> 'stopped'
           AND w.heartbeat_at > now() - make_interval(secs => $2::float8 / 1000))
     ORDER BY t.id`,
    [opts.graceMs, opts.staleMs, opts.sweepId ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    size: r.size,
    state: r.state,
    sweepId: Number(r.sweep_id),
    priority: r.priority == null || r.priority === "" ? undefined : Number(r.priority),
    updatedAt: r.updated_at,
  }));
}

/**
 * BullMQ gave up on the trial's job (failed set) while the database still says it needs work:
 * record `failed` with BullMQ's reason. Fenced by time: only when the trial row has not changed
 * since the job failed (`failedAt`), so a trial put back by `ptune retry` after that failure is
 * re-queued instead. Running attempts end `failed`. Idempotent; returns whether it changed the row.
 */
export async function settleAbandonedTrial(db: Db, trialId: string, reason: string, failedAt: Date): Promise<boolean> {
  return transaction(db, async (c: pg.PoolClient) => {
    const res = await c.query(
      `UPDATE trials SET state = 'failed', error = $2, updated_at = now()
       WHERE id = $1 AND state IN ('queued', 'running') AND updated_at <= $3`,
      [trialId, reason, failedAt],
    );
    if (!res.rowCount) return false;
    await c.query("UPDATE attempts SET outcome = 'failed', ended_at = now(), error = $2 WHERE trial_id = $1 AND outcome = 'running'", [trialId, reason]);
    return true;
  });
}

/**
 * A session-level advisory lock around one reconcile pass: many reconcilers (every worker,
 * submit, retry, status) may run at once; only one does the pass, the others skip it. The lock
 * dies with the session, so a killed reconciler never holds it. Returns null when it is taken.
 */
export async function withReconcileLock<T>(db: Db, fn: () => Promise<T>): Promise<T | null> {
  const KEY = 0x70747565; // "ptue"
  const client = await db.pool.connect();
  let locked = false;
  try {
    locked = (await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [KEY])).rows[0]!.ok;
    if (!locked) return null;
    return await fn();
  } finally {
    if (locked) await client.query("SELECT pg_advisory_unlock($1)", [KEY]).catch(() => undefined);
    client.release();
  }
}
