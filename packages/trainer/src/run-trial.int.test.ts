// runTrial and the engine-dependent parts against the REAL engine (@ptune/t5 T5Engine on
// onnxruntime CPU) and the fixture models.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCheckpoint, T5Engine, T5Tokenizer, type ParityChecker } from "@ptune/t5";
import { syntheticTask } from "@ptune/tasks";
import { fixtureModel, goldenFile } from "../../../tooling/test-env.ts";
import { buildBatch, encodeExample } from "./batching.ts";
import type { EngineLike } from "./engine-like.ts";
import { evaluateEnsemble } from "./ensemble.ts";
import { evaluateDev, makeDevSet, predictGreedy, predictRank } from "./evaluate.ts";
import { createMemorySink, createMemoryStore } from "./memory-store.ts";
import { ModelTooLargeError } from "./memory.ts";
import { checkAdafactorParity } from "./parity.ts";
import { initPrompt } from "./prompt-init.ts";
import { Rng } from "./rng.ts";
import { runTrial, type TrialProgress } from "./run-trial.ts";
import type { TrialSpec } from "./trial-spec.ts";

// compile-time: the trainer's checker plugs into @ptune/t5's checkParity, and T5Engine is an EngineLike
const asChecker: ParityChecker = checkAdafactorParity;
const asEngine = (e: T5Engine): EngineLike => e;
void asChecker;
void asEngine;

const dir = fixtureModel("v1_1");
const tok = T5Tokenizer.fromDir(dir);
const { task, train, dev } = syntheticTask({ seed: 1, train: 64, dev: 16 });
const limits = { maxInputLength: 32, maxTargetLength: 4 };
const base: TrialSpec = {
  trial_id: "trial-a",
  task: "synthetic",
  prompt_length: 5,
  init: "sampled_vocab",
  seed: 3,
  batch_size: 8,
  eval_every: 3,
  checkpoint_every: 2,
  max_input_length: limits.maxInputLength,
  max_target_length: limits.maxTargetLength,
  eval_batch_size: 16,
  log_every: 4,
};

describe("runTrial on the fixture model (real engine)", () => {
  let engine: T5Engine;
  beforeAll(async () => {
    engine = await T5Engine.open(dir, { threads: 1 });
  });
  afterAll(async () => {
    await engine?.close();
  });
  const deps = (store = createMemoryStore(), sink = createMemorySink()) => ({ engine, tokenizer: tok, data: { train, dev }, store, sink, task });
  const promptOf = async (store: ReturnType<typeof createMemoryStore>) => (await store.latest())!.prompt!.data;

  it("Adafactor steps 1-3 with the engine's gradients match the golden prompts and losses", async () => {
    const rows = await checkAdafactorParity(goldenFile("v1_1"), engine);
    expect(rows.map((r) => r.key)).toEqual(["adafactor_prompt_after_step1", "adafactor_prompt_after_step2", "adafactor_prompt_after_step3", "adafactor_losses"]);
    for (const r of rows) expect(r, r.key).toMatchObject({ ok: true });
    const e10 = await T5Engine.open(fixtureModel("v1_0"), { threads: 1 });
    try {
      for (const r of await checkAdafactorParity(goldenFile("v1_0"), e10)) expect(r, `v1_0 ${r.key}`).toMatchObject({ ok: true });
    } finally {
      await e10.close();
    }
  });

  it("trains a prompt end to end: dev loss falls, evaluations, checkpoints, progress and step rows", async () => {
    const store = createMemoryStore();
    const sink = createMemorySink();
    const progress: TrialProgress[] = [];
    const res = await runTrial({ ...base, steps: 30, eval_every: 10, checkpoint_every: 10 }, { ...deps(store, sink), onProgress: (p) => progress.push(p) });
    expect(res.state).toBe("completed");
    expect(res.step).toBe(30);
    const devBatch = buildBatch(dev.map((e) => encodeExample(tok, e, limits)));
    const p0 = initPrompt({ strategy: "sampled_vocab", length: 5, embeddings: engine.embeddings(), vocab: engine.config.vocab_size, dModel: engine.config.d_model, rng: Rng.fromSeed(3) });
    const before = (await engine.promptStep(devBatch, p0, 5)).loss;
    const after = (await engine.promptStep(devBatch, await promptOf(store), 5)).loss;
    expect(after).toBeLessThan(before * 0.8);
    expect(sink.evaluations.map((e) => e.step)).toEqual([10, 20, 30]);
    expect(sink.evaluations[0].metrics).toHaveProperty("accuracy");
    expect(sink.rows.filter((r) => r.name === "loss").map((r) => r.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(sink.rows.some((r) => r.name === "examples_per_sec" && r.value > 0)).toBe(true);
    expect(progress.length).toBe(30);
    expect(progress.at(-1)).toMatchObject({ step: 30, total: 30 });
    expect(store.saves.filter((s) => !s.best).map((s) => s.step)).toEqual([10, 20, 30]);
    expect(store.bestState()!.best!.step).toBe(res.best!.step);
  });

  it("resume is bit-identical: 2N steps == N steps + resume + N steps", async () => {
    const a = createMemoryStore();
    await runTrial({ ...base, steps: 12 }, deps(a));
    const b = createMemoryStore();
    await runTrial({ ...base, steps: 6 }, deps(b));
    const mid = await b.latest();
    expect(mid!.step).toBe(6);
    await runTrial({ ...base, steps: 12 }, deps(b));
    const sa = (await a.latest())!;
    const sb = (await b.latest())!;
    expect(sb.step).toBe(12);
    expect(Buffer.from(sb.prompt!.data.buffer).equals(Buffer.from(sa.prompt!.data.buffer))).toBe(true);
    expect(sb.optimizer).toEqual(sa.optimizer);
    expect(sb.data).toEqual(sa.data);
    expect(sb.rng).toEqual(sa.rng);
  });

  it("abort checkpoints and returns cancelled; resuming finishes like an uninterrupted run", async () => {
    const store = createMemoryStore();
    const ac = new AbortController();
    const res = await runTrial({ ...base, steps: 8 }, { ...deps(store), signal: ac.signal, onProgress: (p) => p.step === 3 && ac.abort() });
    expect(res).toMatchObject({ state: "cancelled", step: 3 });
    // step 3 is an evaluation step (eval_every 3): the abort interrupted that evaluation
    expect(await store.latest()).toMatchObject({ step: 3, pendingEval: true });
    const sink = createMemorySink();
    expect((await runTrial({ ...base, steps: 8 }, deps(store, sink))).state).toBe("completed");
    expect(sink.evaluations.map((e) => e.step)).toEqual([3, 6, 8]);
    const ref = createMemoryStore();
    await runTrial({ ...base, steps: 8 }, deps(ref));
    expect((await store.latest())!.prompt!.data).toEqual((await ref.latest())!.prompt!.data);
  });

  it("a non-finite loss fails the trial with its step and reason", async () => {
    const ok = createMemoryStore();
    await runTrial({ ...base, steps: 2 }, deps(ok));
    const st = (await ok.latest())!;
    st.prompt!.data[0] = NaN;
    const res = await runTrial({ ...base, steps: 5 }, deps(createMemoryStore(st)));
    expect(res).toMatchObject({ state: "failed", step: 3 });
    if (res.state === "failed") expect(res.reason).toMatch(/non-finite loss or gradient at step 3/);
  });

  it("early stopping: stops after `patience` evaluations without improvement and keeps the best", async () => {
    const sink = createMemorySink();
    const store = createMemoryStore();
    const res = await runTrial({ ...base, steps: 40, eval_every: 2, patience: 2, early_stopping_metric: "accuracy" }, deps(store, sink));
    // the tiny random model stays at accuracy 0 on this data (seeded, so this is reproducible)
    expect(sink.evaluations.map((e) => e.metrics.accuracy)).toEqual([0, 0, 0]);
    expect(res).toMatchObject({ state: "completed", step: 6, stoppedEarly: true, best: { step: 2, metric: "accuracy", score: 0 } });
    expect(store.saves.filter((s) => s.best).map((s) => s.step)).toEqual([2]);
    expect((await store.latest())!.evalsWithoutImprovement).toBe(2);
  });

  it("class_label init (the default) puts the task's label embeddings in the first slots", async () => {
    const store = createMemoryStore();
    const res = await runTrial({ ...base, init: "class_label", steps: 1, eval_every: 100, checkpoint_every: 100 }, deps(store));
    expect(res.state).toBe("completed");
    const p0 = initPrompt({ strategy: "class_label", length: 5, embeddings: engine.embeddings(), vocab: engine.config.vocab_size, dModel: engine.config.d_model, labels: [...task.labels!], tokenizer: tok, rng: Rng.fromSeed(3) });
    const emb = engine.embeddings();
    const d = engine.config.d_model;
    const ids = tok.encode(task.labels![0], { addEos: false });
    expect(p0[0]).toBeCloseTo(ids.reduce((s, id) => s + emb[id * d], 0) / ids.length, 6);
    // one step moved it, but not far (lr 0.3 on a normalised update)
    const p1 = (await store.latest())!.prompt!.data;
    expect(p1).not.toEqual(p0);
    expect(Math.abs(p1[0] - p0[0])).toBeLessThan(1);
  });

  it("refuses a checkpoint of another trial", async () => {
    const s = createMemoryStore();
    await runTrial({ ...base, steps: 1 }, deps(s));
    await expect(runTrial({ ...base, trial_id: "other", steps: 2 }, deps(s))).rejects.toThrow(/belongs to 'trial-a/);
  });

  it("model tuning: refuses a model over the memory budget before any step, with one clear line", async () => {
    const store = createMemoryStore();
    await expect(runTrial({ ...base, method: "model_tuning", steps: 2, memory_budget_bytes: 1e5 }, { ...deps(store), weights: openCheckpoint(dir) })).rejects.toThrow(
      /^model tuning needs ~[\d.]+ MiB \([\d,]+ params x 4 bytes x 3 for weights, grads and optimizer\) but the memory budget \(memory_budget_bytes, or ptune worker --memory-gb\) is 0\.1 MiB/,
    );
    expect(await store.latest()).toBeNull(); // nothing trained, nothing written
  });

  it("prompt tuning: the same check, with the worker's own limit when the trial has none", async () => {
    await expect(runTrial({ ...base, steps: 1 }, { ...deps(), memory: { device: "cpu", memoryBudgetBytes: 2 ** 20 } })).rejects.toThrow(ModelTooLargeError);
    await expect(runTrial({ ...base, steps: 1 }, { ...deps(), memory: { device: "cpu", memoryBudgetBytes: 2 ** 20 } })).rejects.toThrow(/^prompt tuning needs ~[\d.]+ MiB .* is 1\.0 MiB; use a smaller batch_size/);
  });

  it("model tuning: Adafactor (lr 1e-3) on every weight lowers the training loss", async () => {
    const sink = createMemorySink();
    const store = createMemoryStore();
    const res = await runTrial({ ...base, method: "model_tuning", steps: 6, batch_size: 8, eval_every: 3, checkpoint_every: 100, log_every: 1 }, { engine, tokenizer: tok, data: { train: train.slice(0, 8), dev }, store, sink, task, weights: openCheckpoint(dir) });
    expect(res.state).toBe("completed");
    const losses = sink.rows.filter((r) => r.name === "loss").map((r) => r.value);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    // T5Engine.withWeights lets evaluation decode with the tuned weights: selection by the task metric
    expect(sink.evaluations.map((e) => e.step)).toEqual([3, 6]);
    for (const e of sink.evaluations) expect(e.metrics[task.primaryMetric]).toEqual(expect.any(Number));
    expect(res.best?.metric).toBe(task.primaryMetric);
    const st = (await store.latest())!;
    expect(Object.keys(st.weights!).length).toBeGreaterThan(10);
    expect(Object.keys(st.optimizer.params).length).toBeGreaterThan(10);
  });

  it("model tuning resume is bit-identical too (weights and per-parameter optimizer state)", async () => {
    const spec = { ...base, method: "model_tuning" as const, eval_every: 100, checkpoint_every: 100 };
    const d8 = { train: train.slice(0, 16), dev };
    const a = createMemoryStore();
    await runTrial({ ...spec, steps: 4 }, { ...deps(a), data: d8, weights: openCheckpoint(dir) });
    const b = createMemoryStore();
    await runTrial({ ...spec, steps: 2 }, { ...deps(b), data: d8, weights: openCheckpoint(dir) });
    await runTrial({ ...spec, steps: 4 }, { ...deps(b), data: d8, weights: openCheckpoint(dir) });
    const [sa, sb] = [(await a.latest())!, (await b.latest())!];
    expect(sb.step).toBe(4);
    expect(sb.weights).toEqual(sa.weights);
    expect(sb.optimizer).toEqual(sa.optimizer);
    // the resumed half needs no weight source: its weights are in the checkpoint (and the memory
    // check counts the config's weights)
    const c = createMemoryStore();
    await runTrial({ ...spec, steps: 2 }, { ...deps(c), data: d8, weights: openCheckpoint(dir) });
    await runTrial({ ...spec, steps: 4 }, { ...deps(c), data: d8 });
    expect((await c.latest())!.weights).toEqual(sa.weights);
  });

  it("ensemble: K prompts in one batched decode give each prompt's own predictions, then a majority vote", async () => {
    const devSet = makeDevSet({ examples: dev, tokenizer: tok, task, limits, batchSize: 24 });
    const prompts = [1, 2, 3].map((s) => ({ data: initPrompt({ strategy: "sampled_vocab", length: 4 + s, embeddings: engine.embeddings(), vocab: engine.config.vocab_size, dModel: engine.config.d_model, rng: Rng.fromSeed(s) }), len: 4 + s }));
    const ens = await evaluateEnsemble(engine, prompts, devSet);
    const separate = await Promise.all(prompts.map((p) => predictGreedy(engine, devSet, p)));
    ens.perPrompt.forEach((m, k) => expect(m).toEqual(task.score(separate[k], dev)));
    expect(ens.predictions).toEqual(dev.map((_, i) => {
      const votes = separate.map((s) => s[i]);
      return votes.find((v) => votes.filter((x) => x === v).length * 2 > votes.length) ?? votes[0];
    }));
    expect(ens.best.accuracy).toBe(Math.max(...ens.perPrompt.map((m) => m.accuracy)));
  });

  it("rank classification picks the argmax of the per-label scores; accuracy follows", async () => {
    const devSet = makeDevSet({ examples: dev, tokenizer: tok, task, limits, batchSize: 16 });
    const prompt = { data: initPrompt({ strategy: "random_uniform", length: 5, embeddings: engine.embeddings(), vocab: engine.config.vocab_size, dModel: engine.config.d_model, rng: Rng.fromSeed(9) }), len: 5 };
    const preds = await predictRank(engine, devSet, prompt);
    const labels = task.labels!;
    // reference: score each (example, label) pair on its own, take the argmax
    const want: string[] = [];
    for (const e of devSet.encoded) {
      const s = await engine.score(buildBatch(labels.map((l) => ({ input: e.input, target: encodeExample(tok, { input: "", target: l }, limits).target }))), prompt);
      want.push(labels[s.indexOf(Math.max(...s))]);
    }
    expect(preds).toEqual(want);
    const m = await evaluateDev(engine, devSet, "rank", prompt);
    expect(m.accuracy).toBeCloseTo((100 * preds.filter((p, i) => p === dev[i].target).length) / dev.length, 6);
  });
});
