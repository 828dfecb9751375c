// `ptune neighbours`: the paper's interpretability analysis (Lester et al. 2021, §7): for each
// position of a trial's best prompt, the k vocabulary tokens whose input embeddings have the
// highest cosine similarity. Stored as `trials.result.neighbours` ([slot][k] of { id, token,
// similarity }), which @ptune/report prints.
import { mergeTrialResult, type Db } from "@ptune/db";
import { openCheckpoint, resolveModelRef, T5Tokenizer } from "@ptune/t5";
import { nearestNeighbours, type Neighbour } from "../neighbours.ts";
import { loadTrialPrompt } from "./trial-prompt.ts";

export interface NeighboursReport {
  trialId: string;
  model: string;
  task: string;
  /** training step of the best checkpoint the prompt comes from */
  step: number;
  k: number;
  /** [prompt position][k], most similar first */
  neighbours: Neighbour[][];
  stored: boolean;
}

export async function neighboursFromDatabase(db: Db, trialId: string, o: { k?: number; write?: boolean } = {}): Promise<NeighboursReport> {
  const k = o.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${o.k}`);
  const { trial, config, prompt } = await loadTrialPrompt(db, trialId);
  const dir = await resolveModelRef(config.model.checkpoint); // a local dir, or hf: through the Hugging Face cache
  // The input embedding table straight from the checkpoint (no ONNX graphs needed).
  const ckpt = openCheckpoint(dir);
  let embeddings: Float32Array;
  try {
    if (ckpt.config.d_model !== prompt.dModel) throw new Error(`trial '${trialId}': prompt d_model ${prompt.dModel} does not match ${dir} (d_model ${ckpt.config.d_model})`);
    embeddings = ckpt.read("shared.weight");
  } finally {
    ckpt.close();
  }
  const neighbours = nearestNeighbours(prompt, embeddings, k, T5Tokenizer.fromDir(dir));
  if (o.write !== false) await mergeTrialResult(db, trialId, { neighbours });
  return { trialId, model: trial.model, task: trial.task, step: prompt.step, k, neighbours, stored: o.write !== false };
}
