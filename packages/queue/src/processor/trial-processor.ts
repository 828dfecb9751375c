// The body of one trial job, run inside BullMQ's worker-thread sandbox.
// Flow: claim an attempt (fencing token) -> run the trial with an AbortSignal -> record the end.
// The signal fires for three reasons:
//  - ABORT_SHUTDOWN: the daemon got SIGTERM/SIGINT (Worker.cancelAllJobs); the trainer saves a
//    checkpoint and returns "cancelled"; we answer { outcome: "released" } and the main thread
//    moves the job back to `wait` (trial-worker.ts) without recording an end state;
//  - the DB says the trial is cancelled (`ptune cancel`): polled every cancelPollMs;
//  - ABORT_CANCELLED: an explicit Worker.cancelJob from the daemon.
import { UnrecoverableError } from "bullmq";
import { threadId } from "node:worker_threads";
import { ABORT_CANCELLED, ABORT_SHUTDOWN, type TrialJobData, type TrialJobResult } from "../job-types.ts";
import { followAbort } from "./follow-abort.ts";
import type { SandboxConfig, TrialRuntime } from "./runtime.ts";

/** The slice of BullMQ's SandboxedJob the processor uses. */
export interface SandboxedTrialJob {
  id?: string;
  data: TrialJobData;
  attemptsMade: number;
  opts: { attempts?: number };
  updateProgress(p: object): Promise<void>;
  log(row: string): void | Promise<void>;
}

export async function processTrialJob(
  job: SandboxedTrialJob,
  signal: AbortSignal | undefined,
  rt: TrialRuntime,
  cfg: Pick<SandboxConfig, "workerId" | "cancelPollMs">,
): Promise<TrialJobResult> {
  const { trialId } = job.data;
  const base = { workerId: cfg.workerId, threadId };
  let claimed;
  try {
    claimed = await rt.claim(trialId, cfg.workerId);
  } catch (e) {
    if (rt.isStaleAttempt(e)) return { ...base, outcome: "stale" };
    // Completed or cancelled already (e.g. a worker died after finishing but before BullMQ
    // heard): nothing to run.
    const closed = rt.closedState(e);
    if (closed) return { ...base, outcome: closed };
    throw e;
  }
  const stop = new AbortController();
  const unfollowJob = followAbort(signal, stop, ABORT_CANCELLED);
  // Cancellation through the DB: cheap poll of one row; the trainer notices at its next step.
  const poll = setInterval(() => {
    rt.trialState(trialId).then(
      (s) => s === "cancelled" && stop.abort(ABORT_CANCELLED),
      () => undefined, // a transient DB error must not kill the trial; the next poll retries
    );
  }, cfg.cancelPollMs);
  let lastProgress = 0;
  const onProgress = (p: { step: number; total: number; loss: number; examplesPerSec: number }) => {
    const now = Date.now();
    if (now - lastProgress < 1_000 && p.step < p.total) return; // at most 1/s through the parent
    lastProgress = now;
    void job.updateProgress({ ...p, attempt: claimed.attempt }).catch(() => undefined);
  };
  try {
    const result = await claimed.run(stop.signal, onProgress);
    const common = { ...base, attempt: claimed.attempt, resumedFrom: claimed.resumeFrom, step: result.step };
    if (result.state === "cancelled" && stop.signal.reason === ABORT_SHUTDOWN) {
      // The trainer checkpointed; the trial is queued again and the next attempt resumes from that
      // checkpoint. A failed release only leaves the row `running` until the next claim.
      await claimed.release().catch(() => undefined);
      return { ...common, outcome: "released" };
    }
    await claimed.finish(result);
    if (result.state === "failed") {
      // The trainer judged the trial failed (e.g. non-finite loss): retrying would fail the same way.
      throw new UnrecoverableError(`trial ${trialId} failed at step ${result.step ?? "?"}: ${result.reason ?? "unknown reason"}`);
    }
    return { ...common, outcome: result.state, metrics: result.best?.metrics };
  } catch (e) {
    if (rt.isStaleAttempt(e)) {
      // The DB refused a write: either the sweep was cancelled (before our poll noticed) or a
      // newer attempt owns the trial. Either way this run ends quietly.
      if ((await rt.trialState(trialId).catch(() => null)) === "cancelled") return { ...base, attempt: claimed.attempt, outcome: "cancelled" };
      void job.log(`attempt ${claimed.attempt} is stale: a newer attempt owns trial ${trialId}`);
      return { ...base, attempt: claimed.attempt, outcome: "stale" };
    }
    // An exception (not a trainer-reported failure): BullMQ retries it with backoff while
    // attempts remain (the next claim supersedes this attempt); the last one records the
    // failure in the DB so `ptune status` / `ptune retry --failed` see it.
    if (!(e instanceof UnrecoverableError) && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      const reason = e instanceof Error ? e.message : String(e);
      await claimed.finish({ state: "failed", reason, best: null }).catch(() => undefined);
    }
    throw e;
  } finally {
    clearInterval(poll);
    unfollowJob();
  }
}
