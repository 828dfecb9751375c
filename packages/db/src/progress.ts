// Live progress of running trials, read from the step metrics the trainer writes each step
// (`loss`, `examples_per_sec`). Used by `ptune status --watch`, `ptune run` and the dashboard.
import type { Db } from "./db.ts";
import { resolveSweep, type SweepRef } from "./sweeps.ts";

export interface TrialProgress {
  trialId: string;
  model: string;
  task: string;
  method: string;
  promptLength: number | null;
  init: string | null;
  seed: number;
  step: number; // latest step with a metric row (0 before the first)
  total: number; // the trial's configured steps
  loss: number | null;
  examplesPerSec: number | null;
  batchSize: number | null;
  etaSeconds: number | null;
}

/** One row per running trial of the sweep, with its latest loss and rate. */
export async function runningProgress(db: Db, ref: SweepRef): Promise<TrialProgress[]> {
  const sweep = await resolveSweep(db, ref);
  const { rows } = await db.pool.query(
    `SELECT t.id, t.model, t.task, t.method, t.prompt_length, t.init, t.seed, t.config,
            m.step, m.loss, m.eps
     FROM sweep_trials st JOIN trials t ON t.id = st.trial_id
     LEFT JOIN LATERAL (
       SELECT step,
              max(value) FILTER (WHERE name = 'loss') AS loss,
              max(value) FILTER (WHERE name = 'examples_per_sec') AS eps
       FROM step_metrics WHERE trial_id = t.id
       GROUP BY step ORDER BY step DESC LIMIT 1
     ) m ON true
     WHERE st.sweep_id = $1 AND t.state = 'running'
     ORDER BY t.model, t.task, t.id`,
    [sweep.id],
  );
  return rows.map((r) => {
    const training = (r.config?.training ?? {}) as { steps?: number; batchSize?: number; batch_size?: number };
    const total = Number(training.steps ?? 0);
    const batchSize = Number(training.batchSize ?? training.batch_size ?? 0) || null;
    const step = Number(r.step ?? 0);
    const eps = r.eps == null ? null : Number(r.eps);
    const stepsPerSec = eps && batchSize ? eps / batchSize : null;
    return {
      trialId: r.id,
      model: r.model,
      task: r.task,
      method: r.method,
      promptLength: r.prompt_length,
      init: r.init,
      seed: r.seed,
      step,
      total,
      loss: r.loss == null ? null : Number(r.loss),
      examplesPerSec: eps,
      batchSize,
      etaSeconds: stepsPerSec && total ? Math.max(0, (total - step) / stepsPerSec) : null,
    };
  });
}
