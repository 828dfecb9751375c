import { describe, expect, it } from "vitest";
import { majorityVote } from "./ensemble.ts";

describe("majorityVote", () => {
  it("picks the most frequent prediction", () => {
    expect(majorityVote(["True", "False", "True", "True", "False"])).toBe("True");
    expect(majorityVote(["a", "b", "b"])).toBe("b");
  });
  it("breaks ties by the lowest-indexed prompt among the tied predictions", () => {
    expect(majorityVote(["x", "y", "y", "x"])).toBe("x");
    expect(majorityVote(["z", "y", "x", "y", "x"])).toBe("y");
    expect(() => majorityVote([])).toThrow(/no predictions/);
  });
});
