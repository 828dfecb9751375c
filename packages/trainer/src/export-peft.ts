// A learned prompt as a Hugging Face PEFT prompt-tuning adapter, loadable with
// `PeftModel.from_pretrained(base, dir)`: peft's `get_peft_model_state_dict` saves prompt learning
// as the single tensor `prompt_embeddings` [num_virtual_tokens * num_transformer_submodules, token_dim]
// in `adapter_model.safetensors`, next to `adapter_config.json` (PromptTuningConfig fields).
// We write num_transformer_submodules 1: the prompt goes on the encoder input only, as in the paper
// (peft's seq2seq forward prepends `prompts[:, :num_virtual_tokens]` to the encoder embeddings, and
// with 1 submodule passes no decoder prompt).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { isHubRef, parseHubRef, readSafetensorsFile, TorchFile, writeSafetensors } from "@ptune/t5";

// Field by field as PEFT's PromptTuningConfig (peft/tuners/prompt_tuning/config.py) and its bases
// PromptLearningConfig / PeftConfig (peft/config.py). Export writes exactly these keys: PEFT builds
// the config with PromptTuningConfig(**json), and older releases reject keys they do not know
// (tokenizer_kwargs, modules_to_save, auto_mapping are left out; each defaults to None).
// Import accepts what any PEFT release writes: unknown keys are ignored, optional ones may be missing.
export const PeftPromptConfigSchema = z.object({
  peft_type: z.literal("PROMPT_TUNING"),
  /** PEFT writes null when get_peft_model was given no task_type. */
  task_type: z.literal("SEQ_2_SEQ_LM").nullable().default(null),
  num_virtual_tokens: z.number().int().positive(),
  token_dim: z.number().int().positive(),
  /** PEFT's default for SEQ_2_SEQ_LM is 2 (a prompt for the encoder AND the decoder): [2P, d]. */
  num_transformer_submodules: z.union([z.literal(1), z.literal(2)]).nullable().default(null),
  num_attention_heads: z.number().int().positive().nullable().default(null),
  num_layers: z.number().int().positive().nullable().default(null),
  prompt_tuning_init: z.enum(["RANDOM", "SAMPLE_VOCAB", "TEXT"]).default("RANDOM"),
  prompt_tuning_init_text: z.string().nullable().default(null),
  tokenizer_name_or_path: z.string().nullable().default(null),
  base_model_name_or_path: z.string().nullable().default(null),
  inference_mode: z.boolean().default(true),
  revision: z.string().nullable().default(null),
});
export type PeftPromptConfig = z.infer<typeof PeftPromptConfigSchema>;

/** Our init names -> peft's PromptTuningInit (class_label has no peft equivalent: TEXT is closest). */
const PEFT_INIT: Record<string, PeftPromptConfig["prompt_tuning_init"]> = { random_uniform: "RANDOM", sampled_vocab: "SAMPLE_VOCAB", class_label: "TEXT" };

/**
 * The base model as PEFT (and AutoPeftModel) should name it: the hub id for `hf:org/name[@rev]` or
 * a Hugging Face cache snapshot (…/models--org--name/snapshots/<commit>), with the revision;
 * otherwise the path as given.
 */
export function peftBaseModel(checkpoint: string): { name: string; revision: string | null } {
  if (isHubRef(checkpoint)) {
    const r = parseHubRef(checkpoint);
    return { name: r.repoId, revision: r.revision === "main" ? null : r.revision };
  }
  const m = /(?:^|\/)models--([^/]+?)--([^/]+)\/snapshots\/([0-9a-f]{40})\/?$/.exec(checkpoint);
  if (m) return { name: `${m[1]}/${m[2]}`, revision: m[3]! };
  return { name: checkpoint, revision: null };
}

export interface ExportPeftArgs {
  dir: string;
  prompt: { data: Float32Array; len: number };
  model: { d_model: number; num_heads: number; num_layers: number };
  /** The checkpoint as the sweep named it (hf: reference, cache snapshot or local path). */
  baseModel: string;
  init: string;
  labels?: readonly string[];
}

export async function exportPeftAdapter(a: ExportPeftArgs): Promise<void> {
  const d = a.model.d_model;
  if (a.prompt.data.length !== a.prompt.len * d) throw new Error(`exportPeftAdapter: prompt has ${a.prompt.data.length} values, expected ${a.prompt.len} x d_model ${d}`);
  mkdirSync(a.dir, { recursive: true });
  const base = peftBaseModel(a.baseModel);
  const init = PEFT_INIT[a.init] ?? "RANDOM";
  const config: PeftPromptConfig = {
    peft_type: "PROMPT_TUNING",
    task_type: "SEQ_2_SEQ_LM",
    num_virtual_tokens: a.prompt.len,
    token_dim: d,
    num_transformer_submodules: 1,
    num_attention_heads: a.model.num_heads,
    num_layers: a.model.num_layers,
    prompt_tuning_init: init === "TEXT" && !a.labels ? "RANDOM" : init, // TEXT needs its text (PromptTuningConfig.__post_init__)
    prompt_tuning_init_text: init === "TEXT" && a.labels ? a.labels.join(" ") : null,
    tokenizer_name_or_path: init === "TEXT" && a.labels ? base.name : null,
    base_model_name_or_path: base.name,
    inference_mode: true,
    revision: base.revision,
  };
  await writeSafetensors(path.join(a.dir, "adapter_model.safetensors"), [{ name: "prompt_embeddings", dtype: "F32", shape: [a.prompt.len, d], data: a.prompt.data }]);
  writeFileSync(path.join(a.dir, "adapter_config.json"), JSON.stringify(config, null, 2) + "\n");
}

/** adapter_model.safetensors, else adapter_model.bin (what PEFT < 0.6 saved), read without executing its pickle. */
function readPromptEmbeddings(dir: string): { data: Float32Array; shape: number[]; file: string } | { file: string; missing: true } {
  const st = path.join(dir, "adapter_model.safetensors");
  if (existsSync(st)) {
    const t = readSafetensorsFile(st).get("prompt_embeddings");
    return t && t.data instanceof Float32Array ? { data: t.data, shape: t.shape, file: st } : { file: st, missing: true };
  }
  const bin = path.join(dir, "adapter_model.bin");
  if (!existsSync(bin)) throw new Error(`${dir}: no adapter_model.safetensors or adapter_model.bin`);
  const f = new TorchFile(bin);
  try {
    const t = f.tensors.get("prompt_embeddings");
    return t ? { data: f.readFloat32("prompt_embeddings"), shape: t.shape, file: bin } : { file: bin, missing: true };
  } finally {
    f.close();
  }
}

/**
 * A PEFT prompt-tuning adapter's encoder prompt [P, d]. With num_transformer_submodules 2 (PEFT's
 * T5 default) the tensor is [2P, d]: PeftModelForSeq2SeqLM prepends rows [0, P) to the encoder
 * input and rows [P, 2P) to the decoder input; ptune's prompt is the encoder's (the paper's), so the
 * first half is taken and `notes` says so.
 */
export function importPeftAdapter(dir: string): { prompt: { data: Float32Array; len: number }; config: PeftPromptConfig; notes: string[] } {
  const cfgFile = path.join(dir, "adapter_config.json");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cfgFile, "utf8"));
  } catch (e) {
    throw new Error(`${cfgFile}: ${(e as Error).message}`);
  }
  const parsed = PeftPromptConfigSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${cfgFile}: field '${i.path.join(".")}': ${i.message}`);
  }
  const cfg = parsed.data;
  const { num_virtual_tokens: P, token_dim: d } = cfg;
  const t = readPromptEmbeddings(dir);
  const rows = "missing" in t ? 0 : t.shape[0];
  // null: PEFT fills it in at load time (2 for SEQ_2_SEQ_LM); the tensor says which it was.
  const k = cfg.num_transformer_submodules ?? (rows === 2 * P ? 2 : 1);
  if ("missing" in t || t.shape.length !== 2 || t.shape[0] !== k * P || t.shape[1] !== d) {
    throw new Error(`${t.file}: expected float tensor 'prompt_embeddings' [${k * P}, ${d}] (num_virtual_tokens ${P} x num_transformer_submodules ${k}, token_dim ${d}), got ${"missing" in t ? "none" : `[${t.shape}]`}`);
  }
  const notes: string[] = [];
  if (cfg.task_type === null) notes.push("adapter_config.json has task_type null: read as SEQ_2_SEQ_LM prompt tuning");
  if (k === 2) notes.push(`num_transformer_submodules 2: prompt_embeddings is [${2 * P}, ${d}]; took the encoder half (rows 0..${P - 1}), the decoder prompt (rows ${P}..${2 * P - 1}) is not used by ptune`);
  return { prompt: { data: k === 2 ? t.data.slice(0, P * d) : t.data, len: P }, config: cfg, notes };
}
