// The memory benchmark on the tiny fixtures (the real sizes are for `ptune bench memory`; docs/memory.md).
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureModel } from "../../../tooling/test-env.ts";
import { benchMemory, dirBytes } from "../bench/memory-bench.ts";
import { openCheckpoint } from "../src/checkpoint/checkpoint.ts";

const cacheDir = mkdtempSync(path.join(tmpdir(), "ptune-membench-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("memory benchmark", () => {
  it("runs a trial's phases and reports weights, peaks, the estimate and a cache without weight bytes", async () => {
    const r = await benchMemory({ modelDir: fixtureModel("v1_1"), batch: 2, inputLen: 12, promptLen: 5, targetLen: 4, steps: 2, decodeTokens: 3, engine: { cacheDir } });
    expect(r.phases.map((p) => p.phase)).toEqual(["open", "train", "score", "greedy"]);
    const peaks = r.phases.map((p) => p.peakRssBytes);
    expect(peaks).toEqual([...peaks].sort((a, b) => a - b)); // a high-water mark never goes down
    const ckpt = openCheckpoint(fixtureModel("v1_1"));
    const params = ckpt.tensors().reduce((n, t) => n + ckpt.info(t).shape.reduce((a, b) => a * b, 1), 0);
    ckpt.close();
    expect(r.weightBytes).toBe(4 * params);
    expect(r.ratio).toBeCloseTo(r.peakRssBytes / r.weightBytes, 10);
    expect(r.estimate.weightBytes).toBe(r.weightBytes);
    expect(r.estimate.totalBytes).toBe(r.estimate.weightBytes + r.estimate.activationBytes + r.estimate.runtimeBytes);
    // the CPU engine's graphs take the weights as inputs: the cache holds graph structure only
    const dir = path.join(cacheDir, "t5", readdirSync(path.join(cacheDir, "t5"))[0]);
    expect(readdirSync(dir).filter((f) => /\.(bin|safetensors)$/.test(f))).toEqual([]);
    expect(r.cacheBytes).toBe(dirBytes(dir));
  });
});
