import { describe, expect, it } from "vitest";
import { parseT5Config, T5_PRESETS, weightBytes } from "@ptune/t5";
import { checkModelTuningFits, checkPromptTuningFits, checkRunFits, estimateModelTuningBytes, ModelTooLargeError } from "./memory.ts";
import { parseTrialSpec, learningRate } from "./trial-spec.ts";

describe("model-tuning memory check", () => {
  it("estimates params x 4 bytes x (weights + grads + optimizer)", () => {
    expect(estimateModelTuningBytes(1000)).toBe(12000);
  });
  it("refuses with a clear error when over the budget, naming the budget used", () => {
    // T5-XXL: 11e9 params -> ~123 GiB > an 80 GB GPU
    expect(() => checkModelTuningFits(11e9, { gpuMemoryBytes: 80e9 })).toThrow(ModelTooLargeError);
    expect(() => checkModelTuningFits(11e9, { gpuMemoryBytes: 80e9 })).toThrow(/model's gpu_memory_gb \(the sweep\) is 74.51 GiB/);
    expect(checkModelTuningFits(60e6, { memoryBudgetBytes: 1e9 })).toEqual({ needBytes: 720e6, budgetBytes: 1e9 });
  });
});

describe("prompt-tuning memory check", () => {
  const xl = parseT5Config({ model_type: "t5", feed_forward_proj: "gated-gelu", tie_word_embeddings: false, ...T5_PRESETS.xl }, "xl preset");
  const shape = { batch: 1, inputLen: 128, promptLen: 100, targetLen: 8 };
  it("a T5-XL-shaped model (11.4 GB of float32 weights) fits 24 GB once, and is refused in 12 GB with the numbers", () => {
    const { needBytes } = checkPromptTuningFits(xl, shape, "fp32", { memoryBudgetBytes: 24e9 });
    expect(needBytes).toBeGreaterThan(11.4e9);
    expect(needBytes).toBeLessThan(16e9);
    expect(() => checkPromptTuningFits(xl, shape, "fp32", { memoryBudgetBytes: 12e9 })).toThrow(ModelTooLargeError);
    expect(() => checkPromptTuningFits(xl, shape, "fp32", { memoryBudgetBytes: 12e9 })).toThrow(/prompt tuning needs ~1\d\.\d\d GiB \(weights 10\.\d\d GiB fp32 \+ activations .* but the memory budget \(memory_budget_bytes, or ptune worker --memory-gb\) is 11\.18 GiB/);
  });
  it("half precision halves the weights term", () => {
    const full = checkPromptTuningFits(xl, shape, "fp32", { gpuMemoryBytes: 80e9 }).needBytes;
    const half = checkPromptTuningFits(xl, shape, "bf16", { gpuMemoryBytes: 80e9 }).needBytes;
    expect(half / full).toBeGreaterThan(0.45);
    expect(half / full).toBeLessThan(0.6);
  });
});

describe("the one memory check of a run (checkRunFits)", () => {
  const xl = parseT5Config({ model_type: "t5", feed_forward_proj: "gated-gelu", tie_word_embeddings: false, ...T5_PRESETS.xl }, "xl preset");
  const model = { config: xl, precision: "fp32" as const };
  const spec = (o: Record<string, unknown> = {}) => parseTrialSpec({ task: "rte", batch_size: 1, max_input_length: 128, prompt_length: 100, max_target_length: 8, ...o });
  it("a pack's batches add up over one copy of the weights", () => {
    const alone = checkPromptTuningFits(xl, { batch: 1, inputLen: 128, promptLen: 100, targetLen: 8 }, "fp32", { memoryBudgetBytes: 1e12 }).needBytes;
    const four = checkPromptTuningFits(xl, { batch: 4, inputLen: 128, promptLen: 100, targetLen: 8 }, "fp32", { memoryBudgetBytes: 1e12 }).needBytes;
    const budget = (alone + four) / 2; // holds one trial, not a pack of four
    expect(() => checkRunFits([spec()], model, { device: "cpu", memoryBudgetBytes: budget })).not.toThrow();
    expect(() => checkRunFits([spec(), spec(), spec(), spec()], model, { device: "cpu", memoryBudgetBytes: budget })).toThrow(/at batch 4, /);
  });
  it("the budget: gpu_memory_gb on CUDA; on a CPU the trial's memory_budget_bytes, else the worker's limit", () => {
    const s = spec({ gpu_memory_bytes: 80e9, memory_budget_bytes: 1e9 });
    expect(() => checkRunFits([s], model, { device: "cuda", memoryBudgetBytes: 1e9 })).not.toThrow();
    expect(() => checkRunFits([s], model, { device: "cpu", memoryBudgetBytes: 1e12 })).toThrow(/memory budget \(memory_budget_bytes, or ptune worker --memory-gb\) is 953\.7 MiB/);
    expect(() => checkRunFits([spec()], model, { device: "cpu", memoryBudgetBytes: 2 ** 30 })).toThrow(/is 1\.00 GiB/);
  });
  it("model tuning counts weights, grads and optimizer state of the tuned parameters (the config's stored weights)", () => {
    const params = weightBytes(xl, "fp32") / 4; // a T5-XL shape: ~2.85e9
    expect(params).toBeGreaterThan(2.8e9);
    expect(params).toBeLessThan(2.9e9);
    const s = (budget: number) => spec({ method: "model_tuning", memory_budget_bytes: budget });
    expect(() => checkRunFits([s(params * 12 + 1)], model)).not.toThrow();
    expect(() => checkRunFits([s(params * 12 - 1)], model)).toThrow(ModelTooLargeError);
    expect(() => checkRunFits([s(params * 12 - 1)], model)).toThrow(new RegExp(`^model tuning needs ~[\\d.]+ GiB \\(${params.toLocaleString("en")} params x 4 bytes x 3`));
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
