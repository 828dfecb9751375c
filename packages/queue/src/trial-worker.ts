// A BullMQ Worker that decides, on the main thread, what a sandboxed trial's end means.
//  - "released": on SIGTERM the daemon aborts every running trial (Worker.cancelAllJobs -> the
//    sandbox's AbortSignal); the trial checkpoints and the processor returns { outcome: "released" }.
//    Moving the job back to `wait` happens HERE, with the job's lock token, before BullMQ finalises
//    it: throwing WaitingError then tells BullMQ (worker.js handleFailed) the job was moved and must
//    be neither completed nor failed. Doing the move from inside the sandbox would race the "failed"
//    message (sandbox.js handles both messages concurrently).
//  - a thrown error is classified by failure.ts (the one place): an infrastructure error (Postgres
//    or Redis unreachable, restarting, reset) moves the job to `delayed` with a capped exponential
//    backoff WITHOUT spending an attempt (Job.moveToDelayed passes skipAttempt) and throws
//    DelayedError (again "moved"); the next run resumes from the checkpoint. A deterministic input
//    error fails the trial at once: `onInputFailure` records it in the DB, UnrecoverableError ends
//    the job without retries. Anything else is BullMQ's normal retry with attempts.
import { DelayedError, UnrecoverableError, Worker, WaitingError, type Job } from "bullmq";
import { backoffDelay, classifyFailure, failureMessage, type FailureKind } from "./failure.ts";
import type { TrialJobData, TrialJobResult } from "./job-types.ts";

type TrialJob = Job<TrialJobData, TrialJobResult>;

/** BullMQ's own control-flow errors (already decided): passed through untouched. */
const CONTROL = new Set(["DelayedError", "WaitingError", "WaitingChildrenError", "UnrecoverableError", "RateLimitError"]);

export class TrialWorker extends Worker<TrialJobData, TrialJobResult> {
  /** Called once a released job is back in the queue (BullMQ emits neither completed nor failed). */
  onReleased?: (job: TrialJob, result: TrialJobResult) => void;
  /** Called when an infrastructure error deferred the job (no attempt spent). */
  onDeferred?: (job: TrialJob, message: string, delayMs: number) => void;
  /** Records a deterministic input failure in the DB (the trial's running attempt on this worker). */
  onInputFailure?: (job: TrialJob, message: string) => Promise<void>;

  protected override async callProcessJob(job: TrialJob, token: string, signal?: AbortSignal): Promise<TrialJobResult> {
    let result: TrialJobResult;
    try {
      result = await super.callProcessJob(job, token, signal);
    } catch (e) {
      throw await this.decide(job, token, e);
    }
    if (result?.outcome === "released") {
      await job.moveToWait(token);
      this.onReleased?.(job, result);
      throw new WaitingError(`trial ${job.id} released at step ${result.step ?? "?"}: worker shutting down`);
    }
    return result;
  }

  /** The error BullMQ should see for a sandbox error `e` (after moving the job when deferred). */
  private async decide(job: TrialJob, token: string, e: unknown): Promise<unknown> {
    const name = (e as { name?: string })?.name ?? "";
    if (CONTROL.has(name)) return e;
    const kind: FailureKind = classifyFailure(e);
    const message = failureMessage(e);
    if (kind === "infrastructure") {
      // starts that spent no attempt so far (stalls, releases, earlier deferrals): the backoff exponent
      const n = Math.max(0, (job.attemptsStarted ?? 1) - (job.attemptsMade ?? 0) - 1);
      const delay = backoffDelay(n);
      try {
        await job.moveToDelayed(Date.now() + delay, token);
      } catch {
        // the queue store itself is down: leave the job locked; when the lock expires the stalled
        // checker re-delivers it (a stall spends no attempt either)
      }
      this.onDeferred?.(job, message, delay);
      return new DelayedError(`trial ${job.id}: ${message} (infrastructure; retrying in ${Math.round(delay / 1000)} s, no attempt spent)`);
    }
    if (kind === "input") {
      await this.onInputFailure?.(job, message).catch(() => undefined); // DB down: the reconciler settles it from the failed job
      return new UnrecoverableError(`trial ${job.id}: ${message}`);
    }
    return e;
  }
}
