// One trial, as a worker runs it (docs/architecture.md, "Trainer used by the worker").
//
// Loop: batch (seeded epoch shuffling) -> engine step -> Adafactor -> every `eval_every` steps a dev
// evaluation (best kept by the task's primary metric, early stopping after `patience` evaluations
// without improvement) -> every `checkpoint_every` steps a checkpoint. Everything the next step
// depends on (parameters, optimizer state, data position, RNG, best-so-far) is in the TrainState,
// so `store.latest()` resumes bit-identically. Non-finite loss fails the trial with its step; an
// abort checkpoints and returns "cancelled".
import { Adafactor } from "./adafactor.ts";
import { buildBatch, encodeExample, EpochSampler, type EncodedExample } from "./batching.ts";
import type { EngineLike } from "./engine-like.ts";
import { evaluateDev, makeDevSet } from "./evaluate.ts";
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

export type TrialResult =
  | { state: "completed"; step: number; best: BestSoFar | null; stoppedEarly: boolean; lastLoss: number }
  | { state: "failed"; step: number; reason: string; best: BestSoFar | null }
  | { state: "cancelled"; step: number; best: BestSoFar | null };

/** The parameters being trained, behind one interface for both methods. */
interface Trainable {
  step(batch: ReturnType<typeof buildBatch>): Promise<{ loss: number; finite: boolean }>;
  promptArg(): { data: Float32Array; len: number } | undefined;
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
    promptArg: () => ({ data: prompt, len }),
    snapshot: () => ({ prompt: { len, dModel: d, data: prompt.slice() } }),
  };
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
    promptArg: () => undefined,
    snapshot: () => ({ weights: Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, { shape: [...v.shape], data: v.data.slice() }])) }),
  };
}

function trialKey(spec: ResolvedTrialSpec): string {
  return `${spec.trial_id}|${spec.method}|${spec.prompt_length}|${spec.init}|${spec.seed}`;
}

export async function runTrial(rawSpec: TrialSpec, deps: RunTrialDeps): Promise<TrialResult> {
  const spec = parseTrialSpec(rawSpec);
  const { engine, tokenizer } = deps;
  const task = deps.task ?? getTask(spec.task);
  const d = engine.config.d_model;
  const vocab = engine.config.vocab_size;
  const limits = { maxInputLength: spec.max_input_length, maxTargetLength: spec.max_target_length };
  const train: EncodedExample[] = deps.data.train.map((e) => encodeExample(tokenizer, e, limits));
  const devExamples = spec.max_dev_examples ? deps.data.dev.slice(0, spec.max_dev_examples) : deps.data.dev;
  const dev = makeDevSet({ examples: devExamples, tokenizer, task, limits, batchSize: spec.eval_batch_size, maxNewTokens: spec.max_decode_length });
  const lr = learningRate(spec);
  const metric = spec.early_stopping_metric ?? task.primaryMetric;

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
    trialKey: key,
  });

  // ---- loop --------------------------------------------------------------------------------
  let rows: { step: number; name: string; value: number }[] = [];
  const flush = async () => {
    if (rows.length) await deps.sink.steps(rows);
    rows = [];
  };
  const started = performance.now();
  const startStep = step;
  let lastLoss = NaN;
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

    let stop = false;
    if (step % spec.eval_every === 0 || step === spec.steps) {
      const metrics = await evaluateDev(engine, dev, spec.eval_mode, trainable.promptArg());
      await deps.sink.evaluation({ split: "dev", step, metrics });
      const score = metrics[metric];
      if (score === undefined) throw new Error(`runTrial: task ${task.name} metrics lack the selection metric '${metric}' (got ${Object.keys(metrics).join(", ")})`);
      if (best === null || score > best.score) {
        best = { step, metric, score, metrics };
        evalsWithoutImprovement = 0;
        await flush();
        await deps.store.save(snapshot(), { best: true });
      } else {
        evalsWithoutImprovement += 1;
        if (spec.patience !== undefined && evalsWithoutImprovement >= spec.patience) stop = true;
      }
    }
    if (step % spec.checkpoint_every === 0 || stop || step === spec.steps) {
      await flush();
      await deps.store.save(snapshot(), { best: false });
    }
    if (stop) return { state: "completed", step, best, stoppedEarly: true, lastLoss };
  }
  await flush();
  return { state: "completed", step, best, stoppedEarly: false, lastLoss };
}
