// The daemon's stop protocol on both backends, with a processor that honours its AbortSignal:
// a running job is released back to `wait` (not failed, no attempt spent) and another worker
// finishes it; the heartbeat reports running trials.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createBackend } from "../src/backend.ts";
import { addTrialJobs } from "../src/enqueue-jobs.ts";
import { startWorker, type DaemonHeartbeat } from "../src/worker-daemon.ts";
import { testDatabaseUrl } from "../../../tooling/test-env.ts";
import { isolatedBackend, uniq, waitFor } from "./helpers.ts";

const processorFile = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "release-processor.mjs");

describe.each(["redis", "postgres"] as const)("worker daemon on %s", (kind) => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.reverse()) await f();
    cleanup = [];
  });

  it("stop() releases the running trial to wait; the next worker completes it", async () => {
    const iso = isolatedBackend(kind);
    const backend = createBackend(iso.config);
    cleanup.push(() => iso.drop(), () => backend.close());
    const size = uniq("size");
    const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), "ptune-d-")), "log");
    writeFileSync(logFile, "");
    await addTrialJobs(backend, [{ sweepId: "s", trialId: "long", model: size, spec: { logFile, steps: 40 } }], (m) => m);
    const beats: DaemonHeartbeat[] = [];
    const common = { backend, databaseUrl: testDatabaseUrl, sizes: [size], device: "cpu" as const, concurrency: 1, cacheDir: os.tmpdir(), processorFile, heartbeatMs: 200 };
    const first = startWorker({ ...common, workerId: "w1", heartbeat: async (hb) => void beats.push(hb) });
    await waitFor("the trial to start", async () => readFileSync(logFile, "utf8").includes("started"), 20_000);
    await waitFor("a heartbeat listing it", async () => beats.some((b) => b.running.includes("long")), 5_000);
    const t0 = Date.now();
    await first.stop();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(beats.at(-1)?.state).toBe("stopped");
    const queue = backend.queue(first.queues[0]);
    expect(await queue.getJobState("long")).toBe("waiting");
    const job = await queue.getJob("long");
    expect(job?.attemptsMade).toBe(0);
    expect(await queue.getFailedCount()).toBe(0);

    const second = startWorker({ ...common, workerId: "w2" });
    cleanup.push(() => second.stop());
    await waitFor("completion on the second worker", async () => (await queue.getJobState("long")) === "completed", 20_000);
    const done = await queue.getJob("long");
    expect(done?.returnvalue).toMatchObject({ outcome: "completed", step: 40 });
    expect(readFileSync(logFile, "utf8").trim().split("\n")).toHaveLength(2);
  });
});
