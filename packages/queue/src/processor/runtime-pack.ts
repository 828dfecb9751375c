// The pack half of the sandbox runtime (runtime.ts PackRuntime) on the real packages: per-trial
// claims and FencedWriters from @ptune/db, one packed training run through @ptune/trainer's
// runPackedTrials with the thread's cached engine. Shares the thread's caches with the
// single-trial runtime (runtime-ptune.ts), so packs and single jobs on one thread use ONE engine.
import { claimAttempt, FencedWriter, getTrial, loadLatestCheckpoint, NotFoundError, StaleAttemptError, type Claim, type Db, type StoredCheckpoint } from "@ptune/db";
import type { Trial } from "@ptune/sweep";
import type { T5Engine, T5Tokenizer } from "@ptune/t5";
import type { Example } from "@ptune/tasks";
import { deserializeTrainState, runPackedTrials, serializeTrainState, type TrialResult, type TrialSink, type TrialStore } from "@ptune/trainer";
import { ensurePresetModel } from "../ensure-models.ts";
import type { EngineCache } from "./engine-cache.ts";
import type { ClaimedLane, PackRuntime, SandboxConfig, TrialResultLike } from "./runtime.ts";
import { trialToSpec } from "./trial-to-spec.ts";

export interface PackRuntimeContext {
  db: Db;
  cfg: SandboxConfig;
  engines: EngineCache<T5Engine>;
  tokenizerFor(dir: string): T5Tokenizer;
  dataFor(trial: Trial): Promise<{ train: Example[]; dev: Example[] }>;
}

/** A lane plus what only the runtime touches: its trial config, store and sink. */
interface Lane extends ClaimedLane {
  trial: Trial;
  store: TrialStore;
  sink: TrialSink;
}

/** A new attempt at `trialId` (single and pack jobs): its sweep config, the claim (with the
 * checkpoint to resume from) and the writer fenced to that attempt. */
export async function claimTrial(db: Db, trialId: string, workerId: string): Promise<{ trial: Trial; claim: Claim; writer: FencedWriter }> {
  const row = await getTrial(db, trialId);
  if (!row) throw new NotFoundError(`no trial '${trialId}' in the database (was its sweep submitted to ${db.url.replace(/\/\/[^@]*@/, "//")}?)`);
  const trial = row.config as unknown as Trial;
  const claim = await claimAttempt(db, trialId, workerId);
  return { trial, claim, writer: new FencedWriter(db, trialId, claim.attempt) };
}

/** The trainer's result as @ptune/db's FencedWriter.finish input (single and pack jobs). */
export function finishInput(result: TrialResultLike): Parameters<FencedWriter["finish"]>[0] {
  const r = result as unknown as TrialResult;
  return {
    state: r.state,
    result: { ...r, best: r.best ? { ...r.best } : null },
    error: r.state === "failed" ? r.reason : null,
    best: r.best ? { metric: r.best.metric, score: r.best.score, step: r.best.step } : null,
  };
}

const isStale = (e: unknown) => e instanceof StaleAttemptError || (e as Error)?.name === "StaleAttemptError";

export function packRuntime(ctx: PackRuntimeContext): Pick<PackRuntime, "claimLane" | "runPack"> {
  const { db, engines, cfg } = ctx;
  const lanes = new WeakMap<ClaimedLane, Lane>();

  async function claimLane(trialId: string, workerId: string): Promise<ClaimedLane> {
    const { trial, claim, writer } = await claimTrial(db, trialId, workerId);
    // The claim already read the latest checkpoint: use it for the first latest().
    let pending: StoredCheckpoint | null | undefined = claim.resumeFrom;
    // A refused write marks the lane stale and is swallowed (see ClaimedLane): the packed trainer
    // goes on until the pack processor restarts the pack without this lane.
    const fenced = async (write: () => Promise<unknown>) => {
      if (lane.stale) return;
      try {
        await write();
      } catch (e) {
        if (!isStale(e)) throw e;
        lane.stale = true;
        lane.onStale?.();
      }
    };
    const lane: Lane & { stale: boolean } = {
      trialId,
      attempt: claim.attempt,
      resumeFrom: claim.resumeFrom?.step ?? null,
      stale: false,
      trial,
      store: {
        async latest() {
          const c = pending !== undefined ? pending : await loadLatestCheckpoint(db, trialId);
          pending = undefined;
          return c ? deserializeTrainState(c.state) : null;
        },
        save: (s, o) => fenced(() => writer.saveCheckpoint(serializeTrainState(s), { step: s.step, best: o.best })),
      },
      sink: {
        steps: (rows) => fenced(() => writer.steps(rows)),
        evaluation: (e) => fenced(() => writer.evaluation(e)),
      },
      async finish(result) {
        await writer.finish(finishInput(result));
      },
      async release() {
        await writer.release();
      },
    };
    lanes.set(lane, lane);
    return lane;
  }

  async function runPack(claimed: readonly ClaimedLane[], signal: AbortSignal, onProgress: (p: { trialId: string; step: number; total: number; loss: number; examplesPerSec: number }) => void, onLaneDone?: (lane: ClaimedLane, result: TrialResultLike) => Promise<void>): Promise<TrialResultLike[]> {
    const members = claimed.map((c) => {
      const l = lanes.get(c);
      if (!l) throw new Error(`runPack: trial ${c.trialId} was not claimed through this runtime`);
      return l;
    });
    const first = members[0].trial;
    for (const l of members) {
      // enqueue packs by model (pack-plan.ts); a mismatch means the job was not made by enqueueSweep
      if (l.trial.model.checkpoint !== first.model.checkpoint) {
        throw new Error(`pack job mixes models: trial ${l.trialId} uses ${l.trial.model.checkpoint}, trial ${members[0].trialId} ${first.model.checkpoint}`);
      }
    }
    const dir = first.model.checkpoint;
    await ensurePresetModel(first.model.name, first.model);
    const [engine, data] = await Promise.all([engines.get(dir, cfg.device), Promise.all(members.map((l) => ctx.dataFor(l.trial)))]);
    const results = await runPackedTrials(
      members.map((l) => trialToSpec(l.trial)),
      {
        engine,
        tokenizer: ctx.tokenizerFor(dir),
        data, // the same task gives the same arrays (dataFor caches): the pack tokenises and evaluates them once
        stores: members.map((l) => l.store),
        sinks: members.map((l) => l.sink),
        signal,
        onProgress: (p) => onProgress({ trialId: p.trialId, step: p.step, total: p.total, loss: p.loss, examplesPerSec: p.examplesPerSec }),
        onTrialDone: onLaneDone && ((k, r) => onLaneDone(claimed[k], r as unknown as TrialResultLike)),
      },
    );
    return results as unknown as TrialResultLike[];
  }

  return { claimLane, runPack };
}
