// The sandboxed processor BullMQ loads in each worker thread (through trial-processor.mjs): one
// processor for single-trial and pack jobs (trial-processor.ts). Settings come from the daemon as
// workerData; the runtime (DB pool, engine cache) is created on the first job and kept for the
// thread's life.
import { workerData } from "node:worker_threads";
import type { TrialJobResult } from "../job-types.ts";
import { createPtuneRuntime, type PtuneRuntime } from "./runtime-ptune.ts";
import type { SandboxConfig } from "./runtime.ts";
import { processTrialJob, type SandboxedTrialJob } from "./trial-processor.ts";

const cfg = workerData as SandboxConfig;
if (!cfg?.databaseUrl || !cfg.workerId) {
  throw new Error("trial processor: workerData lacks databaseUrl/workerId; start it through startWorker()");
}
let runtime: PtuneRuntime | undefined;

export default async function trialProcessor(job: SandboxedTrialJob, _token: string | undefined, signal?: AbortSignal): Promise<TrialJobResult> {
  runtime ??= createPtuneRuntime(cfg);
  const r = await processTrialJob(job, signal, runtime, cfg);
  return { ...r, enginesOpen: runtime.enginesOpen };
}
