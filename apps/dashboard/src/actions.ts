// The dashboard's two write actions, delegated: @ptune/queue's sweep controls (the same code as
// `ptune cancel` / `ptune retry --failed`) when a queue backend is attached, else @ptune/db's
// state changes alone (it owns every write; jobs are then left to whoever runs the queue).
import { cancelSweep, retryFailed, type Db } from "@ptune/db";
import { cancelSweepJobs, retryFailedJobs, type Backend } from "@ptune/queue";

export interface ActionResult {
  message: string;
  summary: Record<string, unknown>;
}

export async function cancelSweepAction(db: Db, backend: Backend | undefined, ref: string): Promise<ActionResult> {
  if (backend) {
    const s = await cancelSweepJobs({ db, backend, sweep: ref });
    return { message: `cancelled ${s.cancelled} trial(s); ${s.jobsRemoved} queued job(s) removed, ${s.running} running trial(s) stop at their next step`, summary: { ...s } };
  }
  const s = await cancelSweep(db, ref);
  return { message: `cancelled ${s.cancelled.length} trial(s) (no queue backend attached: jobs were not touched)`, summary: { ...s } };
}

export async function retryFailedAction(db: Db, backend: Backend | undefined, ref: string): Promise<ActionResult> {
  if (backend) {
    const s = await retryFailedJobs({ db, backend, sweep: ref });
    return { message: `${s.retried} failed trial(s) re-queued (${s.jobsRetried} job(s) retried, ${s.jobsAdded} added)`, summary: { ...s } };
  }
  const rows = await retryFailed(db, ref);
  return { message: `${rows.length} failed trial(s) back in the queued state (no queue backend attached: re-queue with 'ptune retry <sweep> --failed')`, summary: { retried: rows.length, trials: rows.map((r) => r.id) } };
}
