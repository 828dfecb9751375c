// One trial inside a pack: everything runTrial keeps per trial (spec, encoded data, sampler,
// prompt, Adafactor, best/patience, checkpoints, step rows, progress), with the engine step and the
// dev evaluation done OUTSIDE (by the pack, for all its trials at once). The bookkeeping follows
// run-trial.ts line by line and writes the same TrainState (same trialKey, same optimizer parameter
// name "prompt" [len, d], same data position/RNG), so a packed trial resumes alone and vice versa.
import { Adafactor } from "../adafactor.ts";
import { EpochSampler, type EncodedExample, type LengthLimits } from "../batching.ts";
import type { EngineLike } from "../engine-like.ts";
import type { DevSet } from "../evaluate.ts";
import { initPrompt } from "../prompt-init.ts";
import { Rng } from "../rng.ts";
import { DEV_LOSS, judgeEvaluation, trialKey, type TrialProgress, type TrialResult, type TrialSink, type TrialStore } from "../run-trial.ts";
import type { TaskLike } from "../task-like.ts";
import type { TokenizerLike } from "../tokenizer-like.ts";
import type { BestSoFar, TrainState } from "../train-state.ts";
import { learningRate, type ResolvedTrialSpec } from "../trial-spec.ts";

export interface LaneDeps {
  engine: EngineLike;
  tokenizer: TokenizerLike;
  task: TaskLike;
  /** the training split, encoded with the trial's limits (shared between trials of the same data) */
  train: readonly EncodedExample[];
  dev: DevSet;
  store: TrialStore;
  sink: TrialSink;
  onProgress?(p: TrialProgress): void;
}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

export class Lane {
  readonly key: string;
  readonly limits: LengthLimits;
  readonly d: number;
  readonly metric: string;
  private readonly train: readonly EncodedExample[];
  private readonly rng: Rng;
  private readonly opt: Adafactor;
  private readonly sampler: EpochSampler;
  readonly prompt: Float32Array;
  step: number;
  private best: BestSoFar | null;
  private evalsWithoutImprovement: number;
  pendingEval: boolean;
  lastLoss = NaN;
  private rows: { step: number; name: string; value: number }[] = [];
  private started = performance.now();
  private startStep: number;

  private constructor(
    readonly index: number,
    readonly spec: ResolvedTrialSpec,
    private readonly deps: LaneDeps,
    resumed: TrainState | null,
  ) {
    const { engine, tokenizer, task } = deps;
    this.d = engine.config.d_model;
    this.limits = { maxInputLength: spec.max_input_length, maxTargetLength: spec.max_target_length };
    this.metric = spec.early_stopping_metric ?? task.primaryMetric;
    this.key = trialKey(spec);
    this.train = deps.train;
    const where = `runPackedTrials: trial ${index} ('${spec.trial_id}')`;
    if (resumed) {
      if (resumed.trialKey !== this.key) throw new Error(`${where}: the stored checkpoint belongs to '${resumed.trialKey}', not '${this.key}'`);
      const p = resumed.prompt;
      if (resumed.method !== "prompt_tuning" || !p || p.dModel !== this.d || p.len !== spec.prompt_length) {
        throw new Error(`${where}: the stored checkpoint is not a prompt of prompt_length ${spec.prompt_length} x d_model ${this.d}`);
      }
      this.rng = Rng.fromState(resumed.rng);
      this.opt = Adafactor.fromState(resumed.optimizer);
      this.step = resumed.step;
      this.best = resumed.best;
      this.evalsWithoutImprovement = resumed.evalsWithoutImprovement;
      this.sampler = new EpochSampler(this.train.length, spec.seed, resumed.data);
      this.prompt = p.data.slice();
      this.pendingEval = resumed.pendingEval ?? false;
    } else {
      this.rng = Rng.fromSeed(spec.seed);
      this.opt = new Adafactor({ lr: learningRate(spec), weightDecay: spec.weight_decay, decayRate: -spec.decay_rate });
      this.step = 0;
      this.best = null;
      this.evalsWithoutImprovement = 0;
      this.sampler = new EpochSampler(this.train.length, spec.seed);
      const vocab = engine.config.vocab_size;
      this.prompt = initPrompt({ strategy: spec.init, length: spec.prompt_length, embeddings: spec.init === "random_uniform" ? new Float32Array(0) : engine.embeddings(), vocab, dModel: this.d, labels: task.labels ? [...task.labels] : undefined, tokenizer, rng: this.rng });
      this.pendingEval = false;
    }
    this.startStep = this.step;
  }

  static async open(index: number, spec: ResolvedTrialSpec, deps: LaneDeps): Promise<Lane> {
    const where = `runPackedTrials: trial ${index} ('${spec.trial_id}')`;
    if (deps.train.length === 0) throw new Error(`${where}: task ${spec.task} has no training examples`);
    if (deps.dev.examples.length === 0) throw new Error(`${where}: task ${spec.task} has no dev examples (evaluation and best-checkpoint selection need them)`);
    return new Lane(index, spec, deps, await deps.store.latest());
  }

  get done(): boolean {
    return this.step >= this.spec.steps;
  }

  get dev(): DevSet {
    return this.deps.dev;
  }

  /** The next training batch's examples (advances the sampler, as runTrial's buildBatch call does). */
  nextExamples(): EncodedExample[] {
    return this.sampler.next(this.spec.batch_size).map((i) => this.train[i]);
  }

  /** Applies the trial's own gradient (Adafactor), or reports a non-finite step as runTrial does. */
  async applyStep(loss: number, grad: Float32Array, seconds: number): Promise<TrialResult | null> {
    if (!Number.isFinite(loss) || !allFinite(grad)) {
      await this.flush();
      return { state: "failed", step: this.step + 1, reason: `non-finite loss or gradient at step ${this.step + 1} (loss ${loss})`, best: this.best };
    }
    this.opt.step("prompt", this.prompt, grad, [this.spec.prompt_length, this.d]);
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

  /** runTrial's evaluation condition after a completed step (or a resumed pending evaluation). */
  evalDue(): boolean {
    return this.pendingEval || this.step % this.spec.eval_every === 0 || this.step === this.spec.steps;
  }

  /**
   * runTrial's afterStep with the evaluation's outcome given: `metrics` when evalDue() and it ran,
   * "aborted" when the abort signal interrupted it, undefined when no evaluation was due.
   */
  async afterStep(metrics: Record<string, number> | "aborted" | undefined): Promise<TrialResult | null> {
    let stop = false;
    if (metrics === "aborted") {
      this.pendingEval = true;
      await this.flush();
      await this.deps.store.save(this.snapshot(), { best: false });
      return { state: "cancelled", step: this.step, best: this.best };
    }
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

  async cancel(): Promise<TrialResult> {
    await this.flush();
    await this.deps.store.save(this.snapshot(), { best: false });
    return { state: "cancelled", step: this.step, best: this.best };
  }

  async complete(): Promise<TrialResult> {
    await this.flush();
    return { state: "completed", step: this.step, best: this.best, stoppedEarly: false, lastLoss: this.lastLoss };
  }

  async flush(): Promise<void> {
    if (this.rows.length) await this.deps.sink.steps(this.rows);
    this.rows = [];
  }

  /** The same TrainState runTrial writes (field for field). */
  snapshot(): TrainState {
    return {
      version: 1,
      method: "prompt_tuning",
      step: this.step,
      prompt: { len: this.spec.prompt_length, dModel: this.d, data: this.prompt.slice() },
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
