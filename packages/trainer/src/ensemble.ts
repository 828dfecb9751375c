// Prompt ensembling (paper §7, Table 3): K prompts for one frozen model, evaluated in ONE batched
// forward per dev batch (each example replicated K times, row i*K+k carries prompt k through the
// engine's per-example prompts), then a majority vote over the K predicted strings. Reports, per
// metric, the average and the best single prompt and the ensemble, like Table 3.
import { buildBatch, evalBatches, type EncodedExample } from "./batching.ts";
import type { EngineLike, PromptArg } from "./engine-like.ts";
import { decodePrediction, type DevSet } from "./evaluate.ts";

export interface EnsembleResult {
  perPrompt: Record<string, number>[];
  average: Record<string, number>;
  best: Record<string, number>;
  ensemble: Record<string, number>;
  /** ensemble predictions, one per dev example */
  predictions: string[];
}

/**
 * Majority vote; ties go to the prediction of the lowest-indexed prompt among the tied ones (a
 * deterministic rule: the paper does not say how ties are broken).
 */
export function majorityVote(preds: readonly string[]): string {
  if (preds.length === 0) throw new Error("majorityVote: no predictions");
  const counts = new Map<string, number>();
  for (const p of preds) counts.set(p, (counts.get(p) ?? 0) + 1);
  let best = preds[0];
  for (const p of preds) if (counts.get(p)! > counts.get(best)!) best = p;
  return best;
}

/** Packs K prompts ([len_k, d] each) into [rows, pmax, d] + mask for `rows` = B*K example rows. */
function packPrompts(prompts: readonly PromptArg[], d: number, B: number): { perExample: Float32Array; mask: Int32Array; pmax: number } {
  const K = prompts.length;
  const pmax = Math.max(...prompts.map((p) => p.len));
  const perExample = new Float32Array(B * K * pmax * d);
  const mask = new Int32Array(B * K * pmax);
  for (let b = 0; b < B; b++) {
    prompts.forEach((p, k) => {
      const row = b * K + k;
      perExample.set(p.data.subarray(0, p.len * d), row * pmax * d);
      mask.fill(1, row * pmax, row * pmax + p.len);
    });
  }
  return { perExample, mask, pmax };
}

export async function evaluateEnsemble(engine: EngineLike, prompts: readonly PromptArg[], dev: DevSet): Promise<EnsembleResult> {
  const K = prompts.length;
  if (K === 0) throw new Error("evaluateEnsemble: no prompts");
  const d = engine.config.d_model;
  for (const [k, p] of prompts.entries()) {
    if (p.data.length !== p.len * d) throw new Error(`evaluateEnsemble: prompt ${k} has ${p.data.length} values, expected ${p.len} x d_model ${d}`);
  }
  const perPromptPreds: string[][] = prompts.map(() => []);
  const examplesPerBatch = Math.max(1, Math.floor(dev.batchSize / K));
  for (const { examples } of evalBatches(dev.encoded, examplesPerBatch)) {
    const rows: EncodedExample[] = examples.flatMap((e) => prompts.map(() => e));
    const batch = buildBatch(rows);
    const ids = await engine.greedy(batch, dev.maxNewTokens, packPrompts(prompts, d, examples.length));
    ids.forEach((seq, r) => perPromptPreds[r % K].push(decodePrediction(dev.tokenizer, seq)));
  }
  const perPrompt = perPromptPreds.map((p) => dev.task.score(p, dev.examples));
  const predictions = dev.examples.map((_, i) => majorityVote(perPromptPreds.map((p) => p[i])));
  const ensemble = dev.task.score(predictions, dev.examples);
  const average: Record<string, number> = {};
  const best: Record<string, number> = {};
  for (const m of Object.keys(perPrompt[0])) {
    const vals = perPrompt.map((r) => r[m]);
    average[m] = vals.reduce((a, b) => a + b, 0) / K;
    best[m] = Math.max(...vals);
  }
  return { perPrompt, average, best, ensemble, predictions };
}
