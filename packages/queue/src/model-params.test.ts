import { parseSweep } from "@ptune/sweep";
import { describe, expect, it } from "vitest";
import { fixtureModel } from "../../../tooling/test-env.ts";
import { countT5Parameters, modelParams } from "./model-params.ts";

describe("modelParams", () => {
  it("counts the golden tiny T5 v1.1 and prefers a stated count", () => {
    // d 64, vocab 1100, 2+3 layers, d_kv 16 x 4 heads, gated FFN 128, untied head, 32 buckets
    const d = 64, v = 1100, inner = 64, ff = 128, buckets = 32 * 4;
    const enc = 2 * (4 * d * inner + 3 * d * ff + 2 * d) + buckets + d;
    const dec = 3 * (8 * d * inner + 3 * d * ff + 3 * d) + buckets + d;
    expect(countT5Parameters(fixtureModel("v1_1"))).toBe(v * d + enc + dec + v * d);
    const spec = parseSweep(
      `name: p\nmodels:\n  a: { checkpoint: ${fixtureModel("v1_1")}, gpu_memory_gb: 1 }\n  b: { checkpoint: /nowhere, gpu_memory_gb: 1 }\n  c: { checkpoint: /nowhere, gpu_memory_gb: 1, params: 42 }\ngrid: { model: [a, b, c], task: synthetic }\n`,
      "p.yaml",
    );
    expect(Object.fromEntries(modelParams(spec))).toEqual({ a: countT5Parameters(fixtureModel("v1_1")), b: 0, c: 42 });
  });
});
