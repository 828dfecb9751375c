// `ptune worker`: the daemon wired to the environment — DB (migrated), queue backend, worker
// row heartbeats (@ptune/db heartbeatWorker), routing by @ptune/sweep's queueNameFor.
import os from "node:os";
import { heartbeatWorker, type Db } from "@ptune/db";
import { queueNameFor } from "@ptune/sweep";
import { connect } from "./connect.ts";
import type { QueueEnv } from "./env.ts";
import { defaultWorkerId, startWorker, stopOnSignals, type DaemonHeartbeat, type StartWorkerOptions, type WorkerHandle } from "./worker-daemon.ts";

/** Maps the daemon's heartbeat onto the `workers` table row. */
export function dbHeartbeat(db: Db): (hb: DaemonHeartbeat) => Promise<void> {
  return (hb) =>
    heartbeatWorker(db, {
      id: hb.workerId,
      host: os.hostname(),
      devices: [{ device: hb.device, concurrency: hb.concurrency }],
      sizes: hb.sizes,
      state: hb.state === "running" ? (hb.running.length ? "busy" : "idle") : hb.state,
      trialId: hb.running[0] ?? null,
    });
}

export interface RunWorkerOptions extends Pick<StartWorkerOptions, "sizes" | "concurrency" | "workerId" | "lockDuration" | "stalledInterval" | "log" | "synthetic" | "cancelPollMs" | "heartbeatMs" | "threads" | "shutdownTimeoutMs" | "reconcileMs" | "memoryBudgetBytes"> {
  device?: "cpu" | "cuda";
  /** queue in PostgreSQL (DATABASE_URL) instead of Redis */
  local?: boolean;
  env?: QueueEnv;
  /** install SIGTERM/SIGINT handlers (the CLI does) */
  signals?: boolean;
}

/** Starts the daemon; resolves with its handle and a promise that settles once it has stopped and closed. */
export async function runWorker(opts: RunWorkerOptions): Promise<{ handle: WorkerHandle; done: Promise<void> }> {
  const c = await connect({ local: opts.local, migrate: true, env: opts.env });
  const heartbeat = dbHeartbeat(c.db);
  const device = opts.device ?? c.env.PTUNE_DEVICE;
  // Register the worker row BEFORE taking jobs: Prisma's first query compiles its WASM engine
  // and blocks this thread ~1 s (measured; seconds on a loaded machine) — never while holding
  // a job lock.
  await heartbeat({ workerId: opts.workerId ?? defaultWorkerId(), sizes: opts.sizes, device, concurrency: opts.concurrency, running: [], state: "running" });
  const handle = startWorker({
    ...opts,
    backend: c.backend,
    databaseUrl: c.databaseUrl,
    queueName: queueNameFor,
    device,
    cacheDir: c.env.PTUNE_CACHE_DIR,
    heartbeat,
    db: c.db,
  });
  const uninstall = opts.signals ? stopOnSignals(handle, opts.log, opts.shutdownTimeoutMs) : () => undefined;
  const done = handle.stopped.finally(async () => {
    uninstall();
    await c.close();
  });
  return { handle, done };
}
