import { describe, expect, it } from "vitest";
import {
  attemptsOfTrial,
  claimAttempt,
  FencedWriter,
  getTrial,
  loadBestCheckpoint,
  loadLatestCheckpoint,
  runningProgress,
  StaleAttemptError,
  TrialClosedError,
  upsertSweep,
  type Db,
} from "../src/index.ts";
import { trial, useFreshDb } from "./helpers.ts";

let db: Db;
useFreshDb("fencing", async (d) => {
  db = d;
  await upsertSweep(db, {
    name: "f",
    yaml: "",
    trials: [trial({ id: "t1" }), trial({ id: "t2" }), trial({ id: "t3" }), trial({ id: "t4", config: { training: { steps: 100, batchSize: 8 } } }), trial({ id: "t5" })],
  });
});

const rows = async (sql: string, args: unknown[] = []) => (await db.pool.query(sql, args)).rows;
const bytes = (...v: number[]) => new Uint8Array(v);

describe("fencing", () => {
  it("refuses every write of attempt 1 once attempt 2 is claimed, and writes nothing", async () => {
    const a1 = await claimAttempt(db, "t1", "worker-a");
    expect(a1).toEqual({ attempt: 1, resumeFrom: null });
    const w1 = new FencedWriter(db, "t1", a1.attempt);
    expect(await w1.steps([{ step: 1, name: "loss", value: 2.5 }])).toBe(1);
    await w1.saveCheckpoint(bytes(1, 1), { step: 1, best: false });

    const a2 = await claimAttempt(db, "t1", "worker-b");
    expect(a2.attempt).toBe(2);
    expect(a2.resumeFrom).toMatchObject({ step: 1, attempt: 1, kind: "latest", state: bytes(1, 1) });

    const stale = [
      () => w1.steps([{ step: 2, name: "loss", value: 2.0 }]),
      () => w1.evaluation({ split: "dev", step: 2, metrics: { accuracy: 90 } }),
      () => w1.saveCheckpoint(bytes(9, 9), { step: 2, best: true }),
      () => w1.finish({ state: "completed", result: { stale: true } }),
    ];
    for (const write of stale) {
      const e = await write().then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(StaleAttemptError);
      expect(e).toMatchObject({ trialId: "t1", attempt: 1, current: 2, reason: "superseded" });
    }
    expect(await rows("SELECT step FROM step_metrics WHERE trial_id = 't1' ORDER BY step")).toEqual([{ step: 1 }]);
    expect(await rows("SELECT count(*)::int AS n FROM evaluations WHERE trial_id = 't1'")).toEqual([{ n: 0 }]);
    expect((await loadLatestCheckpoint(db, "t1"))!.state).toEqual(bytes(1, 1));
    expect(await loadBestCheckpoint(db, "t1")).toBeNull();
    expect(await getTrial(db, "t1")).toMatchObject({ state: "running", result: null, bestScore: null, attempts: 2, currentAttempt: 2 });
    expect((await attemptsOfTrial(db, "t1")).map((a) => [a.number, a.workerId, a.outcome])).toEqual([
      [1, "worker-a", "superseded"],
      [2, "worker-b", "running"],
    ]);

    // The current attempt writes normally.
    const w2 = new FencedWriter(db, "t1", 2);
    expect(await w2.steps([{ step: 2, name: "loss", value: 1.5 }])).toBe(1);
  });

  it("skips a re-delivered metric batch (no duplicates), keeps new rows of a partly new batch", async () => {
    const { attempt } = await claimAttempt(db, "t2", "w");
    const w = new FencedWriter(db, "t2", attempt);
    const batch = Array.from({ length: 50 }, (_, i) => [
      { step: i, name: "loss", value: 1 / (i + 1) },
      { step: i, name: "lr", value: 0.3 },
    ]).flat();
    expect(await w.steps(batch)).toBe(100);
    expect(await w.steps(batch)).toBe(0);
    expect(await w.steps([...batch.slice(0, 10), { step: 50, name: "loss", value: NaN }])).toBe(1);
    expect(await rows("SELECT count(*)::int AS n FROM step_metrics WHERE trial_id = 't2'")).toEqual([{ n: 101 }]);
    expect(await rows("SELECT value FROM step_metrics WHERE trial_id = 't2' AND step = 50")).toEqual([{ value: NaN }]);
    await expect(w.steps([{ step: -1, name: "loss", value: 1 }])).rejects.toThrow(/row 0 must be/);
  });

  it("keeps exactly the latest and the best checkpoint; tracks the best dev score", async () => {
    const w = new FencedWriter(db, "t2", 1);
    for (const [step, acc] of [[10, 60], [20, 75], [30, 70], [40, 75]] as const) {
      const { improved } = await w.evaluation({ split: "dev", step, metrics: { accuracy: acc } });
      await w.saveCheckpoint(bytes(step), { step, best: improved });
    }
    expect(await rows("SELECT kind::text, step FROM checkpoints WHERE trial_id = 't2' ORDER BY kind")).toEqual([
      { kind: "best", step: 20 },
      { kind: "latest", step: 40 },
    ]);
    expect((await loadBestCheckpoint(db, "t2"))!.state).toEqual(bytes(20));
    expect(await getTrial(db, "t2")).toMatchObject({ metric: "accuracy", bestScore: 75, bestStep: 20 });

    // A re-delivered older save does not roll the latest checkpoint back.
    await w.saveCheckpoint(bytes(10), { step: 10, best: false });
    expect((await loadLatestCheckpoint(db, "t2"))!.step).toBe(40);
    // Re-delivered evaluation: one row per (trial, split, step).
    await w.evaluation({ split: "dev", step: 20, metrics: { accuracy: 75 } });
    await w.evaluation({ split: "test", step: 20, metrics: { accuracy: 74 } });
    expect(await rows("SELECT split, step FROM evaluations WHERE trial_id = 't2' AND step = 20 ORDER BY split")).toEqual([
      { split: "dev", step: 20 },
      { split: "test", step: 20 },
    ]);
  });

  it("finish is idempotent and closes the trial to new claims", async () => {
    const w = new FencedWriter(db, "t2", 1);
    expect(await w.finish({ state: "completed", result: { best: 75 } })).toBe(true);
    expect(await w.finish({ state: "completed", result: { best: 0 } })).toBe(false);
    expect(await getTrial(db, "t2")).toMatchObject({ state: "completed", result: { best: 75 } });
    expect((await attemptsOfTrial(db, "t2"))[0]).toMatchObject({ outcome: "completed" });
    expect((await attemptsOfTrial(db, "t2"))[0]!.endedAt).toBeInstanceOf(Date);
    await expect(claimAttempt(db, "t2", "w")).rejects.toBeInstanceOf(TrialClosedError);
  });

  it("serialises concurrent claims: every claim gets its own token", async () => {
    const claims = await Promise.all(Array.from({ length: 5 }, (_, i) => claimAttempt(db, "t3", `w${i}`)));
    expect(claims.map((c) => c.attempt).sort()).toEqual([1, 2, 3, 4, 5]);
    const current = (await getTrial(db, "t3"))!.currentAttempt;
    expect(current).toBe(5);
    const results = await Promise.allSettled(claims.map((c) => new FencedWriter(db, "t3", c.attempt).steps([{ step: c.attempt, name: "loss", value: 1 }])));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await rows("SELECT step FROM step_metrics WHERE trial_id = 't3'")).toEqual([{ step: 5 }]);
  });

  it("runningProgress reports the latest step's loss and rate of running trials", async () => {
    const { attempt } = await claimAttempt(db, "t4", "w");
    const before = (await runningProgress(db, "f")).find((p) => p.trialId === "t4")!;
    expect(before).toMatchObject({ step: 0, total: 100, loss: null, etaSeconds: null });
    await new FencedWriter(db, "t4", attempt).steps([
      { step: 10, name: "loss", value: 3 },
      { step: 10, name: "examples_per_sec", value: 16 },
      { step: 20, name: "loss", value: 2 },
      { step: 20, name: "examples_per_sec", value: 32 },
    ]);
    const p = (await runningProgress(db, "f")).find((x) => x.trialId === "t4")!;
    // 32 ex/s at batch 8 = 4 steps/s; 80 steps left -> 20 s.
    expect(p).toMatchObject({ step: 20, total: 100, loss: 2, examplesPerSec: 32, batchSize: 8, etaSeconds: 20 });
  });

  it("release hands a running trial back to the queue; the released attempt can write nothing more", async () => {
    const a1 = await claimAttempt(db, "t5", "w-old");
    const w1 = new FencedWriter(db, "t5", a1.attempt);
    await w1.saveCheckpoint(bytes(7), { step: 7, best: false });
    expect(await w1.release()).toBe(true);
    expect(await getTrial(db, "t5")).toMatchObject({ state: "queued", currentAttempt: 1 });
    expect((await attemptsOfTrial(db, "t5"))[0]).toMatchObject({ number: 1, outcome: "superseded" });
    expect((await attemptsOfTrial(db, "t5"))[0]!.endedAt).toBeInstanceOf(Date);
    expect(await w1.release()).toBe(false); // re-delivered: nothing left to release
    await expect(w1.steps([{ step: 8, name: "loss", value: 1 }])).rejects.toMatchObject({ reason: "requeued" });
    await expect(w1.finish({ state: "completed" })).rejects.toMatchObject({ reason: "requeued" });

    // The next claim resumes from the released attempt's checkpoint; the old token stays fenced.
    const a2 = await claimAttempt(db, "t5", "w-new");
    expect(a2).toMatchObject({ attempt: 2, resumeFrom: { step: 7, attempt: 1 } });
    expect(await w1.release()).toBe(false);
    expect(await getTrial(db, "t5")).toMatchObject({ state: "running", currentAttempt: 2 });
    // A release of a trial that is no longer running (finished) changes nothing.
    const w2 = new FencedWriter(db, "t5", 2);
    await w2.finish({ state: "completed" });
    expect(await w2.release()).toBe(false);
    expect((await getTrial(db, "t5"))!.state).toBe("completed");
  });
});
