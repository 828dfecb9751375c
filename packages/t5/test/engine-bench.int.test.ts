// The engine benchmark on the tiny fixture (the T5-small default is for `npm run bench:engine`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureModel } from "../../../tooling/test-env.ts";
import { benchEngine, promptStepFlops, t5ForwardMacs } from "../bench/engine-bench.ts";
import { readT5Config } from "../src/config.ts";

const cacheDir = mkdtempSync(path.join(tmpdir(), "ptune-bench-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("engine benchmark", () => {
  it("counts matmul MACs by hand for a one-layer model", () => {
    const c = { ...readT5Config(fixtureModel("v1_0")), num_layers: 1, num_decoder_layers: 1 };
    // d 64, inner 64, d_ff 128, ReLU, vocab 1100; S = 10, L = 4
    const enc = 4 * 10 * 64 * 64 + 2 * 10 * 10 * 64 + 2 * 10 * 64 * 128;
    const dec = 4 * 4 * 64 * 64 + 2 * 4 * 4 * 64 + (2 * 4 * 64 * 64 + 2 * 10 * 64 * 64 + 2 * 4 * 10 * 64) + 2 * 4 * 64 * 128;
    expect(t5ForwardMacs(c, 10, 4)).toBe(enc + dec + 4 * 64 * 1100);
    expect(promptStepFlops(c, { batch: 3, inputLen: 7, promptLen: 3, targetLen: 4 })).toBe(4 * 3 * (enc + dec + 4 * 64 * 1100));
  });

  it("times prompt steps and a plain MatMul on the CPU EP", async () => {
    const r = await benchEngine({ modelDir: fixtureModel("v1_1"), batch: 2, inputLen: 16, targetLen: 4, promptLen: 5, steps: 2, cacheDir });
    expect(r.msPerStep).toBeGreaterThan(0);
    expect(r.flopsPerStep).toBe(promptStepFlops(readT5Config(fixtureModel("v1_1")), r.shape));
    expect(r.gflopsPerSec).toBeGreaterThan(0);
    expect(r.matmul.gflopsPerSec).toBeGreaterThan(0);
    expect(Number.isFinite(r.loss)).toBe(true);
  });
});
