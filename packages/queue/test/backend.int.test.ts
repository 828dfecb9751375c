// Both backends against the real servers: idempotent enqueue, sandboxed processing in a
// reused worker thread, and a job that blocks its thread longer than lockDuration runs once.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createBackend, type Backend } from "../src/backend.ts";
import { addTrialJobs, type QueuedTrial } from "../src/enqueue-jobs.ts";
import { isolatedBackend, uniq, waitFor } from "./helpers.ts";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const fast = { concurrency: 1, lockDuration: 10_000, stalledInterval: 5_000 };

describe.each(["redis", "postgres"] as const)("%s backend", (kind) => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.reverse()) await f();
    cleanup = [];
  });
  function open(): Backend {
    const iso = isolatedBackend(kind);
    const backend = createBackend(iso.config);
    cleanup.push(() => iso.drop(), () => backend.close());
    return backend;
  }

  it("enqueues a trial once however often it is submitted, one queue per size", async () => {
    const backend = open();
    const trials: QueuedTrial[] = Array.from({ length: 6 }, (_, i) => ({
      sweepId: "s1", trialId: `t${i}`, model: i % 2 ? "t5-small" : "t5-base", spec: { i }, priority: i === 0 ? 1 : undefined,
    }));
    const q = (m: string) => uniq(m);
    const names = new Map<string, string>();
    const name = (m: string) => names.get(m) ?? (names.set(m, q(m)), names.get(m)!);
    const first = await addTrialJobs(backend, trials, name);
    const second = await addTrialJobs(backend, trials, name);
    expect(Object.values(first).sort()).toEqual([3, 3]);
    // issue 10: only jobs really added are counted; a re-add of a live job is not
    expect(second).toEqual(Object.fromEntries(Object.keys(first).map((k) => [k, 0])));
    for (const n of names.values()) {
      const counts = await backend.queue(n).getJobCounts("waiting", "prioritized", "delayed", "active");
      expect(counts.waiting + counts.prioritized).toBe(3);
    }
    const job = await backend.queue(name("t5-base")).getJob("t0");
    expect(job?.data.spec).toEqual({ i: 0 });
    expect(job?.opts.priority).toBe(1);
  });

  it("processes jobs in a sandboxed worker thread that is reused across jobs (module cache survives)", async () => {
    const backend = open();
    const queue = uniq("reuse");
    const trials = Array.from({ length: 4 }, (_, i) => ({ sweepId: "s", trialId: `r${i}`, model: "m", spec: { key: "engine" } }));
    await addTrialJobs(backend, trials, () => queue);
    const worker = backend.worker(queue, path.join(fixtures, "ts-processor.mjs"), fast);
    const results: { threadId?: number; metrics?: Record<string, number> }[] = [];
    worker.on("completed", (_job, r) => void results.push(r));
    await waitFor("4 completed jobs", async () => results.length === 4, 60_000);
    expect(new Set(results.map((r) => r.threadId)).size).toBe(1);
    expect(results.map((r) => r.metrics?.uses).sort()).toEqual([1, 2, 3, 4]);
  });

  it("a job that blocks its thread longer than lockDuration completes exactly once (two workers)", async () => {
    const backend = open();
    const queue = uniq("block");
    const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), "ptune-q-")), "runs.log");
    writeFileSync(logFile, "");
    await addTrialJobs(backend, [{ sweepId: "s", trialId: "slow", model: "m", spec: { blockMs: 4_000, logFile } }], () => queue);
    const tuning = { concurrency: 1, lockDuration: 1_500, stalledInterval: 750 };
    const workers = [backend.worker(queue, path.join(fixtures, "busy-processor.mjs"), tuning), backend.worker(queue, path.join(fixtures, "busy-processor.mjs"), tuning)];
    let completed = 0;
    const errors: string[] = [];
    for (const w of workers) {
      w.on("completed", () => void completed++);
      w.on("failed", (_j, e) => void errors.push(e.message));
    }
    await waitFor("completion", async () => completed > 0, 30_000);
    await new Promise((r) => setTimeout(r, 3_000)); // a stalled re-run would show up here
    expect(errors).toEqual([]);
    expect(completed).toBe(1);
    expect(readFileSync(logFile, "utf8").trim().split("\n")).toHaveLength(1);
  });
});
