// Model tuning keeps every weight, its gradient and its optimizer state in memory. Before starting
// we estimate params * 4 bytes * (weights + grads + optimizer) and refuse, with a message, when it
// exceeds the budget: a clear "too large" beats an out-of-memory crash halfway through a trial.
// The optimizer term is counted as a full copy (an upper bound: Adafactor's factored state is
// rows + cols, but unfactored vectors and the update buffer are full size).
import os from "node:os";
import { estimateTrialMemory, weightBytes, type Precision, type T5Config, type TrialShape } from "@ptune/t5";
import type { ResolvedTrialSpec } from "./trial-spec.ts";

export const MODEL_TUNING_COPIES = 3; // weights + grads + optimizer state/update buffer

export function estimateModelTuningBytes(params: number): number {
  return params * 4 * MODEL_TUNING_COPIES;
}

export class ModelTooLargeError extends Error {
  override name = "ModelTooLargeError";
}

export interface MemoryBudget {
  memoryBudgetBytes?: number;
  gpuMemoryBytes?: number;
}
/** "1.25 GiB", or "3.0 MiB" below a GiB (a budget of a few MiB must not read "0.00") */
const size = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);
const budgetOf = (opts: MemoryBudget) => ({
  budgetBytes: opts.gpuMemoryBytes ?? opts.memoryBudgetBytes ?? Math.floor(os.totalmem() * 0.75),
  where: opts.gpuMemoryBytes ? "model's gpu_memory_gb (the sweep)" : opts.memoryBudgetBytes ? "memory budget (memory_budget_bytes, or ptune worker --memory-gb)" : "75% of host memory",
});

/**
 * Prompt tuning: the frozen weights once per engine, the prompt step's activations and the runtime
 * (@ptune/t5 estimateTrialMemory, within 15% of `ptune bench memory`'s measured peak; docs/memory.md).
 * Throws ModelTooLargeError when the estimate exceeds the budget; returns the numbers otherwise.
 */
export function checkPromptTuningFits(config: T5Config, shape: TrialShape, precision: Precision, opts: MemoryBudget): { needBytes: number; budgetBytes: number } {
  const m = estimateTrialMemory(config, shape, precision);
  const { budgetBytes, where } = budgetOf(opts);
  if (m.totalBytes > budgetBytes) {
    throw new ModelTooLargeError(
      `prompt tuning needs ~${size(m.totalBytes)} (weights ${size(m.weightBytes)} ${precision} + activations ${size(m.activationBytes)} at batch ${shape.batch}, input ${shape.inputLen} + prompt ${shape.promptLen}, target ${shape.targetLen} + runtime ${size(m.runtimeBytes)}) but the ${where} is ${size(budgetBytes)}; use a smaller batch_size, half precision on a GPU, or a worker with more memory`,
    );
  }
  return { needBytes: m.totalBytes, budgetBytes };
}

/** Throws ModelTooLargeError when the estimate exceeds the budget; returns the numbers otherwise. */
export function checkModelTuningFits(params: number, opts: MemoryBudget): { needBytes: number; budgetBytes: number } {
  const needBytes = estimateModelTuningBytes(params);
  const { budgetBytes, where } = budgetOf(opts);
  if (needBytes > budgetBytes) {
    throw new ModelTooLargeError(
      `model tuning needs ~${size(needBytes)} (${params.toLocaleString("en")} params x 4 bytes x ${MODEL_TUNING_COPIES} for weights, grads and optimizer) but the ${where} is ${size(budgetBytes)}; use method prompt_tuning or a machine with more memory`,
    );
  }
  return { needBytes, budgetBytes };
}

/** The worker's side of the budget: its device, and its own limit on a CPU worker (ptune worker --memory-gb). */
export interface WorkerMemory {
  device?: "cpu" | "cuda";
  memoryBudgetBytes?: number;
}

/** A trial's budget: the sweep's gpu_memory_gb on a CUDA worker; on a CPU worker the trial's
 * memory_budget_bytes, else the worker's --memory-gb, else 75% of the host's memory. */
export function budgetFor(spec: ResolvedTrialSpec, worker: WorkerMemory): MemoryBudget {
  return worker.device === "cuda" ? { gpuMemoryBytes: spec.gpu_memory_bytes } : { memoryBudgetBytes: spec.memory_budget_bytes ?? worker.memoryBudgetBytes };
}

/**
 * THE memory check of a run (runTrials calls it before any lane opens, fresh or resumed): a
 * model-tuning trial (it trains alone) needs its weights, grads and optimizer state; a pack of
 * prompt-tuning trials trains in one batch, so their batches add up over the frozen weights held
 * once. Throws ModelTooLargeError (an input error: the trial fails at once with this message).
 */
export function checkRunFits(specs: readonly ResolvedTrialSpec[], model: { config: T5Config; precision: Precision }, worker: WorkerMemory = {}): void {
  const budget = budgetFor(specs[0], worker); // one model per run: its sweep settings are the pack's
  if (specs[0].method === "model_tuning") {
    // the tuned parameters are the stored weights (a tied lm_head once), counted from the config:
    // a resumed trial, whose weights come from its checkpoint, is checked the same
    checkModelTuningFits(weightBytes(model.config, "fp32") / 4, budget);
    return;
  }
  const shape: TrialShape = {
    batch: specs.reduce((n, s) => n + s.batch_size, 0),
    inputLen: Math.max(...specs.map((s) => s.max_input_length)),
    promptLen: Math.max(...specs.map((s) => s.prompt_length ?? 0)),
    targetLen: Math.max(...specs.map((s) => s.max_target_length)),
  };
  checkPromptTuningFits(model.config, shape, model.precision, budget);
}
