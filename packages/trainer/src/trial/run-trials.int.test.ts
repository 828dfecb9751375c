// runTrials (packs of prompt-tuning trials) against the REAL engine (T5Engine, onnxruntime CPU) on the v1_1 fixture model:
// a pack of 3 trials with different prompt lengths, inits, seeds and batch sizes trains each trial
// as runTrial trains it alone, early stopping of one leaves the others untouched, and a cancelled
// packed run resumes to exactly the uninterrupted one.
//
// Tolerances: one packed step's gradient equals runTrial's to float32 rounding (<= 1e-6; the batched
// attention sums run over Pmax masked slots in another order, so bitwise equality is not expected).
// Over several steps Adafactor's per-row/column normalisation amplifies those last-bit differences
// (runTrial alone with pad_to "max" vs "batch" drifts as much: ~3e-6 after 8 steps here), so the
// trajectories are compared with TRAJ_TOL; a wrong weight or a mixed-up row shows up as ~1e-1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T5Engine, T5Tokenizer } from "@ptune/t5";
import { syntheticTask } from "@ptune/tasks";
import { fixtureModel } from "../../../../tooling/test-env.ts";
import { createMemorySink, createMemoryStore, type MemorySink, type MemoryStore } from "../memory-store.ts";
import { runTrial, type TrialResult } from "../run-trial.ts";
import type { TrialSpec } from "../trial-spec.ts";
import { initPrompt } from "../prompt-init.ts";
import { Rng } from "../rng.ts";
import { buildBatch, encodeExample } from "../batching.ts";
import { packStep, unpackStep } from "../packed/pack-batch.ts";
import { runTrials, type RunTrialsDeps } from "./run-trials.ts";

const dir = fixtureModel("v1_1");
const tok = T5Tokenizer.fromDir(dir);
const { task, train, dev } = syntheticTask({ seed: 1, train: 64, dev: 16 });
const common = { task: "synthetic", max_input_length: 32, max_target_length: 4, eval_batch_size: 16, eval_every: 4, checkpoint_every: 4, log_every: 2, steps: 8 } satisfies Partial<TrialSpec>;
const specs: TrialSpec[] = [
  { ...common, trial_id: "a", prompt_length: 5, init: "sampled_vocab", seed: 3, batch_size: 8 },
  { ...common, trial_id: "b", prompt_length: 3, init: "random_uniform", seed: 7, batch_size: 4, steps: 6, eval_every: 3 },
  { ...common, trial_id: "c", prompt_length: 8, init: "class_label", seed: 11, batch_size: 6 },
];

const maxAbsDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const TRAJ_TOL = 5e-5;
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("runTrials: packed trials on the fixture model (real engine)", () => {
  let engine: T5Engine;
  const alone: { res: TrialResult; store: MemoryStore; sink: MemorySink }[] = [];
  beforeAll(async () => {
    engine = await T5Engine.open(dir, { threads: 1 });
    for (const spec of specs) {
      const store = createMemoryStore();
      const sink = createMemorySink();
      const res = await runTrial(spec, { engine, tokenizer: tok, data: { train, dev }, store, sink, task });
      alone.push({ res, store, sink });
    }
  });
  afterAll(async () => {
    await engine?.close();
  });
  const packDeps = (K: number) => {
    const stores = Array.from({ length: K }, () => createMemoryStore());
    const sinks = Array.from({ length: K }, () => createMemorySink());
    return { stores, sinks };
  };
  /** runTrials over `specs` with one store/sink (and optional signal) per trial */
  const runPack = (ss: TrialSpec[], p: { stores: MemoryStore[]; sinks: MemorySink[]; signals?: AbortSignal[] }, extra: Partial<RunTrialsDeps> = {}) =>
    runTrials(ss.map((spec, k) => ({ spec, data: { train, dev }, task, store: p.stores[k], sink: p.sinks[k], signal: p.signals?.[k] })), { engine, tokenizer: tok, ...extra });

  it("one packed step gives each trial exactly runTrial's gradient and loss (<= 1e-6)", async () => {
    const d = engine.config.d_model;
    const enc = train.map((e) => encodeExample(tok, e, { maxInputLength: 32, maxTargetLength: 4 }));
    const members = [
      { examples: enc.slice(0, 8), len: 5 },
      { examples: enc.slice(8, 12), len: 3 },
      { examples: enc.slice(12, 18), len: 8 },
    ].map((m, k) => ({ ...m, prompt: initPrompt({ strategy: "random_uniform", length: m.len, embeddings: new Float32Array(0), vocab: engine.config.vocab_size, dModel: d, rng: Rng.fromSeed(k + 1) }) }));
    const step = packStep(members, d, { pad: "batch", limits: { maxInputLength: 32, maxTargetLength: 4 } });
    const out = await engine.promptStepPerExample(step.batch, step.prompts, step.mask, step.pmax, step.weights);
    // the engine counts the same target tokens the weights were built from
    step.rows.forEach((r) => expect(out.tokens.subarray(r.start, r.start + r.count).reduce((a, b) => a + b, 0)).toBe(r.tokens));
    const got = unpackStep(step, members, d, out);
    const diffs: number[] = [];
    for (const [k, m] of members.entries()) {
      const want = await engine.promptStep(buildBatch(m.examples), m.prompt, m.len);
      diffs.push(maxAbsDiff(got[k].grad, want.gradPrompt));
      expect(Math.abs(got[k].loss - want.loss)).toBeLessThan(1e-5);
    }
    console.log(`one packed step vs promptStep alone, max |grad diff| per trial: ${diffs.map((x) => x.toExponential(3)).join(", ")}`);
    for (const x of diffs) expect(x).toBeLessThanOrEqual(1e-6);
  });

  it("K=3 packed equals each trial run alone: prompts (TRAJ_TOL), losses, evaluations, checkpoints", async () => {
    const { stores, sinks } = packDeps(3);
    const results = await runPack(specs, { stores, sinks });
    const diffs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const want = alone[k];
      expect(results[k]).toMatchObject({ state: "completed", step: want.res.step, stoppedEarly: false });
      const [sp, sa] = [(await stores[k].latest())!, (await want.store.latest())!];
      diffs.push(maxAbsDiff(sp.prompt!.data, sa.prompt!.data));
      expect(sp.trialKey).toBe(sa.trialKey);
      expect(sp.data).toEqual(sa.data);
      expect(sp.rng).toEqual(sa.rng);
      expect(sp.optimizer.params.prompt.step).toBe(sa.optimizer.params.prompt.step);
      expect(sp.optimizer.params.prompt.shape).toEqual(sa.optimizer.params.prompt.shape);
      expect(stores[k].saves.map((s) => [s.step, s.best])).toEqual(want.store.saves.map((s) => [s.step, s.best]));
      expect(sinks[k].evaluations).toEqual(want.sink.evaluations);
      const [lp, la] = [sinks[k].rows.filter((r) => r.name === "loss"), want.sink.rows.filter((r) => r.name === "loss")];
      expect(lp.map((r) => r.step)).toEqual(la.map((r) => r.step));
      lp.forEach((r, i) => expect(Math.abs(r.value - la[i].value)).toBeLessThan(1e-5));
      expect(results[k].best).toEqual(want.res.best);
    }
    console.log(`packed vs alone, max |prompt diff| per trial after ${specs.map((s) => s.steps).join("/")} steps: ${diffs.map((d) => d.toExponential(3)).join(", ")}`);
    for (const d of diffs) expect(d).toBeLessThanOrEqual(TRAJ_TOL);
    // the prompts really trained (a no-op pack would also "match" a no-op single run)
    const p0 = initPrompt({ strategy: "sampled_vocab", length: 5, embeddings: engine.embeddings(), vocab: engine.config.vocab_size, dModel: engine.config.d_model, rng: Rng.fromSeed(3) });
    expect(maxAbsDiff((await stores[0].latest())!.prompt!.data, p0)).toBeGreaterThan(1e-2);
  });

  it("early stopping of one trial leaves the pack; the others train exactly as before", async () => {
    const stopping: TrialSpec = { ...specs[1], eval_every: 2, patience: 1, early_stopping_metric: "accuracy" };
    const { stores, sinks } = packDeps(3);
    // onTrialDone: when each lane left, and how far the others had trained by then
    const lastStep = [0, 0, 0];
    const done: { index: number; result: TrialResult; othersAt: number[]; saved?: number }[] = [];
    const results = await runPack([specs[0], stopping, specs[2]], { stores, sinks }, {
      onProgress: (p) => void (lastStep[p.trial] = p.step),
      onTrialDone: async (index, result) => void done.push({ index, result, othersAt: [...lastStep], saved: stores[index].saves.at(-1)?.step }),
    });
    // once per lane; the early stopper first, while the others were still mid-run
    expect(done.map((d) => d.index)).toEqual([1, 0, 2]);
    expect(done[0].result).toBe(results[1]);
    expect(done[0].othersAt[0]).toBeLessThan(8);
    expect(done[0].othersAt[2]).toBeLessThan(8);
    // its final checkpoint was stored before it was reported
    expect(done[0].saved).toBe(results[1].step);
    for (const d of done.slice(1)) expect(d.result).toBe(results[d.index]);
    const ref = { store: createMemoryStore(), sink: createMemorySink() };
    const refRes = await runTrial(stopping, { engine, tokenizer: tok, data: { train, dev }, task, ...ref });
    expect(refRes).toMatchObject({ state: "completed", stoppedEarly: true });
    expect(results[1]).toMatchObject({ state: "completed", stoppedEarly: true, step: refRes.step });
    expect(refRes.step).toBeLessThan(stopping.steps!);
    expect(sinks[1].evaluations).toEqual(ref.sink.evaluations);
    for (const k of [0, 2]) {
      expect(results[k]).toMatchObject({ state: "completed", step: 8, stoppedEarly: false });
      expect(maxAbsDiff((await stores[k].latest())!.prompt!.data, (await alone[k].store.latest())!.prompt!.data)).toBeLessThanOrEqual(TRAJ_TOL);
      expect(sinks[k].evaluations).toEqual(alone[k].sink.evaluations);
    }
  });

  it("a lane stopped by its own signal leaves alone: the others neither checkpoint nor restart, and train exactly as before", async () => {
    const p = { ...packDeps(3), signals: [new AbortController(), new AbortController(), new AbortController()] };
    const done: [number, string, number][] = [];
    const results = await runPack(specs, { ...p, signals: p.signals.map((c) => c.signal) }, {
      onProgress: (q) => q.trial === 1 && q.step === 2 && p.signals[1].abort(),
      onTrialDone: async (k, r) => void done.push([k, r.state, r.step]),
    });
    expect(results[1]).toMatchObject({ state: "cancelled", step: 2 });
    expect(done[0]).toEqual([1, "cancelled", 2]);
    expect((await p.stores[1].latest())!.step).toBe(2);
    for (const k of [0, 2]) {
      expect(results[k]).toMatchObject({ state: "completed", step: 8 });
      // the same checkpoints as alone: no extra "stop and reload" checkpoint when lane 1 left
      expect(p.stores[k].saves.map((x) => [x.step, x.best])).toEqual(alone[k].store.saves.map((x) => [x.step, x.best]));
      expect(p.sinks[k].evaluations).toEqual(alone[k].sink.evaluations);
      expect(maxAbsDiff((await p.stores[k].latest())!.prompt!.data, (await alone[k].store.latest())!.prompt!.data)).toBeLessThanOrEqual(TRAJ_TOL);
    }
    // the stopped trial resumes alone from its checkpoint and ends like its uninterrupted run
    const res = await runTrial(specs[1], { engine, tokenizer: tok, data: { train, dev }, task, store: p.stores[1], sink: p.sinks[1] });
    expect(res).toMatchObject({ state: "completed", step: 6 });
    expect(maxAbsDiff((await p.stores[1].latest())!.prompt!.data, (await alone[1].store.latest())!.prompt!.data)).toBeLessThanOrEqual(TRAJ_TOL);
  });

  it("a packed run cancelled mid-evaluation resumes to exactly the uninterrupted packed run", async () => {
    const full = packDeps(3);
    await runPack(specs, full);
    const cut = packDeps(3);
    const ac = new AbortController();
    // step 4 of trial "a" is an evaluation step: the abort lands before/inside that evaluation
    const reported: number[] = [];
    const first = await runPack(specs, cut, { signal: ac.signal, onProgress: (p) => p.trial === 0 && p.step === 4 && ac.abort(), onTrialDone: async (k) => void reported.push(k) });
    expect(first.map((r) => [r.state, r.step])).toEqual([["cancelled", 4], ["cancelled", 4], ["cancelled", 4]]);
    // every lane reports when it leaves, cancelled ones too: "a" and "c" inside their step-4
    // evaluation (pendingEval), "b" (no evaluation due at 4) at the next step boundary
    expect(reported).toEqual([0, 2, 1]);
    expect((await cut.stores[0].latest())!.pendingEval).toBe(true);
    const second = await runPack(specs, cut);
    expect(second.map((r) => r.state)).toEqual(["completed", "completed", "completed"]);
    for (let k = 0; k < 3; k++) {
      const [a, b] = [(await cut.stores[k].latest())!, (await full.stores[k].latest())!];
      expect(bytes(a.prompt!.data).equals(bytes(b.prompt!.data))).toBe(true);
      expect(a.optimizer).toEqual(b.optimizer);
      expect(a.data).toEqual(b.data);
      expect(cut.sinks[k].evaluations).toEqual(full.sinks[k].evaluations);
    }
  });

  it("checkpoints are interchangeable: a packed checkpoint resumes alone, a single-trial one resumes packed", async () => {
    const half = specs.map((s) => ({ ...s, steps: 4 }));
    const p = packDeps(3);
    await runPack(half, p);
    // trial "a" goes on alone from its packed checkpoint ...
    const aloneStore = createMemoryStore((await p.stores[0].latest())!);
    await runTrial(specs[0], { engine, tokenizer: tok, data: { train, dev }, task, store: aloneStore, sink: createMemorySink() });
    expect(maxAbsDiff((await aloneStore.latest())!.prompt!.data, (await alone[0].store.latest())!.prompt!.data)).toBeLessThanOrEqual(TRAJ_TOL);
    // ... and a single-trial checkpoint of "c" joins a pack
    const single = createMemoryStore();
    await runTrial(half[2], { engine, tokenizer: tok, data: { train, dev }, task, store: single, sink: createMemorySink() });
    const q = packDeps(2);
    q.stores[1] = createMemoryStore((await single.latest())!);
    const res = await runPack([specs[1], specs[2]], q);
    expect(res.map((r) => r.step)).toEqual([6, 8]);
    expect(maxAbsDiff((await q.stores[1].latest())!.prompt!.data, (await alone[2].store.latest())!.prompt!.data)).toBeLessThanOrEqual(TRAJ_TOL);
  });

  it("a trial with a non-finite loss fails alone; its pack mates go on unaffected", async () => {
    const ok = createMemoryStore();
    await runTrial({ ...specs[1], steps: 2 }, { engine, tokenizer: tok, data: { train, dev }, task, store: ok, sink: createMemorySink() });
    const st = (await ok.latest())!;
    st.prompt!.data[0] = NaN;
    const { stores, sinks } = packDeps(2);
    stores[1] = createMemoryStore(st);
    let step0 = 0;
    const done: [number, string, number][] = [];
    const res = await runPack([specs[0], specs[1]], { stores, sinks }, { onProgress: (p) => void (p.trial === 0 && (step0 = p.step)), onTrialDone: async (k, r) => void done.push([k, r.state, step0]) });
    expect(res[1]).toMatchObject({ state: "failed", step: 3 });
    // the failed lane is reported when it fails (its mate is at step 1), not when the pack ends
    expect(done).toEqual([[1, "failed", 1], [0, "completed", 8]]);
    if (res[1].state === "failed") expect(res[1].reason).toMatch(/non-finite loss or gradient at step 3/);
    expect(res[0]).toMatchObject({ state: "completed", step: 8 });
    expect(maxAbsDiff((await stores[0].latest())!.prompt!.data, (await alone[0].store.latest())!.prompt!.data)).toBeLessThanOrEqual(TRAJ_TOL);
    expect(sinks[0].evaluations).toEqual(alone[0].sink.evaluations);
  });

  it("refuses incompatible packs with one clear message", async () => {
    const p = packDeps(2);
    await expect(runPack([specs[0], { ...specs[1], max_input_length: 64 }], p)).rejects.toThrow(/trial 1 \('b'\) cannot share a pack/);
    await expect(runPack([specs[0], { ...specs[1], method: "model_tuning" }], p)).rejects.toThrow(/only prompt_tuning trials can be packed \(model tuning trains alone\)/);
    await expect(runTrials([], { engine, tokenizer: tok })).rejects.toThrow(/no trials/);
  });
});
