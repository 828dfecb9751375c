import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "./checkpoint/checkpoint.ts";
import { initRandomT5, normalStream, T5_PRESETS } from "./random-init.ts";
import { T5Tokenizer } from "./tokenizer/tokenizer.ts";
import { buildUnigramTokenizerJson } from "./tokenizer/build-unigram.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-init-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sha = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
const FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];
const words = ["sentence:", "animal", "color", "food", "cat", "dog", "red", "bread", "the", "near"];

describe("initRandomT5", () => {
  it("is deterministic: same seed -> same bytes, another seed -> other weights", async () => {
    const a = await initRandomT5(path.join(tmp, "a"), { preset: "t5-nano", seed: 7, words });
    const progress: number[] = [];
    const b = await initRandomT5(path.join(tmp, "b"), { preset: "t5-nano", seed: 7, words, onProgress: (p) => progress.push(p.done / p.total) });
    expect(progress[0]).toBe(0);
    expect(progress.every((v, i) => i === 0 || v > progress[i - 1])).toBe(true);
    expect(progress.at(-1)).toBeLessThan(1);
    const c = await initRandomT5(path.join(tmp, "c"), { preset: "t5-nano", seed: 8, words });
    for (const f of FILES) expect(sha(path.join(a.dir, f))).toBe(sha(path.join(b.dir, f)));
    expect(sha(path.join(a.dir, "model.safetensors"))).not.toBe(sha(path.join(c.dir, "model.safetensors")));
    const [ca, cc] = [openCheckpoint(a.dir), openCheckpoint(c.dir)];
    expect(ca.contentHash).not.toBe(cc.contentHash);
    ca.close();
    cc.close();
  });

  it("worker threads produce the same bytes as the in-process path", async () => {
    const a = await initRandomT5(path.join(tmp, "w0"), { preset: "t5-micro", seed: 9, words, workers: 0 });
    const b = await initRandomT5(path.join(tmp, "w2"), { preset: "t5-micro", seed: 9, words, workers: 2 });
    expect(sha(path.join(b.dir, "model.safetensors"))).toBe(sha(path.join(a.dir, "model.safetensors")));
  });

  it("writes a checkpoint that validates, with the preset's shapes and HF's init scales", async () => {
    const r = await initRandomT5(path.join(tmp, "mini"), { preset: "t5-mini", seed: 1, words });
    const ck = openCheckpoint(r.dir);
    const c = ck.config;
    expect(c).toMatchObject({ d_model: 128, d_kv: 32, num_heads: 4, num_layers: 4, num_decoder_layers: 4, d_ff: 256, feed_forward_proj: "gated-gelu", tie_word_embeddings: false });
    expect(c.vocab_size).toBe(r.tokenizerSize);
    expect(r.parameters).toBe(ck.tensors().reduce((s, n) => s + ck.info(n).shape.reduce((a, b) => a * b, 1), 0));
    const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
    const want: [string, number][] = [
      ["shared.weight", 1],
      ["lm_head.weight", 1],
      ["encoder.block.0.layer.0.SelfAttention.q.weight", (128 * 32) ** -0.5],
      ["encoder.block.1.layer.0.SelfAttention.k.weight", 128 ** -0.5],
      ["decoder.block.0.layer.1.EncDecAttention.v.weight", 128 ** -0.5],
      ["decoder.block.3.layer.0.SelfAttention.o.weight", (4 * 32) ** -0.5],
      ["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", 128 ** -0.5],
      ["encoder.block.2.layer.1.DenseReluDense.wi_0.weight", 128 ** -0.5],
      ["decoder.block.1.layer.2.DenseReluDense.wo.weight", 256 ** -0.5],
    ];
    for (const [name, std] of want) {
      const x = ck.read(name);
      expect(Math.abs(rms(x) / std - 1), name).toBeLessThan(x.length > 1000 ? 0.05 : 0.3);
      expect(Math.abs(mean(x)), name).toBeLessThan((4 * std) / Math.sqrt(x.length));
    }
    expect(new Set(ck.read("decoder.block.2.layer.1.layer_norm.weight"))).toEqual(new Set([1]));
    // different tensors are different streams
    expect(ck.read("encoder.block.1.layer.0.SelfAttention.k.weight")[0]).not.toBe(ck.read("encoder.block.1.layer.0.SelfAttention.v.weight")[0]);
    ck.close();
  });

  it("honours config overrides (v1.0 style: relu, tied) and dtype", async () => {
    const r = await initRandomT5(path.join(tmp, "v10"), { preset: "t5-nano", seed: 2, config: { feed_forward_proj: "relu", tie_word_embeddings: true }, dtype: "BF16" });
    const ck = openCheckpoint(r.dir);
    expect(ck.lmHeadTied).toBe(true);
    expect(ck.has("encoder.block.0.layer.1.DenseReluDense.wi.weight")).toBe(true);
    expect(ck.info("shared.weight").dtype).toBe("BF16");
    ck.close();
    await expect(initRandomT5(path.join(tmp, "bad"), { preset: "t5-nano", config: { feed_forward_proj: "gated-silu" } })).rejects.toThrow(/feed_forward_proj.*'gated-silu' is not supported/);
    await expect(initRandomT5(path.join(tmp, "bad"), { preset: "huge" })).rejects.toThrow(/unknown preset 'huge'; expected one of t5-nano, t5-micro/);
    await expect(initRandomT5(path.join(tmp, "bad"), { preset: "t5-nano", config: { vocab_size: 10 } })).rejects.toThrow(/vocab_size 10 is smaller than the tokenizer's/);
  });

  it("the tokenizer keeps the task's words whole, spells out other ASCII, and has T5's special ids", async () => {
    const r = await initRandomT5(path.join(tmp, "tok"), { preset: "t5-nano", seed: 3, words });
    const tok = T5Tokenizer.fromDir(r.dir);
    expect([tok.padId, tok.eosId, tok.unkId]).toEqual([0, 1, 2]);
    expect(tok.sentinel(0)).toBe(r.tokenizerSize - 1);
    expect(tok.sentinel(99)).toBe(r.tokenizerSize - 100);
    const ids = tok.encode("sentence: the cat near red bread");
    expect(ids.map((i) => tok.idToPiece(i))).toEqual(["▁sentence:", "▁the", "▁cat", "▁near", "▁red", "▁bread", "</s>"]);
    const text = "Any ASCII {text} ~ 123!";
    const other = tok.encode(text);
    expect(other).not.toContain(tok.unkId);
    expect(tok.decode(other)).toBe(text);
    expect(tok.encode("café")).toContain(tok.unkId);
  });

  it("real-shape presets put the sentinels where T5 has them (32000..32099, vocab 32128)", () => {
    const tok = T5Tokenizer.fromJson(buildUnigramTokenizerJson({ words, padTo: 32100 }));
    expect([tok.vocabSize, tok.sentinel(0), tok.sentinel(99)]).toEqual([32100, 32099, 32000]);
    expect(tok.encode("the cat")).toEqual([tok.encode("the")[0], tok.encode("cat")[0], 1]);
    expect(T5_PRESETS.small).toMatchObject({ d_model: 512, d_kv: 64, num_heads: 6, num_layers: 8, d_ff: 1024, vocab_size: 32128 });
    expect(T5_PRESETS.xxl).toMatchObject({ d_model: 4096, num_heads: 64, num_layers: 24, d_ff: 10240 });
  });

  it("normalStream draws standard normals", () => {
    const x = new Float32Array(200_001);
    normalStream(5, "t")(x, 2);
    const m = x.reduce((s, v) => s + v, 0) / x.length;
    const sd = Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length);
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(sd - 2)).toBeLessThan(0.02);
    const tail = x.filter((v) => Math.abs(v) > 2 * 1.96).length / x.length;
    expect(Math.abs(tail - 0.05)).toBeLessThan(0.005);
  });
});
