import { describe, expect, it } from "vitest";
import { readSafetensorsFile } from "@ptune/t5";
import { goldenFile } from "../../../tooling/test-env.ts";
import { Adafactor } from "./adafactor.ts";
import { adafactorStep1FromGolden } from "./parity.ts";

describe("Adafactor", () => {
  for (const v of ["v1_1", "v1_0"] as const) {
    it(`reproduces transformers' step 1 on the ${v} golden prompt within 1e-5`, () => {
      const { got, row } = adafactorStep1FromGolden(goldenFile(v));
      expect(row.maxAbs).toBeLessThan(1e-5);
      expect(row.ok).toBe(true);
      // and the step really moved the prompt (not a no-op that happens to be close)
      const p0 = readSafetensorsFile(goldenFile(v)).get("prompt")!.data as Float32Array;
      let moved = 0;
      for (let i = 0; i < p0.length; i++) moved = Math.max(moved, Math.abs(got[i] - p0[i]));
      expect(moved).toBeGreaterThan(0.1);
    });
  }

  it("fails parity when a setting differs (the test can fail)", () => {
    const g = readSafetensorsFile(goldenFile("v1_1"));
    const p = (g.get("prompt")!.data as Float32Array).slice();
    new Adafactor({ lr: 0.3, weightDecay: 1e-5, clipThreshold: 0.5 }).step("prompt", p, g.get("grad_prompt")!.data as Float32Array, [5, 64]);
    const want = g.get("adafactor_prompt_after_step1")!.data as Float32Array;
    let maxAbs = 0;
    for (let i = 0; i < p.length; i++) maxAbs = Math.max(maxAbs, Math.abs(p[i] - want[i]));
    expect(maxAbs).toBeGreaterThan(1e-3);
  });

  it("first step of an unfactored (1-D) parameter is lr * g/|g| clipped to rms 1", () => {
    // step 1: beta2t = 0, v = g^2 + eps1, update = g/|g| = sign(g); rms(sign) = 1 -> no clipping
    const p = new Float32Array([1, 2, 3, 4]);
    const g = new Float32Array([0.5, -2, 1e-3, -7]);
    new Adafactor({ lr: 0.1 }).step("v", p, g, [4]);
    expect(Array.from(p)).toEqual([1 - 0.1, 2 + 0.1, 3 - 0.1, 4 + 0.1].map(Math.fround));
  });

  it("state round-trips: continuing from a restored state equals continuing the original", () => {
    const mk = (seed: number, n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 13 + i * 0.7));
    const a = new Adafactor({ lr: 0.3, weightDecay: 1e-5 });
    const pa = mk(1, 12);
    const va = mk(2, 3);
    for (let s = 0; s < 3; s++) {
      a.step("m", pa, mk(10 + s, 12), [3, 4]);
      a.step("v", va, mk(20 + s, 3), [3]);
    }
    const b = Adafactor.fromState(structuredClone(a.state()));
    const pb = pa.slice();
    const vb = va.slice();
    for (let s = 3; s < 6; s++) {
      a.step("m", pa, mk(10 + s, 12), [3, 4]);
      a.step("v", va, mk(20 + s, 3), [3]);
      b.step("m", pb, mk(10 + s, 12), [3, 4]);
      b.step("v", vb, mk(20 + s, 3), [3]);
    }
    expect(pb).toEqual(pa);
    expect(vb).toEqual(va);
    expect(b.stepCount("m")).toBe(6);
    expect(() => a.step("m", pa, mk(0, 12), [4, 3])).toThrow(/differs from the state/);
    expect(() => a.step("x", pa, mk(0, 11), [3, 4])).toThrow(/12 elements/);
  });

  it("factors 3-D parameters over the last two dims, per leading index", () => {
    // Reference: each [3,4] slice stepped as its OWN 2-D parameter (a separate state per slice).
    // With clipping out of the way (the rms clip is the one thing shared across the whole tensor),
    // the 3-D factored update must equal the slice-wise one, step after step.
    const grads = [0, 1, 2].map((s) => Float32Array.from({ length: 24 }, (_, i) => Math.cos(i + 5 * s) * (1 + s)));
    const opts = { lr: 0.01, clipThreshold: 1e9, weightDecay: 1e-3 };
    const p = Float32Array.from({ length: 24 }, (_, i) => i / 24);
    const slices = [p.slice(0, 12), p.slice(12)];
    const whole = new Adafactor(opts);
    const perSlice = new Adafactor(opts);
    for (const g of grads) {
      whole.step("t", p, g, [2, 3, 4]);
      slices.forEach((q, b) => perSlice.step(`t${b}`, q, g.slice(b * 12, (b + 1) * 12), [3, 4]));
    }
    const st = whole.state().params.t;
    expect(st.expAvgSqRow!.length).toBe(6);
    expect(st.expAvgSqCol!.length).toBe(8);
    expect(Array.from(p)).toEqual([...slices[0], ...slices[1]]);
    expect(Array.from(st.expAvgSqRow!)).toEqual([...perSlice.state().params.t0.expAvgSqRow!, ...perSlice.state().params.t1.expAvgSqRow!]);
    // the comparison can fail: factoring the same numbers as ONE [6,4] matrix gives another update
    const flat = Float32Array.from({ length: 24 }, (_, i) => i / 24);
    const other = new Adafactor(opts);
    for (const g of grads) other.step("t", flat, g, [6, 4]);
    let diff = 0;
    for (let i = 0; i < 24; i++) diff = Math.max(diff, Math.abs(flat[i] - p[i]));
    expect(diff).toBeGreaterThan(1e-5);
  });
});
