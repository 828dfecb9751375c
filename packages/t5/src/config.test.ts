import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureModel } from "../../../tooling/test-env.ts";
import { parseT5Config, readT5Config } from "./config.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-cfg-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The shape of google/t5-v1_1-small's config.json (older transformers: no dense_act_fn / is_gated_act).
const v11small = {
  architectures: ["T5ForConditionalGeneration"], d_ff: 1024, d_kv: 64, d_model: 512, decoder_start_token_id: 0,
  dropout_rate: 0.1, eos_token_id: 1, feed_forward_proj: "gated-gelu", initializer_factor: 1.0, is_encoder_decoder: true,
  layer_norm_epsilon: 1e-6, model_type: "t5", num_decoder_layers: 8, num_heads: 6, num_layers: 8, output_past: true,
  pad_token_id: 0, relative_attention_num_buckets: 32, tie_word_embeddings: false, vocab_size: 32128,
};

describe("readT5Config", () => {
  it("reads both fixture configs", () => {
    const a = readT5Config(fixtureModel("v1_0"));
    expect(a).toMatchObject({ feed_forward_proj: "relu", dense_act_fn: "relu", is_gated_act: false, tie_word_embeddings: true, scale_decoder_outputs: true, num_decoder_layers: 2, vocab_size: 1100 });
    const b = readT5Config(path.join(fixtureModel("v1_1"), "config.json"));
    expect(b).toMatchObject({ feed_forward_proj: "gated-gelu", dense_act_fn: "gelu_new", is_gated_act: true, tie_word_embeddings: false, scale_decoder_outputs: false, num_layers: 2, num_decoder_layers: 3 });
  });

  it("applies Hugging Face defaults", () => {
    const c = parseT5Config({ vocab_size: 100, d_model: 8, d_kv: 4, d_ff: 16, num_layers: 3, num_heads: 2 });
    expect(c).toMatchObject({ num_decoder_layers: 3, relative_attention_max_distance: 128, relative_attention_num_buckets: 32, feed_forward_proj: "relu", tie_word_embeddings: true, scale_decoder_outputs: true, pad_token_id: 0, eos_token_id: 1, decoder_start_token_id: 0, layer_norm_epsilon: 1e-6 });
    expect(parseT5Config({ ...v11small, num_decoder_layers: null }).num_decoder_layers).toBe(8);
    // n_positions (T5 configs say 512): kept when stated, absent when missing or null
    expect(parseT5Config({ ...v11small, n_positions: 512 }).n_positions).toBe(512);
    expect("n_positions" in parseT5Config({ ...v11small, n_positions: null })).toBe(false);
    expect(() => parseT5Config({ ...v11small, n_positions: 0 }, "c.json")).toThrow(/c\.json: field 'n_positions'/);
  });

  it("accepts the spellings that mean gated GELU (tanh)", () => {
    for (const f of ["gated-gelu", "gated-gelu_new"]) expect(parseT5Config({ ...v11small, feed_forward_proj: f }).feed_forward_proj).toBe("gated-gelu");
    expect(parseT5Config({ ...v11small, dense_act_fn: "gelu_new", is_gated_act: true }).dense_act_fn).toBe("gelu_new");
    expect(parseT5Config({ ...v11small, eos_token_id: [1] }).eos_token_id).toBe(1);
  });

  it("rejects unsupported configs naming the field, the value and what is supported", () => {
    expect(() => parseT5Config({ ...v11small, feed_forward_proj: "gated-silu" }, "x/config.json")).toThrow(
      "x/config.json: field 'feed_forward_proj': 'gated-silu' is not supported; supported: 'relu' (T5 v1.0) or 'gated-gelu' / 'gated-gelu_new' (T5 v1.1, LM-adapted)");
    expect(() => parseT5Config({ ...v11small, feed_forward_proj: "gelu" })).toThrow(/'gelu' is not supported/);
    expect(() => parseT5Config({ ...v11small, feed_forward_proj: "silly-relu" })).toThrow(/not a valid feed_forward_proj/);
    expect(() => parseT5Config({ ...v11small, model_type: "mt5" })).toThrow("config.json: field 'model_type' is 'mt5'; only 't5' checkpoints are supported");
    expect(() => parseT5Config({ ...v11small, d_model: 0 })).toThrow(/field 'd_model': /);
    expect(() => parseT5Config({ ...v11small, d_kv: undefined })).toThrow(/field 'd_kv': /);
    expect(() => parseT5Config({ ...v11small, num_heads: 1.5 })).toThrow(/field 'num_heads': /);
    expect(() => parseT5Config({ ...v11small, is_gated_act: false })).toThrow(/field 'is_gated_act' is false but feed_forward_proj 'gated-gelu' means true/);
    expect(() => parseT5Config({ ...v11small, dense_act_fn: "gelu" })).toThrow(/field 'dense_act_fn' is 'gelu'/);
    expect(() => parseT5Config({ ...v11small, pad_token_id: 40000 })).toThrow(/field 'pad_token_id' is 40000, expected < vocab_size 32128/);
  });

  it("reports unreadable and invalid JSON files", () => {
    const f = path.join(tmp, "config.json");
    writeFileSync(f, "{nope");
    expect(() => readT5Config(tmp)).toThrow(new RegExp(`${f}: not valid JSON`));
    expect(() => readT5Config(path.join(tmp, "missing"))).toThrow(/cannot read config \(ENOENT\)/);
  });
});
