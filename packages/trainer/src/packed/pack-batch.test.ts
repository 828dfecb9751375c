// The host-side arithmetic of a packed step: row layout, prompt slots + mask, 1/N_k weights, and
// the per-trial sums of the engine's per-row outputs.
import { describe, expect, it } from "vitest";
import { packStep, targetTokens, unpackStep } from "./pack-batch.ts";
import { tilePrompts } from "./packed-eval.ts";

const d = 2;
const ex = (inLen: number, tLen: number, v: number) => ({ input: Array(inLen).fill(v), target: Array(tLen).fill(v) });
const limits = { maxInputLength: 8, maxTargetLength: 4 };

describe("packStep / unpackStep", () => {
  const members = [
    { examples: [ex(3, 2, 5), ex(5, 1, 6)], prompt: Float32Array.from([1, 2, 3, 4]), len: 2 }, // 3 target tokens
    { examples: [ex(2, 4, 7)], prompt: Float32Array.from([9, 8, 7, 6, 5, 4]), len: 3 }, // 4 target tokens
  ];
  const step = packStep(members, d, { pad: "batch", limits });

  it("lays trials out contiguously, pads to the pack's longest, prompts in the first len_k slots", () => {
    expect(step.rows).toEqual([{ start: 0, count: 2, tokens: 3 }, { start: 2, count: 1, tokens: 4 }]);
    expect(step.batch).toMatchObject({ batchSize: 3, inputLen: 5, targetLen: 4 });
    expect(step.pmax).toBe(3);
    expect(Array.from(step.mask)).toEqual([1, 1, 0, 1, 1, 0, 1, 1, 1]);
    expect(Array.from(step.prompts)).toEqual([1, 2, 3, 4, 0, 0, 1, 2, 3, 4, 0, 0, 9, 8, 7, 6, 5, 4]);
    expect(Array.from(step.weights)).toEqual([1 / 3, 1 / 3, 1 / 4].map(Math.fround));
    expect(Array.from(step.batch.labels.subarray(0, 4))).toEqual([5, 5, -100, -100]);
  });

  it("pad max pads to the limits", () => {
    expect(packStep(members, d, { pad: "max", limits }).batch).toMatchObject({ inputLen: 8, targetLen: 4 });
  });

  it("sums each trial's rows (real slots only) and divides its loss by its own tokens", () => {
    const lossSum = Float32Array.from([1.5, 3, 10]);
    const gradPrompts = Float32Array.from([
      1, 1, 2, 2, 99, 99, // row 0 (trial 0, slot 2 masked: ignored)
      10, 10, 20, 20, 99, 99, // row 1
      5, 6, 7, 8, 9, 10, // row 2 (trial 1)
    ]);
    const [a, b] = unpackStep(step, members, d, { lossSum, gradPrompts });
    expect(a.loss).toBeCloseTo(4.5 / 3, 12);
    expect(Array.from(a.grad)).toEqual([11, 11, 22, 22]);
    expect(b.loss).toBeCloseTo(10 / 4, 12);
    expect(Array.from(b.grad)).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it("rejects an empty batch or a prompt of the wrong size", () => {
    expect(() => packStep([], d, { pad: "batch", limits })).toThrow(/no trials/);
    expect(() => packStep([{ ...members[0], examples: [] }], d, { pad: "batch", limits })).toThrow(/trial 0 has an empty batch/);
    expect(() => packStep([{ ...members[0], len: 3 }], d, { pad: "batch", limits })).toThrow(/trial 0 prompt has 4 values, expected 3 x d_model 2/);
  });

  it("targetTokens counts every target id incl. eos (what the -100 padding leaves)", () => {
    expect(targetTokens(members[0].examples)).toBe(3);
  });

  it("tilePrompts repeats each prompt over its block of rows", () => {
    const t = tilePrompts([{ data: Float32Array.from([1, 2]), len: 1 }, { data: Float32Array.from([3, 4, 5, 6]), len: 2 }], 2, d);
    expect(t.pmax).toBe(2);
    expect(Array.from(t.mask)).toEqual([1, 0, 1, 0, 1, 1, 1, 1]);
    expect(Array.from(t.perExample)).toEqual([1, 2, 0, 0, 1, 2, 0, 0, 3, 4, 5, 6, 3, 4, 5, 6]);
  });
});
