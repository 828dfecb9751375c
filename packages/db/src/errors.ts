// Errors that tell the caller (the worker's sandboxed trial) what to do next.

/**
 * A write carried a fencing token `(trialId, attempt)` that is no longer the trial's current
 * one: a newer attempt was claimed (`superseded`), the trial was put back in the queue
 * (`requeued`) or its sweep was cancelled (`cancelled`). Nothing was written; the stale
 * attempt must stop. (ENVIRONMENT.md: a killed worker's orphan can keep running.)
 */
export class StaleAttemptError extends Error {
  override readonly name = "StaleAttemptError";
  constructor(
    readonly trialId: string,
    readonly attempt: number,
    readonly current: number,
    readonly reason: "superseded" | "requeued" | "cancelled",
  ) {
    super(`trial ${trialId}: attempt ${attempt} is stale (${reason}; current attempt ${current}); write refused`);
  }
}

/** claimAttempt on a trial that is already completed or cancelled: there is nothing to run. */
export class TrialClosedError extends Error {
  override readonly name = "TrialClosedError";
  constructor(
    readonly trialId: string,
    readonly state: "completed" | "cancelled",
  ) {
    super(`trial ${trialId} is ${state}; not claiming a new attempt`);
  }
}

/** A sweep or trial named by the caller does not exist. */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}
