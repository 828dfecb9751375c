// Issue 10, "the database is the truth" and "attempts mean trainer failures", on the machine's
// Redis and a fresh database (in-process; the process-level faults are in faults.int.test.ts):
//  - a trial whose job was lost is re-added ONCE, even by five reconcilers at once;
//  - a job BullMQ gave up on (failed set) while the row says running is recorded failed, and a
//    trial put back after that failure (retry) gets a fresh job;
//  - submit reports only jobs really added (a failed leftover blocked the id: "queued 3", nothing queued);
//  - a deterministic input error (missing checkpoint) fails the trial at once: one attempt, not three.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { attemptsOfTrial, claimAttempt, getTrial, openDb, retryFailed, trialsOfSweep, type Db } from "@ptune/db";
import { parseSweep, queueNameFor } from "@ptune/sweep";
import { UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { fixtureModel, testRedisUrl } from "../../../tooling/test-env.ts";
import { createBackend, type Backend } from "../src/backend.ts";
import { enqueueSweep } from "../src/enqueue.ts";
import { reconcile } from "../src/reconcile.ts";
import { startWorker } from "../src/worker-daemon.ts";
import { freshDatabase, isolatedBackend, testCacheDir, tinySweepYaml, uniq, waitFor } from "./helpers.ts";

const modelDir = fixtureModel("v1_1");
let fresh: { url: string; drop(): Promise<void> };
let db: Db;
let backend: Backend;
let prefix: string;
let dropBackend: () => Promise<void>;
beforeAll(async () => {
  fresh = await freshDatabase();
  db = openDb(fresh.url);
  const iso = isolatedBackend("redis");
  prefix = (iso.config as { prefix: string }).prefix;
  backend = createBackend(iso.config);
  dropBackend = iso.drop;
});
afterAll(async () => {
  await backend?.close();
  await dropBackend?.();
  await db?.close();
  await fresh?.drop();
});
let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

const submit = (yaml: string, attempts = 3) => enqueueSweep({ db, backend, spec: parseSweep(yaml, "s.yaml"), yamlText: yaml, policy: { attempts, backoffMs: 200, keepCompleted: 100 } });

/** A plain BullMQ worker that fails every job it takes, as BullMQ does after too many stalls. */
async function failEveryJob(queueName: string, n: number) {
  const connection = new Redis(testRedisUrl, { maxRetriesPerRequest: null });
  let failed = 0;
  const w = new Worker(queueName, async () => {
    throw new UnrecoverableError("job stalled more than allowable limit");
  }, { connection, prefix });
  w.on("failed", () => void failed++);
  await waitFor("the jobs to fail", async () => failed >= n, 15_000, 50);
  await w.close();
  await connection.quit();
}

it("a lost job is re-added once by five reconcilers at once; nothing else changes", async () => {
  const model = uniq("lost").replace(/_/g, "-");
  const s = await submit(tinySweepYaml(uniq("lost"), modelDir, { model, seeds: [0, 1] }));
  const [a, b] = await trialsOfSweep(db, s.sweepId);
  const queue = backend.queue(queueNameFor(model));
  expect(await queue.remove(a!.id)).toBe(1); // e.g. a Redis restarted without persistence
  const passes = await Promise.all(Array.from({ length: 5 }, () => reconcile(db, backend, { graceMs: 0 })));
  const readded = passes.map((p) => p.readded[queueNameFor(model)] ?? 0).reduce((x, y) => x + y, 0);
  expect(readded).toBe(1);
  expect(["waiting", "prioritized"]).toContain(await queue.getJobState(a!.id));
  expect(["waiting", "prioritized"]).toContain(await queue.getJobState(b!.id));
  const counts = await queue.getJobCounts("waiting", "prioritized", "active", "delayed", "completed", "failed");
  expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(2);
  // a second pass finds nothing to do (idempotent)
  expect(await reconcile(db, backend, { graceMs: 0 })).toMatchObject({ ran: true, settled: 0 });
  await queue.obliterate({ force: true });
});

it("a job BullMQ gave up on is recorded failed with its reason; after a retry the trial gets a fresh job", async () => {
  const model = uniq("gaveup").replace(/_/g, "-");
  const s = await submit(tinySweepYaml(uniq("gaveup"), modelDir, { model }));
  const [t] = await trialsOfSweep(db, s.sweepId);
  await claimAttempt(db, t!.id, "a-worker-that-died"); // running, its worker never heartbeats
  await failEveryJob(`${queueNameFor(model)}`, 1);
  const queue = backend.queue(queueNameFor(model));
  expect(await queue.getJobState(t!.id)).toBe("failed");
  expect((await getTrial(db, t!.id))!.state).toBe("running"); // issue 10: stayed running forever
  const r = await reconcile(db, backend, { graceMs: 0 });
  expect(r.settled).toBe(1);
  const row = (await getTrial(db, t!.id))!;
  expect(row.state).toBe("failed");
  expect(row.error).toMatch(/stalled more than allowable limit/);
  expect((await attemptsOfTrial(db, t!.id)).map((x) => x.outcome)).toEqual(["failed"]);
  // `ptune retry --failed` half-done (the DB part only): the reconciler completes it
  await retryFailed(db, s.sweepId);
  const again = await reconcile(db, backend, { graceMs: 0 });
  expect(again).toMatchObject({ settled: 0, readded: { [queueNameFor(model)]: 1 } });
  expect(["waiting", "prioritized"]).toContain(await queue.getJobState(t!.id));
  await queue.obliterate({ force: true });
});

it("submit reports only jobs really added: a failed leftover is replaced, a live job is not counted", async () => {
  const model = uniq("count").replace(/_/g, "-");
  const yaml = tinySweepYaml(uniq("count"), modelDir, { model, seeds: [0, 1, 2] });
  const first = await submit(yaml);
  expect(first.queued).toEqual({ [queueNameFor(model)]: 3 });
  await failEveryJob(queueNameFor(model), 3); // BullMQ gave up; the rows are still `queued`
  const queue = backend.queue(queueNameFor(model));
  const second = await submit(yaml);
  expect(second.queued).toEqual({ [queueNameFor(model)]: 3 });
  for (const t of await trialsOfSweep(db, first.sweepId)) expect(["waiting", "prioritized"]).toContain(await queue.getJobState(t.id));
  const third = await submit(yaml);
  expect(third.queued).toEqual({}); // all live: nothing added, nothing claimed
  await queue.obliterate({ force: true });
});

it("a deterministic input error (missing checkpoint) fails the trial at once: one attempt, message stored", async () => {
  const model = uniq("input").replace(/_/g, "-");
  const missing = path.join(mkdtempSync(path.join(os.tmpdir(), "ptune-input-")), "model");
  const s = await submit(tinySweepYaml(uniq("input"), missing, { model, steps: 2 }), 3);
  const [t] = await trialsOfSweep(db, s.sweepId);
  const h = startWorker({
    backend, databaseUrl: fresh.url, db, sizes: [model], queueName: queueNameFor, device: "cpu", concurrency: 1,
    cacheDir: testCacheDir, threads: 1, synthetic: { train: 64, dev: 16 }, reconcileMs: 0,
  });
  cleanup.push(() => h.stop());
  const queue = backend.queue(queueNameFor(model));
  await waitFor("the job to fail", async () => (await queue.getJobState(t!.id)) === "failed", 60_000, 100);
  const row = (await getTrial(db, t!.id))!;
  expect(row.state).toBe("failed");
  expect(row.error).toContain(missing);
  expect(row.attempts).toBe(1); // issue 10: 3 attempts each for 11 trials with bad inputs
  expect((await queue.getJob(t!.id))!.attemptsMade).toBe(1);
  await queue.obliterate({ force: true });
});

it("a model the worker cannot hold is refused before any step: one attempt, one line naming each term (issue 13)", async () => {
  const model = uniq("big").replace(/_/g, "-");
  const s = await submit(tinySweepYaml(uniq("big"), modelDir, { model, steps: 2 }), 3);
  const [t] = await trialsOfSweep(db, s.sweepId);
  // 1 MiB of host memory for the job: less than the tiny fixture's weights + activations + runtime
  const h = startWorker({
    backend, databaseUrl: fresh.url, db, sizes: [model], queueName: queueNameFor, device: "cpu", concurrency: 1,
    cacheDir: testCacheDir, threads: 1, synthetic: { train: 64, dev: 16 }, reconcileMs: 0, memoryBudgetBytes: 2 ** 20,
  });
  cleanup.push(() => h.stop());
  const queue = backend.queue(queueNameFor(model));
  await waitFor("the job to fail", async () => (await queue.getJobState(t!.id)) === "failed", 60_000, 100);
  const row = (await getTrial(db, t!.id))!;
  expect(row.state).toBe("failed");
  expect(row.error).toMatch(/^ModelTooLargeError: prompt tuning needs ~[\d.]+ MiB \(weights [\d.]+ MiB fp32 \+ activations [\d.]+ MiB at batch \d+, input \d+ \+ prompt \d+, target \d+ \+ runtime [\d.]+ MiB\) but the memory budget \(memory_budget_bytes, or ptune worker --memory-gb\) is 1\.0 MiB; /);
  expect(row.error).not.toContain("\n");
  expect(row.attempts).toBe(1);
  expect(await attemptsOfTrial(db, t!.id).then((a) => a.length)).toBe(1);
  await queue.obliterate({ force: true });
});

it("pack jobs: members of a live pack are left alone; the members of a lost pack are re-added as single jobs", async () => {
  const model = uniq("pack").replace(/_/g, "-");
  const yaml = `
name: ${uniq("pack")}
pack: 4
models:
  ${model}: { checkpoint: ${modelDir}, gpu_memory_gb: 1, params: 200000 }
grid:
  model: ${model}
  task: synthetic
  prompt_length: [3, 5]
  init: [random_uniform, sampled_vocab]
training: { steps: 2, batch_size: 4, eval_every: 2, checkpoint_every: 1, max_input_length: 24, max_target_length: 4 }
`;
  const s = await submit(yaml);
  expect(s.packs).toBe(1);
  const queue = backend.queue(queueNameFor(model));
  const [pack] = await queue.getJobs(["waiting", "prioritized"]);
  expect(pack!.data.trialIds).toHaveLength(4);
  expect(await reconcile(db, backend, { graceMs: 0, sweepId: s.sweepId })).toMatchObject({ readded: {}, settled: 0 });
  expect(await queue.remove(pack!.id!)).toBe(1);
  const r = await reconcile(db, backend, { graceMs: 0, sweepId: s.sweepId });
  expect(r.readded).toEqual({ [queueNameFor(model)]: 4 });
  for (const id of pack!.data.trialIds!) expect(["waiting", "prioritized"]).toContain(await queue.getJobState(id));
  await queue.obliterate({ force: true });
});
