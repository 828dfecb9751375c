// One trial, as a pack of one (trial/run-trials.ts; the state machine is trial/lane.ts).
//
// Loop: batch (seeded epoch shuffling) -> engine step -> Adafactor -> every `eval_every` steps a dev
// evaluation (best kept by the task's primary metric, early stopping after `patience` evaluations
// without improvement) -> every `checkpoint_every` steps a checkpoint. Everything the next step
// depends on (parameters, optimizer state, data position, RNG, best-so-far) is in the TrainState,
// so `store.latest()` resumes bit-identically. Non-finite loss fails the trial with its step; an
// abort checkpoints and returns "cancelled"; a model over the memory budget throws
// ModelTooLargeError before any step (memory.ts checkRunFits).
import type { EngineLike } from "./engine-like.ts";
import type { TokenizerLike } from "./tokenizer-like.ts";
import type { TrialSpec } from "./trial-spec.ts";
import { runTrials, type RunTrialsDeps, type TrialInput } from "./trial/run-trials.ts";
import type { TrialProgress, TrialResult } from "./trial/types.ts";

export { DEV_LOSS, type TrialData, type TrialProgress, type TrialResult, type TrialSink, type TrialStore, type WeightSource } from "./trial/types.ts";
export { judgeEvaluation, trialKey } from "./trial/lane.ts";

/** A trial's own inputs (TrialInput without the spec) plus the engine and tokenizer it runs on. */
export type RunTrialDeps = Omit<TrialInput, "spec"> & {
  engine: EngineLike;
  tokenizer: TokenizerLike;
  onProgress?(p: TrialProgress): void;
  memory?: RunTrialsDeps["memory"];
};

export async function runTrial(spec: TrialSpec, deps: RunTrialDeps): Promise<TrialResult> {
  const { engine, tokenizer, onProgress, memory, ...trial } = deps;
  const [result] = await runTrials([{ spec, ...trial }], {
    engine,
    tokenizer,
    memory,
    onProgress: onProgress && (({ trial: _k, trialId: _id, ...p }) => onProgress(p)),
  });
  return result;
}
