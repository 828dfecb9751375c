import path from "node:path";
import { describe, expect, it } from "vitest";
import { openCheckpoint, T5Tokenizer } from "@ptune/t5";
import { fixtureModel, goldenDir } from "../../../tooling/test-env.ts";
import { initPrompt, initPromptWithInfo } from "./prompt-init.ts";
import { Rng } from "./rng.ts";

const ckpt = openCheckpoint(fixtureModel("v1_1"));
const emb = ckpt.read("shared.weight");
const d = ckpt.config.d_model;
const V = ckpt.config.vocab_size;
const tok = T5Tokenizer.fromFile(path.join(goldenDir, "tokenizer", "tokenizer.json"));
const row = (id: number) => Array.from(emb.subarray(id * d, (id + 1) * d));
const slot = (p: Float32Array, i: number) => Array.from(p.subarray(i * d, (i + 1) * d));

describe("initPrompt", () => {
  it("random_uniform: [P, d] values in [-0.5, 0.5], seeded", () => {
    const p = initPrompt({ strategy: "random_uniform", length: 20, embeddings: emb, vocab: V, dModel: d, rng: Rng.fromSeed(1) });
    expect(p.length).toBe(20 * d);
    expect(Math.min(...p)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...p)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...p) - Math.min(...p)).toBeGreaterThan(0.9); // spans the range
    expect(initPrompt({ strategy: "random_uniform", length: 20, embeddings: emb, vocab: V, dModel: d, rng: Rng.fromSeed(1) })).toEqual(p);
    expect(initPrompt({ strategy: "random_uniform", length: 20, embeddings: emb, vocab: V, dModel: d, rng: Rng.fromSeed(2) })).not.toEqual(p);
  });

  it("sampled_vocab: distinct embedding rows with ids below min(5000, vocab)", () => {
    const { prompt, info } = initPromptWithInfo({ strategy: "sampled_vocab", length: 50, embeddings: emb, vocab: V, dModel: d, rng: Rng.fromSeed(3) });
    expect(new Set(info.tokenIds).size).toBe(50);
    info.tokenIds.forEach((id, i) => {
      expect(id).toBeGreaterThanOrEqual(0);
      expect(id).toBeLessThan(Math.min(5000, V));
      expect(slot(prompt, i)).toEqual(row(id));
    });
  });

  it("sampled_vocab: only the 5,000 most frequent ids of a larger vocabulary; with replacement when P > population", () => {
    const bigV = 6000;
    const bigEmb = Float32Array.from({ length: bigV * 4 }, (_, i) => Math.floor(i / 4)); // row id in every column
    const { info } = initPromptWithInfo({ strategy: "sampled_vocab", length: 1000, embeddings: bigEmb, vocab: bigV, dModel: 4, rng: Rng.fromSeed(4) });
    expect(Math.max(...info.tokenIds)).toBeLessThan(5000);
    const tiny = Float32Array.from({ length: 3 * 4 }, (_, i) => i);
    const r = initPromptWithInfo({ strategy: "sampled_vocab", length: 7, embeddings: tiny, vocab: 3, dModel: 4, rng: Rng.fromSeed(4) });
    expect(r.info.tokenIds.length).toBe(7);
    expect(r.info.tokenIds.every((id) => id < 3)).toBe(true);
  });

  it("class_label: slot i = mean embedding of label i's pieces (no eos), the rest sampled vocab", () => {
    const labels = ["entailment", "not_entailment"];
    const { prompt, info } = initPromptWithInfo({ strategy: "class_label", length: 10, embeddings: emb, vocab: V, dModel: d, labels, tokenizer: tok, rng: Rng.fromSeed(5) });
    labels.forEach((l, i) => {
      const ids = tok.encode(l, { addEos: false });
      expect(ids).not.toContain(tok.eosId);
      const want = Array.from({ length: d }, (_, j) => Math.fround(ids.reduce((s, id) => s + emb[id * d + j], 0) / ids.length));
      expect(slot(prompt, i)).toEqual(want);
      expect(info.tokenIds[i]).toBe(-1);
    });
    expect(tok.encode("not_entailment", { addEos: false }).length).toBeGreaterThan(1); // the mean case is exercised
    for (let i = 2; i < 10; i++) expect(slot(prompt, i)).toEqual(row(info.tokenIds[i]));
  });

  it("class_label with more labels than slots keeps the first ones and reports the rest", () => {
    const { info } = initPromptWithInfo({ strategy: "class_label", length: 2, embeddings: emb, vocab: V, dModel: d, labels: ["a", "b", "c"], tokenizer: tok, rng: Rng.fromSeed(6) });
    expect(info.skippedLabels).toEqual(["c"]);
    expect(() => initPrompt({ strategy: "class_label", length: 2, embeddings: emb, vocab: V, dModel: d, rng: Rng.fromSeed(6) })).toThrow(/label strings/);
  });

  it("rejects bad shapes with a clear message", () => {
    expect(() => initPrompt({ strategy: "sampled_vocab", length: 5, embeddings: emb, vocab: V + 1, dModel: d, rng: Rng.fromSeed(1) })).toThrow(/expected vocab 1101 x dModel 64/);
    expect(() => initPrompt({ strategy: "random_uniform", length: 0, embeddings: emb, vocab: V, dModel: d, rng: Rng.fromSeed(1) })).toThrow(/positive integer/);
  });
});
