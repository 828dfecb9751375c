import { describe, expect, it } from "vitest";
import { Adafactor } from "./adafactor.ts";
import { Rng } from "./rng.ts";
import { deserializeTrainState, serializeTrainState, type TrainState } from "./train-state.ts";

function sample(): TrainState {
  const opt = new Adafactor({ lr: 0.3, weightDecay: 1e-5 });
  const prompt = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) / 3);
  opt.step("prompt", prompt, Float32Array.from({ length: 12 }, (_, i) => Math.cos(i) * 1e-3), [3, 4]);
  const rng = Rng.fromSeed(9);
  rng.float();
  return {
    version: 1,
    method: "prompt_tuning",
    step: 17,
    prompt: { len: 3, dModel: 4, data: prompt },
    optimizer: opt.state(),
    data: { epoch: 2, index: 5 },
    rng: rng.state(),
    best: { step: 10, metric: "accuracy", score: 66.5, metrics: { accuracy: 66.5, f1: -Infinity } },
    evalsWithoutImprovement: 1,
    trialKey: "t|prompt_tuning|3|random_uniform|0",
  };
}

describe("TrainState serialisation", () => {
  it("round-trips bit-exactly (floats as raw bytes, incl. -0, subnormals, NaN payload-free)", () => {
    const s = sample();
    s.prompt!.data[0] = -0;
    s.prompt!.data[1] = 1e-45;
    const bytes = serializeTrainState(s);
    const back = deserializeTrainState(bytes);
    expect(back).toEqual(s);
    expect(Object.is(back.prompt!.data[0], -0)).toBe(true);
    expect(back.prompt!.data[1]).toBe(Math.fround(1e-45));
    expect(serializeTrainState(back)).toEqual(bytes);
    // a restored optimizer continues identically
    expect(Adafactor.fromState(back.optimizer).state()).toEqual(s.optimizer);
  });

  it("has a versioned header and rejects foreign or truncated bytes with a clear message", () => {
    const bytes = serializeTrainState(sample());
    expect(new TextDecoder().decode(bytes.subarray(0, 7))).toBe("PTUNETS");
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(1);
    expect(() => deserializeTrainState(new Uint8Array(40))).toThrow(/bad magic/);
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint32(8, 2, true);
    expect(() => deserializeTrainState(v2)).toThrow(/format version 2/);
    expect(() => deserializeTrainState(bytes.subarray(0, bytes.length - 8))).toThrow(/runs past the data section/);
  });
});

describe("TrainState from a Node Buffer", () => {
  it("copies tensors out of a Buffer (whose slice is a view)", () => {
    const s = sample();
    const buf = Buffer.concat([Buffer.alloc(3), Buffer.from(serializeTrainState(s))]).subarray(3);
    expect(deserializeTrainState(buf)).toEqual(s);
  });
});
