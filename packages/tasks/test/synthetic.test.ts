// The synthetic task: seeded determinism, its labelling rule, and its closed vocabulary.
import { describe, expect, it } from "vitest";
import { mulberry32 } from "@ptune/onnx/rng";
import { getTask, SYNTHETIC_LABELS, syntheticLabelOf, syntheticTask, syntheticVocabulary } from "../src/index.ts";

describe("syntheticTask", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const a = syntheticTask({ seed: 7, train: 50, dev: 20 });
    const b = syntheticTask({ seed: 7, train: 50, dev: 20 });
    expect(b).toEqual(a);
    const c = syntheticTask({ seed: 8, train: 50, dev: 20 });
    expect(c.train.map((e) => e.input)).not.toEqual(a.train.map((e) => e.input));
    // dev does not depend on how many train examples were drawn
    expect(syntheticTask({ seed: 7, train: 5, dev: 20 }).dev).toEqual(a.dev);
  });

  it("pins the first examples of seed 0 (guards the PRNG and generator against silent change)", () => {
    const rand = mulberry32(0);
    // The first outputs of mulberry32 for seed 0 (as uint32), pinned.
    expect([rand(), rand()].map((x) => x * 2 ** 32)).toEqual([1144304738, 1416247]);
    const { train } = syntheticTask({ seed: 0, train: 2, dev: 0 });
    expect(train).toEqual([
      { id: "train-0", input: "sentence: the the soup yellow near blue red a", target: "color", label: "color" },
      { id: "train-1", input: "sentence: rice cat rice cat of apple the", target: "food", label: "food" },
    ]);
  });

  it("labels every sentence by its strictly dominant keyword group, with all labels used", () => {
    const { train, dev } = syntheticTask({ seed: 3, train: 600, dev: 100 });
    const counts = new Map<string, number>();
    const wrong = [...train, ...dev].filter((e) => syntheticLabelOf(e.input.split(" ").slice(1)) !== e.target || e.label !== e.target);
    expect(wrong).toEqual([]);
    for (const e of [...train, ...dev]) counts.set(e.target, (counts.get(e.target) ?? 0) + 1);
    for (const l of SYNTHETIC_LABELS) expect(counts.get(l)!).toBeGreaterThan(700 / SYNTHETIC_LABELS.length / 2);
  });

  it("uses only its vocabulary, which holds every label", () => {
    const vocab = new Set(syntheticVocabulary());
    expect(vocab.size).toBe(syntheticVocabulary().length);
    const { train } = syntheticTask({ seed: 11, train: 300, dev: 0 });
    const outside = train.flatMap((e) => [...e.input.split(" "), e.target]).filter((w) => !vocab.has(w));
    expect(outside).toEqual([]);
    for (const l of SYNTHETIC_LABELS) expect(vocab.has(l)).toBe(true);
  });

  it("is registered with accuracy and its labels, and scores like any classification task", () => {
    const task = getTask("synthetic");
    expect(task.labels).toEqual(SYNTHETIC_LABELS);
    expect(task.primaryMetric).toBe("accuracy");
    const { dev } = syntheticTask({ seed: 1, train: 0, dev: 4 });
    const preds = dev.map((e, i) => (i === 0 ? "nonsense" : e.target));
    expect(task.score(preds, dev)).toEqual({ accuracy: 75 });
    expect(task.format({ idx: 9, words: ["red", "blue", "red"], label: "color" })).toEqual([
      { id: "9", input: "sentence: red blue red", target: "color", label: "color" },
    ]);
    expect(() => task.format({ idx: 9, words: ["red"], label: "purple" })).toThrow(/field "label"/);
  });

  it("rejects bad options", () => {
    expect(() => syntheticTask({ seed: 1.5, train: 1, dev: 1 })).toThrow(/seed must be an integer/);
    expect(() => syntheticTask({ seed: 1, train: -1, dev: 1 })).toThrow(/train must be a non-negative integer/);
  });
});
