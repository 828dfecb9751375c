// Where a trial goes and with which BullMQ options. One queue per model size, so a worker
// serves the sizes its memory fits, and long T5-XXL trials never block small ones
// (ENVIRONMENT.md: long and short jobs in one queue block each other).
import type { BulkJobOptions } from "bullmq";

/** BullMQ priorities: 1 (highest) .. 2^21 - 1; 0 = none (job.js PRIORITY_LIMIT; add() throws above). */
export const MAX_PRIORITY = 2 ** 21 - 1;

export interface RoutingPolicy {
  /** total tries of a job that throws (infra errors); a trial that *reports* failure is not retried */
  attempts: number;
  /** first backoff delay in ms, doubled each retry */
  backoffMs: number;
  /** completed jobs kept per queue (the DB keeps the results forever) */
  keepCompleted: number;
}

export const defaultRouting: RoutingPolicy = { attempts: 3, backoffMs: 5_000, keepCompleted: 1_000 };

/** A valid queue name from a model size (BullMQ forbids ':' in names; Redis keys use it). */
export function sanitizeQueueName(name: string): string {
  const n = name.trim().replace(/[^A-Za-z0-9._-]/g, "-");
  if (!n) throw new Error(`queue name from '${name}' is empty`);
  return n;
}

/** Job options for one trial: id = trial hash (a re-submit adds nothing), failed jobs kept. */
export function trialJobOptions(trialId: string, priority: number | undefined, policy: RoutingPolicy = defaultRouting): BulkJobOptions {
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 0)) {
    throw new Error(`trial ${trialId}: priority must be an integer >= 0, got ${priority}`);
  }
  return {
    jobId: trialId,
    // @ptune/sweep allows up to 2^21 ("runs last"); BullMQ's limit is one less: clamp.
    ...(priority ? { priority: Math.min(priority, MAX_PRIORITY) } : {}),
    attempts: policy.attempts,
    backoff: { type: "exponential", delay: policy.backoffMs },
    removeOnComplete: { count: policy.keepCompleted },
    removeOnFail: false, // keep failed jobs with their error for `ptune retry --failed` and Bull Board
  };
}
