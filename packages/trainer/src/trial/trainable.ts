// The parameters a trial trains, behind one interface for both methods (Lester et al. 2021 §2:
// prompt tuning trains the prompt only; model tuning trains every weight). The state machine
// (lane.ts) does the bookkeeping; a Trainable does the engine step, the Adafactor update and the
// dev evaluation with its CURRENT parameters.
//
// A prompt trainable can also be stepped by a pack (run-trials.ts): the pack runs ONE engine call
// for several prompts and hands each its own loss and gradient (`apply`). A model trainable always
// steps alone: its weights are graph inputs of their own, so it cannot share a batch.
import type { Adafactor } from "../adafactor.ts";
import { buildBatch, evalBatches } from "../batching.ts";
import type { Batch, EngineLike } from "../engine-like.ts";
import { evaluateDev, type DevSet } from "../evaluate.ts";
import type { TrainState } from "../train-state.ts";
import { DEV_LOSS } from "./types.ts";

export interface StepOutcome {
  loss: number;
  /** false: loss or gradient not finite; nothing was updated */
  finite: boolean;
}

interface TrainableBase {
  /** one step on this trial alone: engine step + Adafactor update */
  step(batch: Batch): Promise<StepOutcome>;
  /** dev metrics with the CURRENT parameters; throws EvaluationAborted when `signal` fires */
  evaluate(dev: DevSet, mode: "greedy" | "rank", signal?: AbortSignal): Promise<Record<string, number>>;
  snapshot(): Pick<TrainState, "prompt" | "weights">;
}
export interface PromptTrainable extends TrainableBase {
  readonly kind: "prompt";
  /** [len, d], updated in place */
  readonly prompt: Float32Array;
  readonly len: number;
  /** the Adafactor update with a gradient computed elsewhere (a packed step) */
  apply(loss: number, grad: Float32Array): StepOutcome;
}
export interface ModelTrainable extends TrainableBase {
  readonly kind: "model";
}
export type Trainable = PromptTrainable | ModelTrainable;

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

export function promptTrainable(engine: EngineLike, opt: Adafactor, prompt: Float32Array, len: number): PromptTrainable {
  const d = engine.config.d_model;
  const apply = (loss: number, grad: Float32Array): StepOutcome => {
    if (!Number.isFinite(loss) || !allFinite(grad)) return { loss, finite: false };
    opt.step("prompt", prompt, grad, [len, d]);
    return { loss, finite: true };
  };
  return {
    kind: "prompt",
    prompt,
    len,
    apply,
    async step(batch) {
      const { loss, gradPrompt } = await engine.promptStep(batch, prompt, len);
      return apply(loss, gradPrompt);
    },
    evaluate: (dev, mode, signal) => evaluateDev(engine, dev, mode, { data: prompt, len }, signal),
    snapshot: () => ({ prompt: { len, dModel: d, data: prompt.slice() } }),
  };
}

/** Token-weighted mean loss of the dev set under `weights` (model tuning without withWeights). */
async function devLoss(engine: EngineLike, dev: DevSet, weights: Map<string, Float32Array>): Promise<number> {
  let sum = 0;
  let tokens = 0;
  for (const { examples } of evalBatches(dev.encoded, dev.batchSize)) {
    const b = buildBatch(examples);
    const n = b.labels.reduce((c, l) => c + (l === -100 ? 0 : 1), 0);
    sum += (await engine.modelStep(b, weights)).loss * n;
    tokens += n;
  }
  return sum / Math.max(tokens, 1);
}

export function modelTrainable(engine: EngineLike, opt: Adafactor, weights: Record<string, { shape: number[]; data: Float32Array }>): ModelTrainable {
  const asMap = () => new Map(Object.entries(weights).map(([k, v]) => [k, v.data]));
  return {
    kind: "model",
    async step(batch) {
      const { loss, grads } = await engine.modelStep(batch, asMap());
      if (!Number.isFinite(loss)) return { loss, finite: false };
      for (const g of grads.values()) if (!allFinite(g)) return { loss, finite: false };
      // Fixed name order: the update of one weight never depends on another, but a stable order
      // keeps the optimizer state's key order (and thus its serialised bytes) reproducible.
      for (const name of Object.keys(weights)) {
        const g = grads.get(name);
        if (g) opt.step(name, weights[name].data, g, weights[name].shape);
      }
      return { loss, finite: true };
    },
    async evaluate(dev, mode, signal) {
      // greedy/score run graphs with the checkpoint's weights baked in; an engine that offers a
      // tuned-weights view (withWeights) is evaluated on the tuned weights with the task metrics,
      // any other one on the dev loss of the tuned weights (modelStep takes them as inputs). The
      // view lives for this evaluation only: the cached engine never holds a trial's weights.
      if (engine.withWeights) {
        const view = engine.withWeights(asMap());
        try {
          return await evaluateDev(view, dev, mode, undefined, signal);
        } finally {
          view.close();
        }
      }
      return { [DEV_LOSS]: await devLoss(engine, dev, asMap()) };
    },
    snapshot: () => ({ weights: Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, { shape: [...v.shape], data: v.data.slice() }])) }),
  };
}
