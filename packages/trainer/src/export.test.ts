import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSafetensorsFile } from "@ptune/t5";
import { decodeNpy, encodeNpy, exportPromptNpy, importPromptNpy } from "./export-npy.ts";
import { repoRoot } from "../../../tooling/test-env.ts";
import { importPrompt } from "./analysis/prompt-files.ts";
import { exportPeftAdapter, importPeftAdapter } from "./export-peft.ts";
import { initPrompt } from "./prompt-init.ts";
import { Rng } from "./rng.ts";
import { parseTrialSpec } from "./trial-spec.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-export-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const rng = Rng.fromSeed(11);
const prompt = { data: Float32Array.from({ length: 5 * 64 }, () => rng.float() - 0.5), len: 5 };

describe("PEFT adapter export", () => {
  it("writes adapter_model.safetensors (prompt_embeddings [P, d] F32) + adapter_config.json and imports them back", async () => {
    const dir = path.join(tmp, "peft");
    await exportPeftAdapter({ dir, prompt, model: { d_model: 64, num_heads: 4, num_layers: 2 }, baseModel: "t5-tiny-v1_1", init: "class_label", labels: ["True", "False"] });
    const st = readSafetensorsFile(path.join(dir, "adapter_model.safetensors"));
    expect([...st.keys()]).toEqual(["prompt_embeddings"]);
    expect(st.get("prompt_embeddings")!.dtype).toBe("F32");
    expect(st.get("prompt_embeddings")!.shape).toEqual([5, 64]);
    const cfg = JSON.parse(readFileSync(path.join(dir, "adapter_config.json"), "utf8"));
    expect(cfg).toMatchObject({ peft_type: "PROMPT_TUNING", task_type: "SEQ_2_SEQ_LM", num_virtual_tokens: 5, token_dim: 64, num_transformer_submodules: 1, num_attention_heads: 4, num_layers: 2, prompt_tuning_init: "TEXT", base_model_name_or_path: "t5-tiny-v1_1" });
    const back = importPeftAdapter(dir);
    expect(back.prompt.len).toBe(5);
    expect(back.prompt.data).toEqual(prompt.data);
  });

  it("refuses an adapter whose config and tensor disagree", async () => {
    const dir = path.join(tmp, "peft-bad");
    await exportPeftAdapter({ dir, prompt, model: { d_model: 64, num_heads: 4, num_layers: 2 }, baseModel: "m", init: "random_uniform" });
    const cfgFile = path.join(dir, "adapter_config.json");
    writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, "utf8")), num_virtual_tokens: 6 }));
    expect(() => importPeftAdapter(dir)).toThrow(/prompt_embeddings' \[6, 64\]/);
    writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, "utf8")), peft_type: "LORA" }));
    expect(() => importPeftAdapter(dir)).toThrow(/field 'peft_type'/);
  });
});

describe("PEFT adapters as PEFT writes them", () => {
  const fx = path.join(repoRoot, "packages/t5/test/fixtures/torch/peft-t5-default");

  it("PEFT's T5 default (num_transformer_submodules 2, [2P, d], adapter_model.bin, task_type null): the encoder half, and a note saying so", () => {
    const back = importPeftAdapter(fx);
    const want = importPromptNpy(path.join(fx, "expected-encoder-half.npy")); // written by torch: emb[:P]
    expect(back.prompt.len).toBe(5);
    expect(back.prompt.data).toEqual(want.data);
    expect(back.config).toMatchObject({ task_type: null, num_transformer_submodules: 2, base_model_name_or_path: "google/t5-base-lm-adapt" });
    expect(back.notes).toEqual([
      "adapter_config.json has task_type null: read as SEQ_2_SEQ_LM prompt tuning",
      "num_transformer_submodules 2: prompt_embeddings is [10, 64]; took the encoder half (rows 0..4), the decoder prompt (rows 5..9) is not used by ptune",
    ]);
    const p = importPrompt(fx);
    expect([p.format, p.len, p.dModel, p.notes.length]).toEqual(["peft", 5, 64, 2]);
  });

  it("export names the hub model, not a local path, with PromptTuningConfig's fields exactly", async () => {
    const model = { d_model: 64, num_heads: 4, num_layers: 2 };
    const cfgOf = async (baseModel: string, init = "class_label") => {
      const dir = path.join(tmp, `peft-${Math.random().toString(36).slice(2)}`);
      await exportPeftAdapter({ dir, prompt, model, baseModel, init, labels: ["entailment", "not_entailment"] });
      return JSON.parse(readFileSync(path.join(dir, "adapter_config.json"), "utf8"));
    };
    const hub = await cfgOf("hf:google/t5-base-lm-adapt");
    // PeftConfig (base_model_name_or_path, revision, peft_type, task_type, inference_mode) +
    // PromptLearningConfig (num_virtual_tokens, token_dim, num_transformer_submodules, num_attention_heads, num_layers) +
    // PromptTuningConfig (prompt_tuning_init, prompt_tuning_init_text, tokenizer_name_or_path): nothing else.
    expect(Object.keys(hub).sort()).toEqual(["base_model_name_or_path", "inference_mode", "num_attention_heads", "num_layers", "num_transformer_submodules", "num_virtual_tokens", "peft_type", "prompt_tuning_init", "prompt_tuning_init_text", "revision", "task_type", "token_dim", "tokenizer_name_or_path"]);
    expect(hub).toMatchObject({ base_model_name_or_path: "google/t5-base-lm-adapt", revision: null, tokenizer_name_or_path: "google/t5-base-lm-adapt", prompt_tuning_init: "TEXT", prompt_tuning_init_text: "entailment not_entailment", num_transformer_submodules: 1 });
    expect(await cfgOf("hf:google/t5-xl-lm-adapt@v1")).toMatchObject({ base_model_name_or_path: "google/t5-xl-lm-adapt", revision: "v1" });
    const snap = `/root/.cache/huggingface/hub/models--google--t5-large-lm-adapt/snapshots/${"c".repeat(40)}`;
    expect(await cfgOf(snap)).toMatchObject({ base_model_name_or_path: "google/t5-large-lm-adapt", revision: "c".repeat(40) });
    expect(await cfgOf("/data/models/my-t5", "random_uniform")).toMatchObject({ base_model_name_or_path: "/data/models/my-t5", prompt_tuning_init: "RANDOM", tokenizer_name_or_path: null });
  });
});

describe("init: file:<path> starts a trial from a saved prompt", () => {
  it("the .npy or PEFT adapter's prompt is the start, exactly; a shape that does not fit is refused", async () => {
    const file = path.join(tmp, "start.npy");
    exportPromptNpy(file, prompt);
    const args = { length: 5, embeddings: new Float32Array(0), vocab: 1100, dModel: 64, rng: Rng.fromSeed(1) };
    expect(initPrompt({ ...args, strategy: `file:${file}` })).toEqual(prompt.data);
    const peft = path.join(tmp, "start-peft");
    await exportPeftAdapter({ dir: peft, prompt, model: { d_model: 64, num_heads: 4, num_layers: 2 }, baseModel: "m", init: "random_uniform" });
    expect(initPrompt({ ...args, strategy: `file:${peft}` })).toEqual(prompt.data);
    expect(() => initPrompt({ ...args, length: 100, strategy: `file:${file}` })).toThrow(`init file:${file}: the prompt is [5, 64], but the trial needs [100, 64] (prompt_length 100, the model's d_model 64); set prompt_length to 5 for this init`);
    expect(parseTrialSpec({ trial_id: "t", task: "rte", init: `file:${file}` }).init).toBe(`file:${file}`);
    expect(() => parseTrialSpec({ trial_id: "t", task: "rte", init: "uniform" })).toThrow(/init/);
  });
});

describe("T5X .npy export", () => {
  it("writes NumPy v1.0 '<f4' C-order (P, d) with a 64-byte aligned header, and reads it back", () => {
    const file = path.join(tmp, "prompt.npy");
    exportPromptNpy(file, prompt);
    const bytes = readFileSync(file);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = bytes.readUInt16LE(8);
    expect((10 + hlen) % 64).toBe(0);
    const header = bytes.subarray(10, 10 + hlen).toString("latin1");
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(5, 64\), \} *\n$/);
    expect(bytes.length).toBe(10 + hlen + 5 * 64 * 4);
    expect(bytes.readFloatLE(10 + hlen + 4 * 65)).toBe(prompt.data[65]); // C order: row 1, col 1
    const back = importPromptNpy(file);
    expect([back.len, back.dModel]).toEqual([5, 64]);
    expect(back.data).toEqual(prompt.data);
  });

  it("rejects other dtypes, Fortran order and 1-D arrays", () => {
    const good = encodeNpy(new Float32Array(6), [2, 3]);
    const patch = (from: string, to: string) => {
      const s = Buffer.from(good).toString("latin1").replace(from, to);
      return new Uint8Array(Buffer.from(s, "latin1"));
    };
    expect(() => decodeNpy(patch("'<f4'", "'>f4'"))).toThrow(/dtype '>f4', expected '<f4'/);
    expect(() => decodeNpy(patch("False", "True "))).toThrow(/fortran_order/);
    expect(() => decodeNpy(patch("(2, 3)", "(6,)  "))).toThrow(/2-D/);
    expect(() => decodeNpy(new Uint8Array(20))).toThrow(/bad magic/);
  });
});
