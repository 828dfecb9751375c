// A learned prompt as a Hugging Face PEFT prompt-tuning adapter, loadable with
// `PeftModel.from_pretrained(base, dir)`: peft's `get_peft_model_state_dict` saves prompt learning
// as the single tensor `prompt_embeddings` [num_virtual_tokens * num_transformer_submodules, token_dim]
// in `adapter_model.safetensors`, next to `adapter_config.json` (PromptTuningConfig fields).
// We write num_transformer_submodules 1: the prompt goes on the encoder input only, as in the paper
// (peft's seq2seq forward prepends `prompts[:, :num_virtual_tokens]` to the encoder embeddings).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { readSafetensorsFile, writeSafetensors } from "@ptune/t5";

export const PeftPromptConfigSchema = z.object({
  peft_type: z.literal("PROMPT_TUNING"),
  task_type: z.literal("SEQ_2_SEQ_LM"),
  num_virtual_tokens: z.number().int().positive(),
  token_dim: z.number().int().positive(),
  num_transformer_submodules: z.literal(1),
  num_attention_heads: z.number().int().positive(),
  num_layers: z.number().int().positive(),
  prompt_tuning_init: z.enum(["RANDOM", "SAMPLE_VOCAB", "TEXT"]),
  prompt_tuning_init_text: z.string().nullable(),
  tokenizer_name_or_path: z.string().nullable(),
  base_model_name_or_path: z.string(),
  inference_mode: z.boolean(),
  revision: z.string().nullable(),
});
export type PeftPromptConfig = z.infer<typeof PeftPromptConfigSchema>;

/** Our init names -> peft's PromptTuningInit (class_label has no peft equivalent: TEXT is closest). */
const PEFT_INIT: Record<string, PeftPromptConfig["prompt_tuning_init"]> = { random_uniform: "RANDOM", sampled_vocab: "SAMPLE_VOCAB", class_label: "TEXT" };

export interface ExportPeftArgs {
  dir: string;
  prompt: { data: Float32Array; len: number };
  model: { d_model: number; num_heads: number; num_layers: number };
  baseModel: string;
  init: string;
  labels?: readonly string[];
}

export async function exportPeftAdapter(a: ExportPeftArgs): Promise<void> {
  const d = a.model.d_model;
  if (a.prompt.data.length !== a.prompt.len * d) throw new Error(`exportPeftAdapter: prompt has ${a.prompt.data.length} values, expected ${a.prompt.len} x d_model ${d}`);
  mkdirSync(a.dir, { recursive: true });
  const config: PeftPromptConfig = {
    peft_type: "PROMPT_TUNING",
    task_type: "SEQ_2_SEQ_LM",
    num_virtual_tokens: a.prompt.len,
    token_dim: d,
    num_transformer_submodules: 1,
    num_attention_heads: a.model.num_heads,
    num_layers: a.model.num_layers,
    prompt_tuning_init: PEFT_INIT[a.init] ?? "RANDOM",
    prompt_tuning_init_text: a.init === "class_label" && a.labels ? a.labels.join(" ") : null,
    tokenizer_name_or_path: a.init === "class_label" ? a.baseModel : null,
    base_model_name_or_path: a.baseModel,
    inference_mode: true,
    revision: null,
  };
  await writeSafetensors(path.join(a.dir, "adapter_model.safetensors"), [{ name: "prompt_embeddings", dtype: "F32", shape: [a.prompt.len, d], data: a.prompt.data }]);
  writeFileSync(path.join(a.dir, "adapter_config.json"), JSON.stringify(config, null, 2) + "\n");
}

export function importPeftAdapter(dir: string): { prompt: { data: Float32Array; len: number }; config: PeftPromptConfig } {
  const cfgFile = path.join(dir, "adapter_config.json");
  const parsed = PeftPromptConfigSchema.safeParse(JSON.parse(readFileSync(cfgFile, "utf8")));
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${cfgFile}: field '${i.path.join(".")}': ${i.message}`);
  }
  const st = readSafetensorsFile(path.join(dir, "adapter_model.safetensors"));
  const t = st.get("prompt_embeddings");
  const { num_virtual_tokens: P, token_dim: d } = parsed.data;
  if (!t || !(t.data instanceof Float32Array) || t.shape.join(",") !== `${P},${d}`) {
    throw new Error(`${dir}/adapter_model.safetensors: expected float tensor 'prompt_embeddings' [${P}, ${d}], got ${t ? `[${t.shape}] ${t.dtype}` : "none"}`);
  }
  return { prompt: { data: t.data, len: P }, config: parsed.data };
}
