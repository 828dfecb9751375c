// Every write a running attempt makes, fenced by its token (trialId, attempt).
//
// Each method runs in one transaction that first locks the trial row and checks
// `trials.current_attempt = attempt` (claimAttempt takes the same row lock to bump it, so a
// claim cannot slip between the check and the write). A stale token throws StaleAttemptError
// and nothing is written. Every write is idempotent under re-delivery: rows are keyed by their
// natural keys (trial, step, name) / (trial, split, step) / (trial, kind) and inserted with
// ON CONFLICT DO NOTHING, or upserted only forwards.
import type pg from "pg";
import { z } from "zod";
import { transaction, type Db } from "./db.ts";
import { NotFoundError, StaleAttemptError } from "./errors.ts";

export interface StepRow {
  step: number;
  name: string;
  value: number;
}

export interface EvaluationInput {
  split: string;
  step: number;
  /** Metric name -> value, 0-100 for scores (the paper's scale). */
  metrics: Record<string, number>;
}

export interface FinishInput {
  state: "completed" | "failed" | "cancelled";
  /** The trainer's TrialResult (stored as JSON). */
  result?: unknown;
  error?: string | null;
  /** The trainer's own account of its best dev score; overrides what evaluations recorded. */
  best?: { metric: string; score: number; step: number } | null;
}

const evaluationInput = z.object({
  split: z.string().min(1),
  step: z.number().int().nonnegative(),
  metrics: z.record(z.string(), z.number().or(z.nan())),
});

const finishInput = z.object({
  state: z.enum(["completed", "failed", "cancelled"]),
  result: z.unknown().optional(),
  error: z.string().nullish(),
  best: z.object({ metric: z.string().min(1), score: z.number(), step: z.number().int().nonnegative() }).nullish(),
});

interface TrialLockRow {
  state: string;
  current_attempt: number;
  metric: string | null;
}

/**
 * The primary score of a dev evaluation: the trial's metric when it names one present in
 * `metrics`; else `score`; else the only metric; else the mean of all of them (SuperGLUE
 * averages a task's metrics when it has several, e.g. MultiRC F1a/EM, ReCoRD F1/EM).
 */
export function primaryScore(metrics: Record<string, number>, preferred: string | null): { metric: string; score: number } | null {
  const keys = Object.keys(metrics).sort();
  if (!keys.length) return null;
  if (preferred && preferred in metrics) return { metric: preferred, score: metrics[preferred]! };
  if ("score" in metrics) return { metric: "score", score: metrics.score! };
  if (keys.length === 1) return { metric: keys[0]!, score: metrics[keys[0]!]! };
  return { metric: `mean(${keys.join(",")})`, score: keys.reduce((s, k) => s + metrics[k]!, 0) / keys.length };
}

export class FencedWriter {
  constructor(
    readonly db: Db,
    readonly trialId: string,
    readonly attempt: number,
  ) {
    if (!Number.isInteger(attempt) || attempt < 1) throw new Error(`FencedWriter: attempt must be a positive integer, got ${attempt}`);
  }

  /**
   * Locks the trial row and checks the token. SHARE for writes that leave the trial row alone
   * (concurrent writes of one attempt do not queue), UPDATE for those that change it.
   */
  private fenced<T>(lock: "SHARE" | "UPDATE", fn: (c: pg.PoolClient, row: TrialLockRow) => Promise<T>, opts: { allowCancelled?: boolean } = {}): Promise<T> {
    return transaction(this.db, async (c) => {
      const { rows } = await c.query<TrialLockRow>(
        `SELECT state::text AS state, current_attempt, metric FROM trials WHERE id = $1 FOR ${lock}`,
        [this.trialId],
      );
      const row = rows[0];
      if (!row) throw new NotFoundError(`no trial '${this.trialId}'`);
      if (row.current_attempt !== this.attempt) throw new StaleAttemptError(this.trialId, this.attempt, row.current_attempt, "superseded");
      if (row.state === "queued") throw new StaleAttemptError(this.trialId, this.attempt, row.current_attempt, "requeued");
      if (row.state === "cancelled" && !opts.allowCancelled) throw new StaleAttemptError(this.trialId, this.attempt, row.current_attempt, "cancelled");
      return fn(c, row);
    });
  }

  /**
   * Step metrics in one multi-row INSERT (unnest of three arrays: one statement, any batch
   * size). Rows already stored (a re-delivered batch) are skipped. Returns how many were new.
   */
  async steps(rows: StepRow[]): Promise<number> {
    if (!rows.length) return 0;
    const steps = new Array<number>(rows.length);
    const names = new Array<string>(rows.length);
    const values = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      // A hand loop rather than zod: this runs for every logged step.
      if (!Number.isInteger(r?.step) || r.step < 0 || typeof r.name !== "string" || !r.name || typeof r.value !== "number") {
        throw new Error(`steps(): row ${i} must be {step: integer >= 0, name: non-empty string, value: number}, got ${JSON.stringify(r)}`);
      }
      steps[i] = r.step;
      names[i] = r.name;
      values[i] = r.value;
    }
    return this.fenced("SHARE", async (c) => {
      const res = await c.query(
        `INSERT INTO step_metrics (trial_id, step, name, value)
         SELECT $1, u.step, u.name, u.value FROM unnest($2::int[], $3::text[], $4::float8[]) AS u(step, name, value)
         ON CONFLICT DO NOTHING`,
        [this.trialId, steps, names, values.map(pgFloat)],
      );
      return res.rowCount ?? 0;
    });
  }

  /**
   * One evaluation. A dev evaluation that beats the trial's best score (ties keep the earlier
   * step) becomes its best_score/best_step. Returns whether it did.
   */
  async evaluation(e: EvaluationInput): Promise<{ improved: boolean }> {
    const parsed = evaluationInput.safeParse(e);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`evaluation(): field '${issue.path.join(".")}': ${issue.message}`);
    }
    const { split, step, metrics } = parsed.data;
    return this.fenced("UPDATE", async (c, row) => {
      await c.query(
        "INSERT INTO evaluations (trial_id, split, step, metrics) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [this.trialId, split, step, JSON.stringify(metrics)],
      );
      if (split !== "dev") return { improved: false };
      const primary = primaryScore(metrics, row.metric);
      if (!primary || !Number.isFinite(primary.score)) return { improved: false };
      const res = await c.query(
        `UPDATE trials SET metric = $2, best_score = $3, best_step = $4, updated_at = now()
         WHERE id = $1 AND (best_score IS NULL OR $3 > best_score OR ($3 = best_score AND $4 < best_step))`,
        [this.trialId, primary.metric, primary.score, step],
      );
      return { improved: (res.rowCount ?? 0) > 0 };
    });
  }

  /**
   * Stores the serialised TrainState as the trial's latest checkpoint, and also as its best
   * when `best`. One row per (trial, kind) is the retention policy: older checkpoints are
   * replaced, never accumulated. A re-delivered older save does not overwrite a newer one.
   */
  async saveCheckpoint(state: Uint8Array, o: { step: number; best: boolean }): Promise<void> {
    if (!(state instanceof Uint8Array)) throw new Error("saveCheckpoint(): state must be a Uint8Array (the serialised TrainState)");
    if (!Number.isInteger(o?.step) || o.step < 0) throw new Error(`saveCheckpoint(): step must be an integer >= 0, got ${o?.step}`);
    const bytes = Buffer.from(state.buffer, state.byteOffset, state.byteLength);
    const kinds = o.best ? ["latest", "best"] : ["latest"];
    await this.fenced("SHARE", async (c) => {
      for (const kind of kinds) {
        await c.query(
          `INSERT INTO checkpoints (trial_id, kind, step, attempt, state) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (trial_id, kind) DO UPDATE
             SET step = EXCLUDED.step, attempt = EXCLUDED.attempt, state = EXCLUDED.state, created_at = now()
           WHERE checkpoints.attempt < EXCLUDED.attempt OR checkpoints.step <= EXCLUDED.step`,
          [this.trialId, kind, o.step, this.attempt, bytes],
        );
      }
    });
  }

  /**
   * Ends the attempt and the trial with the trainer's result. Idempotent: once the trial is
   * completed or failed, a repeated finish changes nothing (returns false). On a cancelled
   * trial it records nothing and returns false.
   */
  async finish(input: FinishInput): Promise<boolean> {
    const parsed = finishInput.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`finish(): field '${issue.path.join(".")}': ${issue.message}`);
    }
    const r = parsed.data;
    return this.fenced(
      "UPDATE",
      async (c, row) => {
        if (row.state !== "running") return false;
        await c.query(
          `UPDATE trials SET state = $2, result = $3, error = $4, updated_at = now(),
             metric = COALESCE($5, metric), best_score = COALESCE($6, best_score), best_step = COALESCE($7, best_step)
           WHERE id = $1`,
          [this.trialId, r.state, r.result === undefined ? null : JSON.stringify(r.result), r.error ?? null, r.best?.metric ?? null, r.best?.score ?? null, r.best?.step ?? null],
        );
        await c.query("UPDATE attempts SET outcome = $3, ended_at = now(), error = $4 WHERE trial_id = $1 AND number = $2", [
          this.trialId,
          this.attempt,
          r.state,
          r.error ?? null,
        ]);
        return true;
      },
      { allowCancelled: true },
    );
  }

  /**
   * Hands the trial back to the queue without an end state: a graceful stop (SIGTERM) checkpointed
   * it and its job returns to `wait` (packages/queue/README.md, "Stop"). The trial becomes `queued`
   * again, so status does not show it running while no worker has it, and this attempt ends with
   * outcome `superseded` (the next claim takes over from its checkpoint; there is no `released`
   * outcome in the schema). Fenced and conditional: only when this attempt is still the current
   * one and the trial is `running`; returns whether it did. Any later write of this attempt
   * throws StaleAttemptError('requeued').
   */
  async release(): Promise<boolean> {
    return transaction(this.db, async (c) => {
      const res = await c.query(
        `UPDATE trials SET state = 'queued', updated_at = now()
         WHERE id = $1 AND current_attempt = $2 AND state = 'running'`,
        [this.trialId, this.attempt],
      );
      if (!res.rowCount) return false;
      await c.query("UPDATE attempts SET outcome = 'superseded', ended_at = now() WHERE trial_id = $1 AND number = $2 AND outcome = 'running'", [
        this.trialId,
        this.attempt,
      ]);
      return true;
    });
  }
}

/** node-postgres writes arrays as text literals; spell the non-finite doubles Postgres accepts. */
function pgFloat(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}
