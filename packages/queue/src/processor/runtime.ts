// What the sandboxed trial processor needs from the rest of ptune, as one small interface.
// `runtime-ptune.ts` binds it to @ptune/db, @ptune/trainer, @ptune/t5 and @ptune/tasks; the
// processor logic (trial-processor.ts) only sees this, so the wiring to the other packages'
// exact exports lives in one file (docs/architecture.md "Orchestrator").

/** How runTrial ended (docs/architecture.md Trainer contract). */
export interface TrialResultLike {
  state: "completed" | "failed" | "cancelled";
  reason?: string;
  step?: number;
  best?: { metrics?: Record<string, number>; step?: number } | null;
  [k: string]: unknown;
}

export interface ProgressLike {
  step: number;
  total: number;
  loss: number;
  examplesPerSec: number;
}

/** One claimed attempt of a trial: every write carries its fencing token (trialId, attempt). */
export interface ClaimedAttempt {
  attempt: number;
  /** step of the checkpoint the trial resumes from, null when starting fresh */
  resumeFrom: number | null;
  /**
   * Runs the trial with this attempt's fenced store/sink and `signal`; resolves with the
   * trainer's result. Throws the DB's StaleAttemptError when a newer attempt owns the trial.
   */
  run(signal: AbortSignal, onProgress: (p: ProgressLike) => void): Promise<TrialResultLike>;
  /** Records the final state (fenced). */
  finish(result: TrialResultLike): Promise<void>;
  /** Gives the trial back after a graceful stop: state `queued` again (fenced; no-op when stale). */
  release(): Promise<void>;
}

export interface TrialRuntime {
  /**
   * Claims a new attempt of `trialId` for `workerId` (increments the fencing token) and prepares
   * the run: the trial's config from the DB, engine (cached per thread), tokenizer, task data.
   */
  claim(trialId: string, workerId: string): Promise<ClaimedAttempt>;
  /** The trial's state in the DB (a cancelled sweep marks its trials cancelled). */
  trialState(trialId: string): Promise<string | null>;
  /** True for the DB's StaleAttemptError (another attempt owns the trial). */
  isStaleAttempt(e: unknown): boolean;
  /** For the DB's TrialClosedError (claim of a completed/cancelled trial): its state; else null. */
  closedState(e: unknown): "completed" | "cancelled" | null;
}

/**
 * One claimed trial of a pack job. Its fenced store/sink live in the runtime; a write the DB refuses
 * (StaleAttemptError: a newer attempt owns the trial, or its sweep was cancelled) does NOT throw into
 * the packed trainer (that would end every trial of the pack): the lane is marked `stale`, later
 * writes are dropped, and `onStale` tells the pack processor to take it out of the pack.
 */
export interface ClaimedLane {
  trialId: string;
  attempt: number;
  resumeFrom: number | null;
  readonly stale: boolean;
  onStale?: () => void;
  /** Records the final state (fenced; throws StaleAttemptError when refused). */
  finish(result: TrialResultLike): Promise<void>;
  /** Gives the trial back after a graceful stop: state `queued` again (fenced; no-op when stale). */
  release(): Promise<void>;
}

export interface PackProgressLike extends ProgressLike {
  trialId: string;
}

/** What the pack processor needs on top of the single-trial runtime. */
export interface PackRuntime extends TrialRuntime {
  /** claimAttempt for one trial of a pack (same errors as `claim`). */
  claimLane(trialId: string, workerId: string): Promise<ClaimedLane>;
  /**
   * Trains the lanes together (@ptune/trainer runPackedTrials) with the cached engine until each
   * has ended or `signal` fires; results in `lanes` order. Each lane resumes from its latest
   * checkpoint, so calling it again with fewer lanes continues where the last call stopped.
   * `onLaneDone` (awaited) reports a lane that ended for good (completed, stopped early, failed)
   * while the others train on; the same result is also in the returned array. Lanes stopped by
   * `signal` ("cancelled") are not reported.
   */
  runPack(lanes: readonly ClaimedLane[], signal: AbortSignal, onProgress: (p: PackProgressLike) => void, onLaneDone?: (lane: ClaimedLane, result: TrialResultLike) => Promise<void>): Promise<TrialResultLike[]>;
}

/** Settings the daemon hands to each sandbox thread (worker_threads workerData). */
export interface SandboxConfig {
  databaseUrl: string;
  device: "cpu" | "cuda";
  cacheDir: string;
  workerId: string;
  /** how often a running trial checks the DB for cancellation (ms) */
  cancelPollMs: number;
  /** onnxruntime intra-op threads per session (0 = library default) */
  threads: number;
  /** examples generated for the synthetic task (data seed 0: the same data for every trial) */
  synthetic: { train: number; dev: number };
}
