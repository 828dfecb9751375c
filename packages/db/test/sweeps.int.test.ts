import { describe, expect, it } from "vitest";
import {
  cancelSweep,
  claimAttempt,
  FencedWriter,
  getTrial,
  listSweeps,
  NotFoundError,
  retryFailed,
  sweepStatus,
  trialsOfSweep,
  trialStates,
  upsertSweep,
  type Db,
} from "../src/index.ts";
import { trial, useFreshDb } from "./helpers.ts";

let db: Db;
useFreshDb("sweeps", (d) => {
  db = d;
});

const count = async (table: string) => Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

describe("upsertSweep", () => {
  const trials = [trial({ id: "a1", seed: 0 }), trial({ id: "a2", seed: 1 }), trial({ id: "a3", seed: 2, size: "base", model: "t5-base" })];

  it("is idempotent: a re-delivered submission adds no rows", async () => {
    const first = await upsertSweep(db, { name: "alpha", yaml: "name: alpha\n", trials });
    expect(first).toMatchObject({ sweepCreated: true, created: 3, existing: 0 });
    const again = await upsertSweep(db, { name: "alpha", yaml: "name: alpha\n", trials });
    expect(again).toMatchObject({ sweepId: first.sweepId, sweepCreated: false, created: 0, existing: 3 });
    expect(await count("sweeps")).toBe(1);
    expect(await count("trials")).toBe(3);
    expect(await count("sweep_trials")).toBe(3);
    const t = await getTrial(db, "a3");
    expect(t).toMatchObject({ size: "base", model: "t5-base", params: 60_000_000, state: "queued", attempts: 0, currentAttempt: 0, config: { lr: 0.3 } });
  });

  it("shares trials between overlapping sweeps", async () => {
    const beta = await upsertSweep(db, { name: "beta", yaml: "name: beta\n", trials: [trials[1]!, trials[2]!, trial({ id: "b1", seed: 7 })] });
    expect(beta).toMatchObject({ sweepCreated: true, created: 1, existing: 2 });
    expect(await count("trials")).toBe(4);
    expect((await trialsOfSweep(db, "beta")).map((t) => t.id)).toEqual(["a2", "a3", "b1"]);
    expect((await trialsOfSweep(db, "alpha")).map((t) => t.id)).toEqual(["a1", "a2", "a3"]);
  });

  it("names the bad field of an invalid trial", async () => {
    await expect(upsertSweep(db, { name: "bad", yaml: "", trials: [{ ...trial({ id: "x" }), seed: 1.5 }] })).rejects.toThrow(/upsertSweep: field 'trials\.0\.seed'/);
    expect(await count("sweeps")).toBe(2); // nothing written
  });
});

describe("status, cancel, retry", () => {
  it("counts trials per size, task and state", async () => {
    const s = await sweepStatus(db, "alpha");
    expect(s.totals).toEqual({ queued: 3, running: 0, completed: 0, failed: 0, cancelled: 0 });
    expect(s.groups).toEqual([
      { size: "base", task: "rte", state: "queued", n: 1 },
      { size: "small", task: "rte", state: "queued", n: 2 },
    ]);
    const list = await listSweeps(db);
    expect(list.map((x) => [x.name, x.trials, x.counts.queued])).toEqual([
      ["beta", 3, 3],
      ["alpha", 3, 3],
    ]);
    await expect(sweepStatus(db, "nope")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("cancelling a sweep spares trials another active sweep still needs", async () => {
    const { cancelled } = await cancelSweep(db, "alpha");
    expect(cancelled).toEqual(["a1"]); // a2, a3 are also in the active sweep beta
    expect((await getTrial(db, "a1"))!.state).toBe("cancelled");
    expect((await getTrial(db, "a2"))!.state).toBe("queued");
    expect((await listSweeps(db)).find((s) => s.name === "alpha")!.state).toBe("cancelled");
  });

  it("trialStates maps each trial of a sweep to its state", async () => {
    const states = await trialStates(db, "alpha");
    expect([...states.entries()].sort()).toEqual([
      ["a1", "cancelled"],
      ["a2", "queued"],
      ["a3", "queued"],
    ]);
    await expect(trialStates(db, "nope")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("retryFailed requeues only the failed trials of the sweep", async () => {
    const { attempt } = await claimAttempt(db, "b1", "w1");
    await new FencedWriter(db, "b1", attempt).finish({ state: "failed", error: "NaN loss at step 3" });
    expect((await getTrial(db, "b1"))!).toMatchObject({ state: "failed", error: "NaN loss at step 3" });
    const retried = await retryFailed(db, "beta");
    expect(retried.map((t) => t.id)).toEqual(["b1"]);
    expect((await getTrial(db, "b1"))!).toMatchObject({ state: "queued", error: null, attempts: 1 });
    expect(await retryFailed(db, "beta")).toEqual([]);
  });
});
