import path from "node:path";
import { describe, expect, it } from "vitest";
import { goldenDir } from "../../../tooling/test-env.ts";
import { asInt32, readSafetensorsFile } from "./checkpoint/safetensors.ts";
import { relativePositionBucket, relativePositionBuckets } from "./relative-position.ts";

const ref = readSafetensorsFile(path.join(goldenDir, "relative_buckets.safetensors"));
const positions = Array.from(asInt32(ref.get("relative_position")!));

describe("relativePositionBucket matches transformers' T5Attention._relative_position_bucket", () => {
  it("covers -200..200", () => {
    expect(positions[0]).toBe(-200);
    expect(positions.at(-1)).toBe(200);
  });
  for (const [key, bidirectional] of [["bidirectional_32_128", true], ["unidirectional_32_128", false]] as const) {
    it(key, () => {
      const want = Array.from(asInt32(ref.get(key)!));
      expect(positions.map((p) => relativePositionBucket(p, bidirectional, 32, 128))).toEqual(want);
    });
  }
  it("the [q, k] matrix uses key - query positions", () => {
    const m = relativePositionBuckets(3, 4, true);
    expect(Array.from(m)).toEqual([0, 17, 18, 19, 1, 0, 17, 18, 2, 1, 0, 17]);
    const d = relativePositionBuckets(2, 3, false, 32, 128, 1); // decoding step with one cached position
    expect(Array.from(d)).toEqual([1, 0, 0, 2, 1, 0]);
    const big = relativePositionBuckets(300, 300, false);
    expect(big[299 * 300]).toBe(31); // far past saturates at num_buckets - 1
  });
});
