// What a trial reads and writes outside the trainer, and how it ends (docs/architecture.md,
// "Trainer used by the worker"). Shared by runTrial, runTrials and the per-trial state machine.
import type { Example } from "@ptune/tasks";
import type { BestSoFar, TrainState } from "../train-state.ts";

export interface TrialStore {
  latest(): Promise<TrainState | null>;
  save(s: TrainState, o: { best: boolean }): Promise<void>;
}
export interface TrialSink {
  steps(rows: { step: number; name: string; value: number }[]): Promise<void>;
  evaluation(e: { split: string; step: number; metrics: Record<string, number> }): Promise<void>;
}
export interface TrialProgress {
  step: number;
  total: number;
  loss: number;
  examplesPerSec: number;
  etaSeconds: number;
}
/** Where model tuning reads the initial weights (a @ptune/t5 Checkpoint satisfies it). */
export interface WeightSource {
  /** true when lm_head.weight IS shared.weight (T5 v1.0): trained once, as shared.weight */
  readonly lmHeadTied?: boolean;
  tensors(): string[];
  info(name: string): { shape: number[] };
  read(name: string): Float32Array;
}
/** The tensors model tuning trains: every weight, a tied lm_head once (as shared.weight). */
export function tunedWeightNames(src: WeightSource): string[] {
  return src.tensors().filter((n) => !(src.lmHeadTied && n === "lm_head.weight"));
}
export interface TrialData {
  train: readonly Example[];
  dev: readonly Example[];
}

/** The selection metric of model tuning on an engine without withWeights (lower is better). */
export const DEV_LOSS = "dev_loss";

export type TrialResult =
  | { state: "completed"; step: number; best: BestSoFar | null; stoppedEarly: boolean; lastLoss: number }
  | { state: "failed"; step: number; reason: string; best: BestSoFar | null }
  | { state: "cancelled"; step: number; best: BestSoFar | null };
