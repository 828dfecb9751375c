// A BullMQ Worker that understands one extra outcome of a sandboxed trial: "released".
// On SIGTERM the daemon aborts every running trial (Worker.cancelAllJobs -> the sandbox's
// AbortSignal); the trial checkpoints and the processor returns { outcome: "released" }.
// Moving the job back to `wait` happens HERE, in the main thread, with the job's lock token,
// before BullMQ finalises it: throwing WaitingError then tells BullMQ (worker.js handleFailed)
// the job was moved and must be neither completed nor failed. Doing the move from inside the
// sandbox would race the "failed" message (sandbox.js handles both messages concurrently).
import { Worker, WaitingError, type Job } from "bullmq";
import type { TrialJobData, TrialJobResult } from "./job-types.ts";

export class TrialWorker extends Worker<TrialJobData, TrialJobResult> {
  /** Called once a released job is back in the queue (BullMQ emits neither completed nor failed). */
  onReleased?: (job: Job<TrialJobData, TrialJobResult>, result: TrialJobResult) => void;

  protected override async callProcessJob(job: Job<TrialJobData, TrialJobResult>, token: string, signal?: AbortSignal): Promise<TrialJobResult> {
    const result = await super.callProcessJob(job, token, signal);
    if (result?.outcome === "released") {
      await job.moveToWait(token);
      this.onReleased?.(job, result);
      throw new WaitingError(`trial ${job.id} released at step ${result.step ?? "?"}: worker shutting down`);
    }
    return result;
  }
}
