// The orchestrator with the real trainer, engine (tiny golden T5 v1.1 on onnxruntime CPU) and
// database: submit is idempotent, both backends run trials to completion (one engine per sandbox
// thread across trials), cancel stops a sweep, retry re-runs failed trials.
import { existsSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { attemptsOfTrial, getTrial, listSweeps, openDb, trialsOfSweep, type Db } from "@ptune/db";
import { parseSweep, queueNameFor } from "@ptune/sweep";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fixtureModel } from "../../../tooling/test-env.ts";
import { createBackend, type Backend } from "../src/backend.ts";
import { enqueueSweep } from "../src/enqueue.ts";
import { cancelSweepJobs, retryFailedJobs } from "../src/sweep-control.ts";
import { startWorker, type WorkerHandle } from "../src/worker-daemon.ts";
import { freshDatabase, isolatedBackend, testCacheDir, tinySweepYaml, uniq, waitFor } from "./helpers.ts";

const modelDir = fixtureModel("v1_1");
let fresh: { url: string; drop(): Promise<void> };
let db: Db;
beforeAll(async () => {
  fresh = await freshDatabase();
  db = openDb(fresh.url);
});
afterAll(async () => {
  await db?.close();
  await fresh?.drop();
});

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

function openBackend(kind: "redis" | "postgres"): Backend {
  const iso = isolatedBackend(kind);
  const backend = createBackend(iso.config);
  cleanup.push(() => iso.drop(), () => backend.close());
  return backend;
}

const daemonLog: string[] = [];
function worker(backend: Backend, model: string, extra: { cancelPollMs?: number } = {}): WorkerHandle {
  const h = startWorker({
    log: (l) => void daemonLog.push(`${new Date().toISOString()} ${l}`),
    backend, databaseUrl: fresh.url, sizes: [model], queueName: queueNameFor, device: "cpu", concurrency: 1,
    cacheDir: testCacheDir, threads: 1, synthetic: { train: 64, dev: 16 }, lockDuration: 10_000, stalledInterval: 5_000, ...extra,
  });
  cleanup.push(() => h.stop());
  return h;
}

const submit = (backend: Backend, yaml: string, attempts = 3) =>
  enqueueSweep({ db, backend, spec: parseSweep(yaml, "sweep.yaml"), yamlText: yaml, policy: { attempts, backoffMs: 200, keepCompleted: 100 } });

const settled = (id: string) => async () => {
  const t = await getTrial(db, id);
  return t && ["completed", "failed", "cancelled"].includes(t.state) ? t : undefined;
};

describe.each(["redis", "postgres"] as const)("on %s", (kind) => {
  it("submit twice: same trials, no duplicate rows or jobs; a worker trains both with one engine", async () => {
    const backend = openBackend(kind);
    const model = uniq("tiny").replace(/_/g, "-");
    const name = uniq("idem");
    const yaml = tinySweepYaml(name, modelDir, { model, seeds: [0, 1], steps: 4 });
    const first = await submit(backend, yaml);
    const second = await submit(backend, yaml);
    expect(first.trials).toEqual({ total: 2, new: 2, existing: 0 });
    expect(second.trials).toEqual({ total: 2, new: 0, existing: 2 });
    const queue = backend.queue(queueNameFor(model));
    const counts = await queue.getJobCounts("waiting", "prioritized", "active", "delayed", "completed", "failed");
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(2);
    expect((await listSweeps(db)).filter((s) => s.name === name)).toHaveLength(1);
    const trials = await trialsOfSweep(db, first.sweepId);
    expect(trials).toHaveLength(2);

    const results: { enginesOpen?: number; threadId?: number; outcome: string }[] = [];
    const h = worker(backend, model);
    h.workers[0].on("completed", (_j, r) => void results.push(r));
    for (const t of trials) {
      const done = await waitFor(`trial ${t.id}`, settled(t.id), 120_000, 250);
      expect(done.state, done.error ?? "").toBe("completed");
      expect((await attemptsOfTrial(db, t.id)).map((a) => a.outcome)).toEqual(["completed"]);
    }
    await waitFor("both job results", async () => results.length === 2, 10_000);
    expect(results.map((r) => r.outcome)).toEqual(["completed", "completed"]);
    // BullMQ reused the sandbox thread, and the module-level cache kept ONE engine across trials.
    expect(new Set(results.map((r) => r.threadId)).size).toBe(1);
    expect(results.map((r) => r.enginesOpen)).toEqual([1, 1]);
    // submitting a finished sweep queues nothing
    const third = await submit(backend, yaml);
    expect(third.queued).toEqual({});
    expect(third.skipped).toEqual({ completed: 2 });
  });
});

it("cancel: queued jobs are removed, the running trial stops at its next step", async () => {
  const backend = openBackend("redis");
  const model = uniq("tiny").replace(/_/g, "-");
  const s = await submit(backend, tinySweepYaml(uniq("cancel"), modelDir, { model, seeds: [0, 1, 2], steps: 100_000, checkpointEvery: 1000 }));
  worker(backend, model, { cancelPollMs: 200 });
  const trials = await trialsOfSweep(db, s.sweepId);
  const running = await waitFor("a running trial", async () => (await trialsOfSweep(db, s.sweepId)).find((t) => t.state === "running"), 60_000, 200);
  // let it take a few steps
  await waitFor("step metrics", async () => (await db.pool.query("SELECT 1 FROM step_metrics WHERE trial_id = $1 LIMIT 1", [running.id])).rowCount, 60_000, 200);
  const c = await cancelSweepJobs({ db, backend, sweep: s.sweepName });
  // Usually 2 removed + 1 running; the running trial may also notice (200 ms poll) and finish,
  // and the worker then take the next job, before the remove loop gets there.
  expect(c).toMatchObject({ sweepId: s.sweepId, cancelled: 3 });
  expect(c.jobsRemoved + c.running).toBeGreaterThanOrEqual(1);
  expect(c.jobsRemoved).toBeLessThanOrEqual(2);
  const queue = backend.queue(queueNameFor(model));
  await waitFor("the running job to end", async () => (await queue.getJobState(running.id)) === "completed", 30_000, 200).catch(async (e) => {
    const job = await queue.getJob(running.id);
    throw new Error(`${e.message}: job ${await queue.getJobState(running.id)} ${JSON.stringify(job?.returnvalue)} ${job?.failedReason}; trial ${(await getTrial(db, running.id))?.state}\n${daemonLog.join("\n")}`);
  });
  expect((await queue.getJob(running.id))?.returnvalue.outcome).toBe("cancelled");
  for (const t of trials) {
    expect((await getTrial(db, t.id))?.state).toBe("cancelled");
    // every job is gone or ended as cancelled; none failed
    const state = await queue.getJobState(t.id);
    expect(["unknown", "completed"]).toContain(state);
    if (state === "completed") expect((await queue.getJob(t.id))?.returnvalue.outcome).toBe("cancelled");
  }
  expect(await queue.getJobCounts("waiting", "prioritized", "active", "failed")).toEqual({ waiting: 0, prioritized: 0, active: 0, failed: 0 });
});

it("retry --failed: a trial that failed (missing checkpoint) runs again once fixed", async () => {
  const backend = openBackend("redis");
  const model = uniq("tiny").replace(/_/g, "-");
  const missing = path.join(mkdtempSync(path.join(os.tmpdir(), "ptune-retry-")), "model");
  const s = await submit(backend, tinySweepYaml(uniq("retry"), missing, { model, steps: 2 }), 1);
  const [trial] = await trialsOfSweep(db, s.sweepId);
  worker(backend, model);
  const failed = await waitFor("the failure", settled(trial.id), 60_000, 200);
  expect(failed.state).toBe("failed");
  expect(failed.error).toContain(missing);
  const queue = backend.queue(queueNameFor(model));
  expect(await queue.getJobState(trial.id)).toBe("failed");

  symlinkSync(modelDir, missing);
  const r = await retryFailedJobs({ db, backend, sweep: s.sweepId });
  expect(r).toEqual({ sweepId: s.sweepId, retried: 1, jobsRetried: 1, jobsAdded: 0 });
  const done = await waitFor("the retried trial", settled(trial.id), 120_000, 200);
  expect(done.state, done.error ?? "").toBe("completed");
  expect((await attemptsOfTrial(db, trial.id)).map((a) => a.outcome)).toEqual(["failed", "completed"]);
});

it("a preset model missing on the worker is created there before the trial runs", async () => {
  const backend = openBackend("redis");
  const model = uniq("nano").replace(/_/g, "-");
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "ptune-preset-")), "t5-nano");
  const s = await submit(backend, tinySweepYaml(uniq("preset"), dir, { model, steps: 2, preset: "t5-nano" }));
  const [trial] = await trialsOfSweep(db, s.sweepId);
  worker(backend, model);
  const done = await waitFor("the trial", settled(trial.id), 120_000, 200);
  expect(done.state, done.error ?? "").toBe("completed");
  expect(existsSync(path.join(dir, "config.json"))).toBe(true);
});

it("a non-finite loss fails the trial ONCE: the trainer's verdict is final (no retry), its reason in the DB", async () => {
  const backend = openBackend("redis");
  const model = uniq("tiny").replace(/_/g, "-");
  // lr 1e38: the first Adafactor update moves the prompt to ~1e38, the next forward pass overflows
  const yaml = tinySweepYaml(uniq("nan"), modelDir, { model, steps: 6 }).replace("training:\n", "training:\n  lr: 1.0e38\n");
  const s = await submit(backend, yaml, 3);
  const [trial] = await trialsOfSweep(db, s.sweepId);
  worker(backend, model);
  const failed = await waitFor("the failure", settled(trial.id), 60_000, 200);
  expect(failed.state).toBe("failed");
  expect(failed.error).toMatch(/^non-finite loss or gradient at step 3 \(loss NaN\)$/);
  const queue = backend.queue(queueNameFor(model));
  await waitFor("the failed job", async () => (await queue.getJobState(trial.id)) === "failed", 10_000);
  expect((await queue.getJob(trial.id))!.attemptsMade).toBe(1);
  expect((await attemptsOfTrial(db, trial.id)).map((a) => a.outcome)).toEqual(["failed"]);
});

it("an invalid trials.config fails its trial with one line naming the field (single job and pack member)", async () => {
  const backend = openBackend("redis");
  const model = uniq("tiny").replace(/_/g, "-");
  // seeds 0..2 with pack: 2 -> one pack job (seeds 0, 1) and one single job (seed 2)
  const yaml = tinySweepYaml(uniq("badcfg"), modelDir, { model, seeds: [0, 1, 2], steps: 2 }).replace("models:", "pack: 2\nmodels:");
  const s = await submit(backend, yaml, 1);
  const trials = await trialsOfSweep(db, s.sweepId);
  const bySeed = (n: number) => trials.find((t) => t.seed === n)!;
  const jobs = await backend.queue(queueNameFor(model)).getJobs(["waiting", "prioritized"]);
  expect(jobs.map((j) => j.data.trialIds?.slice().sort() ?? j.id).sort()).toEqual([[bySeed(0).id, bySeed(1).id].sort(), bySeed(2).id].sort());
  for (const n of [1, 2]) await db.pool.query(`UPDATE trials SET config = jsonb_set(config, '{training,steps}', '-3') WHERE id = $1`, [bySeed(n).id]);
  worker(backend, model);
  for (const n of [1, 2]) {
    const t = await waitFor(`trial seed ${n}`, settled(bySeed(n).id), 60_000, 200);
    expect(t.state).toBe("failed");
    expect(t.error).toMatch(new RegExp(`^trial ${t.id}: trials\\.config\\.training\\.steps: .*\\(got -3\\)$`));
  }
  // its pack mate trains on
  const ok = await waitFor("the valid pack member", settled(bySeed(0).id), 60_000, 200);
  expect(ok.state, ok.error ?? "").toBe("completed");
});
