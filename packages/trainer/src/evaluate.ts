// Dev-set evaluation: greedy decoding + the task's string metrics (the paper's protocol, §3), or
// rank classification (score every label string, predict the most likely; Brown et al. 2020 style)
// as an option for classification tasks.
import type { Evaluator, PromptArg } from "./engine-like.ts";
import { buildBatch, encodeExample, evalBatches, type EncodedExample, type LengthLimits } from "./batching.ts";
import type { Example } from "@ptune/tasks";
import type { TaskLike } from "./task-like.ts";
import { EOS_ID, type TokenizerLike } from "./tokenizer-like.ts";

/** A dev split encoded once: the "batch builder" evaluation and ensembles iterate over. */
export interface DevSet {
  examples: readonly Example[];
  encoded: EncodedExample[];
  tokenizer: TokenizerLike;
  task: TaskLike;
  limits: LengthLimits;
  batchSize: number;
  maxNewTokens: number;
}

export function makeDevSet(args: Omit<DevSet, "encoded" | "maxNewTokens"> & { maxNewTokens?: number }): DevSet {
  return {
    ...args,
    encoded: args.examples.map((e) => encodeExample(args.tokenizer, e, args.limits)),
    maxNewTokens: args.maxNewTokens ?? args.limits.maxTargetLength,
  };
}

/** Decoded prediction: generation stops at the first `</s>`; special tokens are dropped. */
export function decodePrediction(tok: TokenizerLike, ids: number[]): string {
  const eos = tok.eosId ?? EOS_ID;
  const cut = ids.indexOf(eos);
  return tok.decode(cut >= 0 ? ids.slice(0, cut) : ids, { skipSpecialTokens: true }).trim();
}

/** Thrown between evaluation batches when the trial's AbortSignal fired (runTrial then checkpoints). */
export class EvaluationAborted extends Error {
  override name = "EvaluationAborted";
}
const checkAbort = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new EvaluationAborted("evaluation aborted");
};

/** Greedy predictions (strings) for the whole dev set with one prompt (or none). */
export async function predictGreedy(engine: Evaluator, dev: DevSet, prompt?: PromptArg, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  for (const { examples } of evalBatches(dev.encoded, dev.batchSize)) {
    checkAbort(signal);
    const b = buildBatch(examples);
    const ids = await engine.greedy(b, dev.maxNewTokens, prompt);
    for (const seq of ids) out.push(decodePrediction(dev.tokenizer, seq));
  }
  return out;
}

/** Rank classification: for each example, the label string with the highest sum log p(label). */
export async function predictRank(engine: Evaluator, dev: DevSet, prompt?: PromptArg, signal?: AbortSignal): Promise<string[]> {
  const labels = dev.task.labels;
  if (!labels || labels.length === 0) throw new Error(`rank classification: task ${dev.task.name} has no label strings`);
  const labelEnc = labels.map((l) => encodeExample(dev.tokenizer, { input: "", target: l }, dev.limits).target);
  const out: string[] = [];
  const perBatch = Math.max(1, Math.floor(dev.batchSize / labels.length));
  for (const { examples } of evalBatches(dev.encoded, perBatch)) {
    checkAbort(signal);
    const rows = examples.flatMap((e) => labelEnc.map((target) => ({ input: e.input, target })));
    const scores = await engine.score(buildBatch(rows), prompt);
    examples.forEach((_, i) => {
      let best = 0;
      for (let k = 1; k < labels.length; k++) if (scores[i * labels.length + k] > scores[i * labels.length + best]) best = k;
      out.push(labels[best]);
    });
  }
  return out;
}

export async function evaluateDev(engine: Evaluator, dev: DevSet, mode: "greedy" | "rank", prompt?: PromptArg, signal?: AbortSignal): Promise<Record<string, number>> {
  const preds = mode === "rank" ? await predictRank(engine, dev, prompt, signal) : await predictGreedy(engine, dev, prompt, signal);
  return dev.task.score(preds, dev.examples);
}
