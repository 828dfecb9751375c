// THE per-trial state machine: everything one trial keeps between steps (spec, encoded data,
// sampler, RNG, trainable + Adafactor, best/patience, checkpoints, step rows, progress) and every
// transition of its life. The engine work of a step and of an evaluation is done by whoever runs
// the lane (run-trials.ts): alone, or in a pack with other prompt-tuning lanes. A lane ends on its
// own (completed, stopped early, failed, cancelled) without touching any other lane.
//
//   open ──(resume | fresh)──> [pendingEval? -> afterStep] ─┬─> done ──────────> complete()
//                                                           ├─> signal fired ──> cancel()
//                                                           └─> nextExamples -> engine step
//                                                               -> recordStep (non-finite: failed)
//                                                               -> [evaluation if evalDue] -> afterStep
//                                                                  (best / patience / checkpoint_every)
//
// Everything the next step depends on is in the TrainState written by snapshot(), so
// `store.latest()` resumes bit-identically (the same lane, the same engine calls).
import { Adafactor } from "../adafactor.ts";
import { EpochSampler, type EncodedExample, type LengthLimits } from "../batching.ts";
import type { EngineLike } from "../engine-like.ts";
import type { DevSet } from "../evaluate.ts";
import { initPrompt } from "../prompt-init.ts";
import { Rng } from "../rng.ts";
import type { TaskLike } from "../task-like.ts";
import type { TokenizerLike } from "../tokenizer-like.ts";
import type { BestSoFar, TrainState } from "../train-state.ts";
import { learningRate, type ResolvedTrialSpec } from "../trial-spec.ts";
import { modelTrainable, promptTrainable, type StepOutcome, type Trainable } from "./trainable.ts";
import { DEV_LOSS, tunedWeightNames, type TrialProgress, type TrialResult, type TrialSink, type TrialStore, type WeightSource } from "./types.ts";

export interface LaneDeps {
  engine: EngineLike;
  tokenizer: TokenizerLike;
  task: TaskLike;
  /** the training split, encoded with the trial's limits (shared between trials of the same data) */
  train: readonly EncodedExample[];
  dev: DevSet;
  store: TrialStore;
  sink: TrialSink;
  /** model tuning only: the initial weights */
  weights?: WeightSource;
  /** this trial's stop: checkpoint and end "cancelled" at the next step boundary */
  signal?: AbortSignal;
  onProgress?(p: TrialProgress): void;
}

/** The identity a TrainState carries (`trialKey`): a checkpoint of another trial is refused. */
export function trialKey(spec: ResolvedTrialSpec): string {
  return `${spec.trial_id}|${spec.method}|${spec.prompt_length}|${spec.init}|${spec.seed}`;
}

/**
 * Best-so-far and patience bookkeeping after one dev evaluation: `improved` means the state is the
 * new best, `stop` that `patience` evaluations in a row did not improve on it.
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

/** Resumed or fresh: the parts of a lane that differ between the two. */
interface Start {
  rng: Rng;
  opt: Adafactor;
  trainable: Trainable;
  step: number;
  best: BestSoFar | null;
  evalsWithoutImprovement: number;
  sampler: EpochSampler;
  pendingEval: boolean;
}

function resume(spec: ResolvedTrialSpec, deps: LaneDeps, s: TrainState, where: string): Start {
  const { engine } = deps;
  const d = engine.config.d_model;
  const key = trialKey(spec);
  if (s.trialKey !== key) throw new Error(`${where}: the stored checkpoint belongs to '${s.trialKey}', not '${key}'`);
  if (s.method !== spec.method) throw new Error(`${where}: the stored checkpoint is ${s.method}, the spec says ${spec.method}`);
  const opt = Adafactor.fromState(s.optimizer);
  let trainable: Trainable;
  if (spec.method === "prompt_tuning") {
    const p = s.prompt;
    if (!p || p.dModel !== d || p.len !== spec.prompt_length) throw new Error(`${where}: the stored prompt does not match prompt_length ${spec.prompt_length} x d_model ${d}`);
    trainable = promptTrainable(engine, opt, p.data.slice(), p.len);
  } else {
    if (!s.weights) throw new Error(`${where}: the stored model-tuning checkpoint has no weights`);
    trainable = modelTrainable(engine, opt, s.weights);
  }
  return {
    rng: Rng.fromState(s.rng),
    opt,
    trainable,
    step: s.step,
    best: s.best,
    evalsWithoutImprovement: s.evalsWithoutImprovement,
    sampler: new EpochSampler(deps.train.length, spec.seed, s.data),
    pendingEval: s.pendingEval ?? false,
  };
}

/** A fresh start, or the failed result of a model-tuning trial that does not fit in memory. */
function fresh(spec: ResolvedTrialSpec, deps: LaneDeps, where: string): Start | TrialResult {
  const { engine, task, tokenizer } = deps;
  const rng = Rng.fromSeed(spec.seed);
  const opt = new Adafactor({ lr: learningRate(spec), weightDecay: spec.weight_decay, decayRate: -spec.decay_rate });
  let trainable: Trainable;
  if (spec.method === "prompt_tuning") {
    const { d_model: dModel, vocab_size: vocab } = engine.config;
    const embeddings = spec.init === "random_uniform" ? new Float32Array(0) : engine.embeddings();
    const prompt = initPrompt({ strategy: spec.init, length: spec.prompt_length, embeddings, vocab, dModel, labels: task.labels ? [...task.labels] : undefined, tokenizer, rng });
    trainable = promptTrainable(engine, opt, prompt, spec.prompt_length);
  } else {
    const src = deps.weights;
    if (!src) throw new Error(`${where}: model_tuning needs deps.weights (the checkpoint to start from)`);
    const names = tunedWeightNames(src);
    const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const n of names) weights[n] = { shape: [...src.info(n).shape], data: src.read(n).slice() };
    trainable = modelTrainable(engine, opt, weights);
  }
  return { rng, opt, trainable, step: 0, best: null, evalsWithoutImprovement: 0, sampler: new EpochSampler(deps.train.length, spec.seed), pendingEval: false };
}

export class TrialLane {
  readonly key: string;
  readonly limits: LengthLimits;
  /** the selection metric (the task's primary metric, or dev loss for model tuning without withWeights) */
  readonly metric: string;
  readonly trainable: Trainable;
  private readonly rng: Rng;
  private readonly opt: Adafactor;
  private readonly sampler: EpochSampler;
  step: number;
  private best: BestSoFar | null;
  private evalsWithoutImprovement: number;
  pendingEval: boolean;
  private lastLoss = NaN;
  private rows: { step: number; name: string; value: number }[] = [];
  private readonly started = performance.now();
  private readonly startStep: number;

  private constructor(
    readonly index: number,
    readonly spec: ResolvedTrialSpec,
    private readonly deps: LaneDeps,
    s: Start,
  ) {
    this.key = trialKey(spec);
    this.limits = { maxInputLength: spec.max_input_length, maxTargetLength: spec.max_target_length };
    this.metric = spec.method === "model_tuning" && !deps.engine.withWeights ? DEV_LOSS : (spec.early_stopping_metric ?? deps.task.primaryMetric);
    ({ rng: this.rng, opt: this.opt, trainable: this.trainable, step: this.step, best: this.best, evalsWithoutImprovement: this.evalsWithoutImprovement, sampler: this.sampler, pendingEval: this.pendingEval } = s);
    this.startStep = this.step;
  }

  /** Resumes from the store's latest checkpoint or starts fresh; a result when the trial ends before its first step. */
  static async open(index: number, spec: ResolvedTrialSpec, deps: LaneDeps, where = "runTrial"): Promise<TrialLane | TrialResult> {
    if (deps.train.length === 0) throw new Error(`${where}: task ${spec.task} has no training examples`);
    if (deps.dev.examples.length === 0) throw new Error(`${where}: task ${spec.task} has no dev examples (evaluation and best-checkpoint selection need them)`);
    const resumed = await deps.store.latest();
    const s = resumed ? resume(spec, deps, resumed, where) : fresh(spec, deps, where);
    return "state" in s ? s : new TrialLane(index, spec, deps, s);
  }

  get done(): boolean {
    return this.step >= this.spec.steps;
  }
  get dev(): DevSet {
    return this.deps.dev;
  }
  get signal(): AbortSignal | undefined {
    return this.deps.signal;
  }

  /** The next training batch's examples (advances the sampler). */
  nextExamples(): EncodedExample[] {
    return this.sampler.next(this.spec.batch_size).map((i) => this.train[i]);
  }
  private get train() {
    return this.deps.train;
  }

  /** Bookkeeping of one engine step (already applied by the trainable); non-finite ends the trial failed. */
  async recordStep({ loss, finite }: StepOutcome, seconds: number): Promise<TrialResult | null> {
    if (!finite) {
      await this.flush();
      return { state: "failed", step: this.step + 1, reason: `non-finite loss or gradient at step ${this.step + 1} (loss ${loss})`, best: this.best };
    }
    this.step += 1;
    this.lastLoss = loss;
    const { step, spec } = this;
    this.rows.push({ step, name: "loss", value: loss }, { step, name: "examples_per_sec", value: spec.batch_size / Math.max(seconds, 1e-9) });
    const elapsed = (performance.now() - this.started) / 1000;
    const stepsPerSec = (step - this.startStep) / Math.max(elapsed, 1e-9);
    this.deps.onProgress?.({ step, total: spec.steps, loss, examplesPerSec: stepsPerSec * spec.batch_size, etaSeconds: (spec.steps - step) / stepsPerSec });
    if (step % spec.log_every === 0) await this.flush();
    return null;
  }

  /** An evaluation is due after this step (every eval_every, the last step, or a resumed pending one). */
  evalDue(): boolean {
    return this.pendingEval || this.step % this.spec.eval_every === 0 || this.step === this.spec.steps;
  }

  /**
   * After a completed step, with the evaluation's outcome: `metrics` when evalDue() and it ran,
   * "aborted" when the signal interrupted it (the resumed trial runs it first: pendingEval),
   * undefined when none was due. Best, patience and checkpoint_every; a result ends the trial.
   */
  async afterStep(metrics: Record<string, number> | "aborted" | undefined): Promise<TrialResult | null> {
    if (metrics === "aborted") {
      this.pendingEval = true;
      return this.cancel();
    }
    let stop = false;
    if (metrics) {
      this.pendingEval = false;
      await this.deps.sink.evaluation({ split: "dev", step: this.step, metrics });
      const j = judgeEvaluation({ best: this.best, evalsWithoutImprovement: this.evalsWithoutImprovement }, { step: this.step, metrics, metric: this.metric, higherIsBetter: this.metric !== DEV_LOSS, patience: this.spec.patience, taskName: this.deps.task.name });
      this.best = j.best;
      this.evalsWithoutImprovement = j.evalsWithoutImprovement;
      stop = j.stop;
      if (j.improved) {
        await this.flush();
        await this.deps.store.save(this.snapshot(), { best: true });
      }
    }
    if (this.step % this.spec.checkpoint_every === 0 || stop || this.step === this.spec.steps) {
      await this.flush();
      await this.deps.store.save(this.snapshot(), { best: false });
    }
    return stop ? { state: "completed", step: this.step, best: this.best, stoppedEarly: true, lastLoss: this.lastLoss } : null;
  }

  /** Stops at a step boundary: checkpoint, "cancelled" (resumable). */
  async cancel(): Promise<TrialResult> {
    await this.flush();
    await this.deps.store.save(this.snapshot(), { best: false });
    return { state: "cancelled", step: this.step, best: this.best };
  }

  /** All steps done (the last step's checkpoint is already stored by afterStep). */
  async complete(): Promise<TrialResult> {
    await this.flush();
    return { state: "completed", step: this.step, best: this.best, stoppedEarly: false, lastLoss: this.lastLoss };
  }

  private async flush(): Promise<void> {
    if (this.rows.length) await this.deps.sink.steps(this.rows);
    this.rows = [];
  }

  snapshot(): TrainState {
    return {
      version: 1,
      method: this.spec.method,
      step: this.step,
      ...this.trainable.snapshot(),
      optimizer: this.opt.state(),
      data: { ...this.sampler.position },
      rng: this.rng.state(),
      best: this.best,
      evalsWithoutImprovement: this.evalsWithoutImprovement,
      ...(this.pendingEval ? { pendingEval: this.pendingEval } : {}),
      trialKey: this.key,
    };
  }
}
