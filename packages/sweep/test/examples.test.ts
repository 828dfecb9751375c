// The sweeps shipped in sweeps/ must parse and expand to the documented sizes.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../tooling/test-env.ts";
import { expandSweep, loadSweepFile, queueNameFor, trialHash } from "../src/index.ts";

const load = (name: string) => loadSweepFile(path.join(repoRoot, "sweeps", name));

describe("shipped sweeps", () => {
  it("quickstart: tiny random models, synthetic task, short CPU runs", () => {
    const spec = load("quickstart.yaml");
    const trials = expandSweep(spec);
    expect(trials.length).toBe(9); // 2 models x 2 lengths x 2 inits + 1 model-tuning trial
    expect(spec.pack).toBe(2); // packed jobs (@ptune/queue): same scores, exercises the packed trainer
    expect(trials.filter((t) => t.method === "model_tuning").map((t) => t.model.name)).toEqual(["nano"]);
    expect(new Set(trials.map((t) => t.model.checkpoint))).toEqual(
      new Set([path.join(repoRoot, ".ptune/models/t5-nano"), path.join(repoRoot, ".ptune/models/t5-micro")]),
    );
    for (const t of trials) {
      expect(t.model.preset).toBeDefined();
      expect(t.task).toEqual({ name: "synthetic" });
      expect(t.training.batchSize).toBe(8);
      expect(t.training.steps).toBeLessThanOrEqual(150);
    }
  });

  it("lester2021-scale: five sizes, SuperGLUE, the ablations and model tuning", () => {
    const spec = load("lester2021-scale.yaml");
    const trials = expandSweep(spec);
    const pt = trials.filter((t) => t.method === "prompt_tuning");
    const mt = trials.filter((t) => t.method === "model_tuning");
    expect(Object.keys(spec.models)).toEqual(["small", "base", "large", "xl", "xxl"]);
    expect(spec.models.xxl.params).toBe(11135332352);
    expect(pt.length).toBe(5 * 8 * 3 * (5 + 2));
    expect(mt.length).toBe(5 * 8 * 3);
    expect(new Set(pt.map((t) => t.promptLength))).toEqual(new Set([1, 5, 20, 100, 150]));
    expect(new Set(pt.map((t) => t.init))).toEqual(new Set(["class_label", "random_uniform", "sampled_vocab"]));
    expect(pt.every((t) => t.training.lr === 0.3 && t.training.decayRate === 0.8 && t.training.steps === 30000)).toBe(true);
    expect(mt.every((t) => t.training.lr === 0.001 && t.training.batchSize === 128)).toBe(true);
    expect(trials.every((t) => /^hf:datasets\/aps\/super_glue\/[a-z.]+@refs\/convert\/parquet$/.test(t.task.dataDir ?? ""))).toBe(true);
    expect(Object.values(spec.models).map((m) => m.checkpoint)).toEqual(["small", "base", "large", "xl", "xxl"].map((s) => `hf:google/t5-${s}-lm-adapt`));
    expect(new Set(trials.map((t) => queueNameFor(t.model.name))).size).toBe(5);
    expect(new Set(trials.map((t) => t.id)).size).toBe(trials.length);
    expect(trials.every((t) => trialHash(t) === t.id)).toBe(true);
  });
});
