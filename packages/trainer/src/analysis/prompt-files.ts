// `ptune export` / `ptune import`: a trial's best prompt as a Hugging Face PEFT prompt-tuning
// adapter (export-peft.ts) or a T5X-style `.npy` (export-npy.ts), and reading either back with
// summary statistics (a round-trip check for users).
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Db } from "@ptune/db";
import { readT5Config, resolveModelRef } from "@ptune/t5";
import { getTask } from "@ptune/tasks";
import { exportPromptNpy, importPromptNpy } from "../export-npy.ts";
import { exportPeftAdapter, importPeftAdapter, type PeftPromptConfig } from "../export-peft.ts";
import { loadTrialPrompt } from "./trial-prompt.ts";

export const PROMPT_FORMATS = ["peft", "npy"] as const;
export type PromptFormat = (typeof PROMPT_FORMATS)[number];

export interface ExportedPrompt {
  trialId: string;
  format: PromptFormat;
  /** the adapter directory (peft) or the .npy file */
  path: string;
  files: string[];
  len: number;
  dModel: number;
  step: number;
}

/**
 * Writes the trial's best prompt. peft: `out` is the adapter directory (adapter_model.safetensors
 * + adapter_config.json). npy: `out` is the file when it ends in `.npy`, else a directory that
 * gets `prompt.npy`.
 */
export async function exportTrialPrompt(db: Db, trialId: string, o: { format: PromptFormat; out: string }): Promise<ExportedPrompt> {
  if (!PROMPT_FORMATS.includes(o.format)) throw new Error(`format must be one of ${PROMPT_FORMATS.join(", ")}, got '${o.format}'`);
  const { config, prompt } = await loadTrialPrompt(db, trialId);
  const base = { trialId, format: o.format, len: prompt.len, dModel: prompt.dModel, step: prompt.step };
  if (o.format === "npy") {
    const file = o.out.endsWith(".npy") ? o.out : path.join(o.out, "prompt.npy");
    mkdirSync(path.dirname(file), { recursive: true });
    exportPromptNpy(file, prompt);
    return { ...base, path: file, files: [file] };
  }
  const model = readT5Config(await resolveModelRef(config.model.checkpoint));
  if (model.d_model !== prompt.dModel) throw new Error(`trial '${trialId}': prompt d_model ${prompt.dModel} does not match ${config.model.checkpoint} (d_model ${model.d_model})`);
  let labels: readonly string[] | undefined;
  try {
    labels = getTask(config.task.name).labels;
  } catch {
    labels = undefined; // a task this build does not know: no TEXT init string
  }
  await exportPeftAdapter({ dir: o.out, prompt, model, baseModel: config.model.checkpoint, init: config.init ?? "random_uniform", labels });
  return { ...base, path: o.out, files: [path.join(o.out, "adapter_model.safetensors"), path.join(o.out, "adapter_config.json")] };
}

export interface PromptStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** mean L2 norm of the prompt's token vectors */
  meanTokenNorm: number;
}

export interface ImportedPrompt {
  format: PromptFormat;
  path: string;
  len: number;
  dModel: number;
  data: Float32Array;
  stats: PromptStats;
  /** the adapter's config (peft only) */
  config?: PeftPromptConfig;
  /** what the reader had to decide (PEFT's two-submodule prompt, task_type null) */
  notes: string[];
}

export function promptStats(data: Float32Array, len: number): PromptStats {
  const d = data.length / len;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / data.length;
  let sq = 0;
  for (const v of data) sq += (v - mean) ** 2;
  let norms = 0;
  for (let p = 0; p < len; p++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[p * d + j]! ** 2;
    norms += Math.sqrt(s);
  }
  return { mean, std: Math.sqrt(sq / data.length), min, max, meanTokenNorm: norms / len };
}

/** Reads a prompt exported by exportTrialPrompt (or by peft / np.save): a PEFT adapter directory (or a file in it) or a `.npy`. */
export function importPrompt(p: string): ImportedPrompt {
  if (!existsSync(p)) throw new Error(`${p}: no such file or directory`);
  const dir = statSync(p).isDirectory() ? p : ["adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"].includes(path.basename(p)) ? path.dirname(p) : null;
  if (dir) {
    if (!existsSync(path.join(dir, "adapter_config.json"))) throw new Error(`${dir}: not a PEFT adapter directory (no adapter_config.json)`);
    const { prompt, config, notes } = importPeftAdapter(dir);
    return { format: "peft", path: dir, len: prompt.len, dModel: config.token_dim, data: prompt.data, stats: promptStats(prompt.data, prompt.len), config, notes };
  }
  if (!p.endsWith(".npy")) throw new Error(`${p}: expected a PEFT adapter directory or a .npy file`);
  const { data, len, dModel } = importPromptNpy(p);
  return { format: "npy", path: p, len, dModel, data, stats: promptStats(data, len), notes: [] };
}

/** The start of a trial with `init: file:<path>`: the saved prompt, which must be exactly [P, d]. */
export function promptFromFile(file: string, len: number, dModel: number): Float32Array {
  const p = importPrompt(file);
  for (const n of p.notes) process.stderr.write(`init file:${file}: ${n}\n`);
  if (p.len !== len || p.dModel !== dModel) {
    throw new Error(`init file:${file}: the prompt is [${p.len}, ${p.dModel}], but the trial needs [${len}, ${dModel}] (prompt_length ${len}, the model's d_model ${dModel}); set prompt_length to ${p.len} for this init`);
  }
  return p.data;
}
