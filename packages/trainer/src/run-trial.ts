// One trial, as a worker runs it (docs/architecture.md, "Trainer used by the worker").
//
// Loop: batch (seeded epoch shuffling) -> engine step -> Adafactor -> every `eval_every` steps a dev
// evaluation (best kept by the task's primary metric, early stopping after `patience` evaluations
// without improvement) -> every `checkpoint_every` steps a checkpoint. Everything the next step
// depends on (parameters, optimizer state, data position, RNG, best-so-far) is in the TrainState,
// so `store.latest()` resumes bit-identically. Non-finite loss fails the trial with its step; an
// abort checkpoints and returns "cancelled".
import { Adafactor } from "./adafactor.ts";
import { buildBatch, encodeExample, EpochSampler, evalBatches, type EncodedExample } from "./batching.ts";
import type { EngineLike } from "./engine-like.ts";
import { evaluateDev, EvaluationAborted, makeDevSet, type DevSet } from "./evaluate.ts";
import { checkModelTuningFits } from "./memory.ts";
import { initPrompt } from "./prompt-init.ts";
import { Rng } from "./rng.ts";
import { getTask, type Example } from "@ptune/tasks";
import type { TaskLike } from "./task-like.ts";
import type { TokenizerLike } from "./tokenizer-like.ts";
import type { BestSoFar, TrainState } from "./train-state.ts";
import { learningRate, parseTrialSpec, type ResolvedTrialSpec, type TrialSpec } from "./trial-spec.ts";

export interface TrialStore {
  latest(): Promise<TrainState | null>;
  save(s: TrainState, o: { best: boolean }): Promise<void>;
}
export interface TrialSink {
  steps(rows: { step: number; name: string; value: number }[]): Promise<void>;
  evaluation(e: { split: string; step: number; metrics: Record<string, number> }): Promise<void>;
}
export interface TrialProgress {
  step: number;
  total: number;
  loss: number;
  examplesPerSec: number;
  etaSeconds: number;
}
/** Where model tuning reads the initial weights (a @ptune/t5 Checkpoint satisfies it). */
export interface WeightSource {
  /** true when lm_head.weight IS shared.weight (T5 v1.0): trained once, as shared.weight */
  readonly lmHeadTied?: boolean;
  tensors(): string[];
  info(name: string): { shape: number[] };
  read(name: string): Float32Array;
}

export interface RunTrialDeps {
  engine: EngineLike;
  tokenizer: TokenizerLike;
  data: { train: readonly Example[]; dev: readonly Example[] };
  store: TrialStore;
  sink: TrialSink;
  /** the task's labels and metrics; default getTask(spec.task) from @ptune/tasks */
  task?: TaskLike;
  /** model tuning only: the initial weights */
  weights?: WeightSource;
  signal?: AbortSignal;
  onProgress?(p: TrialProgress): void;
}

/** The selection metric of model tuning on an engine without withWeights (lower is better). */
export const DEV_LOSS = "dev_loss";

export type TrialResult =
  | { state: "completed"; step: number; best: BestSoFar | null; stoppedEarly: boolean; lastLoss: number }
  | { state: "failed"; step: number; reason: string; best: BestSoFar | null }
  | { state: "cancelled"; step: number; best: BestSoFar | null };

/** The parameters being trained, behind one interface for both methods. */
interface Trainable {
  step(batch: ReturnType<typeof buildBatch>): Promise<{ loss: number; finite: boolean }>;
  /** dev metrics with the CURRENT parameters */
  evaluate(dev: DevSet, mode: "greedy" | "rank", signal?: AbortSignal): Promise<Record<string, number>>;
  snapshot(): Pick<TrainState, "prompt" | "weights">;
}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

function promptTrainable(engine: EngineLike, opt: Adafactor, prompt: Float32Array, len: number, d: number): Trainable {
  return {
    async step(batch) {
      const { loss, gradPrompt } = await engine.promptStep(batch, prompt, len);
      if (!Number.isFinite(loss) || !allFinite(gradPrompt)) return { loss, finite: false };
      opt.step("prompt", prompt, gradPrompt, [len, d]);
      return { loss, finite: true };
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

function modelTrainable(engine: EngineLike, opt: Adafactor, weights: Record<string, { shape: number[]; data: Float32Array }>): Trainable {
  const asMap = () => new Map(Object.entries(weights).map(([k, v]) => [k, v.data]));
  return {
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

/** The identity a TrainState carries (`trialKey`): a checkpoint of another trial is refused. */
export function trialKey(spec: ResolvedTrialSpec): string {
  return `${spec.trial_id}|${spec.method}|${spec.prompt_length}|${spec.init}|${spec.seed}`;
}

/**
 * Best-so-far and patience bookkeeping after one dev evaluation (shared by runTrial and packed
 * training, so both select and stop identically): `improved` means the state is the new best.
 */
export function judgeEvaluation(
  prev: { best: BestSoFar | null; evalsWithoutImprovement: number },
  e: { step: number; metrics: Record<string, number>; metric: string; higherIsBetter: boolean; patience?: number; taskName: string },
): { best: BestSoFar | null; evalsWithoutImprovement: number; improved: boolean; stop: boolean } {
  const score = e.metrics[e.metric];
  if (score === undefined) throw new Error(`runTrial: task ${e.taskName} metrics lack the selection metric '${e.metric}' (got ${Object.keys(e.metrics).join(", ")})`);
  const { best } = prev;
  if (best === null || (e.higherIsBetter ? score > best.score : score < best.score)) {
    return { best: { step: e.step, metric: e.metric, score, metrics: e.metrics }, evalsWithoutImprovement: 0, improved: true, stop: false };
  }
  const n = prev.evalsWithoutImprovement + 1;
  return { best, evalsWithoutImprovement: n, improved: false, stop: e.patience !== undefined && n >= e.patience };
}

export async function runTrial(rawSpec: TrialSpec, deps: RunTrialDeps): Promise<TrialResult> {
  const spec = parseTrialSpec(rawSpec);
  const { engine, tokenizer } = deps;
  const task = deps.task ?? getTask(spec.task);
  const d = engine.config.d_model;
  const vocab = engine.config.vocab_size;
  const limits = { maxInputLength: spec.max_input_length, maxTargetLength: spec.max_target_length };
  if (deps.data.train.length === 0) throw new Error(`runTrial: task ${spec.task} has no training examples`);
  if (deps.data.dev.length === 0) throw new Error(`runTrial: task ${spec.task} has no dev examples (evaluation and best-checkpoint selection need them)`);
  const train: EncodedExample[] = deps.data.train.map((e) => encodeExample(tokenizer, e, limits));
  const devExamples = spec.max_dev_examples ? deps.data.dev.slice(0, spec.max_dev_examples) : deps.data.dev;
  const dev = makeDevSet({ examples: devExamples, tokenizer, task, limits, batchSize: spec.eval_batch_size, maxNewTokens: spec.max_decode_length });
  const lr = learningRate(spec);
  const metric = spec.method === "model_tuning" && !engine.withWeights ? DEV_LOSS : (spec.early_stopping_metric ?? task.primaryMetric);
  const higherIsBetter = metric !== DEV_LOSS;

  // ---- state: resume or fresh ------------------------------------------------------------
  const key = trialKey(spec);
  const resumed = await deps.store.latest();
  if (resumed && resumed.trialKey !== key) throw new Error(`runTrial: the stored checkpoint belongs to '${resumed.trialKey}', not '${key}'`);
  if (resumed && resumed.method !== spec.method) throw new Error(`runTrial: the stored checkpoint is ${resumed.method}, the spec says ${spec.method}`);
  let rng: Rng;
  let opt: Adafactor;
  let trainable: Trainable;
  let step: number;
  let best: BestSoFar | null;
  let evalsWithoutImprovement: number;
  let sampler: EpochSampler;
  let pendingEval = resumed?.pendingEval ?? false;
  if (resumed) {
    rng = Rng.fromState(resumed.rng);
    opt = Adafactor.fromState(resumed.optimizer);
    step = resumed.step;
    best = resumed.best;
    evalsWithoutImprovement = resumed.evalsWithoutImprovement;
    sampler = new EpochSampler(train.length, spec.seed, resumed.data);
    if (spec.method === "prompt_tuning") {
      const p = resumed.prompt;
      if (!p || p.dModel !== d || p.len !== spec.prompt_length) throw new Error(`runTrial: the stored prompt does not match prompt_length ${spec.prompt_length} x d_model ${d}`);
      trainable = promptTrainable(engine, opt, p.data.slice(), p.len, d);
    } else {
      if (!resumed.weights) throw new Error("runTrial: the stored model-tuning checkpoint has no weights");
      trainable = modelTrainable(engine, opt, resumed.weights);
    }
  } else {
    rng = Rng.fromSeed(spec.seed);
    opt = new Adafactor({ lr, weightDecay: spec.weight_decay, decayRate: -spec.decay_rate });
    step = 0;
    best = null;
    evalsWithoutImprovement = 0;
    sampler = new EpochSampler(train.length, spec.seed);
    if (spec.method === "prompt_tuning") {
      const prompt = initPrompt({ strategy: spec.init, length: spec.prompt_length, embeddings: spec.init === "random_uniform" ? new Float32Array(0) : engine.embeddings(), vocab, dModel: d, labels: task.labels ? [...task.labels] : undefined, tokenizer, rng });
      trainable = promptTrainable(engine, opt, prompt, spec.prompt_length, d);
    } else {
      const src = deps.weights;
      if (!src) throw new Error("runTrial: model_tuning needs deps.weights (the checkpoint to start from)");
      const names = src.tensors().filter((n) => !(src.lmHeadTied && n === "lm_head.weight"));
      const params = names.reduce((s, n) => s + src.info(n).shape.reduce((a, b) => a * b, 1), 0);
      try {
        checkModelTuningFits(params, { memoryBudgetBytes: spec.memory_budget_bytes, gpuMemoryBytes: spec.gpu_memory_bytes });
      } catch (e) {
        return { state: "failed", step: 0, reason: (e as Error).message, best: null };
      }
      const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const n of names) weights[n] = { shape: [...src.info(n).shape], data: src.read(n).slice() };
      trainable = modelTrainable(engine, opt, weights);
    }
  }

  const snapshot = (): TrainState => ({
    version: 1,
    method: spec.method,
    step,
    ...trainable.snapshot(),
    optimizer: opt.state(),
    data: { ...sampler.position },
    rng: rng.state(),
    best,
    evalsWithoutImprovement,
    ...(pendingEval ? { pendingEval } : {}),
    trialKey: key,
  });

  // ---- loop --------------------------------------------------------------------------------
  let rows: { step: number; name: string; value: number }[] = [];
  const flush = async () => {
    if (rows.length) await deps.sink.steps(rows);
    rows = [];
  };
  /** Evaluation, best/early stopping and checkpointing after a completed step; a result ends the trial. */
  const afterStep = async (): Promise<TrialResult | null> => {
    let stop = false;
    if (pendingEval || step % spec.eval_every === 0 || step === spec.steps) {
      let metrics: Record<string, number>;
      try {
        metrics = await trainable.evaluate(dev, spec.eval_mode, deps.signal);
      } catch (e) {
        if (!(e instanceof EvaluationAborted)) throw e;
        // the step is done, its evaluation is not: the resumed trial runs it first (pendingEval)
        pendingEval = true;
        await flush();
        await deps.store.save(snapshot(), { best: false });
        return { state: "cancelled", step, best };
      }
      pendingEval = false;
      await deps.sink.evaluation({ split: "dev", step, metrics });
      const j = judgeEvaluation({ best, evalsWithoutImprovement }, { step, metrics, metric, higherIsBetter, patience: spec.patience, taskName: task.name });
      best = j.best;
      evalsWithoutImprovement = j.evalsWithoutImprovement;
      stop = j.stop;
      if (j.improved) {
        await flush();
        await deps.store.save(snapshot(), { best: true });
      }
    }
    if (step % spec.checkpoint_every === 0 || stop || step === spec.steps) {
      await flush();
      await deps.store.save(snapshot(), { best: false });
    }
    return stop ? { state: "completed", step, best, stoppedEarly: true, lastLoss } : null;
  };

  let lastLoss = NaN;
  if (pendingEval) {
    const r = await afterStep();
    if (r) return r;
  }
  const started = performance.now();
  const startStep = step;
  while (step < spec.steps) {
    if (deps.signal?.aborted) {
      await flush();
      await deps.store.save(snapshot(), { best: false });
      return { state: "cancelled", step, best };
    }
    const batch = buildBatch(sampler.next(spec.batch_size).map((i) => train[i]), { pad: spec.pad_to, limits });
    const t0 = performance.now();
    const { loss, finite } = await trainable.step(batch);
    if (!finite) {
      await flush();
      return { state: "failed", step: step + 1, reason: `non-finite loss or gradient at step ${step + 1} (loss ${loss})`, best };
    }
    step += 1;
    lastLoss = loss;
    const dt = (performance.now() - t0) / 1000;
    rows.push({ step, name: "loss", value: loss }, { step, name: "examples_per_sec", value: spec.batch_size / Math.max(dt, 1e-9) });
    const elapsed = (performance.now() - started) / 1000;
    const stepsPerSec = (step - startStep) / Math.max(elapsed, 1e-9);
    deps.onProgress?.({ step, total: spec.steps, loss, examplesPerSec: stepsPerSec * spec.batch_size, etaSeconds: (spec.steps - step) / stepsPerSec });
    if (step % spec.log_every === 0) await flush();

    const r = await afterStep();
    if (r) return r;
  }
  await flush();
  return { state: "completed", step, best, stoppedEarly: false, lastLoss };
}
