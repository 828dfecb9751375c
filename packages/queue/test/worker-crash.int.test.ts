// Real worker processes (`node apps/cli/bin/ptune.js worker`), the real trainer and database:
//  - kill -9 in mid-trial: another worker picks the trial up from its last checkpoint and ends
//    with the SAME prompt bytes as an uninterrupted run (bit-identical resume through the queue);
//  - SIGTERM: the worker checkpoints, puts the job back in `wait` (not failed) and exits.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { attemptsOfTrial, getTrial, openDb, trialsOfSweep, type Db } from "@ptune/db";
import { parseSweep, queueNameFor } from "@ptune/sweep";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { fixtureModel, repoRoot, testRedisUrl } from "../../../tooling/test-env.ts";
import { createBackend, type Backend } from "../src/backend.ts";
import { enqueueSweep } from "../src/enqueue.ts";
import { startWorker } from "../src/worker-daemon.ts";
import { freshDatabase, latestPrompt, testCacheDir, tinySweepYaml, uniq, waitFor } from "./helpers.ts";

const modelDir = fixtureModel("v1_1");
const STEPS = 300; // long enough (~3 s on this machine) that the kill lands mid-trial on a fast one too
const SYNTHETIC = { train: 1000, dev: 100 }; // what `ptune worker` uses
let dbs: { url: string; drop(): Promise<void>; db: Db }[] = [];
let procs: ChildProcess[] = [];
let cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const f = await freshDatabase();
    dbs.push({ ...f, db: openDb(f.url) });
  }
});
afterAll(async () => {
  for (const d of dbs) {
    await d.db.close();
    await d.drop();
  }
  dbs = [];
});
afterEach(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  procs = [];
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

/**
 * `ptune worker` as a child process, with its default lock settings (lockDuration 10 s,
 * stalledInterval 5 s). The CLI's Redis namespace is the default one, so each test uses a
 * unique model (queue) name.
 */
function spawnWorker(databaseUrl: string, model: string, id: string): ChildProcess & { log: string[] } {
  const p = spawn(
    process.execPath,
    [path.join(repoRoot, "apps/cli/bin/ptune.js"), "worker", "--sizes", model, "--device", "cpu", "--concurrency", "1", "--threads", "1", "--id", id],
    { env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: testRedisUrl, PTUNE_CACHE_DIR: testCacheDir }, stdio: ["ignore", "pipe", "pipe"] },
  ) as ChildProcess & { log: string[] };
  p.log = [];
  p.stdout!.on("data", (b) => p.log.push(String(b)));
  p.stderr!.on("data", (b) => p.log.push(String(b)));
  procs.push(p);
  return p;
}

const exited = (p: ChildProcess) =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve(p.exitCode) : new Promise<number | null>((r) => p.once("exit", (code) => r(code)));

/** The CLI's namespace (default prefix), or an isolated one (the reference run: same trial id). */
function redis(prefix?: string): Backend {
  const b = createBackend({ redisUrl: testRedisUrl, ...(prefix ? { prefix } : {}) });
  cleanup.push(() => b.close());
  return b;
}

/** Submits the sweep to `db`; returns the trial id. */
async function submitTo(d: { db: Db }, backend: Backend, model: string, name: string) {
  const yaml = tinySweepYaml(name, modelDir, { model, steps: STEPS, checkpointEvery: 3 });
  const s = await enqueueSweep({ db: d.db, backend, spec: parseSweep(yaml, "s.yaml"), yamlText: yaml });
  cleanup.push(() => backend.queue(queueNameFor(model)).obliterate({ force: true }));
  return (await trialsOfSweep(d.db, s.sweepId))[0].id;
}

/** Runs the trial uninterrupted (in-process worker) on database `d`; returns its final prompt bytes. */
async function referenceRun(d: { url: string; db: Db }, backend: Backend, model: string, name: string) {
  const id = await submitTo(d, backend, model, name);
  const h = startWorker({ backend, databaseUrl: d.url, sizes: [model], queueName: queueNameFor, device: "cpu", concurrency: 1, cacheDir: testCacheDir, threads: 1, synthetic: SYNTHETIC });
  try {
    await waitFor("the reference run", async () => (await getTrial(d.db, id))?.state === "completed", 120_000, 250);
  } finally {
    await h.stop();
  }
  return (await latestPrompt(d.db, id))!;
}

it("kill -9 mid-trial: another worker resumes from the checkpoint and ends bit-identical", async () => {
  const backend = redis();
  const model = uniq("crash").replace(/_/g, "-");
  const name = uniq("crash");
  const [a, ref] = dbs;
  const reference = await referenceRun(ref, redis(uniq("ptunetest")), model, name);
  expect(reference.step).toBe(STEPS);

  const id = await submitTo(a, backend, model, name);
  const w1 = spawnWorker(a.url, model, "w1");
  const ck = await waitFor("a checkpoint", async () => {
    const p = await latestPrompt(a.db, id);
    return p && p.step >= 3 ? p : undefined;
  }, 120_000, 50).catch((e) => {
    throw new Error(`${e.message}\nworker log:\n${w1.log.join("")}`);
  });
  expect(ck.step).toBeLessThan(STEPS); // still mid-trial when killed
  w1.kill("SIGKILL");
  await exited(w1);
  const w2 = spawnWorker(a.url, model, "w2");
  await waitFor("completion on w2", async () => (await getTrial(a.db, id))?.state === "completed", 120_000, 250).catch((e) => {
    throw new Error(`${e.message}\nw2 log:\n${w2.log.join("")}`);
  });
  const attempts = await attemptsOfTrial(a.db, id);
  expect(attempts.map((x) => [x.workerId, x.outcome])).toEqual([["w1", "superseded"], ["w2", "completed"]]);
  const job = await backend.queue(queueNameFor(model)).getJob(id);
  expect(job?.returnvalue).toMatchObject({ outcome: "completed", attempt: 2 });
  expect(job?.returnvalue.resumedFrom).toBeGreaterThanOrEqual(ck.step);
  const final = (await latestPrompt(a.db, id))!;
  expect(final.step).toBe(STEPS);
  expect(final.bytes.equals(reference.bytes)).toBe(true);
  w2.kill("SIGTERM");
  await exited(w2);
});

it("SIGTERM: the running trial checkpoints, its job goes back to wait, the worker exits 0", async () => {
  const backend = redis();
  const model = uniq("term").replace(/_/g, "-");
  const [a] = dbs;
  const id = await submitTo(a, backend, model, uniq("term"));
  const w = spawnWorker(a.url, model, "wt");
  await waitFor("a checkpoint", async () => (await latestPrompt(a.db, id))?.step, 120_000, 50).catch((e) => {
    throw new Error(`${e.message}\nworker log:\n${w.log.join("")}`);
  });
  const t0 = Date.now();
  w.kill("SIGTERM");
  const code = await exited(w);
  expect(code, w.log.join("")).toBe(0);
  expect(Date.now() - t0).toBeLessThan(10_000);
  const queue = backend.queue(queueNameFor(model));
  // back in the queue: "prioritized" is BullMQ's waiting state for jobs with a priority
  expect(["waiting", "prioritized"]).toContain(await queue.getJobState(id));
  expect((await queue.getJob(id))?.attemptsMade).toBe(0);
  const at = (await latestPrompt(a.db, id))!;
  expect(at.step).toBeLessThan(STEPS);
  expect(w.log.join("")).toMatch(/released/);
  // released in the database too: `ptune status` shows it queued, not running
  expect((await getTrial(a.db, id))?.state).toBe("queued");
  // the next worker resumes from exactly that checkpoint
  const h = startWorker({ backend, databaseUrl: a.url, sizes: [model], queueName: queueNameFor, device: "cpu", concurrency: 1, cacheDir: testCacheDir, threads: 1, synthetic: SYNTHETIC });
  cleanup.push(() => h.stop());
  await waitFor("completion", async () => (await getTrial(a.db, id))?.state === "completed", 120_000, 250);
  expect((await queue.getJob(id))?.returnvalue).toMatchObject({ outcome: "completed", attempt: 2, resumedFrom: at.step });
});
