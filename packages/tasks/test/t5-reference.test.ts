// T5's own test cases, ported: t5/data/postprocessors_test.py (test_wsc_simple) and
// t5/evaluation/metrics_test.py (the metrics the SuperGLUE tasks use), from
// google-research/text-to-text-transfer-transformer. T5 passes (targets, predictions) with class
// ids; ptune compares label strings, so ids are written as strings here.
import { describe, expect, it } from "vitest";
import { accuracy, binaryF1WithInvalid, getTask, macroF1, squadMetrics, wscSimple, type Example } from "../src/index.ts";

describe("postprocessors_test.py: test_wsc_simple", () => {
  it.each([
    ["potato", "turnip", 0],
    ["turnip", "turnip", 1],
    ["the cat", "cat", 1],
    ["Bob's hat", "Bob", 0],
    ["Bob's hat", "Bob's hat", 1],
    ["potato", "Potato", 1],
    ["a potato", "my potato", 1],
    ["fuzzy bunny", "fuzzy hungry bunny", 1],
    // postprocessors.py: `if not prediction: return -1` (empty after dropping determiners)
    ["", "turnip", -1],
    ["the", "the cat", -1],
    ["  a  ", "cat", -1],
  ] as const)("wsc_simple(%j, referent %j) = %d", (prediction, referent, want) => {
    expect(wscSimple(prediction, referent)).toBe(want);
  });

  it("an empty or determiner-only prediction matches no label (it used to count as False)", () => {
    const ex = (label: string): Example => ({ id: label, input: "x", target: "the cat", label });
    // Two gold-False examples: predictions "" and "the" are -1, neither True nor False.
    expect(getTask("wsc").score(["", "the"], [ex("False"), ex("False")])).toEqual({ accuracy: 0 });
    expect(getTask("wsc").score(["dog", "cat"], [ex("False"), ex("True")])).toEqual({ accuracy: 100 });
  });
});

describe("metrics_test.py", () => {
  const ref = "this is a string";
  it("test_same_qa / test_different_qa / test_qa_big / test_qa_small", () => {
    expect(squadMetrics([["", ref], [ref, ref]], [ref, ref])).toEqual({ em: 100, f1: 100 });
    expect(squadMetrics([[ref, ref], [ref, ref]], ["", ""])).toEqual({ em: 0, f1: 0 });
    expect(squadMetrics([["big moose", "hippo"], ["correct1"], ["correct2.1", "correct2.2"], ["a", "b"]], ["a big  Moose!", "wrong", "correct2.2", "c"])).toEqual({ em: 50, f1: 50 });
    const small = squadMetrics([["abc abd", "$$$$"]], ["abd"]);
    expect(small.em).toBe(0);
    expect(small.f1).toBeCloseTo((100 * 2) / 3, 10);
  });

  it("test_accuracy", () => {
    expect(accuracy(["0", "0", "2", "1"], ["0", "1", "2", "1"])).toBe(75);
  });

  it("test_multiclass_f1 (mean_multiclass_f1, 3 classes)", () => {
    expect(macroF1(["0", "1", "1", "2"], ["0", "0", "2", "2"], ["0", "1", "2"])).toBeCloseTo(44.44444444444444, 10);
  });

  it("test_f1_score_with_invalid (an invalid prediction becomes the wrong class)", () => {
    expect(binaryF1WithInvalid(["0", "1", "1", "0"], ["0", "1", "2", "2"], "0", "1")).toBe(50);
  });

  it("test_multirc_f1_over_all_answers (binary F1 over every answer)", () => {
    expect(binaryF1WithInvalid(["1", "1", "0"], ["1", "0", "1"], "0", "1")).toBe(50);
  });
});
