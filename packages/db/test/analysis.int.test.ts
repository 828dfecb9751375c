// Writes of the post-training analyses (src/analysis.ts): one ensemble row per configuration,
// the trial's metric name for derived scores, result merges, trial id prefixes.
import { describe, expect, it } from "vitest";
import { ensembleCandidates, ensembleEvaluations, getTrial, mergeTrialResult, resolveTrialId, upsertSweep, writeEnsembleEvaluation, type Db } from "../src/index.ts";
import { trial, useFreshDb } from "./helpers.ts";

let db: Db;
const ids = ["an-1", "an-2", "an-3", "an_4"];

useFreshDb("analysis", async (d) => {
  db = d;
  await upsertSweep(db, { name: "a", yaml: "", trials: ids.map((id, seed) => trial({ id, seed, method: "prompt_tuning", promptLength: seed === 3 ? 5 : 100 })) });
  await db.pool.query("UPDATE trials SET state = 'completed', metric = 'mean(em,f1)', best_score = 50, result = '{\"state\":\"completed\",\"step\":7}' WHERE id <> 'an-3'");
  await db.pool.query("INSERT INTO checkpoints (trial_id, kind, step, attempt, state) SELECT id, 'best', 1, 1, '\\x00' FROM trials WHERE id <> 'an-2'");
});

describe("analysis writes", () => {
  it("ensembleCandidates: completed prompt-tuning trials with a best checkpoint, by seed", async () => {
    expect((await ensembleCandidates(db, { sweep: "a", model: "small", task: "rte" })).map((t) => t.id)).toEqual(["an-1", "an_4"]);
    expect((await ensembleCandidates(db, { sweep: "a", model: "t5-small", task: "rte", promptLength: 100 })).map((t) => t.id)).toEqual(["an-1"]);
    expect(await ensembleCandidates(db, { sweep: "a", model: "t5-small", task: "cb" })).toEqual([]);
  });

  it("writeEnsembleEvaluation: one row on the configuration's lowest id, the derived metric name added", async () => {
    const w = await writeEnsembleEvaluation(db, { members: ["an-2"], configuration: ["an-2", "an-1"], metrics: { em: 40, f1: 60 } });
    expect(w).toMatchObject({ trialId: "an-1", changed: true, metrics: { em: 40, f1: 60, "mean(em,f1)": 50, members: 1 } });
    expect((await writeEnsembleEvaluation(db, { members: ["an-2"], configuration: ["an-1", "an-2"], metrics: { em: 40, f1: 60 } })).changed).toBe(false);
    // an older row on another trial of the configuration goes away
    await db.pool.query("INSERT INTO evaluations (trial_id, split, step, metrics) VALUES ('an-2', 'ensemble', 0, '{}')");
    await writeEnsembleEvaluation(db, { members: ["an-1", "an-2"], metrics: { em: 30, f1: 50 } });
    expect(await ensembleEvaluations(db, ids)).toEqual([{ trialId: "an-1", split: "ensemble", step: 0, metrics: { em: 30, f1: 50, "mean(em,f1)": 40, members: 2 } }]);
    await expect(writeEnsembleEvaluation(db, { members: ["nope"], metrics: { em: 1 } })).rejects.toThrow(/no trial 'nope'/);
    await expect(writeEnsembleEvaluation(db, { members: [], metrics: {} })).rejects.toThrow(/field 'members'/);
  });

  it("mergeTrialResult keeps the trainer's result and refuses unfinished trials", async () => {
    await mergeTrialResult(db, "an-1", { neighbours: [[{ token: "a" }]] });
    await mergeTrialResult(db, "an-1", { neighbours: [[{ token: "b" }]] });
    expect((await getTrial(db, "an-1"))!.result).toEqual({ state: "completed", step: 7, neighbours: [[{ token: "b" }]] });
    await expect(mergeTrialResult(db, "an-3", { neighbours: [] })).rejects.toThrow(/is queued/);
    await expect(mergeTrialResult(db, "zz", { neighbours: [] })).rejects.toThrow(/no trial 'zz'/);
  });

  it("resolveTrialId: full id, unique prefix, LIKE wildcards taken literally", async () => {
    expect(await resolveTrialId(db, "an-2")).toBe("an-2");
    expect(await resolveTrialId(db, "an_")).toBe("an_4");
    await expect(resolveTrialId(db, "an-")).rejects.toThrow(/ambiguous \(an-1, an-2, an-3\)/);
    await expect(resolveTrialId(db, "b")).rejects.toThrow(/no trial 'b'/);
  });
});
