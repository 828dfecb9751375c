// One object that hands out BullMQ Queues/Workers/QueueEvents on either backend:
// Redis (the distributed default) or BullMQ 6's PostgreSQL backend (embedded local mode).
// The PG backend is documented only in bullmq/dist/esm/postgres/*.d.ts: it is a
// `BackendFactory` passed as the 4th constructor argument, with `connection` being a
// connection string or `{ connectionString, schema, migrate }`.
import { Queue, QueueEvents, Worker, createPostgresBackend, type WorkerOptions } from "bullmq";
import { Redis } from "ioredis";
import type { TrialJobData, TrialJobResult } from "./job-types.ts";
import { TrialWorker } from "./trial-worker.ts";

export type BackendConfig =
  | { redisUrl: string; /** Redis key prefix (namespace), default "ptune" */ prefix?: string }
  | { postgresUrl: string; /** PostgreSQL schema holding the queue tables, default "ptune_queue" */ schema?: string };

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
    // A job that exceeds its lock once (e.g. its worker was killed) is re-delivered; the
    // second stall fails it with its reason kept (removeOnFail: false on the job).
    maxStalledCount: 1,
    // ENVIRONMENT.md: with child processes, kill -9 of the worker leaves the child running
    // the trial (adopted by PID 1); a worker thread dies with its process.
    useWorkerThreads: true,
    workerThreadsOptions: opts.workerThreadsOptions,
    name: opts.name,
    autorun: opts.autorun ?? true,
  } satisfies Omit<WorkerOptions, "connection">;
}

function redisBackend(config: { redisUrl: string; prefix?: string }): Backend {
  // Workers need maxRetriesPerRequest: null (BullMQ requirement for blocking commands).
  // One shared connection for the producers; BullMQ duplicates it for each Worker's blocking client.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  const prefix = config.prefix ?? "ptune";
  const owned: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(x: T) => (owned.push(x), x);
  return {
    kind: "redis",
    queue: memo((name) => track(new Queue<TrialJobData, TrialJobResult>(name, { connection, prefix }))),
    queueEvents: (name) => track(new QueueEvents(name, { connection, prefix })),
    worker: (name, file, opts) => track(new TrialWorker(name, file, { connection, prefix, ...sandboxOptions(opts) })),
    async close() {
      await closeAll(owned);
      await connection.quit().catch(() => connection.disconnect());
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
    close: () => closeAll(owned),
  };
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
