import { describe, expect, it } from "vitest";
import { checkModelTuningFits, estimateModelTuningBytes, ModelTooLargeError } from "./memory.ts";
import { parseTrialSpec, learningRate } from "./trial-spec.ts";

describe("model-tuning memory check", () => {
  it("estimates params x 4 bytes x (weights + grads + optimizer)", () => {
    expect(estimateModelTuningBytes(1000)).toBe(12000);
  });
  it("refuses with a clear error when over the budget, naming the budget used", () => {
    // T5-XXL: 11e9 params -> ~123 GiB > an 80 GB GPU
    expect(() => checkModelTuningFits(11e9, { gpuMemoryBytes: 80e9 })).toThrow(ModelTooLargeError);
    expect(() => checkModelTuningFits(11e9, { gpuMemoryBytes: 80e9 })).toThrow(/configured gpu_memory_bytes is 74.51 GiB/);
    expect(checkModelTuningFits(60e6, { memoryBudgetBytes: 1e9 })).toEqual({ needBytes: 720e6, budgetBytes: 1e9 });
  });
});

describe("trial spec", () => {
  it("fills the paper's defaults and per-method learning rates", () => {
    const s = parseTrialSpec({ task: "rte" });
    expect(s).toMatchObject({ method: "prompt_tuning", prompt_length: 100, init: "class_label", steps: 30000, batch_size: 32, weight_decay: 1e-5 });
    expect(learningRate(s)).toBe(0.3);
    expect(learningRate(parseTrialSpec({ task: "rte", method: "model_tuning" }))).toBe(1e-3);
  });
  it("names the bad field", () => {
    expect(() => parseTrialSpec({ task: "rte", init: "vocab" })).toThrow(/field 'init'/);
    expect(() => parseTrialSpec({ task: "rte", eval_every: 0 })).toThrow(/field 'eval_every'/);
  });
});
