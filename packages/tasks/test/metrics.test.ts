// Every metric against values computed by hand (the arithmetic is in the comments).
import { describe, expect, it } from "vitest";
import { getTask, normalizeSquad, type Example } from "../src/index.ts";

const cls = (labels: string[]): Example[] => labels.map((l, i) => ({ id: String(i), input: "x", target: l, label: l }));

describe("classification metrics", () => {
  it("accuracy counts a prediction that is not a label string as wrong", () => {
    // 2 of 4 right; "maybe" and "true" (wrong case) are invalid.
    const s = getTask("boolq").score(["True", "True", "maybe", "true"], cls(["True", "False", "True", "True"]));
    expect(s).toEqual({ accuracy: 25 });
    expect(getTask("rte").score(["entailment", "not_entailment"], cls(["entailment", "not_entailment"]))).toEqual({ accuracy: 100 });
  });

  it("CB macro-F1 with a class never predicted and an invalid prediction", () => {
    // gold e e c n, pred e c c x
    // entailment:    tp 1 fp 0 fn 1 -> F1 = 2/3
    // contradiction: tp 1 fp 1 fn 0 -> F1 = 2/3
    // neutral:       tp 0 fp 0 fn 1 -> F1 = 0 (never predicted)
    // macro = 4/9; accuracy = 2/4
    const s = getTask("cb").score(
      ["entailment", "contradiction", "contradiction", "x"],
      cls(["entailment", "entailment", "contradiction", "neutral"]),
    );
    expect(s.mean_3class_f1).toBeCloseTo((100 * 4) / 9, 10);
    expect(s.accuracy).toBe(50);
    expect(s.average).toBeCloseTo((400 / 9 + 50) / 2, 10);
  });

  it("MRPC/QQP F1 of the positive class; invalid predictions become the wrong class", () => {
    // gold eq eq not not, pred eq junk eq not -> junk counts as not_equivalent (a false negative)
    // tp 1 fp 1 fn 1 -> F1 = 2/(2+1+1) = 0.5; accuracy 2/4
    const s = getTask("mrpc").score(
      ["equivalent", "junk", "equivalent", "not_equivalent"],
      cls(["equivalent", "equivalent", "not_equivalent", "not_equivalent"]),
    );
    expect(s).toEqual({ f1: 50, accuracy: 50, average: 50 });
    // invalid on a negative gold becomes a false positive: tp 1 fp 1 fn 0 -> 2/3
    const q = getTask("qqp").score(["duplicate", "?"], cls(["duplicate", "not_duplicate"]));
    expect(q.f1).toBeCloseTo(200 / 3, 10);
    expect(q.accuracy).toBe(50);
  });

  it("refuses to score unlabelled (test) examples", () => {
    expect(() => getTask("boolq").score(["True"], [{ id: "7", input: "x", target: "<unk>" }])).toThrow(/example 7: it has no label/);
  });

  it("insists on one prediction per example", () => {
    expect(() => getTask("boolq").score(["True"], cls(["True", "False"]))).toThrow(/1 predictions for 2 examples/);
  });
});

describe("MultiRC", () => {
  const ex = (id: string, group: string, label: string): Example => ({ id, group, input: "x", target: label, label });
  it("F1a over all answers and exact match grouped by question (groups interleaved)", () => {
    const examples = [ex("a", "q1", "True"), ex("b", "q2", "True"), ex("c", "q1", "False"), ex("d", "q3", "False"), ex("e", "q2", "False")];
    const preds = ["True", "yes", "False", "False", "False"];
    // F1a: gold T T F F F, pred T invalid(->F) F F F: tp 1 fp 0 fn 1 -> 2/3
    // EM: q1 all right (1), q2 has the invalid "yes" (0), q3 right (1) -> 2/3
    const s = getTask("multirc").score(preds, examples);
    expect(s.f1).toBeCloseTo(200 / 3, 10);
    expect(s.exact_match).toBeCloseTo(200 / 3, 10);
    expect(s.average).toBeCloseTo(200 / 3, 10);
  });
});

describe("ReCoRD", () => {
  it("one prediction per query (the first copy), EM/F1 max over the answers", () => {
    const answers = ["Bob Smith", "Smith"];
    const examples: Example[] = [
      { id: "g1-0", group: "g1", input: "x", target: "Bob Smith", answers },
      { id: "g1-1", group: "g1", input: "x", target: "Smith", answers },
      { id: "g2-0", group: "g2", input: "y", target: "The Eiffel Tower", answers: ["The Eiffel Tower"] },
    ];
    // g1: "smith" vs "bob smith" EM 0 F1 2/3, vs "smith" EM 1 F1 1 -> max 1/1. Its second copy's
    //     "garbage" is ignored (deduplicate_metric keeps the first).
    // g2: "tower" vs "eiffel tower" (article dropped): EM 0, P 1 R 1/2 -> F1 2/3.
    const s = getTask("record").score(["smith", "garbage", "tower"], examples);
    expect(s.em).toBe(50);
    expect(s.f1).toBeCloseTo(((1 + 2 / 3) / 2) * 100, 10);
    expect(s.average).toBeCloseTo((50 + 250 / 3) / 2, 10);
  });
});

describe("SQuAD", () => {
  it("normalisation: lowercase, punctuation removed, articles a/an/the, whitespace", () => {
    expect(normalizeSquad("The  Denver Broncos!")).toBe("denver broncos");
    expect(normalizeSquad("an apple a day, THE end")).toBe("apple day end");
    expect(normalizeSquad("Levi ' s Stadium")).toBe("levi s stadium");
    // Articles only as whole words with Python's Unicode \b: "éthe" and "anthem" keep theirs
    // (a JS ASCII \b would see a boundary after "é").
    expect(normalizeSquad("anthem éthe")).toBe("anthem éthe");
    expect(normalizeSquad("\u00a0a\u3000cat\u2003")).toBe("cat");
  });

  it("EM and token F1 maximised over answers", () => {
    const examples: Example[] = [
      { id: "1", input: "q", target: "Levi ' s Stadium", answers: ["Levi ' s Stadium", "Santa Clara , California"] },
      { id: "2", input: "q", target: "February 7 , 2016", answers: ["February 7 , 2016"] },
    ];
    // 1: "Santa Clara" vs "santa clara california": P 1, R 2/3 -> F1 0.8; vs levi: 0. EM 0.
    // 2: "February 7, 2016" normalises to "february 7 2016" == gold -> EM 1, F1 1.
    const s = getTask("squad").score(["Santa Clara", "February 7, 2016"], examples);
    expect(s.em).toBe(50);
    expect(s.f1).toBeCloseTo(90, 10);
  });
});

describe("WSC", () => {
  const ex = (target: string, label: string): Example => ({ id: target, input: "x", target, label });
  it("a prediction names the referent when its words (determiners dropped) are a subset either way", () => {
    const examples = [ex("Mark", "True"), ex("Pete", "False"), ex("The trophy", "True"), ex("The trophy", "True"), ex("the man", "False")];
    // 1 "mark" names Mark -> True == True ok
    // 2 "Mark" does not name Pete -> False == False ok
    // 3 "the trophy's" has an apostrophe the referent lacks -> False != True wrong
    // 4 "big trophy" ⊇ {trophy} -> True ok
    // 5 "man" names "the man" -> True != False wrong
    const s = getTask("wsc").score(["mark", "Mark", "the trophy's", "big trophy", "man"], examples);
    expect(s).toEqual({ accuracy: 60 });
  });
});
