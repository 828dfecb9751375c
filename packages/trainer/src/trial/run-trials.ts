// Runs trials as lanes (lane.ts, the one per-trial state machine); a single trial is a pack of one.
//
// Per round: lanes that are done complete, lanes whose signal fired checkpoint and leave
// ("cancelled"), the others take ONE step: a lane alone steps on its own graph (promptStep or
// modelStep: exactly runTrial's numbers); two or more prompt-tuning lanes step in ONE engine call
// through the per-example-prompt graph (promptStepPerExample), each getting its own mean loss and
// gradient (packed/pack-batch.ts: the 1/N_k weights make it the gradient it would get alone, to
// float32 rounding). Then the due evaluations run, packed per shared dev set (packed-eval.ts),
// and each lane's afterStep. Any lane leaves on its own — completed, stopped early, failed,
// cancelled — and the others go on in the next round: nothing is reloaded or restarted.
//
// Model tuning trains alone (its weights are inputs of their own graph; it cannot share a batch).
// Trials that share a pack need the same model and maximum lengths (packCompatibilityKey).
import { getTask } from "@ptune/tasks";
import { buildBatch, encodeExample, type EncodedExample } from "../batching.ts";
import type { Batch, EngineLike } from "../engine-like.ts";
import { EvaluationAborted, makeDevSet, type DevSet } from "../evaluate.ts";
import { packStep, unpackStep } from "../packed/pack-batch.ts";
import { checkRunFits, type WorkerMemory } from "../memory.ts";
import { evaluatePacked } from "../packed/packed-eval.ts";
import type { TaskLike } from "../task-like.ts";
import type { TokenizerLike } from "../tokenizer-like.ts";
import { parseTrialSpec, type ResolvedTrialSpec, type TrialSpec } from "../trial-spec.ts";
import { TrialLane } from "./lane.ts";
import type { PromptTrainable } from "./trainable.ts";
import { type TrialData, type TrialProgress, type TrialResult, type TrialSink, type TrialStore, type WeightSource } from "./types.ts";

/** The engine contract plus the per-example prompt step (docs/architecture.md, T5Engine). */
export interface PackedEngineLike extends EngineLike {
  promptStepPerExample(batch: Batch, prompts: Float32Array, promptMask: Int32Array, pmax: number, weights: Float32Array): Promise<{ lossSum: Float32Array; tokens: Float32Array; gradPrompts: Float32Array }>;
}

/** One trial of a run: its spec and everything that is its own. */
export interface TrialInput {
  spec: TrialSpec;
  data: TrialData;
  store: TrialStore;
  sink: TrialSink;
  /** the task's labels and metrics; default getTask(spec.task) */
  task?: TaskLike;
  /** model tuning only: the initial weights */
  weights?: WeightSource;
  /** stops THIS trial alone (checkpoint, "cancelled"); the others go on */
  signal?: AbortSignal;
}

export interface PackedProgress extends TrialProgress {
  trial: number;
  trialId: string;
}

export interface RunTrialsDeps {
  engine: EngineLike | PackedEngineLike;
  tokenizer: TokenizerLike;
  /** stops every trial (each checkpoints and returns "cancelled") */
  signal?: AbortSignal;
  /** the worker's device and memory limit, for the memory check before any step (memory.ts checkRunFits) */
  memory?: WorkerMemory;
  onProgress?(p: PackedProgress): void;
  /**
   * Called (and awaited, before the others train on) when trial `index` leaves the run, with its
   * result for this run: completed (all steps, or stopped early), failed (a non-finite step) or cancelled (its signal fired; checkpointed, resumable). Its
   * last checkpoint is stored by then. The same result is in the returned array. A rejection
   * ends the run with that error.
   */
  onTrialDone?(index: number, result: TrialResult): Promise<void>;
}

/**
 * Trials with equal keys can share a pack: prompt tuning on the same model with the same maximum
 * lengths (the packed batch pads to them). Prompt length, init, seed, task, batch size, learning
 * rate, schedules and patience may all differ.
 */
export function packCompatibilityKey(spec: TrialSpec): string {
  const s = parseTrialSpec(spec);
  return `${s.method}|${s.model}|${s.max_input_length}|${s.max_target_length}`;
}

function validate(specs: ResolvedTrialSpec[]): void {
  if (specs.length === 0) throw new Error("runTrials: no trials");
  if (specs.length === 1) return;
  specs.forEach((s, k) => {
    if (s.method !== "prompt_tuning") throw new Error(`runTrials: trial ${k} ('${s.trial_id}') is ${s.method}; only prompt_tuning trials can be packed (model tuning trains alone)`);
  });
  const key0 = packCompatibilityKey(specs[0]);
  specs.forEach((s, k) => {
    const key = packCompatibilityKey(s);
    if (key !== key0) throw new Error(`runTrials: trial ${k} ('${s.trial_id}') cannot share a pack with trial 0: model|max_input_length|max_target_length '${key}' vs '${key0}'`);
  });
}

/** Object identities as small integers, so equal dev sets (same arrays, same settings) are shared. */
function identity(): (o: object) => number {
  const ids = new WeakMap<object, number>();
  let next = 0;
  return (o) => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = next++));
    return id;
  };
}

/** A signal that fires once ALL of `signals` have (a packed evaluation stops only when every lane stops). */
function allOf(signals: readonly (AbortSignal | undefined)[]): { signal?: AbortSignal; dispose(): void } {
  if (signals.length === 1) return { signal: signals[0], dispose: () => undefined };
  if (signals.some((s) => !s)) return { dispose: () => undefined };
  const c = new AbortController();
  const check = () => signals.every((s) => s!.aborted) && c.abort();
  for (const s of signals) s!.addEventListener("abort", check);
  check();
  return { signal: c.signal, dispose: () => signals.forEach((s) => s!.removeEventListener("abort", check)) };
}

const prompting = (l: TrialLane) => l.trainable as PromptTrainable;

/** The evaluations due after a step (packed per shared dev set and mode), then each lane's afterStep. */
async function settle(lanes: readonly TrialLane[], engine: EngineLike | PackedEngineLike): Promise<Map<TrialLane, TrialResult>> {
  const outcome = new Map<TrialLane, Record<string, number> | "aborted">();
  const groups = new Map<DevSet, Map<"greedy" | "rank", TrialLane[]>>();
  for (const l of lanes) {
    if (!l.evalDue()) continue;
    const byMode = groups.get(l.dev) ?? new Map<"greedy" | "rank", TrialLane[]>();
    groups.set(l.dev, byMode);
    byMode.set(l.spec.eval_mode, [...(byMode.get(l.spec.eval_mode) ?? []), l]);
  }
  for (const [dev, byMode] of groups) {
    for (const [mode, group] of byMode) {
      const stop = allOf(group.map((l) => l.signal));
      try {
        // one lane: its own evaluation (exactly runTrial's); several (prompt tuning only): one pass
        const metrics = group.length === 1 ? [await group[0].trainable.evaluate(dev, mode, stop.signal)] : await evaluatePacked(engine, dev, mode, group.map((l) => ({ data: prompting(l).prompt, len: prompting(l).len })), stop.signal);
        group.forEach((l, g) => outcome.set(l, metrics[g]));
      } catch (e) {
        if (!(e instanceof EvaluationAborted)) throw e;
        for (const l of group) outcome.set(l, "aborted");
      } finally {
        stop.dispose();
      }
    }
  }
  const ended = new Map<TrialLane, TrialResult>();
  for (const l of lanes) {
    const r = await l.afterStep(outcome.get(l));
    if (r) ended.set(l, r);
  }
  return ended;
}

/** One training step of every active lane: alone on its own graph, or packed in one engine call. */
async function stepAll(active: readonly TrialLane[], engine: EngineLike | PackedEngineLike): Promise<Map<TrialLane, TrialResult>> {
  const ended = new Map<TrialLane, TrialResult>();
  if (active.length === 1) {
    const [l] = active;
    const batch = buildBatch(l.nextExamples(), { pad: l.spec.pad_to, limits: l.limits });
    const t0 = performance.now();
    const out = await l.trainable.step(batch);
    const r = await l.recordStep(out, (performance.now() - t0) / 1000);
    if (r) ended.set(l, r);
    return ended;
  }
  if (!("promptStepPerExample" in engine)) throw new Error("runTrials: packing several trials needs an engine with promptStepPerExample (T5Engine)");
  const d = engine.config.d_model;
  const members = active.map((l) => ({ examples: l.nextExamples(), prompt: prompting(l).prompt, len: prompting(l).len }));
  const pad = active.some((l) => l.spec.pad_to === "max") ? "max" : "batch";
  const packed = packStep(members, d, { pad, limits: active[0].limits });
  const t0 = performance.now();
  const out = await engine.promptStepPerExample(packed.batch, packed.prompts, packed.mask, packed.pmax, packed.weights);
  const seconds = (performance.now() - t0) / 1000;
  const perLane = unpackStep(packed, members, d, out);
  for (const [k, l] of active.entries()) {
    const r = await l.recordStep(prompting(l).apply(perLane[k].loss, perLane[k].grad), seconds);
    if (r) ended.set(l, r);
  }
  return ended;
}

export async function runTrials(trials: readonly TrialInput[], deps: RunTrialsDeps): Promise<TrialResult[]> {
  const K = trials.length;
  const where = (k: number) => (K === 1 ? "runTrial" : `runTrials: trial ${k} ('${trials[k].spec.trial_id ?? "trial"}')`);
  const specs = trials.map((t, k) => {
    try {
      return parseTrialSpec(t.spec);
    } catch (e) {
      if (K === 1) throw e;
      throw new Error(`${where(k)}: ${(e as Error).message}`);
    }
  });
  validate(specs);
  const { engine, tokenizer } = deps;
  // a model this worker cannot hold is refused before any step (ModelTooLargeError)
  checkRunFits(specs, engine, deps.memory);
  const id = identity();
  const devSets = new Map<string, DevSet>();
  const encodedTrain = new Map<number, EncodedExample[]>(); // one tokenisation per distinct split (limits are the pack's)
  const results: TrialResult[] = new Array(K);
  let active: TrialLane[] = [];
  const leave = async (ended: Map<TrialLane, TrialResult> | [number, TrialResult][]) => {
    const entries: [number, TrialResult][] = ended instanceof Map ? [...ended].map(([l, r]) => [l.index, r]) : ended;
    if (ended instanceof Map) active = active.filter((l) => !ended.has(l));
    for (const [k, r] of entries) {
      results[k] = r;
      await deps.onTrialDone?.(k, r);
    }
  };

  for (const [k, spec] of specs.entries()) {
    const t = trials[k];
    const task = t.task ?? getTask(spec.task);
    const limits = { maxInputLength: spec.max_input_length, maxTargetLength: spec.max_target_length };
    const devKey = [id(t.data.dev), id(task), spec.max_dev_examples ?? "all", spec.eval_batch_size, spec.max_decode_length ?? "L"].join("|");
    let dev = devSets.get(devKey);
    if (!dev) {
      const examples = spec.max_dev_examples ? t.data.dev.slice(0, spec.max_dev_examples) : t.data.dev;
      dev = makeDevSet({ examples, tokenizer, task, limits, batchSize: spec.eval_batch_size, maxNewTokens: spec.max_decode_length });
      devSets.set(devKey, dev);
    }
    let train = encodedTrain.get(id(t.data.train));
    if (!train) encodedTrain.set(id(t.data.train), (train = t.data.train.map((e) => encodeExample(tokenizer, e, limits))));
    const signal = deps.signal && t.signal ? AbortSignal.any([deps.signal, t.signal]) : (deps.signal ?? t.signal);
    const onProgress = deps.onProgress && ((p: TrialProgress) => deps.onProgress!({ ...p, trial: k, trialId: spec.trial_id }));
    const lane = await TrialLane.open(k, spec, { engine, tokenizer, task, train, dev, store: t.store, sink: t.sink, weights: t.weights, signal, onProgress }, where(k));
    if (lane instanceof TrialLane) active.push(lane);
    else await leave([[k, lane]]);
  }

  // resumed trials cancelled during an evaluation run it first (pendingEval)
  await leave(await settle(active.filter((l) => l.pendingEval), engine));
  for (;;) {
    const done = new Map<TrialLane, TrialResult>();
    for (const l of active) if (l.done) done.set(l, await l.complete());
    await leave(done);
    const stopped = new Map<TrialLane, TrialResult>();
    for (const l of active) if (l.signal?.aborted) stopped.set(l, await l.cancel());
    await leave(stopped);
    if (active.length === 0) break;
    await leave(await stepAll(active, engine));
    await leave(await settle(active, engine));
  }
  return results;
}
