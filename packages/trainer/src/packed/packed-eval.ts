// Dev evaluation of several trials that share one dev set, in one batched pass per dev batch: the
// batch's rows are repeated once per trial (trial-major: trial g's copy of the eval batch, then
// g+1's), each copy carrying its trial's prompt through the engine's per-example prompts. Each
// trial sees exactly the rows runTrial's evaluateDev would build for it alone (same dev batches,
// same padding), so its predictions match the single-trial evaluation up to float rounding.
import { buildBatch, evalBatches } from "../batching.ts";
import type { EngineLike, PerExamplePromptArg, PromptArg } from "../engine-like.ts";
import { decodePrediction, evaluateDev, EvaluationAborted, type DevSet } from "../evaluate.ts";

/** [sum_g rows_g, pmax, d] prompts + mask: rows of trial g carry prompts[g] in their first len_g slots. */
export function tilePrompts(prompts: readonly PromptArg[], rowsPerPrompt: number, d: number): PerExamplePromptArg {
  const pmax = Math.max(...prompts.map((p) => p.len));
  const N = prompts.length * rowsPerPrompt;
  const perExample = new Float32Array(N * pmax * d);
  const mask = new Int32Array(N * pmax);
  prompts.forEach((p, g) => {
    for (let r = g * rowsPerPrompt; r < (g + 1) * rowsPerPrompt; r++) {
      perExample.set(p.data.subarray(0, p.len * d), r * pmax * d);
      mask.fill(1, r * pmax, r * pmax + p.len);
    }
  });
  return { perExample, mask, pmax };
}

const checkAbort = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new EvaluationAborted("evaluation aborted");
};

async function packedGreedy(engine: EngineLike, dev: DevSet, prompts: readonly PromptArg[], signal?: AbortSignal): Promise<string[][]> {
  const d = engine.config.d_model;
  const out: string[][] = prompts.map(() => []);
  for (const { examples } of evalBatches(dev.encoded, dev.batchSize)) {
    checkAbort(signal);
    const rows = prompts.flatMap(() => examples);
    const ids = await engine.greedy(buildBatch(rows), dev.maxNewTokens, tilePrompts(prompts, examples.length, d));
    ids.forEach((seq, r) => out[Math.floor(r / examples.length)].push(decodePrediction(dev.tokenizer, seq)));
  }
  return out;
}

/**
 * Task metrics of each prompt on `dev`; throws EvaluationAborted between batches when `signal`
 * fires. Greedy evaluation is packed; rank classification runs per prompt (evaluateDev) because
 * the engine contract's `score` takes a shared prompt only.
 */
export async function evaluatePacked(engine: EngineLike, dev: DevSet, mode: "greedy" | "rank", prompts: readonly PromptArg[], signal?: AbortSignal): Promise<Record<string, number>[]> {
  if (prompts.length === 0) return [];
  if (mode === "rank") {
    const out: Record<string, number>[] = [];
    for (const p of prompts) out.push(await evaluateDev(engine, dev, "rank", p, signal));
    return out;
  }
  const preds = await packedGreedy(engine, dev, prompts, signal);
  return preds.map((p) => dev.task.score(p, dev.examples));
}
