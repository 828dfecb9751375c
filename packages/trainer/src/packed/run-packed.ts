// Packed multi-prompt training (issue #4): K prompt-tuning trials that share one frozen model train
// in ONE engine call per step, a batch of sum_k B_k examples through the per-example-prompt graph
// (T5Engine.promptStepPerExample). Each trial keeps everything runTrial keeps (its sampler and RNG,
// Adafactor state, checkpoints in runTrial's TrainState format, evaluations, best, early stopping);
// the per-example loss weights 1/N_k make each trial's gradient the one runTrial computes alone
// (pack-batch.ts). A trial that completes, stops early or fails leaves the pack; the rest go on
// (deps.onTrialDone reports it right then, not only when the whole pack returns).
import { getTask, type Example } from "@ptune/tasks";
import { encodeExample, type EncodedExample } from "../batching.ts";
import type { Batch, EngineLike, PromptArg } from "../engine-like.ts";
import { EvaluationAborted, makeDevSet, type DevSet } from "../evaluate.ts";
import type { TrialProgress, TrialResult, TrialSink, TrialStore } from "../run-trial.ts";
import type { TaskLike } from "../task-like.ts";
import type { TokenizerLike } from "../tokenizer-like.ts";
import { parseTrialSpec, type ResolvedTrialSpec, type TrialSpec } from "../trial-spec.ts";
import { Lane } from "./lane.ts";
import { packStep, unpackStep } from "./pack-batch.ts";
import { evaluatePacked } from "./packed-eval.ts";

/** The engine contract plus the per-example prompt step (docs/architecture.md, T5Engine). */
export interface PackedEngineLike extends EngineLike {
  promptStepPerExample(batch: Batch, prompts: Float32Array, promptMask: Int32Array, pmax: number, weights: Float32Array): Promise<{ lossSum: Float32Array; tokens: Float32Array; gradPrompts: Float32Array }>;
}

export interface TrialData {
  train: readonly Example[];
  dev: readonly Example[];
}

export interface PackedProgress extends TrialProgress {
  /** index of the trial in `specs` */
  trial: number;
  trialId: string;
}

export interface RunPackedDeps {
  engine: PackedEngineLike;
  tokenizer: TokenizerLike;
  /** one data set for every trial, or one per trial (in `specs` order) */
  data: TrialData | readonly TrialData[];
  /** one store and one sink per trial, in `specs` order */
  stores: readonly TrialStore[];
  sinks: readonly TrialSink[];
  /** the tasks' labels and metrics: one for all, one per trial, or default getTask(spec.task) */
  tasks?: TaskLike | readonly TaskLike[];
  signal?: AbortSignal;
  onProgress?(p: PackedProgress): void;
  /**
   * Called (and awaited, before the pack trains on) when trial `index` leaves the pack with its
   * FINAL result: completed (all steps, or stopped early) or failed (non-finite step). Its last
   * checkpoint is stored by then, so the caller can record the end state at once instead of when
   * the whole pack returns (a finished trial must not look running, nor be re-run after a crash).
   * Not called for "cancelled" (abort signal): those lanes only return at the end, as before.
   * The same result is also in the returned array. A rejection ends the run with that error.
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

function perTrial<T extends object>(what: string, v: T | readonly T[], K: number): T[] {
  if (!Array.isArray(v)) return Array.from({ length: K }, () => v as T);
  if (v.length !== K) throw new Error(`runPackedTrials: deps.${what} has ${v.length} entries, expected one per trial (${K})`);
  return [...v];
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

function validate(specs: ResolvedTrialSpec[], deps: RunPackedDeps): void {
  const K = specs.length;
  if (K === 0) throw new Error("runPackedTrials: no trials");
  specs.forEach((s, k) => {
    if (s.method !== "prompt_tuning") throw new Error(`runPackedTrials: trial ${k} ('${s.trial_id}') is ${s.method}; only prompt_tuning trials can be packed`);
  });
  const key0 = packCompatibilityKey(specs[0]);
  specs.forEach((s, k) => {
    const key = packCompatibilityKey(s);
    if (key !== key0) throw new Error(`runPackedTrials: trial ${k} ('${s.trial_id}') cannot share a pack with trial 0: model|max_input_length|max_target_length '${key}' vs '${key0}'`);
  });
  if (deps.stores.length !== K) throw new Error(`runPackedTrials: deps.stores has ${deps.stores.length} entries, expected one per trial (${K})`);
  if (deps.sinks.length !== K) throw new Error(`runPackedTrials: deps.sinks has ${deps.sinks.length} entries, expected one per trial (${K})`);
}

/** Evaluations due after a step, packed per shared dev set; then each trial's afterStep. */
async function settle(lanes: readonly Lane[], engine: PackedEngineLike, signal: AbortSignal | undefined, prompts: (l: Lane) => PromptArg): Promise<Map<Lane, TrialResult>> {
  const outcome = new Map<Lane, Record<string, number> | "aborted">();
  const groups = new Map<DevSet, Map<"greedy" | "rank", Lane[]>>();
  for (const l of lanes) {
    if (!l.evalDue()) continue;
    const byMode = groups.get(l.dev) ?? new Map<"greedy" | "rank", Lane[]>();
    groups.set(l.dev, byMode);
    byMode.set(l.spec.eval_mode, [...(byMode.get(l.spec.eval_mode) ?? []), l]);
  }
  for (const [dev, byMode] of groups) {
    for (const [mode, group] of byMode) {
      try {
        const metrics = await evaluatePacked(engine, dev, mode, group.map(prompts), signal);
        group.forEach((l, g) => outcome.set(l, metrics[g]));
      } catch (e) {
        if (!(e instanceof EvaluationAborted)) throw e;
        for (const l of group) outcome.set(l, "aborted");
      }
    }
  }
  const ended = new Map<Lane, TrialResult>();
  for (const l of lanes) {
    const r = await l.afterStep(outcome.get(l));
    if (r) ended.set(l, r);
  }
  return ended;
}

export async function runPackedTrials(rawSpecs: readonly TrialSpec[], deps: RunPackedDeps): Promise<TrialResult[]> {
  const specs = rawSpecs.map((s, k) => {
    try {
      return parseTrialSpec(s);
    } catch (e) {
      throw new Error(`runPackedTrials: trial ${k}: ${(e as Error).message}`);
    }
  });
  validate(specs, deps);
  const K = specs.length;
  const { engine, tokenizer, signal } = deps;
  const d = engine.config.d_model;
  const data = perTrial("data", deps.data, K);
  const tasks = deps.tasks ? perTrial("tasks", deps.tasks, K) : specs.map((s) => getTask(s.task));
  const id = identity();
  const devSets = new Map<string, DevSet>();
  const encodedTrain = new Map<number, EncodedExample[]>(); // one tokenisation per distinct split (limits are the pack's)
  const lanes: Lane[] = [];
  for (const [k, spec] of specs.entries()) {
    const task = tasks[k];
    const limits = { maxInputLength: spec.max_input_length, maxTargetLength: spec.max_target_length };
    const devKey = [id(data[k].dev), id(task), spec.max_dev_examples ?? "all", spec.eval_batch_size, spec.max_decode_length ?? "L"].join("|");
    let dev = devSets.get(devKey);
    if (!dev) {
      const examples = spec.max_dev_examples ? data[k].dev.slice(0, spec.max_dev_examples) : data[k].dev;
      dev = makeDevSet({ examples, tokenizer, task, limits, batchSize: spec.eval_batch_size, maxNewTokens: spec.max_decode_length });
      devSets.set(devKey, dev);
    }
    const onProgress = deps.onProgress && ((p: TrialProgress) => deps.onProgress!({ ...p, trial: k, trialId: spec.trial_id }));
    let trainEnc = encodedTrain.get(id(data[k].train));
    if (!trainEnc) encodedTrain.set(id(data[k].train), (trainEnc = data[k].train.map((e) => encodeExample(tokenizer, e, limits))));
    lanes.push(await Lane.open(k, spec, { engine, tokenizer, task, train: trainEnc, dev, store: deps.stores[k], sink: deps.sinks[k], onProgress }));
  }

  const results: TrialResult[] = new Array(K);
  let active = lanes;
  const leave = async (ended: Map<Lane, TrialResult>) => {
    active = active.filter((l) => !ended.has(l));
    for (const [l, r] of ended) {
      results[l.index] = r;
      if (r.state !== "cancelled") await deps.onTrialDone?.(l.index, r);
    }
  };
  const promptOf = (l: Lane): PromptArg => ({ data: l.prompt, len: l.spec.prompt_length });

  // resumed trials cancelled during an evaluation run it first (runTrial's pendingEval)
  await leave(await settle(active.filter((l) => l.pendingEval), engine, signal, promptOf));
  for (;;) {
    const done = new Map<Lane, TrialResult>();
    for (const l of active) if (l.done) done.set(l, await l.complete());
    await leave(done);
    if (active.length === 0) break;
    if (signal?.aborted) {
      const cancelled = new Map<Lane, TrialResult>();
      for (const l of active) cancelled.set(l, await l.cancel());
      await leave(cancelled);
      break;
    }
    const members = active.map((l) => ({ examples: l.nextExamples(), prompt: l.prompt, len: l.spec.prompt_length }));
    const pad = active.some((l) => l.spec.pad_to === "max") ? "max" : "batch";
    const packed = packStep(members, d, { pad, limits: active[0].limits });
    const t0 = performance.now();
    const out = await engine.promptStepPerExample(packed.batch, packed.prompts, packed.mask, packed.pmax, packed.weights);
    const seconds = (performance.now() - t0) / 1000;
    const perLane = unpackStep(packed, members, d, out);
    const failed = new Map<Lane, TrialResult>();
    for (const [k, l] of active.entries()) {
      const r = await l.applyStep(perLane[k].loss, perLane[k].grad, seconds);
      if (r) failed.set(l, r);
    }
    await leave(failed);
    await leave(await settle(active, engine, signal, promptOf));
  }
  return results;
}
