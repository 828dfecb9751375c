// Adding trial jobs so that every trial ends up with exactly one live job, and counting only the
// jobs really added. Job id = trial hash (or pack id), so BullMQ dedupes; but a duplicate add is a
// silent no-op that still returns a Job (ENVIRONMENT.md) — and a job left in `completed`/`failed`
// blocks its id for good. So, per queue: read the ids BullMQ holds in each state (getRanges: ids
// only, both backends), skip jobs already live, remove a finished/failed leftover first, add the
// rest with chunked addBulk, and report those.
import type { JobType } from "bullmq";
import type { Backend, TrialQueue } from "./backend.ts";
import type { TrialJobData } from "./job-types.ts";
import { defaultRouting, sanitizeQueueName, trialJobOptions, type RoutingPolicy } from "./routing.ts";

export interface QueuedTrial extends TrialJobData {
  priority?: number;
}

/** Chunk size for addBulk: one Redis MULTI / one PG transaction per chunk. */
const CHUNK = 2_000;

/** Job states in which a job will still run (or runs now). */
export const LIVE_STATES: JobType[] = ["active", "waiting", "prioritized", "delayed", "waiting-children"];

/** What one queue holds, by job id; pack members resolved (a pack job covers its trials). */
export interface QueueIndex {
  live: Set<string>;
  failed: Set<string>;
  completed: Set<string>;
  /** trial ids with a live job: their own, or a live pack's */
  covered: Set<string>;
  /** trial id -> the failed pack job that held it */
  failedPack: Map<string, string>;
}

// A pack id is the hash of its sorted trial ids: its members never change, so they are cached.
const packMembers = new Map<string, string[]>();

async function membersOf(queue: TrialQueue, id: string): Promise<string[]> {
  let m = packMembers.get(id);
  if (!m) {
    const job = await queue.getJob(id);
    m = job?.data.trialIds ?? [];
    if (job) packMembers.set(id, m);
  }
  return m;
}

export async function indexQueue(queue: TrialQueue): Promise<QueueIndex> {
  const [live, failed, completed] = await Promise.all([
    queue.getRanges(LIVE_STATES, 0, -1),
    queue.getRanges(["failed"], 0, -1),
    queue.getRanges(["completed"], 0, -1),
  ]);
  const idx: QueueIndex = { live: new Set(live), failed: new Set(failed), completed: new Set(completed), covered: new Set(live), failedPack: new Map() };
  for (const id of live) if (id.startsWith("pack-")) for (const t of await membersOf(queue, id)) idx.covered.add(t);
  for (const id of failed) if (id.startsWith("pack-")) for (const t of await membersOf(queue, id)) if (!idx.covered.has(t)) idx.failedPack.set(t, id);
  return idx;
}

function byQueue(trials: QueuedTrial[], queueName: (model: string) => string): Map<string, QueuedTrial[]> {
  const m = new Map<string, QueuedTrial[]>();
  for (const t of trials) {
    const q = sanitizeQueueName(queueName(t.model));
    const list = m.get(q);
    if (list) list.push(t);
    else m.set(q, [t]);
  }
  return m;
}

/**
 * Makes sure each given job (one per trial, or per pack: `trialIds` set, `trialId` = the pack id)
 * is live in the queue `queueName(job.model)`. Returns how many jobs were really added per queue
 * (0 for a queue whose jobs were all live already).
 */
export async function addTrialJobs(
  backend: Backend,
  trials: QueuedTrial[],
  queueName: (model: string) => string,
  policy: RoutingPolicy = defaultRouting,
  indexes: Map<string, QueueIndex> = new Map(),
  /** receives the id of every job really added */
  addedIds?: Set<string>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await Promise.all(
    [...byQueue(trials, queueName)].map(async ([name, list]) => {
      const queue = backend.queue(name);
      let idx = indexes.get(name);
      if (!idx) indexes.set(name, (idx = await indexQueue(queue)));
      const todo: QueuedTrial[] = [];
      for (const t of list) {
        // a single trial already in a live pack (or a pack whose members all are) needs nothing
        if (idx.live.has(t.trialId) || (!t.trialIds && idx.covered.has(t.trialId))) continue;
        if (idx.failed.has(t.trialId) || idx.completed.has(t.trialId)) {
          // A leftover blocks the id. remove() refuses a job that became locked meanwhile
          // (someone re-ran it): then the add below is a no-op and is not counted.
          if ((await queue.remove(t.trialId)) !== 1) continue;
          idx.failed.delete(t.trialId);
          idx.completed.delete(t.trialId);
        }
        todo.push(t);
      }
      for (let i = 0; i < todo.length; i += CHUNK) {
        await queue.addBulk(
          todo.slice(i, i + CHUNK).map(({ priority, ...data }) => ({
            name: data.trialIds ? "pack" : "trial",
            data,
            opts: trialJobOptions(data.trialId, priority, policy),
          })),
        );
      }
      for (const t of todo) {
        addedIds?.add(t.trialId);
        idx.live.add(t.trialId);
        for (const m of t.trialIds ?? [t.trialId]) idx.covered.add(m);
      }
      counts[name] = todo.length;
    }),
  );
  return counts;
}
