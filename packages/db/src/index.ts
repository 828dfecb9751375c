// @ptune/db: ptune's Postgres layer (docs/architecture.md). Prisma schema and migrations live in
// prisma/ at the repository root; see prisma/README.md for the tables and views.
export { openDb, transaction, type Db } from "./db.ts";
export { migrate, migrationsDir, ensureDatabase, dropDatabase, redact, type MigrateResult } from "./migrate.ts";
export { redactUrl } from "./redact.ts";
export { startEmbeddedPostgres, embeddedDataExists, freePort, type EmbeddedPostgresHandle } from "./embedded.ts";
export { StaleAttemptError, TrialClosedError, NotFoundError } from "./errors.ts";
export {
  upsertSweep,
  SweepChangedError,
  resolveSweep,
  cancelSweep,
  retryFailed,
  listSweeps,
  sweepStatus,
  trialsOfSweep,
  trialStates,
  getTrial,
  trialInput,
  TRIAL_STATES,
  type TrialInput,
  type TrialRow,
  type TrialState,
  type SweepRef,
  type SweepSummary,
  type SweepStatus,
  sweepStatusOf,
  type ResolvedSweep,
} from "./sweeps.ts";
export { orphanCandidates, settleAbandonedTrial, withReconcileLock, type OrphanCandidate } from "./reconcile.ts";
export { claimAttempt, failWorkerAttempt, loadLatestCheckpoint, loadBestCheckpoint, attemptsOfTrial, type Claim, type StoredCheckpoint, type AttemptRow } from "./attempts.ts";
export { FencedWriter, primaryScore, type StepRow, type EvaluationInput, type FinishInput } from "./fenced-writer.ts";
export { forgetSilentWorkers, FORGET_WORKERS_AFTER_MS, heartbeatWorker, listWorkers, type WorkerHeartbeat, type WorkerRow } from "./workers.ts";
export { trialBest, configScores, type TrialBestRow, type ConfigScoreRow, type ViewOptions } from "./views.ts";
export { runningProgress, type TrialProgress } from "./progress.ts";
// post-training analyses (issue #6): ensemble evaluations (Table 3), trials.result merges (neighbours)
export { ensembleCandidates, writeEnsembleEvaluation, ensembleEvaluations, mergeTrialResult, resolveTrialId, ENSEMBLE_SPLIT, ENSEMBLE_STEP, type EnsembleMemberQuery, type EnsembleWrite } from "./analysis.ts";
