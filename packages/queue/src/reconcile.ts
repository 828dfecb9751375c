// The database is the truth; the queue converges to it (issue 10). One pass:
//  1. the DB lists trials queued/running in an active sweep, idle for `graceMs`, with no live
//     attempt (no running attempt whose worker heartbeat is fresh: @ptune/db orphanCandidates);
//  2. per queue, the ids BullMQ holds (getRanges) say which of them have no live job;
//  3. such a trial whose job (or pack job) is in BullMQ's failed set, with the DB row unchanged
//     since, was given up on by BullMQ: the DB records it `failed` with BullMQ's reason
//     (settleAbandonedTrial); any other is re-added as a single-trial job (id = trial hash),
//     after removing a finished leftover of that id;
//  4. workers silent for 7 days are forgotten (@ptune/db forgetSilentWorkers).
// Safe with many reconcilers at once: a session advisory lock lets one pass run at a time (the
// others skip), and each step is idempotent anyway (job ids dedupe; the settle is conditional).
// Run by every worker every `intervalMs` (worker-daemon.ts), and by submit, retry and status.
import { forgetSilentWorkers, orphanCandidates, settleAbandonedTrial, withReconcileLock, type Db, type OrphanCandidate } from "@ptune/db";
import { queueNameFor } from "@ptune/sweep";
import type { Backend } from "./backend.ts";
import { addTrialJobs, indexQueue, type QueueIndex, type QueuedTrial } from "./enqueue-jobs.ts";
import { sanitizeQueueName } from "./routing.ts";

export interface ReconcileOptions {
  /** a running attempt whose worker's heartbeat is older than this is dead (default 15 s = 3 heartbeats) */
  staleMs?: number;
  /** trials changed more recently than this are left alone (a submit in progress; default 10 s) */
  graceMs?: number;
  /** only this sweep's trials */
  sweepId?: number;
  /** wait for a pass already running elsewhere to finish? no: skip (default) */
  log?: (line: string) => void;
}

export interface ReconcileSummary {
  /** false when another reconciler held the lock (this pass was skipped) */
  ran: boolean;
  /** trials re-added to the queue, per queue */
  readded: Record<string, number>;
  /** trials recorded failed because BullMQ gave up on their job */
  settled: number;
}

export const RECONCILE_DEFAULTS = { staleMs: 15_000, graceMs: 10_000, intervalMs: 10_000 };

export async function reconcile(db: Db, backend: Backend, opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const out = await withReconcileLock(db, () => reconcilePass(db, backend, opts));
  return out ?? { ran: false, readded: {}, settled: 0 };
}

async function reconcilePass(db: Db, backend: Backend, opts: ReconcileOptions): Promise<ReconcileSummary> {
  const candidates = await orphanCandidates(db, {
    staleMs: opts.staleMs ?? RECONCILE_DEFAULTS.staleMs,
    graceMs: opts.graceMs ?? RECONCILE_DEFAULTS.graceMs,
    sweepId: opts.sweepId,
  });
  const groups = new Map<string, OrphanCandidate[]>();
  for (const c of candidates) {
    const q = sanitizeQueueName(queueNameFor(c.size));
    const list = groups.get(q);
    if (list) list.push(c);
    else groups.set(q, [c]);
  }
  const indexes = new Map<string, QueueIndex>();
  const readd: QueuedTrial[] = [];
  let settled = 0;
  for (const [name, list] of groups) {
    const queue = backend.queue(name);
    const idx = await indexQueue(queue);
    indexes.set(name, idx);
    for (const c of list) {
      if (idx.covered.has(c.id)) continue; // a live job (its own or its pack's) will run it
      const failedId = idx.failed.has(c.id) ? c.id : idx.failedPack.get(c.id);
      if (failedId) {
        const job = await queue.getJob(failedId);
        const failedAt = job?.finishedOn ? new Date(job.finishedOn) : null;
        if (job && failedAt && c.updatedAt <= failedAt) {
          const reason = `the queue gave up on this trial: ${job.failedReason || "failed"}`;
          if (await settleAbandonedTrial(db, c.id, reason, failedAt)) {
            settled++;
            opts.log?.(`reconcile: trial ${c.id} recorded failed (${reason})`);
          }
          continue;
        }
        // changed after the failure (ptune retry): a fresh job
      }
      readd.push({ sweepId: String(c.sweepId), trialId: c.id, model: c.size, priority: c.priority });
    }
  }
  const readded = await addTrialJobs(backend, readd, queueNameFor, undefined, indexes);
  for (const [q, n] of Object.entries(readded)) if (n) opts.log?.(`reconcile: re-added ${n} job(s) on ${q} (trials with neither a live job nor a live attempt)`);
  const forgotten = await forgetSilentWorkers(db);
  if (forgotten) opts.log?.(`reconcile: forgot ${forgotten} worker(s) silent for 7 days`);
  return { ran: true, readded, settled };
}
