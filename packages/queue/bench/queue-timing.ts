// Queue-side timings for the orchestrator benchmark: bulk enqueue and per-job overhead of
// no-op jobs through a sandboxed worker thread (the path every trial takes).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createBackend, type BackendConfig } from "../src/backend.ts";
import { addTrialJobs, type QueuedTrial } from "../src/enqueue-jobs.ts";

const noopProcessor = path.join(path.dirname(fileURLToPath(import.meta.url)), "noop-processor.mjs");

/** ms per job for `n` no-op jobs through one sandboxed worker with `concurrency` slots. */
export async function noopOverhead(config: BackendConfig, n: number, concurrency: number): Promise<{ msPerJob: number; jobsPerSec: number }> {
  const backend = createBackend(config);
  const queue = `bench-noop-${Date.now().toString(36)}`;
  try {
    const trials: QueuedTrial[] = Array.from({ length: n }, (_, i) => ({ sweepId: "bench", trialId: `noop-${i}`, model: "noop", spec: {} }));
    await addTrialJobs(backend, trials, () => queue, { attempts: 1, backoffMs: 0, keepCompleted: n });
    const worker = backend.worker(queue, noopProcessor, { concurrency, lockDuration: 10_000, stalledInterval: 5_000, autorun: false });
    let done = 0;
    const t0 = performance.now();
    const finished = new Promise<void>((resolve) => worker.on("completed", () => ++done === n && resolve()));
    void worker.run();
    await finished;
    const ms = performance.now() - t0;
    await worker.close();
    await backend.queue(queue).obliterate({ force: true });
    return { msPerJob: ms / n, jobsPerSec: (n * 1000) / ms };
  } finally {
    await backend.close();
  }
}
