// Submitting a sweep: the DB learns the sweep and its trials first (idempotent upsert), then
// every trial that still has work to do gets a job (idempotent: job id = trial hash), routed to
// its model size's queue.
import { trialStates, upsertSweep, type Db } from "@ptune/db";
import { canonicalSpec, expandSweep, queueNameFor, readSweepFile, type SweepSpec, type Trial } from "@ptune/sweep";
import type { Backend } from "./backend.ts";
import { connect } from "./connect.ts";
import { addTrialJobs } from "./enqueue-jobs.ts";
import { readEnv, requireEnv, type QueueEnv } from "./env.ts";
import { defaultRouting, type RoutingPolicy } from "./routing.ts";
import { modelParams } from "./model-params.ts";
import { sweepJobs } from "./pack-plan.ts";
import { preflightSweep, PreflightError, type PreflightReport } from "./preflight.ts";
import { trialJobData, trialRow } from "./trial-job.ts";

export interface SubmitSummary {
  sweepId: number;
  sweepName: string;
  /** the sweep version the trials were recorded under (issue 9: a changed spec needs a new one) */
  version: number;
  trials: { total: number; new: number; existing: number };
  /** jobs really added per queue (a trial whose job is already live adds nothing; enqueue-jobs.ts) */
  queued: Record<string, number>;
  /** how many of those adds are pack jobs (sweep `pack: K` > 1; see pack-plan.ts) */
  packs: number;
  /** trials not queued because they are completed, failed (see `ptune retry`) or cancelled */
  skipped: Record<string, number>;
  ms: { expand: number; db: number; queue: number };
}

/** Trial states that still need a job. */
const NEEDS_JOB = new Set(["queued", "running"]);

export async function enqueueSweep(args: { db: Db; backend: Backend; spec: SweepSpec; yamlText: string; policy?: RoutingPolicy; trials?: Trial[]; newVersion?: boolean }): Promise<SubmitSummary> {
  // Atomic enough: nothing is written unless the queue answers first. Should it fail between the
  // upsert and the adds, the sweep's trials stay `queued` without jobs — the next submit (or any
  // reconciler, reconcile.ts) adds exactly those, and reports them.
  await args.backend.ready();
  const t0 = performance.now();
  const trials = args.trials ?? expandSweep(args.spec);
  const params = modelParams(args.spec);
  const t1 = performance.now();
  // the canonical spec: a changed sweep under the same name is refused unless newVersion (issue 9)
  const up = await upsertSweep(args.db, { name: args.spec.name, yaml: args.yamlText, trials: trials.map((t) => trialRow(t, params.get(t.model.name))), spec: canonicalSpec(args.spec), newVersion: args.newVersion });
  // A first submission of only new trials needs no state lookup: they are all `queued`.
  const skipped: Record<string, number> = {};
  let todo = trials;
  if (up.existing > 0) {
    const state = await trialStates(args.db, up.sweepId); // ids and states only, no config JSON
    todo = trials.filter((t) => {
      const s = state.get(t.id) ?? "queued";
      if (!NEEDS_JOB.has(s)) skipped[s] = (skipped[s] ?? 0) + 1;
      return NEEDS_JOB.has(s);
    });
  }
  const t2 = performance.now();
  const sweepId = String(up.sweepId);
  // `pack: K` (K > 1): compatible prompt-tuning trials share a job (pack-plan.ts); else one job per trial.
  const jobs = (args.spec.pack ?? 1) > 1 ? sweepJobs(sweepId, trials, todo, args.spec.pack) : todo.map((t) => trialJobData(sweepId, t));
  const addedIds = new Set<string>();
  const added = await addTrialJobs(args.backend, jobs, queueNameFor, args.policy ?? defaultRouting, undefined, addedIds);
  const queued = Object.fromEntries(Object.entries(added).filter(([, n]) => n > 0));
  const t3 = performance.now();
  return {
    sweepId: up.sweepId,
    sweepName: args.spec.name,
    version: up.version,
    trials: { total: trials.length, new: up.created, existing: up.existing },
    queued,
    packs: jobs.filter((j) => j.trialIds && addedIds.has(j.trialId)).length,
    skipped,
    ms: { expand: t1 - t0, db: t2 - t1, queue: t3 - t2 },
  };
}

/**
 * `ptune submit`: reads and validates the YAML, preflights it (grid size cap, models, data,
 * lengths: preflight.ts) before anything is written, records it, enqueues its trials.
 */
export async function submitSweepFile(file: string, opts: { local?: boolean; env?: QueueEnv; maxTrials?: number; newVersion?: boolean } = {}): Promise<SubmitSummary & { preflight: PreflightReport }> {
  const { spec, text: yamlText } = readSweepFile(file);
  // the environment first (no server, no file reads): a missing variable is the first thing to fix
  const env = opts.env ?? readEnv();
  requireEnv(env, "DATABASE_URL", "where sweeps, trials and results are stored");
  if (!opts.local) requireEnv(env, "REDIS_URL", "the job queue; or pass --local to queue in PostgreSQL instead");
  const report = await preflightSweep(spec, { file, maxTrials: opts.maxTrials });
  if (report.problems.length) throw new PreflightError(report);
  const c = await connect({ local: opts.local, migrate: true, env, failFast: true });
  try {
    return { ...(await enqueueSweep({ db: c.db, backend: c.backend, spec, yamlText, trials: report.trials, newVersion: opts.newVersion })), preflight: report };
  } finally {
    await c.close();
  }
}
