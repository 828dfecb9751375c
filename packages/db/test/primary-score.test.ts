import { describe, expect, it } from "vitest";
import { primaryScore } from "../src/fenced-writer.ts";

describe("primaryScore", () => {
  it("prefers the trial's metric, then `score`, then the only metric", () => {
    expect(primaryScore({ accuracy: 80, f1: 70 }, "f1")).toEqual({ metric: "f1", score: 70 });
    expect(primaryScore({ accuracy: 80, score: 75 }, "missing")).toEqual({ metric: "score", score: 75 });
    expect(primaryScore({ accuracy: 80 }, null)).toEqual({ metric: "accuracy", score: 80 });
  });
  it("averages several metrics (SuperGLUE's rule for MultiRC / ReCoRD)", () => {
    expect(primaryScore({ f1a: 70, em: 30 }, null)).toEqual({ metric: "mean(em,f1a)", score: 50 });
    expect(primaryScore({}, null)).toBeNull();
  });
});
