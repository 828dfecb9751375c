import { describe, expect, it } from "vitest";
import { Rng } from "./rng.ts";

describe("Rng (xoshiro128**)", () => {
  it("matches the reference xoshiro128** 1.1 stream from state {1,2,3,4}", () => {
    // values from the C reference (prng.di.unimi.it/xoshiro128starstar.c), recomputed in Python
    const r = Rng.fromState({ algo: "xoshiro128**", s: [1, 2, 3, 4] });
    expect(Array.from({ length: 6 }, () => r.nextU32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("is reproducible per seed and differs across seeds", () => {
    const a = Rng.fromSeed(42);
    const b = Rng.fromSeed(42);
    const c = Rng.fromSeed(43);
    const xa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xa);
    expect(Rng.fromKeys(1, 2).nextU32()).not.toBe(Rng.fromKeys(2, 1).nextU32());
  });

  it("restores exactly from its JSON and byte state mid-stream", () => {
    const r = Rng.fromSeed(7);
    for (let i = 0; i < 13; i++) r.float();
    const fromJson = Rng.fromState(JSON.parse(JSON.stringify(r.state())));
    const fromBytes = Rng.fromBytes(r.toBytes());
    const want = Array.from({ length: 20 }, () => r.int(1000));
    expect(Array.from({ length: 20 }, () => fromJson.int(1000))).toEqual(want);
    expect(Array.from({ length: 20 }, () => fromBytes.int(1000))).toEqual(want);
    expect(() => Rng.fromState({ algo: "xoshiro128**", s: [0, 0, 0, 0] })).toThrow(/all-zero/);
    expect(() => Rng.fromBytes(new Uint8Array(3))).toThrow(/16 bytes/);
  });

  it("draws floats in [0,1) that are exact float32 and ints in range, roughly uniform", () => {
    const r = Rng.fromSeed(1);
    const counts = new Array(10).fill(0);
    let bad = 0;
    for (let i = 0; i < 20000; i++) {
      const f = r.float();
      if (!(f >= 0 && f < 1 && Math.fround(f) === f)) bad++;
      counts[r.int(10)]++;
    }
    expect(bad).toBe(0);
    // chi-square with 9 dof: 99.9% quantile is 27.9
    const chi = counts.reduce((s, c) => s + (c - 2000) ** 2 / 2000, 0);
    expect(chi).toBeLessThan(27.9);
    expect(r.int(1)).toBe(0);
    const big = Rng.fromSeed(3);
    const draws = Array.from({ length: 1000 }, () => big.int(3_000_000_000));
    expect(draws.every((v) => Number.isInteger(v) && v >= 0 && v < 3_000_000_000)).toBe(true);
    expect(Math.max(...draws)).toBeGreaterThan(2_000_000_000); // the high range is reached
    expect(() => r.int(0)).toThrow(/n must be/);
  });

  it("shuffles into permutations and samples distinct indices", () => {
    const r = Rng.fromSeed(5);
    const p = r.permutation(50);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const s = r.sampleWithoutReplacement(5000, 100);
    expect(new Set(s).size).toBe(100);
    expect(s.every((x) => x >= 0 && x < 5000)).toBe(true);
    expect(r.sampleWithoutReplacement(4, 4).sort()).toEqual([0, 1, 2, 3]);
  });
});
