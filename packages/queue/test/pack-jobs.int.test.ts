// Pack jobs (sweep `pack: K`, issue #4) with the real trainer, engine (tiny golden T5 v1.1 on
// onnxruntime CPU), database and Redis: submit makes pack jobs and dedupes them, cancel removes a
// waiting pack, a worker trains a pack to the same prompts as single jobs, a graceful stop
// releases a pack that the next worker resumes, a superseded trial leaves its pack alone, and a
// trial that ends early is recorded completed while its pack mates train on.
import { attemptsOfTrial, claimAttempt, getTrial, loadLatestCheckpoint, openDb, trialsOfSweep, type Db } from "@ptune/db";
import { mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseSweep, queueNameFor } from "@ptune/sweep";
import { deserializeTrainState } from "@ptune/trainer";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { fixtureModel } from "../../../tooling/test-env.ts";
import { createBackend, type Backend } from "../src/backend.ts";
import { enqueueSweep } from "../src/enqueue.ts";
import type { TrialJobResult } from "../src/job-types.ts";
import { cancelSweepJobs, retryFailedJobs } from "../src/sweep-control.ts";
import { startWorker, type WorkerHandle } from "../src/worker-daemon.ts";
import { freshDatabase, isolatedBackend, latestPrompt, testCacheDir, uniq, waitFor } from "./helpers.ts";

const modelDir = fixtureModel("v1_1");
const dbs: { url: string; drop(): Promise<void>; db: Db }[] = [];
beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const f = await freshDatabase();
    dbs.push({ ...f, db: openDb(f.url) });
  }
});
afterAll(async () => {
  for (const d of dbs.splice(0)) {
    await d.db.close();
    await d.drop();
  }
});
let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

function openBackend(): Backend {
  const iso = isolatedBackend("redis");
  const backend = createBackend(iso.config);
  cleanup.push(() => iso.drop(), () => backend.close());
  return backend;
}

/** Prompt tuning over prompt lengths x inits x seeds (they may all differ inside a pack). */
function packSweep(name: string, model: string, o: { pack: number; steps: number; checkpointEvery: number; seeds?: number[]; modelTuning?: boolean; dir?: string }) {
  return `
name: ${name}
pack: ${o.pack}
models:
  ${model}: { checkpoint: ${o.dir ?? modelDir}, gpu_memory_gb: 1, params: 200000 }
grid:
  model: ${model}
  task: synthetic
  prompt_length: [3, 5]
  init: [random_uniform, sampled_vocab]
  seed: [${(o.seeds ?? [0]).join(", ")}]
${o.modelTuning ? "include:\n  - { method: model_tuning, prompt_length: 3, init: random_uniform, seed: 0 }\n" : ""}training:
  steps: ${o.steps}
  batch_size: 4
  eval_every: ${o.steps}
  checkpoint_every: ${o.checkpointEvery}
  max_input_length: 24
  max_target_length: 4
`;
}

const submit = (db: Db, backend: Backend, yaml: string, attempts = 2) =>
  enqueueSweep({ db, backend, spec: parseSweep(yaml, "sweep.yaml"), yamlText: yaml, policy: { attempts, backoffMs: 200, keepCompleted: 100 } });

function worker(backend: Backend, databaseUrl: string, model: string, log: string[] = []): WorkerHandle {
  const h = startWorker({
    backend, databaseUrl, sizes: [model], queueName: queueNameFor, device: "cpu", concurrency: 1, cancelPollMs: 200,
    cacheDir: testCacheDir, threads: 1, synthetic: { train: 64, dev: 16 }, log: (l) => void log.push(l),
  });
  cleanup.push(() => h.stop());
  return h;
}

const allSettled = (db: Db, sweepId: number) => async () => {
  const rows = await trialsOfSweep(db, sweepId);
  return rows.every((t) => ["completed", "failed", "cancelled"].includes(t.state)) ? rows : undefined;
};

async function finalPrompt(db: Db, trialId: string): Promise<Float32Array> {
  const c = await loadLatestCheckpoint(db, trialId);
  return deserializeTrainState(c!.state).prompt!.data;
}

it("pack: 3 makes pack jobs (model tuning stays single), re-submit dedupes, cancel removes waiting packs", async () => {
  const [{ db }] = dbs;
  const backend = openBackend();
  const model = uniq("pk").replace(/_/g, "-");
  const yaml = packSweep(uniq("packs"), model, { pack: 3, steps: 4, checkpointEvery: 2, seeds: [0, 1], modelTuning: true });
  const first = await submit(db, backend, yaml);
  // 8 prompt-tuning trials -> packs of 3, 3, 2; the model-tuning trial gets its own job
  expect(first.trials.total).toBe(9);
  expect(first.packs).toBe(3);
  const queue = backend.queue(queueNameFor(model));
  const jobs = await queue.getJobs(["waiting", "prioritized"]);
  expect(jobs).toHaveLength(4);
  const packs = jobs.filter((j) => j.name === "pack");
  expect(packs.map((j) => j.data.trialIds!.length).sort()).toEqual([2, 3, 3]);
  for (const j of packs) expect(j.id).toMatch(/^pack-[0-9a-f]{32}$/);
  const single = jobs.find((j) => j.name === "trial")!;
  expect((await getTrial(db, single.id!))?.method).toBe("model_tuning");
  // same sweep again: same pack ids, nothing new in the queue
  const second = await submit(db, backend, yaml);
  expect(second.packs).toBe(0); // issue 10: only pack jobs really added are counted
  expect(second.queued).toEqual({});
  const counts = await queue.getJobCounts("waiting", "prioritized", "active", "completed", "failed");
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(4);
  // cancel: the three waiting pack jobs and the single job are removed
  const c = await cancelSweepJobs({ db, backend, sweep: first.sweepName });
  expect(c).toMatchObject({ cancelled: 9, jobsRemoved: 4, running: 0 });
  expect(await queue.getJobCounts("waiting", "prioritized")).toEqual({ waiting: 0, prioritized: 0 });
});

it("a worker trains a pack: every trial completes with the prompt it gets as a single job (5e-5)", async () => {
  const [a, ref] = dbs;
  const model = uniq("pkeq").replace(/_/g, "-");
  const name = uniq("pkeq");
  // 4 trials: with pack: 3 one pack of 3 + one single job; the reference runs each as a single job
  const packed = packSweep(name, model, { pack: 3, steps: 6, checkpointEvery: 2 });
  const single = packSweep(name, model, { pack: 1, steps: 6, checkpointEvery: 2 });
  const [ba, bref] = [openBackend(), openBackend()];
  const sa = await submit(a.db, ba, packed);
  const sref = await submit(ref.db, bref, single);
  expect(sa.packs).toBe(1);
  expect(sref.packs).toBe(0);
  const results: TrialJobResult[] = [];
  const log: string[] = [];
  worker(ba, a.url, model, log).workers[0].on("completed", (_j, r) => void results.push(r));
  worker(bref, ref.url, model);
  const rows = await waitFor("the packed sweep", allSettled(a.db, sa.sweepId), 180_000, 250);
  await waitFor("the reference sweep", allSettled(ref.db, sref.sweepId), 180_000, 250);
  for (const t of rows) expect(t.state, t.error ?? "").toBe("completed");
  await waitFor("both job results", async () => results.length === 2, 10_000);
  const pack = results.find((r) => r.trials)!;
  expect(pack.outcome, log.join("\n")).toBe("completed");
  expect(pack.trials!.map((t) => t.outcome)).toEqual(["completed", "completed", "completed"]);
  expect(results.map((r) => r.enginesOpen)).toEqual([1, 1]); // one engine for the pack and the single job
  let worst = 0;
  for (const t of rows) {
    expect((await attemptsOfTrial(a.db, t.id)).map((x) => x.outcome)).toEqual(["completed"]);
    const [p, q] = [await finalPrompt(a.db, t.id), await finalPrompt(ref.db, t.id)];
    expect(p.length).toBe(q.length);
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - q[i]));
    expect((await getTrial(a.db, t.id))?.bestScore).toBe((await getTrial(ref.db, t.id))?.bestScore);
  }
  // packing is exact up to float32 summation order (packages/trainer README, "Packed multi-prompt training")
  expect(worst).toBeLessThan(5e-5);
  console.log(`pack vs single jobs: max |prompt diff| ${worst.toExponential(2)} over ${rows.length} trials`);
});

it("a trial that ends early inside a pack is completed in the DB at once, while its pack mates still run", async () => {
  const [a, ref] = dbs;
  const model = uniq("pkearly").replace(/_/g, "-");
  const name = uniq("pkearly");
  const [LONG, SHORT] = [60, 10];
  const packed = packSweep(name, model, { pack: 4, steps: LONG, checkpointEvery: 5 });
  const single = packSweep(name, model, { pack: 1, steps: LONG, checkpointEvery: 5 });
  const [ba, bref] = [openBackend(), openBackend()];
  const sa = await submit(a.db, ba, packed);
  const sref = await submit(ref.db, bref, single);
  expect(sa.packs).toBe(1);
  // A sweep gives every trial the same steps; the worker trains what the trial's stored config
  // says, so shortening one trial there (in both databases) makes it end LONG - SHORT steps early.
  const rows = await trialsOfSweep(a.db, sa.sweepId);
  const short = rows[1].id;
  for (const d of [a.db, ref.db]) {
    const r = await d.pool.query(`UPDATE trials SET config = jsonb_set(config, '{training,steps}', $2::jsonb) WHERE id = $1`, [short, JSON.stringify(SHORT)]);
    expect(r.rowCount).toBe(1);
  }
  const results: TrialJobResult[] = [];
  worker(ba, a.url, model).workers[0].on("completed", (_j, r) => void results.push(r));
  // the short trial is recorded completed while the pack still trains the others
  const seen = await waitFor("the short trial to complete", async () => {
    const ts = await trialsOfSweep(a.db, sa.sweepId);
    return ts.find((t) => t.id === short)?.state === "completed" ? ts : undefined;
  }, 120_000, 50);
  for (const t of seen.filter((x) => x.id !== short)) {
    expect(t.state).toBe("running");
    expect((await latestPrompt(a.db, t.id))?.step ?? 0).toBeLessThan(LONG);
  }
  expect((await latestPrompt(a.db, short))!.step).toBe(SHORT);
  expect(results).toHaveLength(0);
  worker(bref, ref.url, model);
  const done = await waitFor("the packed sweep", allSettled(a.db, sa.sweepId), 240_000, 250);
  await waitFor("the reference sweep", allSettled(ref.db, sref.sweepId), 240_000, 250);
  for (const t of done) {
    expect(t.state, t.error ?? "").toBe("completed");
    // finished once: no second attempt, no second finish
    expect((await attemptsOfTrial(a.db, t.id)).map((x) => x.outcome)).toEqual(["completed"]);
  }
  await waitFor("the job result", async () => results.length === 1, 10_000);
  const byId = new Map(results[0].trials!.map((t) => [t.trialId, t]));
  for (const t of rows) expect(byId.get(t.id)).toMatchObject({ outcome: "completed", attempt: 1, step: t.id === short ? SHORT : LONG });
  // the early exit changes no prompt: each equals its single-job run up to float32 drift, which
  // Adafactor grows with the steps (packages/trainer README: ~5e-6 after 8 steps; measured here
  // ~5e-5 after 60); a wrong weight or row shows up as ~1e-1
  const diffs: number[] = [];
  for (const t of rows) {
    const [p, q] = [await finalPrompt(a.db, t.id), await finalPrompt(ref.db, t.id)];
    expect(p.length).toBe(q.length);
    let m = 0;
    for (let i = 0; i < p.length; i++) m = Math.max(m, Math.abs(p[i] - q[i]));
    diffs.push(m);
    expect(m).toBeLessThan(t.id === short ? 5e-5 : 2e-4);
    expect((await getTrial(a.db, t.id))?.bestScore).toBe((await getTrial(ref.db, t.id))?.bestScore);
  }
  console.log(`early exit in a pack: max |prompt diff| vs single jobs per trial (trial 1 ran ${SHORT} steps, the others ${LONG}): ${diffs.map((d) => d.toExponential(2)).join(", ")}`);
});

it("graceful stop releases a running pack; the next worker resumes every trial and completes", async () => {
  const [a] = dbs;
  const backend = openBackend();
  const model = uniq("pkstop").replace(/_/g, "-");
  const s = await submit(a.db, backend, packSweep(uniq("pkstop"), model, { pack: 4, steps: 400, checkpointEvery: 5 }));
  expect(s.packs).toBe(1);
  const rows = await trialsOfSweep(a.db, s.sweepId);
  const first = worker(backend, a.url, model);
  const at = await waitFor("a checkpoint of every trial", async () => {
    const ps = await Promise.all(rows.map((t) => latestPrompt(a.db, t.id)));
    return ps.every((p) => p && p.step >= 5) ? ps : undefined;
  }, 120_000, 50);
  await first.stop();
  const queue = backend.queue(queueNameFor(model));
  const [job] = await queue.getJobs(["waiting", "prioritized"]);
  expect(job?.name).toBe("pack");
  expect(job.attemptsMade).toBe(0);
  const stoppedAt = await Promise.all(rows.map((t) => latestPrompt(a.db, t.id)));
  for (const [i, p] of stoppedAt.entries()) {
    expect(p!.step).toBeGreaterThanOrEqual(at[i]!.step);
    expect(p!.step).toBeLessThan(400); // stopped mid-run
  }
  const results: TrialJobResult[] = [];
  worker(backend, a.url, model).workers[0].on("completed", (_j, r) => void results.push(r));
  const done = await waitFor("the resumed pack", allSettled(a.db, s.sweepId), 180_000, 250);
  for (const t of done) expect(t.state, t.error ?? "").toBe("completed");
  await waitFor("the job result", async () => results.length === 1, 10_000);
  expect(results[0].trials).toHaveLength(4);
  for (const t of results[0].trials!) {
    expect(t).toMatchObject({ outcome: "completed", attempt: 2, step: 400 });
    expect(t.resumedFrom).toBe(stoppedAt[rows.findIndex((r) => r.id === t.trialId)]!.step);
  }
  for (const t of done) expect((await attemptsOfTrial(a.db, t.id)).map((x) => x.outcome)).toEqual(["superseded", "completed"]);
});

it("a trial superseded by another attempt leaves the pack; the others go on and complete", async () => {
  const [a] = dbs;
  const backend = openBackend();
  const model = uniq("pkstale").replace(/_/g, "-");
  const s = await submit(a.db, backend, packSweep(uniq("pkstale"), model, { pack: 4, steps: 200, checkpointEvery: 5 }));
  const rows = await trialsOfSweep(a.db, s.sweepId);
  const results: TrialJobResult[] = [];
  worker(backend, a.url, model).workers[0].on("completed", (_j, r) => void results.push(r));
  await waitFor("a checkpoint of every trial", async () => {
    const ps = await Promise.all(rows.map((t) => latestPrompt(a.db, t.id)));
    return ps.every((p) => p && p.step >= 5) || undefined;
  }, 120_000, 50);
  // another worker "steals" one trial: the pack's writes for it are now refused
  const victim = rows[1].id;
  const stolen = await claimAttempt(a.db, victim, "intruder");
  await waitFor("the pack job", async () => results.length === 1, 180_000, 250);
  const r = results[0];
  expect(r.outcome).toBe("completed");
  const byId = new Map(r.trials!.map((t) => [t.trialId, t]));
  expect(byId.get(victim)?.outcome).toBe("stale");
  for (const t of rows.filter((x) => x.id !== victim)) {
    expect(byId.get(t.id)).toMatchObject({ outcome: "completed", step: 200 });
    expect((await getTrial(a.db, t.id))?.state).toBe("completed");
  }
  // the victim belongs to the intruder's attempt: still running, nothing of the pack overwrote it
  expect((await getTrial(a.db, victim))?.state).toBe("running");
  expect((await attemptsOfTrial(a.db, victim)).map((x) => [x.number, x.outcome])).toEqual([[1, "superseded"], [stolen.attempt, "running"]]);
  expect((await latestPrompt(a.db, victim))!.step).toBeLessThan(200);
});

it("a pack that throws on its last try records its trials failed; retry --failed re-queues them as single jobs", async () => {
  const [a] = dbs;
  const backend = openBackend();
  const model = uniq("pkretry").replace(/_/g, "-");
  const missing = path.join(mkdtempSync(path.join(os.tmpdir(), "ptune-pkretry-")), "model");
  const s = await submit(a.db, backend, packSweep(uniq("pkretry"), model, { pack: 4, steps: 2, checkpointEvery: 1, dir: missing }), 1);
  expect(s.packs).toBe(1);
  worker(backend, a.url, model);
  const failed = await waitFor("the failed pack", allSettled(a.db, s.sweepId), 60_000, 200);
  for (const t of failed) {
    expect(t.state).toBe("failed");
    expect(t.error).toContain(missing);
  }
  symlinkSync(modelDir, missing);
  const r = await retryFailedJobs({ db: a.db, backend, sweep: s.sweepId });
  expect(r).toEqual({ sweepId: s.sweepId, retried: 4, jobsRetried: 0, jobsAdded: 4 });
  const done = await waitFor("the retried trials", allSettled(a.db, s.sweepId), 120_000, 200);
  for (const t of done) {
    expect(t.state, t.error ?? "").toBe("completed");
    expect((await attemptsOfTrial(a.db, t.id)).map((x) => x.outcome)).toEqual(["failed", "completed"]);
  }
});

it("cancel stops a running pack: every trial ends cancelled and the job completes with outcome cancelled", async () => {
  const [a] = dbs;
  const backend = openBackend();
  const model = uniq("pkcancel").replace(/_/g, "-");
  const s = await submit(a.db, backend, packSweep(uniq("pkcancel"), model, { pack: 4, steps: 100_000, checkpointEvery: 5 }));
  const rows = await trialsOfSweep(a.db, s.sweepId);
  const results: TrialJobResult[] = [];
  worker(backend, a.url, model).workers[0].on("completed", (_j, r) => void results.push(r));
  await waitFor("a checkpoint", async () => (await latestPrompt(a.db, rows[0].id))?.step, 120_000, 50);
  const c = await cancelSweepJobs({ db: a.db, backend, sweep: s.sweepId });
  // the pack is active (running: 1), unless its 200 ms poll saw the cancel and ended it first
  expect(c).toMatchObject({ cancelled: 4, jobsRemoved: 0 });
  expect(c.running).toBeLessThanOrEqual(1);
  await waitFor("the pack job to end", async () => results.length === 1, 30_000, 100);
  expect(results[0].outcome).toBe("cancelled");
  expect(results[0].trials!.map((t) => t.outcome)).toEqual(["cancelled", "cancelled", "cancelled", "cancelled"]);
  for (const t of rows) expect((await getTrial(a.db, t.id))?.state).toBe("cancelled");
});
