// The body of one trial job — a single trial, or a pack (sweep `pack: K`, pack-plan.ts: up to K
// prompt-tuning trials of one model trained in one batch) — run inside BullMQ's worker-thread
// sandbox. A single trial is a pack of one: the same claim/fence/stop rules apply to each trial.
//
// Flow: claim each trial (own attempt = own fencing token; a pack skips trials already completed,
// cancelled or failed) -> train them together (TrialRuntime.run -> @ptune/trainer runTrials) ->
// record each trial's end AS IT LEAVES (onTrialDone), while the others train on. Each trial has
// its own stop (an AbortController); it fires for four reasons, and only that trial stops:
//  - ABORT_SHUTDOWN: the daemon got SIGTERM/SIGINT (Worker.cancelAllJobs, the job's signal, so
//    every trial of the job): the trainer checkpoints and returns "cancelled"; we release the trial
//    (back to `queued`) and answer { outcome: "released" }; the main thread moves the job back to
//    `wait` (trial-worker.ts) without spending an attempt;
//  - ABORT_CANCELLED: an explicit Worker.cancelJob from the daemon (the job's signal);
//  - the DB says the trial is cancelled (`ptune cancel`): polled every cancelPollMs, per trial;
//  - ABORT_STALE: a write of its attempt was refused (StaleAttemptError: a newer attempt owns it).
// Errors are rethrown unchanged (name, message, cause): BullMQ retries the job while attempts
// remain, and the last try records its unfinished trials failed.
import { TrialConfigError } from "@ptune/sweep";
import { UnrecoverableError } from "bullmq";
import { threadId } from "node:worker_threads";
import { ABORT_CANCELLED, ABORT_SHUTDOWN, isPackJob, type PackTrialOutcome, type TrialJobData, type TrialJobResult } from "../job-types.ts";
import { classifyFailure } from "../failure.ts";
import { followAbort } from "./follow-abort.ts";
import type { ClaimedTrial, SandboxConfig, TrialProgressEvent, TrialResult, TrialRuntime } from "./runtime.ts";

/** Inside the sandbox only: the trial's attempt was superseded; it stops alone. */
const ABORT_STALE = "ptune:stale";

/** The slice of BullMQ's SandboxedJob the processor uses. */
export interface SandboxedTrialJob {
  id?: string;
  data: TrialJobData;
  attemptsMade: number;
  opts: { attempts?: number };
  updateProgress(p: object): Promise<void>;
  log(row: string): void | Promise<void>;
}

interface Lane {
  claimed: ClaimedTrial;
  stop: AbortController;
  cancelledInDb: boolean;
  ended: boolean;
  step: number;
}

export async function processTrialJob(
  job: SandboxedTrialJob,
  signal: AbortSignal | undefined,
  rt: TrialRuntime,
  cfg: Pick<SandboxConfig, "workerId" | "cancelPollMs">,
): Promise<TrialJobResult> {
  const pack = isPackJob(job.data);
  const trialIds = pack ? job.data.trialIds! : [job.data.trialId];
  if (trialIds.length === 0) throw new Error(`pack job ${job.id}: data.trialIds is empty`);
  const base = { workerId: cfg.workerId, threadId };
  const outcomes = new Map<string, PackTrialOutcome & { reason?: string }>();
  const lanes: Lane[] = [];
  for (const trialId of trialIds) {
    // A trial this pack already ended as failed (an earlier try of this job) stays failed: the
    // trainer's verdict is final; `ptune retry --failed` re-queues it as a single job.
    if (pack && (await rt.trialState(trialId)) === "failed") {
      outcomes.set(trialId, { trialId, outcome: "failed" });
      continue;
    }
    try {
      const claimed = await rt.claim(trialId, cfg.workerId);
      lanes.push({ claimed, stop: new AbortController(), cancelledInDb: false, ended: false, step: claimed.resumeFrom ?? 0 });
    } catch (e) {
      // Completed or cancelled already (e.g. a worker died after finishing but before BullMQ
      // heard), or a newer attempt owns it: nothing to run.
      const closed = rt.closedState(e);
      if (closed) outcomes.set(trialId, { trialId, outcome: closed });
      else if (rt.isStaleAttempt(e)) outcomes.set(trialId, { trialId, outcome: "stale" });
      // a pack member whose stored config is invalid fails alone (the runtime recorded why);
      // a single trial's job throws the TrialConfigError unchanged
      else if (pack && e instanceof TrialConfigError) outcomes.set(trialId, { trialId, outcome: "failed", reason: e.message });
      else throw e;
    }
  }

  const result = (): TrialJobResult => {
    const trials = trialIds.map((id) => outcomes.get(id) ?? { trialId: id, outcome: "released" as const });
    if (!pack) {
      const { trialId, reason, outcome, ...rest } = trials[0] as PackTrialOutcome & { reason?: string };
      // The trainer judged the trial failed (e.g. non-finite loss): retrying would fail the same way.
      if (outcome === "failed") throw new UnrecoverableError(`trial ${trialId} failed at step ${rest.step ?? "?"}: ${reason ?? "unknown reason"}`);
      return { ...base, ...rest, outcome };
    }
    const all = (o: string) => trials.every((t) => t.outcome === o);
    const outcome = trials.some((t) => t.outcome === "released") ? "released" : all("cancelled") ? "cancelled" : all("stale") ? "stale" : "completed";
    return { ...base, outcome, step: Math.max(0, ...trials.map((t) => t.step ?? 0)), trials: trials.map(({ reason: _r, ...t }) => t) };
  };
  if (lanes.length === 0) return result();

  const unfollow = lanes.map((l) => followAbort(signal, l.stop, ABORT_CANCELLED));
  for (const l of lanes) l.claimed.onStale = () => l.stop.abort(ABORT_STALE);
  // Cancellation through the DB, per trial (cheap: one row each); the trainer stops that trial at its next step.
  const poll = setInterval(() => {
    for (const l of lanes) {
      if (l.ended || l.cancelledInDb) continue;
      rt.trialState(l.claimed.trialId).then(
        (s) => {
          if (s !== "cancelled") return;
          l.cancelledInDb = true;
          l.stop.abort(ABORT_CANCELLED);
        },
        () => undefined, // a transient DB error must not stop the trial; the next poll retries
      );
    }
  }, cfg.cancelPollMs);

  let lastProgress = 0;
  const progress = new Map<string, { step: number; total: number; loss: number }>();
  const onProgress = (p: TrialProgressEvent) => {
    const lane = lanes.find((l) => l.claimed.trialId === p.trialId);
    if (lane) lane.step = p.step;
    progress.set(p.trialId, { step: p.step, total: p.total, loss: p.loss });
    const now = Date.now();
    if (now - lastProgress < 1_000 && p.step < p.total) return; // at most 1/s through the parent
    lastProgress = now;
    const { trialId: _t, trial: _k, ...single } = p;
    const all = [...progress.values()];
    const body = pack
      ? { step: Math.min(...all.map((x) => x.step)), total: Math.max(...all.map((x) => x.total)), loss: p.loss, trials: Object.fromEntries(progress) }
      : { ...single, attempt: lanes[0].claimed.attempt };
    void job.updateProgress(body).catch(() => undefined);
  };
  const laneBase = (l: Lane) => ({ trialId: l.claimed.trialId, attempt: l.claimed.attempt, resumedFrom: l.claimed.resumeFrom });
  /** A trial that stopped because it is no longer ours: cancelled or superseded. Nothing to write. */
  const drop = async (l: Lane, step: number) => {
    const cancelled = l.cancelledInDb || (await rt.trialState(l.claimed.trialId).catch(() => null)) === "cancelled";
    if (!cancelled) void job.log(`attempt ${l.claimed.attempt} is stale: a newer attempt owns trial ${l.claimed.trialId}`);
    outcomes.set(l.claimed.trialId, { ...laneBase(l), outcome: cancelled ? "cancelled" : "stale", step });
  };
  /** A trial left the run: record its end (fenced), release it (shutdown), or drop it (not ours). */
  const onTrialDone = async (k: number, r: TrialResult) => {
    const l = lanes[k];
    l.ended = true;
    if (l.claimed.stale || l.cancelledInDb) return drop(l, r.step);
    if (r.state === "cancelled" && l.stop.signal.reason === ABORT_SHUTDOWN) {
      // checkpointed; no end state: the next attempt resumes it. A failed release only leaves the
      // row `running` until the next claim.
      await l.claimed.release().catch(() => undefined);
      outcomes.set(l.claimed.trialId, { ...laneBase(l), outcome: "released", step: r.step });
      return;
    }
    try {
      await l.claimed.finish(r);
    } catch (e) {
      // The DB refused the write: the sweep was cancelled (before our poll noticed) or a newer attempt owns the trial.
      if (!rt.isStaleAttempt(e)) throw e;
      return drop(l, r.step);
    }
    outcomes.set(l.claimed.trialId, { ...laneBase(l), outcome: r.state, step: r.step, metrics: r.best?.metrics, ...(r.state === "failed" ? { reason: r.reason } : {}) });
  };
  try {
    await rt.run(
      lanes.map((l) => ({ claimed: l.claimed, signal: l.stop.signal })),
      onProgress,
      onTrialDone,
    );
  } catch (e) {
    // An exception (not a trainer-reported failure): BullMQ retries the job with backoff while
    // attempts remain (the next claim supersedes these attempts); the last try records the failure
    // of the trials not ended yet, so `ptune status` / `ptune retry --failed` see it. Never for an
    // infrastructure error: it spends no attempt (the main thread delays the job, failure.ts), so
    // the trial must stay resumable.
    if (classifyFailure(e) !== "infrastructure" && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      const reason = e instanceof Error ? e.message : String(e);
      for (const l of lanes) if (!outcomes.has(l.claimed.trialId)) await l.claimed.finish({ state: "failed", step: l.step, reason, best: null }).catch(() => undefined);
    }
    throw e;
  } finally {
    clearInterval(poll);
    unfollow.forEach((f) => f());
  }
  return result();
}
