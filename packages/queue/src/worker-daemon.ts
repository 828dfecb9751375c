// The worker daemon: one sandboxed BullMQ Worker per served model size, a heartbeat, and a
// graceful stop. Training never runs on this thread, so BullMQ's lock renewal keeps running
// (ENVIRONMENT.md: a blocked event loop loses the lock and the job runs twice).
//
// Stop (SIGTERM/SIGINT, or handle.stop()):
//  1. every Worker stops fetching (close()) and every running trial gets an AbortSignal with
//     reason ABORT_SHUTDOWN (Worker.cancelAllJobs -> the sandbox's signal -> runTrial);
//  2. the trainer saves a checkpoint at its next step and returns "cancelled"; the processor
//     answers "released" and TrialWorker moves the job back to `wait` with its lock token:
//     another worker resumes it from the checkpoint, no retry attempt is spent;
//  3. after `shutdownTimeoutMs` the close is forced; the lock then expires and the stalled
//     checker of another worker re-delivers the job (lockDuration + stalledInterval).
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { failWorkerAttempt, redactUrl, type Db } from "@ptune/db";
import { withTimeout, type Backend } from "./backend.ts";
import { ABORT_SHUTDOWN, type TrialJobResult } from "./job-types.ts";
import type { SandboxConfig } from "./processor/runtime.ts";
import { exitBySignal } from "./exit.ts";
import { reconcile, RECONCILE_DEFAULTS } from "./reconcile.ts";
import { sanitizeQueueName } from "./routing.ts";
import type { TrialWorker } from "./trial-worker.ts";

export const defaultProcessorFile = path.join(path.dirname(fileURLToPath(import.meta.url)), "processor", "trial-processor.mjs");

export interface DaemonHeartbeat {
  workerId: string;
  sizes: string[];
  device: "cpu" | "cuda";
  concurrency: number;
  running: string[]; // trial ids
  state: "running" | "stopping" | "stopped";
}

export interface StartWorkerOptions {
  backend: Backend;
  /** the sandbox threads open their own DB connection with it */
  databaseUrl: string;
  sizes: string[];
  /** model size -> queue name; pass @ptune/sweep's queueNameFor (default: the size itself) */
  queueName?: (size: string) => string;
  device: "cpu" | "cuda";
  concurrency: number;
  workerId?: string;
  /** ms (default 10000; ENVIRONMENT.md: 10000/5000 re-delivered a killed worker's job in 11 s) */
  lockDuration?: number;
  stalledInterval?: number;
  cacheDir: string;
  cancelPollMs?: number;
  heartbeatMs?: number;
  /** writes the worker row (db.heartbeatWorker); failures are logged, never fatal */
  heartbeat?: (hb: DaemonHeartbeat) => Promise<void>;
  shutdownTimeoutMs?: number;
  /** onnxruntime threads per session; default: cores / concurrency */
  threads?: number;
  /** host memory one job may use on a CPU worker (default: 75% of the host's); see SandboxConfig */
  memoryBudgetBytes?: number;
  /** synthetic task size (default 1000 train / 100 dev examples) */
  synthetic?: { train: number; dev: number };
  processorFile?: string;
  log?: (line: string) => void;
  /**
   * The main thread's database handle. With it the daemon records deterministic input failures
   * (failure.ts) at once and runs the reconciler every `reconcileMs` (reconcile.ts); without it
   * (tests of the queue alone) neither happens.
   */
  db?: Db;
  /** ms between reconcile passes (default 10 s = two heartbeats); 0 = never */
  reconcileMs?: number;
}

export interface WorkerHandle {
  workerId: string;
  queues: string[];
  workers: TrialWorker[];
  /** Graceful stop (see file header). Idempotent. */
  stop(): Promise<void>;
  /** resolves when stopped */
  readonly stopped: Promise<void>;
}

export function defaultWorkerId(): string {
  return `${os.hostname()}-${process.pid}`;
}

export function startWorker(opts: StartWorkerOptions): WorkerHandle {
  if (opts.sizes.length === 0) throw new Error("startWorker: no model sizes to serve (--sizes)");
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new Error(`startWorker: concurrency must be an integer >= 1, got ${opts.concurrency}`);
  const workerId = opts.workerId ?? defaultWorkerId();
  const log = opts.log ?? (() => undefined);
  const sandbox: SandboxConfig = {
    databaseUrl: opts.databaseUrl,
    device: opts.device,
    cacheDir: opts.cacheDir,
    workerId,
    cancelPollMs: opts.cancelPollMs ?? 2_000,
    threads: opts.threads ?? Math.max(1, Math.floor(os.availableParallelism() / opts.concurrency)),
    synthetic: opts.synthetic ?? { train: 1000, dev: 100 },
    ...(opts.memoryBudgetBytes !== undefined && { memoryBudgetBytes: opts.memoryBudgetBytes }),
  };
  const queues = [...new Set(opts.sizes.map((s) => sanitizeQueueName((opts.queueName ?? ((x) => x))(s))))];
  const running = new Map<string, string[]>(); // job id -> trial ids
  const what = (job: { id?: string; data: { trialIds?: string[] } }) => (job.data.trialIds ? `pack ${job.id} (${job.data.trialIds.length} trials)` : `trial ${job.id}`);
  const workers = queues.map((q) => {
    const w = opts.backend.worker(q, opts.processorFile ?? defaultProcessorFile, {
      concurrency: opts.concurrency,
      lockDuration: opts.lockDuration ?? 10_000,
      stalledInterval: opts.stalledInterval ?? 5_000,
      name: workerId,
      workerThreadsOptions: { workerData: sandbox },
    });
    w.on("active", (job) => {
      // a pack job runs several trials: the heartbeat lists each of them
      running.set(job.id!, job.data.trialIds ?? [job.id!]);
      log(`${q}: ${what(job)} started (attempt ${job.attemptsStarted})`);
    });
    w.on("completed", (job, r: TrialJobResult) => {
      running.delete(job.id!);
      const per = r?.trials ? `: ${r.trials.map((t) => `${t.trialId} ${t.outcome}`).join(", ")}` : "";
      log(`${q}: ${what(job)} ${r?.outcome ?? "done"}${r?.step !== undefined ? ` at step ${r.step}` : ""}${per}`);
    });
    w.on("failed", (job, err) => {
      if (job) running.delete(job.id!);
      if (err.name !== "WaitingError") log(`${q}: ${job ? what(job) : "job"} failed: ${err.message}`);
    });
    w.onReleased = (job, r) => {
      running.delete(job.id!);
      log(`${q}: ${what(job)} released at step ${r.step ?? "?"} (checkpointed; back in the queue)`);
    };
    w.onDeferred = (job, message, delay) => log(`${q}: ${what(job)} deferred ${Math.round(delay / 1000)} s (infrastructure: ${message}; no attempt spent)`);
    if (opts.db) {
      const db = opts.db;
      w.onInputFailure = async (job, message) => {
        for (const id of job.data.trialIds ?? [job.id!]) await failWorkerAttempt(db, id, workerId, message);
      };
    }
    // one line per outage, not one per reconnect
    let lastError = "";
    w.on("error", (err) => {
      if (err.message !== lastError) log(`${q}: worker error: ${redactUrl(err.message)}`);
      lastError = err.message;
    });
    return w;
  });

  // Watchdog: BullMQ renews locks from THIS thread; a stall longer than lockDuration loses the
  // lock and another worker re-runs the trial (ENVIRONMENT.md). Say so when it gets close.
  const lockMs = opts.lockDuration ?? 10_000;
  let tick = Date.now();
  const watchdog = setInterval(() => {
    const now = Date.now();
    if (now - tick > lockMs / 2) log(`event loop blocked for ${now - tick} ms (lockDuration ${lockMs} ms): job locks at risk`);
    tick = now;
  }, 250);
  watchdog.unref();

  let state: DaemonHeartbeat["state"] = "running";
  const beat = async () => {
    if (!opts.heartbeat) return;
    try {
      await opts.heartbeat({ workerId, sizes: opts.sizes, device: opts.device, concurrency: opts.concurrency, running: [...running.values()].flat(), state });
    } catch (e) {
      log(`heartbeat failed: ${(e as Error).message}`);
    }
  };
  void beat();
  const timer = setInterval(beat, opts.heartbeatMs ?? 5_000);
  timer.unref();

  // The queue converges to the database (reconcile.ts): every worker runs a pass now and then;
  // the advisory lock lets one at a time do the work.
  const reconcileMs = opts.reconcileMs ?? RECONCILE_DEFAULTS.intervalMs;
  let reconciling = false;
  const pass = async () => {
    if (!opts.db || reconciling || state !== "running") return;
    reconciling = true;
    try {
      const heartbeatMs = opts.heartbeatMs ?? 5_000;
      await reconcile(opts.db, opts.backend, { staleMs: 3 * heartbeatMs, log });
    } catch (e) {
      log(`reconcile failed (next pass in ${Math.round(reconcileMs / 1000)} s): ${redactUrl((e as Error).message)}`);
    } finally {
      reconciling = false;
    }
  };
  const reconcileTimer = opts.db && reconcileMs > 0 ? setInterval(pass, reconcileMs) : undefined;
  reconcileTimer?.unref();

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      state = "stopping";
      log(`stopping: releasing ${running.size} running trial(s)`);
      void beat();
      if (reconcileTimer) clearInterval(reconcileTimer);
      const closing = workers.map((w) => w.close());
      for (const w of workers) w.cancelAllJobs(ABORT_SHUTDOWN);
      const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), opts.shutdownTimeoutMs ?? 60_000).unref());
      if ((await Promise.race([Promise.allSettled(closing), deadline])) === "timeout") {
        log("graceful stop timed out: forcing close; the stalled checker will re-deliver the jobs");
        // bounded too: with Redis unreachable even a forced close may wait on a reply
        await withTimeout(Promise.allSettled(workers.map((w) => w.close(true))), 5_000).catch(() => log("forced close did not finish (queue store unreachable?): leaving the jobs to the stalled checker"));
      }
      clearInterval(timer);
      clearInterval(watchdog);
      state = "stopped";
      await withTimeout(beat(), 3_000).catch(() => undefined);
      resolveStopped();
    })());
  return { workerId, queues, workers, stop, stopped };
}

/**
 * SIGTERM/SIGINT -> graceful stop; a second signal exits at once (exitBySignal: 128 + signal
 * number, like a shell). The process always ends: once the stop has had `shutdownTimeoutMs` plus a
 * margin for closing connections, an unref'd timer ends it even if a socket to an unreachable
 * Redis/Postgres or a sandbox thread would keep it alive (issue 10: a worker with Redis down
 * ignored SIGTERM for minutes). Returns an uninstaller.
 */
export function stopOnSignals(handle: WorkerHandle, log: (line: string) => void = () => undefined, shutdownTimeoutMs = 60_000): () => void {
  let count = 0;
  const on = (sig: NodeJS.Signals) => {
    if (++count > 1) {
      log(`${sig} again: exiting now (running trials resume from their last checkpoint)`);
      exitBySignal(sig);
      return;
    }
    log(`${sig}: stopping gracefully (send again to stop at once)`);
    void handle.stop();
    setTimeout(() => {
      log(`still not stopped ${Math.round(shutdownTimeoutMs / 1000) + 15} s after ${sig}: exiting`);
      exitBySignal(sig);
    }, shutdownTimeoutMs + 15_000).unref();
    // stopped (sandbox threads ended) but something (a socket) keeps the loop alive: exit shortly after
    void handle.stopped.then(() => setTimeout(() => process.exit(process.exitCode ?? 0), 10_000).unref());
  };
  process.on("SIGTERM", on);
  process.on("SIGINT", on);
  return () => {
    process.off("SIGTERM", on);
    process.off("SIGINT", on);
  };
}
