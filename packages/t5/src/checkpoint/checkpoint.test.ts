import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureModel } from "../../../../tooling/test-env.ts";
import { openCheckpoint } from "./checkpoint.ts";
import { readSafetensorsFile, type LoadedTensor } from "./safetensors.ts";
import { writeSafetensors, type WriteEntry } from "./writer.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-ckpt-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fixtureTensors = (v: "v1_0" | "v1_1") => readSafetensorsFile(path.join(fixtureModel(v), "model.safetensors"));
const entries = (m: Map<string, LoadedTensor>): WriteEntry[] =>
  [...m].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: t.data as Float32Array }));

/** Bitwise equality of two typed arrays (toEqual is slow on 70k-element arrays). */
const same = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

let n = 0;
/** A checkpoint dir with the fixture's config (optionally edited) and the given tensors. */
async function makeDir(v: "v1_0" | "v1_1", es: WriteEntry[], config?: (c: Record<string, unknown>) => void): Promise<string> {
  const dir = path.join(tmp, `m${n++}`);
  mkdirSync(dir);
  const c = JSON.parse(readFileSync(path.join(fixtureModel(v), "config.json"), "utf8"));
  config?.(c);
  writeFileSync(path.join(dir, "config.json"), JSON.stringify(c));
  await writeSafetensors(path.join(dir, "model.safetensors"), es);
  return dir;
}

describe("openCheckpoint on the fixtures", () => {
  it("v1.1: gated-gelu, untied lm_head, every tensor equal to the file", () => {
    const ck = openCheckpoint(fixtureModel("v1_1"));
    const file = fixtureTensors("v1_1");
    expect(ck.lmHeadTied).toBe(false);
    expect(ck.config.num_decoder_layers).toBe(3);
    // 1 shared + enc 2x(4 attn + norm + 3 ffn + norm) + 1 rel + final + dec 3x(4+norm+4+norm+3+norm) + 1 rel + final + lm_head
    expect(ck.tensors().length).toBe(1 + 2 * 9 + 1 + 1 + 3 * 14 + 1 + 1 + 1);
    for (const name of ck.tensors()) expect(same(ck.read(name), file.get(name)!.data)).toBe(true);
    expect(ck.info("encoder.block.0.layer.1.DenseReluDense.wi_0.weight")).toEqual({ dtype: "F32", shape: [128, 64] });
    ck.close();
    expect(() => ck.read("shared.weight")).toThrow(/closed/);
  });

  it("v1.0: no lm_head.weight in the file, tied to shared.weight", () => {
    const ck = openCheckpoint(fixtureModel("v1_0"));
    expect(readSafetensorsFile(path.join(fixtureModel("v1_0"), "model.safetensors")).has("lm_head.weight")).toBe(false);
    expect(ck.lmHeadTied).toBe(true);
    expect(ck.config.scale_decoder_outputs).toBe(true);
    expect(ck.tensors()).toContain("lm_head.weight");
    expect(same(ck.read("lm_head.weight"), ck.read("shared.weight"))).toBe(true);
    expect(same(ck.read("encoder.embed_tokens.weight"), ck.read("shared.weight"))).toBe(true);
    expect(ck.has("encoder.block.0.layer.1.DenseReluDense.wi.weight")).toBe(true);
    ck.close();
  });

  it("contentHash is stable, independent of the directory, and sees changed weights", async () => {
    const a = openCheckpoint(fixtureModel("v1_1"));
    const h = a.contentHash;
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    const t = fixtureTensors("v1_1");
    const copy = await makeDir("v1_1", entries(t));
    const b = openCheckpoint(copy);
    expect(b.contentHash).toBe(h);
    const shared = (t.get("shared.weight")!.data as Float32Array).slice();
    shared[shared.length - 1] += 1; // inside the last sampled window
    t.set("shared.weight", { ...t.get("shared.weight")!, data: shared });
    const c = openCheckpoint(await makeDir("v1_1", entries(t)));
    expect(c.contentHash).not.toBe(h);
    expect(openCheckpoint(fixtureModel("v1_0")).contentHash).not.toBe(h);
    for (const x of [a, b, c]) x.close();
  });
});

describe("checkpoint layouts", () => {
  it("sharded checkpoints via model.safetensors.index.json read the same values", async () => {
    const t = fixtureTensors("v1_1");
    const all = entries(t);
    const dir = path.join(tmp, "sharded");
    mkdirSync(dir);
    copyFileSync(path.join(fixtureModel("v1_1"), "config.json"), path.join(dir, "config.json"));
    const half = Math.floor(all.length / 2);
    const shards = [all.slice(0, half), all.slice(half)];
    const weightMap: Record<string, string> = {};
    for (const [i, s] of shards.entries()) {
      const f = `model-0000${i + 1}-of-00002.safetensors`;
      await writeSafetensors(path.join(dir, f), s);
      for (const e of s) weightMap[e.name] = f;
    }
    writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const ck = openCheckpoint(dir);
    expect(ck.files.length).toBe(2);
    for (const name of ck.tensors()) expect(same(ck.read(name), t.get(name)!.data)).toBe(true);
    expect(ck.contentHash).toBe(openCheckpoint(fixtureModel("v1_1")).contentHash);
    ck.close();

    weightMap["shared.weight"] = "model-00003-of-00002.safetensors";
    writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: weightMap }));
    expect(() => openCheckpoint(dir)).toThrow(/weight_map\['shared.weight'\] names 'model-00003-of-00002.safetensors', which does not exist/);
    const other = shards[0].some((e) => e.name === "shared.weight") ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
    weightMap["shared.weight"] = other; // listed there but not in that shard
    writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: weightMap }));
    expect(() => openCheckpoint(dir)).toThrow(`${path.join(dir, other)}: missing tensor 'shared.weight' (listed there by model.safetensors.index.json)`);
    writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: {} }));
    expect(() => openCheckpoint(dir)).toThrow(/model.safetensors.index.json: field 'weight_map' must map tensor names to file names/);
  });

  it("F16 and BF16 checkpoints are converted to float32", async () => {
    const t = fixtureTensors("v1_0");
    const dir = await makeDir("v1_0", entries(t).map((e, i) => ({ ...e, dtype: i % 2 ? "F16" : "BF16" })));
    const ck = openCheckpoint(dir);
    const a = ck.read("shared.weight");
    const ref = t.get("shared.weight")!.data as Float32Array;
    for (let i = 0; i < ref.length; i += 97) expect(Math.abs(a[i] - ref[i])).toBeLessThanOrEqual(Math.abs(ref[i]) / 128);
    expect(ck.info("shared.weight").dtype).toBe("BF16");
    ck.close();
  });

  it("shared.weight saved only as encoder.embed_tokens.weight", async () => {
    const t = fixtureTensors("v1_0");
    const es = entries(t).map((e) => (e.name === "shared.weight" ? { ...e, name: "encoder.embed_tokens.weight" } : e));
    const ck = openCheckpoint(await makeDir("v1_0", es));
    expect(same(ck.read("shared.weight"), t.get("shared.weight")!.data)).toBe(true);
    expect(same(ck.read("lm_head.weight"), t.get("shared.weight")!.data)).toBe(true);
    ck.close();
  });
});

describe("malformed checkpoints fail with one clear message", () => {
  it("missing tensor", async () => {
    const es = entries(fixtureTensors("v1_1")).filter((e) => e.name !== "decoder.block.2.layer.1.EncDecAttention.k.weight");
    const dir = await makeDir("v1_1", es);
    expect(() => openCheckpoint(dir)).toThrow(`${path.join(dir, "model.safetensors")}: missing tensor 'decoder.block.2.layer.1.EncDecAttention.k.weight' (shape [64,64] = num_heads*d_kv x d_model)`);
  });

  it("missing untied lm_head", async () => {
    const es = entries(fixtureTensors("v1_1")).filter((e) => e.name !== "lm_head.weight");
    const dir = await makeDir("v1_1", es);
    expect(() => openCheckpoint(dir)).toThrow(/missing tensor 'lm_head.weight'.*tie_word_embeddings: false/);
  });

  it("wrong shape", async () => {
    const es = entries(fixtureTensors("v1_1")).map((e) =>
      e.name === "encoder.block.1.layer.1.DenseReluDense.wo.weight" ? { ...e, shape: [128, 64] } : e);
    const dir = await makeDir("v1_1", es);
    expect(() => openCheckpoint(dir)).toThrow(`${path.join(dir, "model.safetensors")}: tensor 'encoder.block.1.layer.1.DenseReluDense.wo.weight' has shape [128,64], expected [64,128] (d_model x d_ff from config.json)`);
  });

  it("config that does not match the weights (relu config over gated weights)", async () => {
    const dir = await makeDir("v1_1", entries(fixtureTensors("v1_1")), (c) => {
      c.feed_forward_proj = "relu";
      delete c.dense_act_fn;
      delete c.is_gated_act;
    });
    expect(() => openCheckpoint(dir)).toThrow(/missing tensor 'encoder.block.0.layer.1.DenseReluDense.wi.weight'/);
  });

  it("more blocks in the weights than the config declares", async () => {
    const dir = await makeDir("v1_1", entries(fixtureTensors("v1_1")), (c) => {
      c.num_decoder_layers = 2;
    });
    expect(() => openCheckpoint(dir)).toThrow(/tensor 'decoder\.block\.2\.[^']+' belongs to decoder block 2, but config.json has num_decoder_layers = 2/);
  });

  it("integer dtype for a weight", async () => {
    const es = entries(fixtureTensors("v1_0")).map((e) =>
      e.name === "encoder.final_layer_norm.weight" ? { ...e, dtype: "I32" as const, data: new Int32Array(64) } : e);
    const dir = await makeDir("v1_0", es);
    expect(() => openCheckpoint(dir)).toThrow(/tensor 'encoder.final_layer_norm.weight' has dtype I32, expected F32, F16, BF16 or F64/);
  });

  it("no weights file, no config", async () => {
    const dir = path.join(tmp, "empty");
    mkdirSync(dir);
    copyFileSync(path.join(fixtureModel("v1_0"), "config.json"), path.join(dir, "config.json"));
    writeFileSync(path.join(dir, "weights.pt"), "x");
    expect(() => openCheckpoint(dir)).toThrow(/no model weights \(found: config.json, weights.pt\); expected model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json/);
    expect(() => openCheckpoint(path.join(tmp, "nope"))).toThrow(/config.json: cannot read config \(ENOENT\)/);
  });
});
