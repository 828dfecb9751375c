import { describe, expect, it } from "vitest";
import { configScores, trialBest, upsertSweep, type Db, type TrialInput } from "../src/index.ts";
import { trial, useFreshDb } from "./helpers.ts";

let db: Db;

const MODELS = [
  { model: "t5-small", size: "small", params: 60_506_624 },
  { model: "t5-base", size: "base", params: 222_903_552 },
];
const id = (m: string, task: string, pl: number, init: string, seed: number) => `${m}|${task}|${pl}|${init}|${seed}`;
/** A deterministic, irregular score per trial so means and deviations are not trivial. */
const scoreOf = (tid: string) => {
  let h = 2166136261;
  for (const ch of tid) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return 50 + (h % 5000) / 100;
};

const sgTrials: TrialInput[] = [];
for (const m of MODELS)
  for (const task of ["rte", "cb", "boolq", "sst2"])
    for (const seed of [0, 1, 2]) sgTrials.push(trial({ id: id(m.model, task, 100, "class", seed), ...m, task, seed }));
const ablTrials: TrialInput[] = [];
for (const pl of [1, 20, 100])
  for (const init of ["class", "random"])
    for (const seed of [0, 1]) ablTrials.push(trial({ id: id("t5-small", "rte", pl, init, seed), ...MODELS[0]!, task: "rte", promptLength: pl, init, seed }));

// Trials that must NOT count: one failed (base boolq seed 2: also drops base's SuperGLUE score
// for seed 2), one still queued.
const FAILED = id("t5-base", "boolq", 100, "class", 2);
const QUEUED = id("t5-small", "sst2", 100, "class", 0);

useFreshDb("views", async (d) => {
  db = d;
  await upsertSweep(db, { name: "sg", yaml: "", trials: sgTrials });
  await upsertSweep(db, { name: "abl", yaml: "", trials: ablTrials });
  const all = [...new Set([...sgTrials, ...ablTrials].map((t) => t.id))];
  for (const tid of all) {
    if (tid === QUEUED) continue;
    if (tid === FAILED) await db.pool.query("UPDATE trials SET state = 'failed', best_score = 99, best_step = 5 WHERE id = $1", [tid]);
    else await db.pool.query("UPDATE trials SET state = 'completed', metric = 'accuracy', best_score = $2, best_step = 100 WHERE id = $1", [tid, scoreOf(tid)]);
  }
});

function stats(xs: number[]) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const stddev = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : null;
  return { mean, stddev, n };
}
function expectStats(row: { mean: number; stddev: number | null; n: number }, want: ReturnType<typeof stats>) {
  expect(row.n).toBe(want.n);
  expect(row.mean).toBeCloseTo(want.mean, 9);
  if (want.stddev === null) expect(row.stddev).toBeNull();
  else expect(row.stddev).toBeCloseTo(want.stddev, 9);
}
const done = (ts: TrialInput[]) => ts.filter((t) => t.id !== FAILED && t.id !== QUEUED);

describe("views", () => {
  it("trial_best lists every (sweep, trial), shared trials under both sweeps", async () => {
    const rows = await trialBest(db);
    expect(rows).toHaveLength(sgTrials.length + ablTrials.length);
    const shared = rows.filter((r) => r.trial_id === id("t5-small", "rte", 100, "class", 0));
    expect(shared.map((r) => r.sweep_name).sort()).toEqual(["abl", "sg"]);
    expect(shared[0]).toMatchObject({ task: "rte", method: "prompt", model: "t5-small", params: 60_506_624, prompt_length: 100, init: "class", seed: 0, state: "completed", metric: "accuracy", best_step: 100 });
    expect((await trialBest(db, { sweep: "abl" })).every((r) => r.sweep_name === "abl")).toBe(true);
  });

  it("config_scores: mean/stddev/n over seeds of completed trials, plus the SuperGLUE average", async () => {
    const rows = await configScores(db, { sweep: "sg" });
    for (const m of MODELS) {
      for (const task of ["rte", "cb", "boolq", "sst2"]) {
        const xs = done(sgTrials.filter((t) => t.model === m.model && t.task === task)).map((t) => scoreOf(t.id));
        const row = rows.find((r) => r.model === m.model && r.task === task)!;
        expect(row).toMatchObject({ sweep_name: "sg", sweep_version: 1, latest: true, method: "prompt", params: m.params, prompt_length: 100, init: "class" });
        expectStats(row, stats(xs));
      }
      // SuperGLUE score per seed = mean over the sweep's SuperGLUE tasks (sst2 is GLUE).
      const perSeed = [0, 1, 2]
        .filter((seed) => !(m.model === "t5-base" && seed === 2))
        .map((seed) => stats(["rte", "cb", "boolq"].map((task) => scoreOf(id(m.model, task, 100, "class", seed)))).mean);
      const sg = rows.find((r) => r.model === m.model && r.task === "superglue")!;
      expectStats(sg, stats(perSeed));
    }
    expect(rows).toHaveLength(MODELS.length * 5);
    expect(rows.find((r) => r.model === "t5-base" && r.task === "superglue")!.n).toBe(2);
  });

  it("config_scores never pools: one row per (prompt length, init), each over exactly its seeds", async () => {
    const rows = (await configScores(db, { sweep: "abl" })).filter((r) => r.task === "rte");
    expect(rows.map((r) => `${r.prompt_length}/${r.init}`)).toEqual(["1/class", "1/random", "20/class", "20/random", "100/class", "100/random"]);
    for (const r of rows) {
      const mine = ablTrials.filter((t) => t.promptLength === r.prompt_length && t.init === r.init);
      expect(mine).toHaveLength(2);
      expectStats(r, stats(mine.map((t) => scoreOf(t.id))));
    }
    // the same rows computed by SQL over exactly each configuration's trials
    const { rows: sql } = await db.pool.query(
      `SELECT t.prompt_length, t.init, avg(t.best_score) AS mean, count(*)::int AS n FROM sweeps s
       JOIN sweep_trials st ON st.sweep_id = s.id JOIN trials t ON t.id = st.trial_id
       WHERE s.name = 'abl' AND t.state = 'completed' GROUP BY 1, 2`,
    );
    expect(sql).toHaveLength(rows.length);
    for (const q of sql) expect(rows.find((r) => r.prompt_length === q.prompt_length && r.init === q.init)!.mean).toBeCloseTo(q.mean, 9);
  });

  it("a new sweep version gets its own rows; latestOnly and name@version pick them", async () => {
    const v2 = ablTrials.filter((t) => t.promptLength === 100);
    await upsertSweep(db, { name: "ver", yaml: "", trials: v2.filter((t) => t.seed === 0), spec: { grid: { seed: [0] } } });
    const up = await upsertSweep(db, { name: "ver", yaml: "", trials: v2, spec: { grid: { seed: [0, 1] } }, newVersion: true });
    expect(up.version).toBe(2);
    const latest = await configScores(db, { sweep: "ver" });
    expect(new Set(latest.map((r) => r.sweep_version))).toEqual(new Set([2]));
    expect(latest.find((r) => r.task === "rte" && r.init === "class")!.n).toBe(2);
    const old = await configScores(db, { sweep: "ver@1" });
    expect(old.every((r) => r.sweep_version === 1 && !r.latest)).toBe(true);
    expect(old.find((r) => r.task === "rte" && r.init === "class")!.n).toBe(1);
    const all = await trialBest(db, { latestOnly: true });
    expect(all.filter((r) => r.sweep_name === "ver").every((r) => r.sweep_version === 2)).toBe(true);
  });
});
