// TrialRuntime on the real packages: @ptune/db (claim, fenced writes), @ptune/t5 (engine,
// tokenizer, weights), @ptune/tasks (data), @ptune/trainer (runTrial). One instance per sandbox
// thread; BullMQ reuses the thread across jobs, so the caches below live across trials.
import path from "node:path";
import {
  getTrial,
  loadLatestCheckpoint,
  openDb,
  StaleAttemptError,
  TrialClosedError,
  type StoredCheckpoint,
} from "@ptune/db";
import type { Trial } from "@ptune/sweep";
import { openCheckpoint, T5Engine, T5Tokenizer } from "@ptune/t5";
import { loadSplit, syntheticTask, type Example } from "@ptune/tasks";
import { deserializeTrainState, runTrial, serializeTrainState, type TrialResult } from "@ptune/trainer";
import { ensurePresetModel } from "../ensure-models.ts";
import { EngineCache } from "./engine-cache.ts";
import { claimTrial, finishInput, packRuntime } from "./runtime-pack.ts";
import type { ClaimedAttempt, PackRuntime, SandboxConfig, TrialResultLike } from "./runtime.ts";
import { trialToSpec } from "./trial-to-spec.ts";

export interface PtuneRuntime extends PackRuntime {
  /** engines opened by this thread so far (one per checkpoint dir and device) */
  readonly enginesOpen: number;
  close(): Promise<void>;
}

export function createPtuneRuntime(cfg: SandboxConfig): PtuneRuntime {
  // Small pool: one trial per thread; the cancel poll and the writes interleave.
  const db = openDb(cfg.databaseUrl, { max: 3 });
  const engines = new EngineCache((dir, device) => T5Engine.open(dir, { device, cacheDir: cfg.cacheDir, threads: cfg.threads || undefined }));
  const tokenizers = new Map<string, T5Tokenizer>();
  const datasets = new Map<string, Promise<{ train: Example[]; dev: Example[] }>>();

  const tokenizerFor = (dir: string) => {
    let t = tokenizers.get(dir);
    if (!t) tokenizers.set(dir, (t = T5Tokenizer.fromFile(path.join(dir, "tokenizer.json"))));
    return t;
  };
  const dataFor = (trial: Trial) => {
    const key = `${trial.task.name}\u0000${trial.task.dataDir ?? ""}`;
    let d = datasets.get(key);
    if (!d) {
      d = trial.task.dataDir
        ? Promise.all([loadSplit(trial.task.name, trial.task.dataDir, "train"), loadSplit(trial.task.name, trial.task.dataDir, "validation")]).then(([train, dev]) => ({ train, dev }))
        : Promise.resolve(syntheticTask({ seed: 0, ...cfg.synthetic }));
      d.catch(() => datasets.delete(key));
      datasets.set(key, d);
    }
    return d;
  };

  return {
    ...packRuntime({ db, cfg, engines, tokenizerFor, dataFor }),
    get enginesOpen() {
      return engines.size;
    },
    async claim(trialId, workerId): Promise<ClaimedAttempt> {
      const { trial, claim, writer } = await claimTrial(db, trialId, workerId);
      return {
        attempt: claim.attempt,
        resumeFrom: claim.resumeFrom?.step ?? null,
        async run(signal, onProgress) {
          const dir = trial.model.checkpoint;
          await ensurePresetModel(trial.model.name, trial.model);
          const [engine, data] = await Promise.all([engines.get(dir, cfg.device), dataFor(trial)]);
          // The claim already read the latest checkpoint: use it for the first latest().
          let pending: StoredCheckpoint | null | undefined = claim.resumeFrom;
          const store = {
            async latest() {
              const c = pending !== undefined ? pending : await loadLatestCheckpoint(db, trialId);
              pending = undefined;
              return c ? deserializeTrainState(c.state) : null;
            },
            async save(s: Parameters<typeof serializeTrainState>[0], o: { best: boolean }) {
              await writer.saveCheckpoint(serializeTrainState(s), { step: s.step, best: o.best });
            },
          };
          const sink = {
            async steps(rows: { step: number; name: string; value: number }[]) {
              await writer.steps(rows);
            },
            async evaluation(e: { split: string; step: number; metrics: Record<string, number> }) {
              await writer.evaluation(e);
            },
          };
          const result: TrialResult = await runTrial(trialToSpec(trial), {
            engine,
            tokenizer: tokenizerFor(dir),
            data,
            store,
            sink,
            signal,
            onProgress,
            ...(trial.method === "model_tuning" ? { weights: openCheckpoint(dir) } : {}),
          });
          return result as unknown as TrialResultLike;
        },
        async finish(result) {
          await writer.finish(finishInput(result));
        },
        async release() {
          await writer.release();
        },
      };
    },
    async trialState(trialId) {
      return (await getTrial(db, trialId))?.state ?? null;
    },
    isStaleAttempt: (e) => e instanceof StaleAttemptError || (e as Error)?.name === "StaleAttemptError",
    closedState: (e) => (e instanceof TrialClosedError ? e.state : null),
    async close() {
      await engines.closeAll();
      await db.close();
    },
  };
}
