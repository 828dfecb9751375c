// `ptune bench gpu` machinery on the CPU EP with a tiny random preset (the GPU figures need a GPU:
// docs/gpu.md); the anchors and the memory estimate are checked against their sources.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sharedDir } from "../../../tooling/test-env.ts";
import { activationBytes, benchGpu, loadAnchor, PEFT_SHAPE } from "../bench/gpu-bench.ts";

const cacheDir = mkdtempSync(path.join(tmpdir(), "ptune-gpubench-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("bench gpu", () => {
  it("times shared and packed prompt steps in fp32 and fp16, with fp16's parity against fp32", async () => {
    const partials: number[] = [];
    const r = await benchGpu({
      sizes: ["t5-nano"],
      dtypes: ["fp32", "fp16"],
      ks: [1, 3],
      steps: 1,
      device: "cpu",
      shape: { batch: 2, inputLen: 8, targetLen: 4, promptLen: 3 },
      cacheDir,
      anchor: "h100",
      onProgress: (p) => partials.push(p.rows.length),
    });
    expect(r.rows.map((x) => `${x.size}/${x.dtype}`)).toEqual(["t5-nano/fp32", "t5-nano/fp16"]);
    for (const row of r.rows) {
      expect(row.error).toBeUndefined();
      expect(row.msPerStep).toBeGreaterThan(0);
      expect(row.packed.map((p) => p.examples)).toEqual([2, 6]);
      for (const p of row.packed) expect(p.trialsPerHour).toBeCloseTo((3600 * 1000 * p.k) / p.msPerStep! / 30000, 6);
      expect(row.anchor).toBeUndefined(); // no PEFT figure for t5-nano
    }
    expect(r.rows[0].parity).toBeUndefined();
    expect(r.rows[1].parity!.gradCosine).toBeGreaterThan(0.999);
    expect(r.anchor?.card).toMatch(/H100/);
    expect(partials.length).toBeGreaterThanOrEqual(4);
  });

  it("stops starting new runs when the time budget is spent", async () => {
    const r = await benchGpu({ sizes: ["t5-nano"], dtypes: ["fp32"], ks: [1], steps: 1, device: "cpu", shape: { batch: 1, inputLen: 4, targetLen: 2, promptLen: 2 }, cacheDir, budgetSeconds: 1e-9 });
    expect(r.rows[0].skipped).toMatch(/time budget/);
  });

  it("reads the PEFT anchors as stored and from a peft_bench.py output file", () => {
    for (const card of ["h100", "h200"] as const) {
      const ref = JSON.parse(readFileSync(path.join(sharedDir, "reference", `peft-prompt-tuning-${card}.json`), "utf8"));
      const a = loadAnchor(card, undefined)!;
      for (const r of ref.results) expect(a.msPerStep[r.size][r.prec]).toBeCloseTo(r.step_s * 1000, 0);
    }
    const file = path.join(cacheDir, "peft.json");
    writeFileSync(file, JSON.stringify({ gpu: "NVIDIA H100 80GB HBM3", results: [{ size: "small", prec: "fp32", step_s: 0.05 }, { size: "base", prec: "bf16", error: "oom" }] }));
    expect(loadAnchor(file, undefined)).toMatchObject({ card: "NVIDIA H100 80GB HBM3", msPerStep: { small: { fp32: 50 } } });
    expect(loadAnchor(undefined, "NVIDIA H200")?.card).toBe("NVIDIA H200");
    expect(loadAnchor(undefined, undefined)).toBeUndefined();
    expect(() => loadAnchor("a100", undefined)).toThrow(/neither a file nor one of h100, h200/);
  });

  it("estimates activation memory within 1.5x of PEFT's measured peaks (B = 32)", () => {
    // PEFT peak GiB (H100 and H200 alike) minus the weights it holds (params x bytes)
    const peaks = { small: [2.79, 60.5e6], base: [8.05, 223e6], large: [21.87, 750e6] } as const;
    for (const [size, [peak, params]] of Object.entries(peaks)) {
      const est = activationBytes(size, 32, PEFT_SHAPE, "fp32") / 2 ** 30;
      const measured = peak - (params * 4) / 2 ** 30;
      expect(est / measured, size).toBeGreaterThan(0.66);
      expect(est / measured, size).toBeLessThan(1.5);
    }
  });
});
