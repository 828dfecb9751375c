// Cancelling a sweep and retrying its failed trials: the DB changes the trial states (it owns
// every write), the queue follows.
//  - cancel: cancelSweep marks queued/running trials cancelled; their waiting/delayed jobs are
//    removed here; a RUNNING trial cannot be removed (its job is locked): its sandbox polls the
//    trial state (trial-processor.ts) and aborts at the next step, and its next fenced write
//    would be refused anyway (StaleAttemptError 'cancelled').
//  - retry: retryFailed puts failed trials back to `queued`; their failed jobs are retried in
//    place (attempts reset), a job that no longer exists is added again.
import { cancelSweep, resolveSweep, retryFailed, trialsOfSweep, type Db, type SweepRef } from "@ptune/db";
import { queueNameFor } from "@ptune/sweep";
import type { Backend } from "./backend.ts";
import { addTrialJobs } from "./enqueue-jobs.ts";
import { sanitizeQueueName } from "./routing.ts";

const WAITING = new Set(["waiting", "prioritized", "delayed", "paused", "waiting-children"]);

export interface CancelSummary {
  sweepId: number;
  /** trials the DB marked cancelled */
  cancelled: number;
  /** their jobs removed from the queues (not running; a pack job counts once) */
  jobsRemoved: number;
  /** jobs still running: they stop at their next step */
  running: number;
}

export async function cancelSweepJobs(args: { db: Db; backend: Backend; sweep: SweepRef }): Promise<CancelSummary> {
  const { sweepId, cancelled } = await cancelSweep(args.db, args.sweep);
  const ids = new Set(cancelled);
  const rows = (await trialsOfSweep(args.db, sweepId, { state: "cancelled" })).filter((r) => ids.has(r.id));
  let jobsRemoved = 0;
  let running = 0;
  const packQueues = new Set<string>();
  for (const r of rows) {
    const name = sanitizeQueueName(queueNameFor(r.size));
    const queue = args.backend.queue(name);
    const state = await queue.getJobState(r.id);
    // Only jobs still waiting are removed: a finished job keeps its record (a running trial may
    // notice the cancel and finish before this loop reaches it), and an active one is locked.
    if (state === "active") running++;
    else if (WAITING.has(state)) {
      if ((await queue.remove(r.id)) === 1) jobsRemoved++;
      else running++; // picked up meanwhile: locked, it stops at its next step
    } else if (state === "unknown") packQueues.add(name); // no job of its own: maybe in a pack job
  }
  // Pack jobs (sweep `pack: K`) carry the pack's id, not a trial id: find the sweep's by scanning
  // the queues where a cancelled trial had no job of its own. A running pack drops its cancelled
  // trials through its DB poll (processor/trial-processor.ts).
  for (const name of packQueues) {
    const queue = args.backend.queue(name);
    const jobs = await queue.getJobs(["waiting", "prioritized", "delayed", "active"]);
    for (const job of jobs) {
      if (!job?.id || job.name !== "pack" || job.data.sweepId !== String(sweepId)) continue;
      const state = await queue.getJobState(job.id);
      if (state === "active") running++;
      else if (WAITING.has(state)) {
        if ((await queue.remove(job.id)) === 1) jobsRemoved++;
        else running++;
      }
    }
  }
  return { sweepId, cancelled: cancelled.length, jobsRemoved, running };
}

export interface RetrySummary {
  sweepId: number;
  /** failed trials put back in the queue */
  retried: number;
  jobsRetried: number;
  jobsAdded: number;
}

export async function retryFailedJobs(args: { db: Db; backend: Backend; sweep: SweepRef }): Promise<RetrySummary> {
  const { id: sweepId } = await resolveSweep(args.db, args.sweep);
  const rows = await retryFailed(args.db, sweepId);
  let jobsRetried = 0;
  const missing: typeof rows = [];
  for (const r of rows) {
    const queue = args.backend.queue(sanitizeQueueName(queueNameFor(r.size)));
    const job = await queue.getJob(r.id);
    const state = job ? await job.getState() : "unknown";
    if (job && (state === "failed" || state === "completed")) {
      await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
      jobsRetried++;
    } else if (!job) missing.push(r);
    // a job still waiting/active/delayed needs nothing
  }
  const added = await addTrialJobs(
    args.backend,
    missing.map((r) => ({ sweepId: String(sweepId), trialId: r.id, model: r.size, priority: (r.config as { priority?: number }).priority })),
    queueNameFor,
  );
  return { sweepId, retried: rows.length, jobsRetried, jobsAdded: Object.values(added).reduce((a, b) => a + b, 0) };
}
