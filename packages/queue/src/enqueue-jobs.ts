// Adding trial jobs in bulk: grouped by queue (model size), chunked addBulk calls.
// Idempotent: job id = trial hash, so BullMQ ignores a trial already queued/running/failed
// (ENVIRONMENT.md: a duplicate add returns a Job showing the DISCARDED data, so never read
// data back from addBulk's result).
import type { Backend } from "./backend.ts";
import type { TrialJobData } from "./job-types.ts";
import { defaultRouting, sanitizeQueueName, trialJobOptions, type RoutingPolicy } from "./routing.ts";

export interface QueuedTrial extends TrialJobData {
  priority?: number;
}

/** Chunk size for addBulk: one Redis MULTI / one PG transaction per chunk. */
const CHUNK = 2_000;

/**
 * Adds one job per trial (or per pack: `trialIds` set, `trialId` = the pack id) to the queue `queueName(trial.model)`. Returns how many adds were
 * issued per queue (a trial already known to BullMQ is a no-op add).
 */
export async function addTrialJobs(
  backend: Backend,
  trials: QueuedTrial[],
  queueName: (model: string) => string,
  policy: RoutingPolicy = defaultRouting,
): Promise<Record<string, number>> {
  const byQueue = new Map<string, QueuedTrial[]>();
  for (const t of trials) {
    const q = sanitizeQueueName(queueName(t.model));
    const list = byQueue.get(q);
    if (list) list.push(t);
    else byQueue.set(q, [t]);
  }
  const counts: Record<string, number> = {};
  await Promise.all(
    [...byQueue].map(async ([name, list]) => {
      const queue = backend.queue(name);
      for (let i = 0; i < list.length; i += CHUNK) {
        await queue.addBulk(
          list.slice(i, i + CHUNK).map(({ priority, ...data }) => ({
            name: data.trialIds ? "pack" : "trial",
            data,
            opts: trialJobOptions(data.trialId, priority, policy),
          })),
        );
      }
      counts[name] = list.length;
    }),
  );
  return counts;
}
