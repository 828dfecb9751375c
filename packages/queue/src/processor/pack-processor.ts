// The body of one PACK job (sweep `pack: K`, pack-plan.ts): up to K prompt-tuning trials trained
// in one batch by @ptune/trainer's runPackedTrials, in the same worker-thread sandbox as single
// trials (trial-processor.ts; read that first: the same claim/fence/stop/cancel rules apply per trial).
//
// Flow: claim each trial (own attempt = own fencing token; completed/cancelled/failed ones are
// skipped) -> train the claimed lanes together -> finish each trial with ITS result, as soon as
// the trainer reports it done (runPack's onLaneDone: completed, stopped early or failed while the
// others train on; its final checkpoint is stored by then), so a finished trial never shows
// `running` until the whole pack ends, nor is re-run when the worker dies first. A lane leaves
// the pack without ending the others when
//  - a write of its attempt is refused (StaleAttemptError: a newer attempt owns the trial). The
//    runtime swallows the error and calls onStale (runtime.ts ClaimedLane);
//  - the DB says the trial was cancelled (polled every cancelPollMs).
// runPackedTrials has no per-trial stop, so either aborts the current run with ABORT_REPACK: every
// lane checkpoints and returns "cancelled", and the run restarts from those checkpoints without
// the lane that left (runTrial's TrainState: the remaining lanes continue where they stopped).
// Stop (ABORT_SHUTDOWN) releases the whole job back to `wait` like a single trial; the next
// worker re-claims and resumes every unfinished trial.
import { threadId } from "node:worker_threads";
import { ABORT_CANCELLED, ABORT_REPACK, ABORT_SHUTDOWN, type PackTrialOutcome, type TrialJobResult } from "../job-types.ts";
import { followAbort } from "./follow-abort.ts";
import type { ClaimedLane, PackRuntime, SandboxConfig, TrialResultLike } from "./runtime.ts";
import type { SandboxedTrialJob } from "./trial-processor.ts";

export async function processPackJob(
  job: SandboxedTrialJob,
  signal: AbortSignal | undefined,
  rt: PackRuntime,
  cfg: Pick<SandboxConfig, "workerId" | "cancelPollMs">,
): Promise<TrialJobResult> {
  const trialIds = job.data.trialIds ?? [];
  if (trialIds.length === 0) throw new Error(`pack job ${job.id}: data.trialIds is empty`);
  const base = { workerId: cfg.workerId, threadId };
  const outcomes = new Map<string, PackTrialOutcome>();
  const lanes: ClaimedLane[] = [];
  for (const trialId of trialIds) {
    // A trial this pack already ended as failed (an earlier try of this job) stays failed: the
    // trainer's verdict is final; `ptune retry --failed` re-queues it as a single job.
    if ((await rt.trialState(trialId)) === "failed") {
      outcomes.set(trialId, { trialId, outcome: "failed" });
      continue;
    }
    try {
      lanes.push(await rt.claimLane(trialId, cfg.workerId));
    } catch (e) {
      const closed = rt.closedState(e);
      if (closed) outcomes.set(trialId, { trialId, outcome: closed });
      else if (rt.isStaleAttempt(e)) outcomes.set(trialId, { trialId, outcome: "stale" });
      else throw e;
    }
  }
  const laneBase = (l: ClaimedLane) => ({ trialId: l.trialId, attempt: l.attempt, resumedFrom: l.resumeFrom });
  const summary = (): TrialJobResult => {
    const trials = trialIds.map((id) => outcomes.get(id) ?? { trialId: id, outcome: "released" as const });
    const all = (o: string) => trials.every((t) => t.outcome === o);
    const outcome = trials.some((t) => t.outcome === "released") ? "released" : all("cancelled") ? "cancelled" : all("stale") ? "stale" : "completed";
    return { ...base, outcome, step: Math.max(0, ...trials.map((t) => t.step ?? 0)), trials };
  };
  if (lanes.length === 0) return summary();

  const stop = new AbortController();
  const unfollowJob = followAbort(signal, stop, ABORT_CANCELLED);
  let round = new AbortController();
  let active = lanes;
  const cancelledInDb = new Set<ClaimedLane>();
  /** lanes whose end state is already recorded (finished early through onLaneDone) */
  const ended = new Set<ClaimedLane>();
  for (const l of lanes) l.onStale = () => round.abort(ABORT_REPACK);
  // Cancellation through the DB, per trial (cheap: one row each).
  const poll = setInterval(() => {
    for (const l of active) {
      if (ended.has(l)) continue;
      rt.trialState(l.trialId).then(
        (s) => {
          if (s !== "cancelled" || cancelledInDb.has(l)) return;
          cancelledInDb.add(l);
          if (active.every((x) => cancelledInDb.has(x) || x.stale || ended.has(x))) stop.abort(ABORT_CANCELLED);
          else round.abort(ABORT_REPACK);
        },
        () => undefined, // a transient DB error must not kill the pack; the next poll retries
      );
    }
  }, cfg.cancelPollMs);
  let lastProgress = 0;
  const progress = new Map<string, { step: number; total: number; loss: number }>();
  const onProgress = (p: { trialId: string; step: number; total: number; loss: number; examplesPerSec: number }) => {
    progress.set(p.trialId, { step: p.step, total: p.total, loss: p.loss });
    const now = Date.now();
    if (now - lastProgress < 1_000) return; // at most 1/s through the parent
    lastProgress = now;
    const all = [...progress.values()];
    void job.updateProgress({ step: Math.min(...all.map((x) => x.step)), total: Math.max(...all.map((x) => x.total)), loss: p.loss, trials: Object.fromEntries(progress) }).catch(() => undefined);
  };
  /** A lane that left the pack because its trial is no longer ours: cancelled or superseded. */
  const dropLane = async (l: ClaimedLane, step?: number) => {
    const cancelled = cancelledInDb.has(l) || (await rt.trialState(l.trialId).catch(() => null)) === "cancelled";
    if (!cancelled) void job.log(`attempt ${l.attempt} is stale: a newer attempt owns trial ${l.trialId}`);
    outcomes.set(l.trialId, { ...laneBase(l), outcome: cancelled ? "cancelled" : "stale", step });
  };
  /** Records a lane's final result (fenced); a refused write means the trial is no longer ours. */
  const finishLane = async (l: ClaimedLane, r: TrialResultLike) => {
    try {
      await l.finish(r);
      outcomes.set(l.trialId, { ...laneBase(l), outcome: r.state, step: r.step, metrics: r.best?.metrics });
    } catch (e) {
      if (!rt.isStaleAttempt(e)) throw e;
      await dropLane(l, r.step);
    }
  };
  /**
   * A lane done for good while its pack mates train on: finish it now. A lane already stale or
   * cancelled is left to the end-of-run loop (dropLane, as before). Any other error (a transient
   * DB failure) must not end the other trials: the end-of-run loop finishes it again.
   */
  const onLaneDone = async (l: ClaimedLane, r: TrialResultLike) => {
    if (l.stale || cancelledInDb.has(l) || ended.has(l)) return;
    try {
      await finishLane(l, r);
      ended.add(l);
    } catch (e) {
      void job.log(`trial ${l.trialId} ended (${r.state}) but recording it failed; retrying when the pack returns: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  try {
    while (active.length > 0) {
      round = new AbortController();
      const unfollowStop = followAbort(stop.signal, round);
      let results: TrialResultLike[];
      try {
        results = await rt.runPack(active, round.signal, onProgress, onLaneDone);
      } finally {
        unfollowStop();
      }
      const next: ClaimedLane[] = [];
      for (const [k, l] of active.entries()) {
        const r = results[k];
        if (ended.has(l)) continue; // finished (or dropped) by onLaneDone while the others trained
        if (l.stale || cancelledInDb.has(l)) await dropLane(l, r.step);
        else if (r.state === "cancelled" && round.signal.reason === ABORT_REPACK) next.push(l); // checkpointed: goes on
        else if (r.state === "cancelled" && round.signal.reason === ABORT_SHUTDOWN) {
          // checkpointed; no end state: the next attempt resumes it (the whole job is released)
          await l.release().catch(() => undefined);
          outcomes.set(l.trialId, { ...laneBase(l), outcome: "released", step: r.step });
        } else await finishLane(l, r);
      }
      active = next;
    }
    return summary();
  } catch (e) {
    // An exception (not a trainer-reported failure): BullMQ retries the whole pack with backoff;
    // the next try re-claims the unfinished trials. The last try records the failure of those.
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      const reason = e instanceof Error ? e.message : String(e);
      for (const l of active) if (!outcomes.has(l.trialId)) await l.finish({ state: "failed", reason, best: null }).catch(() => undefined);
    }
    throw e;
  } finally {
    clearInterval(poll);
    unfollowJob();
  }
}
