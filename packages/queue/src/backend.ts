// One object that hands out BullMQ Queues/Workers/QueueEvents on either backend:
// Redis (the distributed default) or BullMQ 6's PostgreSQL backend (embedded local mode).
// The PG backend is documented only in bullmq/dist/esm/postgres/*.d.ts: it is a
// `BackendFactory` passed as the 4th constructor argument, with `connection` being a
// connection string or `{ connectionString, schema, migrate }`.
import { Queue, QueueEvents, Worker, createPostgresBackend, type WorkerOptions } from "bullmq";
import { Redis } from "ioredis";
import type { TrialJobData, TrialJobResult } from "./job-types.ts";
import { redactUrl } from "@ptune/db";
import { TrialWorker } from "./trial-worker.ts";

export type BackendConfig =
  | {
      redisUrl: string;
      /** Redis key prefix (namespace), default "ptune" */ prefix?: string;
      /**
       * Commands (submit, retry, status, cancel) fail fast when Redis is unreachable: no offline
       * queue, 3 reconnects, 3 s connect timeout — one clear line instead of a hang and a stack
       * trace per retry. Workers (the default, false) wait an outage out and resume.
       */
      failFast?: boolean;
      /** called once per outage (not per retry) with the connection error */
      onError?: (e: Error) => void;
    }
  | { postgresUrl: string; /** PostgreSQL schema holding the queue tables, default "ptune_queue" */ schema?: string };

/** Lock expiries (dead or cut-off workers) a job survives before BullMQ gives up on it. */
export const MAX_STALLS = 20;

export type TrialQueue = Queue<TrialJobData, TrialJobResult>;
export type TrialQueueEvents = QueueEvents;

export interface WorkerTuning {
  concurrency: number;
  /** ms; ENVIRONMENT.md: 10000/5000 recovered a killed worker's job in 11 s (default 30000/30000: 61 s). */
  lockDuration: number;
  stalledInterval: number;
  /** passed to the worker thread (workerData / env) */
  workerThreadsOptions?: WorkerOptions["workerThreadsOptions"];
  name?: string;
  autorun?: boolean;
}

export interface Backend {
  readonly kind: "redis" | "postgres";
  /** The producer-side Queue for `name` (memoised: one per name per backend). */
  queue(name: string): TrialQueue;
  queueEvents(name: string): TrialQueueEvents;
  /**
   * Resolves once the queue store answers (Redis PING); rejects with one clear line naming the
   * redacted URL when it does not within `timeoutMs`. The PG backend shares the database, which
   * the caller has already reached.
   */
  ready(timeoutMs?: number): Promise<void>;
  /** A sandboxed worker: `processorFile` runs in a worker thread (never a forked child: kill -9 orphans it). */
  worker(name: string, processorFile: string, opts: WorkerTuning): TrialWorker;
  close(): Promise<void>;
}

export function createBackend(config: BackendConfig): Backend {
  return "redisUrl" in config ? redisBackend(config) : postgresBackend(config);
}

function sandboxOptions(opts: WorkerTuning) {
  return {
    concurrency: opts.concurrency,
    lockDuration: opts.lockDuration,
    stalledInterval: opts.stalledInterval,
    // A job whose lock expired (its worker was killed, or lost Redis) is re-delivered and spends
    // no attempt (issue 10: with 1, a trial whose worker was killed twice was failed by BullMQ
    // while its row stayed `running`). Bounded, so a trial that kills every worker it lands on
    // (e.g. out of memory) ends: BullMQ fails it and the reconciler records why.
    maxStalledCount: MAX_STALLS,
    // ENVIRONMENT.md: with child processes, kill -9 of the worker leaves the child running
    // the trial (adopted by PID 1); a worker thread dies with its process.
    useWorkerThreads: true,
    workerThreadsOptions: opts.workerThreadsOptions,
    name: opts.name,
    autorun: opts.autorun ?? true,
  } satisfies Omit<WorkerOptions, "connection">;
}

function redisBackend(config: Extract<BackendConfig, { redisUrl: string }>): Backend {
  // Workers need maxRetriesPerRequest: null (BullMQ requirement for blocking commands).
  // One shared connection for the producers; BullMQ duplicates it for each Worker's blocking client.
  const connection = new Redis(
    config.redisUrl,
    config.failFast
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3_000, retryStrategy: (n: number) => (n > 3 ? null : 200 * n) }
      : { maxRetriesPerRequest: null, lazyConnect: false, retryStrategy: (n: number) => Math.min(200 * n, 5_000) },
  );
  // ioredis prints "[ioredis] Unhandled error event" + a stack for EVERY reconnect without a
  // listener (issue 10: 83 stack traces). Report once per outage instead.
  let down = false;
  const onError = (e: Error) => {
    if (down) return;
    down = true;
    config.onError?.(new Error(`Redis ${redactUrl(config.redisUrl)} unreachable: ${e.message || (e as { code?: string }).code || e.name}`));
  };
  connection.on("error", onError);
  connection.on("ready", () => (down = false));
  const prefix = config.prefix ?? "ptune";
  const owned: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(x: T) => (owned.push(x), x);
  return {
    kind: "redis",
    queue: memo((name) => quiet(track(new Queue<TrialJobData, TrialJobResult>(name, { connection, prefix })), onError)),
    queueEvents: (name) => quiet(track(new QueueEvents(name, { connection, prefix })), onError),
    worker: (name, file, opts) => track(new TrialWorker(name, file, { connection, prefix, ...sandboxOptions(opts) })),
    async ready(timeoutMs = 5_000) {
      // Without the offline queue a command sent while connecting fails at once: wait for `ready`.
      const connected = new Promise<void>((resolve, reject) => {
        if (connection.status === "ready") return resolve();
        if (connection.status === "wait") connection.connect().catch(() => undefined);
        connection.once("ready", () => resolve());
        connection.once("end", () => reject(new Error("connection closed")));
      });
      const r = await withTimeout(connected.then(() => connection.ping()), timeoutMs).catch((e: Error) => e);
      if (r !== "PONG") {
        throw new QueueUnavailableError(`queue unreachable: Redis ${redactUrl(config.redisUrl)} did not answer (${r instanceof Error ? r.message || r.name : "timeout"}); start it or check REDIS_URL (or pass --local to queue in PostgreSQL)`);
      }
    },
    async close() {
      // Bounded: with Redis gone, quit() would wait for a reply forever (offline queue).
      await withTimeout(closeAll(owned), 5_000).catch(() => undefined);
      if (connection.status === "ready") await withTimeout(connection.quit(), 1_000).catch(() => connection.disconnect());
      else connection.disconnect();
    },
  };
}

function postgresBackend(config: { postgresUrl: string; schema?: string }): Backend {
  // Config-object form: the only one where the backend honours `schema` (postgres-connection.d.ts).
  const connection = { connectionString: config.postgresUrl, schema: config.schema ?? "ptune_queue", migrate: true };
  const owned: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(x: T) => (owned.push(x), x);
  return {
    kind: "postgres",
    queue: memo((name) => track(new Queue(name, { connection }, createPostgresBackend) as unknown as TrialQueue)),
    queueEvents: (name) => track(new QueueEvents(name, { connection }, createPostgresBackend) as unknown as TrialQueueEvents),
    worker: (name, file, opts) =>
      track(new TrialWorker(name, file, { connection, ...sandboxOptions(opts) } as never, createPostgresBackend as never)),
    ready: async () => undefined,
    close: () => withTimeout(closeAll(owned), 10_000).then(() => undefined, () => undefined),
  };
}

/** Submit/status/retry cannot reach the queue store: one line for the user, nothing half-written. */
export class QueueUnavailableError extends Error {
  override name = "QueueUnavailableError";
}

function quiet<T extends { on(ev: "error", fn: (e: Error) => void): unknown }>(x: T, onError: (e: Error) => void): T {
  x.on("error", onError);
  return x;
}

/** Rejects after `ms` (the promise itself is left to settle on its own). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

function memo<T>(make: (name: string) => T): (name: string) => T {
  const m = new Map<string, T>();
  return (name) => {
    let v = m.get(name);
    if (v === undefined) m.set(name, (v = make(name)));
    return v;
  };
}

async function closeAll(owned: { close(): Promise<void> }[]) {
  // Workers first (they wait for their running jobs), then queues/events.
  const items = owned.splice(0).reverse();
  await Promise.allSettled(items.filter((x) => x instanceof Worker).map((x) => x.close()));
  await Promise.allSettled(items.filter((x) => !(x instanceof Worker)).map((x) => x.close()));
}
