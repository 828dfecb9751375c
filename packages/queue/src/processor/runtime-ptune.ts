// TrialRuntime on the real packages: @ptune/db (claim, fenced writes), @ptune/t5 (engine,
// tokenizer, weights), @ptune/tasks (data), @ptune/trainer (runTrials). One instance per sandbox
// thread; BullMQ reuses the thread across jobs, so the caches below live across trials (the engine
// holds no trial state: model tuning evaluates through a view it closes, T5Engine.withWeights).
import { claimAttempt, FencedWriter, getTrial, loadLatestCheckpoint, NotFoundError, openDb, StaleAttemptError, TrialClosedError, type StoredCheckpoint } from "@ptune/db";
import type { Trial } from "@ptune/sweep";
import { isHubRef, openCheckpoint, resolveDatasetRef, resolveModelRef, T5Engine, T5Tokenizer } from "@ptune/t5";
import { loadSplit, syntheticTask, type Example } from "@ptune/tasks";
import { deserializeTrainState, runTrials, serializeTrainState, type TrialInput, type TrialResult, type TrialSink, type TrialStore } from "@ptune/trainer";
import { ensurePresetModel } from "../ensure-models.ts";
import { EngineCache } from "./engine-cache.ts";
import type { ClaimedTrial, SandboxConfig, TrialProgressEvent, TrialRuntime } from "./runtime.ts";
import { readTrialConfig, trialToSpec } from "./trial-to-spec.ts";

export interface PtuneRuntime extends TrialRuntime {
  /** engines opened by this thread so far (one per checkpoint dir and device) */
  readonly enginesOpen: number;
  close(): Promise<void>;
}

/** A claimed trial plus what only the runtime touches: its config, store and sink. */
interface Claimed extends ClaimedTrial {
  trial: Trial;
  store: TrialStore;
  sink: TrialSink;
}

const isStale = (e: unknown) => e instanceof StaleAttemptError || (e as Error)?.name === "StaleAttemptError";

/** The trainer's result as @ptune/db's FencedWriter.finish input. */
export function finishInput(r: TrialResult): Parameters<FencedWriter["finish"]>[0] {
  return {
    state: r.state,
    result: { ...r, best: r.best ? { ...r.best } : null },
    error: r.state === "failed" ? r.reason : null,
    best: r.best ? { metric: r.best.metric, score: r.best.score, step: r.best.step } : null,
  };
}

export function createPtuneRuntime(cfg: SandboxConfig): PtuneRuntime {
  // Small pool: one job per thread; the cancel poll and the writes interleave.
  const db = openDb(cfg.databaseUrl, { max: 3 });
  const engines = new EngineCache((dir, device) => T5Engine.open(dir, { device, cacheDir: cfg.cacheDir, threads: cfg.threads || undefined }));
  const tokenizers = new Map<string, T5Tokenizer>();
  const datasets = new Map<string, Promise<{ train: Example[]; dev: Example[] }>>();
  const claims = new WeakMap<ClaimedTrial, Claimed>();
  // The first use of an hf: reference downloads it (minutes for t5-xl): say so, and when this thread
  // waits for another worker's download, on this thread's stderr, which BullMQ pipes to the worker
  // process's (bullmq classes/child.js); the line format is `ptune worker`'s.
  const hub = { log: (line: string) => void process.stderr.write(`[worker ${new Date().toISOString()}] ${cfg.workerId}: ${line}\n`) };

  const tokenizerFor = (dir: string) => {
    let t = tokenizers.get(dir);
    // fromDir: tokenizer.json, else spiece.model (the paper's lm-adapt checkpoints ship only that)
    if (!t) tokenizers.set(dir, (t = T5Tokenizer.fromDir(dir)));
    return t;
  };
  const dataFor = (trial: Trial) => {
    const key = `${trial.task.name}\u0000${trial.task.dataDir ?? ""}`;
    let d = datasets.get(key);
    if (!d) {
      const ref = trial.task.dataDir;
      // hf:datasets/… resolves through the Hugging Face cache (downloading once per host)
      d = ref
        ? resolveDatasetRef(ref, hub).then((dataDir) =>
            Promise.all([loadSplit(trial.task.name, dataDir, "train"), loadSplit(trial.task.name, dataDir, "validation")]).then(([train, dev]) => ({ train, dev })),
          )
        : Promise.resolve(syntheticTask({ seed: 0, ...cfg.synthetic }));
      d.catch(() => datasets.delete(key));
      datasets.set(key, d);
    }
    return d;
  };

  async function claim(trialId: string, workerId: string): Promise<ClaimedTrial> {
    const row = await getTrial(db, trialId);
    if (!row) throw new NotFoundError(`no trial '${trialId}' in the database (was its sweep submitted to ${db.url.replace(/\/\/[^@]*@/, "//")}?)`);
    const c = await claimAttempt(db, trialId, workerId);
    const writer = new FencedWriter(db, trialId, c.attempt);
    let trial: Trial;
    try {
      trial = readTrialConfig(row.config, trialId);
    } catch (e) {
      // A stored config that is not a valid trial cannot train on any try: record why (fenced,
      // so `ptune status` shows it), then throw the TrialConfigError unchanged.
      const reason = e instanceof Error ? e.message : String(e);
      await writer.finish({ state: "failed", result: null, error: reason, best: null }).catch(() => undefined);
      throw e;
    }
    // The claim already read the latest checkpoint: use it for the first latest().
    let pending: StoredCheckpoint | null | undefined = c.resumeFrom;
    // A refused write marks the trial stale and is swallowed (ClaimedTrial): the processor stops it.
    const fenced = async (write: () => Promise<unknown>) => {
      if (claimed.stale) return;
      try {
        await write();
      } catch (e) {
        if (!isStale(e)) throw e;
        claimed.stale = true;
        claimed.onStale?.();
      }
    };
    const claimed: Claimed & { stale: boolean } = {
      trialId,
      attempt: c.attempt,
      resumeFrom: c.resumeFrom?.step ?? null,
      stale: false,
      trial,
      store: {
        async latest() {
          const s = pending !== undefined ? pending : await loadLatestCheckpoint(db, trialId);
          pending = undefined;
          return s ? deserializeTrainState(s.state) : null;
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
    claims.set(claimed, claimed);
    return claimed;
  }

  async function run(
    trials: readonly { claimed: ClaimedTrial; signal: AbortSignal }[],
    onProgress: (p: TrialProgressEvent) => void,
    onTrialDone: (index: number, result: TrialResult) => Promise<void>,
  ): Promise<TrialResult[]> {
    const members = trials.map(({ claimed }) => {
      const c = claims.get(claimed);
      if (!c) throw new Error(`run: trial ${claimed.trialId} was not claimed through this runtime`);
      return c;
    });
    const first = members[0].trial;
    for (const c of members) {
      // enqueue packs by model (pack-plan.ts); a mismatch means the job was not made by enqueueSweep
      if (c.trial.model.checkpoint !== first.model.checkpoint) {
        throw new Error(`pack job mixes models: trial ${c.trialId} uses ${c.trial.model.checkpoint}, trial ${members[0].trialId} ${first.model.checkpoint}`);
      }
    }
    // hf:<org>/<name>[@rev] resolves to its cache snapshot (downloaded on first use, one download
    // per host under a lock); a preset names a local folder created on first use.
    const ref = first.model.checkpoint;
    if (!isHubRef(ref)) await ensurePresetModel(first.model.name, first.model);
    const dir = await resolveModelRef(ref, hub);
    const [engine, data] = await Promise.all([engines.get(dir, cfg.device), Promise.all(members.map((c) => dataFor(c.trial)))]);
    const specs = members.map((c) => trialToSpec(c.trial));
    const inputs: TrialInput[] = members.map((c, k) => ({
      spec: specs[k],
      data: data[k], // the same task gives the same arrays (dataFor caches): a pack tokenises and evaluates them once
      store: c.store,
      sink: c.sink,
      signal: trials[k].signal,
      ...(c.trial.method === "model_tuning" ? { weights: openCheckpoint(dir) } : {}),
    }));
    return runTrials(inputs, {
      engine,
      tokenizer: tokenizerFor(dir),
      // the memory check's budget (trainer checkRunFits): the sweep's gpu_memory_gb on CUDA; on a
      // CPU worker the trial's memory_budget_bytes, else this worker's --memory-gb, else 75% of host
      memory: { device: cfg.device, memoryBudgetBytes: cfg.memoryBudgetBytes },
      onProgress,
      onTrialDone,
    });
  }

  return {
    claim,
    run,
    get enginesOpen() {
      return engines.size;
    },
    async trialState(trialId) {
      return (await getTrial(db, trialId))?.state ?? null;
    },
    isStaleAttempt: isStale,
    closedState: (e) => (e instanceof TrialClosedError ? e.state : null),
    async close() {
      await engines.closeAll();
      await db.close();
    },
  };
}
