// @ptune/queue: BullMQ routing by model size, job id = trial hash, Redis or PostgreSQL backend,
// the worker daemon and its sandboxed trial processor (docs/architecture.md).
export { createBackend, QueueUnavailableError, MAX_STALLS, type Backend, type BackendConfig, type TrialQueue, type WorkerTuning } from "./backend.ts";
export { connect, type Connected } from "./connect.ts";
export { enqueueSweep, submitSweepFile, type SubmitSummary } from "./enqueue.ts";
export { addTrialJobs, indexQueue, LIVE_STATES, type QueuedTrial, type QueueIndex } from "./enqueue-jobs.ts";
export { reconcile, RECONCILE_DEFAULTS, type ReconcileOptions, type ReconcileSummary } from "./reconcile.ts";
export { classifyFailure, failureMessage, backoffDelay, infraBackoff, type FailureKind } from "./failure.ts";
export { preflightSweep, PreflightError, MAX_SEQUENCE, type PreflightReport, type PreflightProblem } from "./preflight.ts";
export { readEnv, requireEnv, EnvError, type QueueEnv } from "./env.ts";
export { defaultRouting, trialJobOptions, sanitizeQueueName, MAX_PRIORITY, type RoutingPolicy } from "./routing.ts";
export { cancelSweepJobs, retryFailedJobs, type CancelSummary, type RetrySummary } from "./sweep-control.ts";
export { trialJobData, trialRow } from "./trial-job.ts";
export { planPacks, packJobId, packGroupKey, sweepJobs, type PackPlan, type JobPlan } from "./pack-plan.ts";
export { countT5Parameters, modelParams } from "./model-params.ts";
export { TrialWorker } from "./trial-worker.ts";
export { exitBySignal } from "./exit.ts";
export { startWorker, stopOnSignals, defaultWorkerId, defaultProcessorFile, type StartWorkerOptions, type WorkerHandle, type DaemonHeartbeat } from "./worker-daemon.ts";
export { benchOrchestrator, ENQUEUE_GOAL_MS, type BenchOrchestratorOptions, type BenchOrchestratorResult } from "../bench/orchestrator.ts";
export * from "./job-types.ts";
export { runWorker, dbHeartbeat, type RunWorkerOptions } from "./worker-run.ts";
export { ensurePresetModel, ensurePresetModels } from "./ensure-models.ts";
