// Model tuning keeps every weight, its gradient and its optimizer state in memory. Before starting
// we estimate params * 4 bytes * (weights + grads + optimizer) and refuse, with a message, when it
// exceeds the budget: a clear "too large" beats an out-of-memory crash halfway through a trial.
// The optimizer term is counted as a full copy (an upper bound: Adafactor's factored state is
// rows + cols, but unfactored vectors and the update buffer are full size).
import os from "node:os";

export const MODEL_TUNING_COPIES = 3; // weights + grads + optimizer state/update buffer

export function estimateModelTuningBytes(params: number): number {
  return params * 4 * MODEL_TUNING_COPIES;
}

export class ModelTooLargeError extends Error {
  override name = "ModelTooLargeError";
}

/** Throws ModelTooLargeError when the estimate exceeds the budget; returns the numbers otherwise. */
export function checkModelTuningFits(params: number, opts: { memoryBudgetBytes?: number; gpuMemoryBytes?: number }): { needBytes: number; budgetBytes: number } {
  const needBytes = estimateModelTuningBytes(params);
  const budgetBytes = opts.gpuMemoryBytes ?? opts.memoryBudgetBytes ?? Math.floor(os.totalmem() * 0.75);
  if (needBytes > budgetBytes) {
    const gib = (b: number) => (b / 2 ** 30).toFixed(2);
    const where = opts.gpuMemoryBytes ? "configured gpu_memory_bytes" : opts.memoryBudgetBytes ? "memory_budget_bytes" : "75% of host memory";
    throw new ModelTooLargeError(
      `model tuning needs ~${gib(needBytes)} GiB (${params.toLocaleString("en")} params x 4 bytes x ${MODEL_TUNING_COPIES} for weights, grads and optimizer) but the ${where} is ${gib(budgetBytes)} GiB; use method prompt_tuning or a machine with more memory`,
    );
  }
  return { needBytes, budgetBytes };
}
