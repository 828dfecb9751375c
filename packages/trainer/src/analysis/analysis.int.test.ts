// The analyses of issue #6 against a real Postgres (a throwaway database, migrated) holding three
// prompt-tuning trials REALLY trained with runTrial on the fixture model (real onnxruntime), their
// checkpoints and evaluations written through @ptune/db's FencedWriter as the worker writes them.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  claimAttempt,
  dropDatabase,
  ensembleEvaluations,
  ensureDatabase,
  FencedWriter,
  getTrial,
  loadBestCheckpoint,
  migrate,
  openDb,
  upsertSweep,
  type Db,
} from "@ptune/db";
import { loadReportInput } from "@ptune/report";
import { T5Engine, T5Tokenizer } from "@ptune/t5";
import { syntheticTask } from "@ptune/tasks";
import { fixtureModel, testDatabaseUrl } from "../../../../tooling/test-env.ts";
import { majorityVote } from "../ensemble.ts";
import { makeDevSet, predictGreedy } from "../evaluate.ts";
import { nearestNeighbours } from "../neighbours.ts";
import { runTrial } from "../run-trial.ts";
import { serializeTrainState } from "../train-state.ts";
import { ensembleFromDatabase, type ClosableEngine } from "./ensemble-from-db.ts";
import { neighboursFromDatabase } from "./neighbours-from-db.ts";
import { exportTrialPrompt, importPrompt } from "./prompt-files.ts";
import { promptFromState } from "./stored-trial.ts";

const modelDir = fixtureModel("v1_1");
const SWEEP = "analysis";
const DEV = 16; // synthetic dev examples (data seed 0), as the worker would generate them with dev: 16
const { task, train, dev } = syntheticTask({ seed: 0, train: 64, dev: DEV });
const tok = T5Tokenizer.fromDir(modelDir);

/** A stored trial config exactly as @ptune/queue writes `trials.config` (the sweep's Trial). */
function trialConfig(id: string, seed: number) {
  return {
    id,
    sweepName: SWEEP,
    model: { name: "tiny", checkpoint: modelDir, gpuMemoryGb: 1 },
    task: { name: "synthetic" },
    method: "prompt_tuning",
    promptLength: 4,
    init: "sampled_vocab",
    seed,
    training: { optimizer: "adafactor", lr: 0.3, weightDecay: 1e-5, decayRate: 0.8, parameterScaling: false, batchSize: 8, steps: 6, schedule: "constant", evalEvery: 3, checkpointEvery: 3, maxInputLength: 32, maxTargetLength: 4, earlyStopping: { metric: null, patience: null } },
    priority: 100,
  };
}
const SEEDS = [0, 1, 2];
// Ids sort against seed order (seed 2 lowest), so an ensemble of the first K=2 seeds does NOT
// contain the configuration's lowest id: its row must still land there (one row per configuration).
const ids = SEEDS.map((s) => `ana-${"cba"[s]}-${randomBytes(3).toString("hex")}`);

let url: string;
let db: Db;
let engine: T5Engine;
/** The test's engine, lent to ensembleFromDatabase without being closed by it. */
const shared = async (): Promise<ClosableEngine> =>
  new Proxy(engine, {
    get(t, p) {
      if (p === "close") return async () => undefined;
      const v = Reflect.get(t, p, t);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });

beforeAll(async () => {
  const u = new URL(testDatabaseUrl);
  u.pathname = `/ptune_analysis_${process.pid}_${randomBytes(3).toString("hex")}`;
  url = u.toString();
  await ensureDatabase(url);
  await migrate(url);
  db = openDb(url, { max: 4 });
  engine = await T5Engine.open(modelDir, { threads: 1 });
  await upsertSweep(db, {
    name: SWEEP,
    yaml: "",
    trials: ids.map((id, i) => ({ id, model: "tiny", size: "tiny", task: "synthetic", method: "prompt_tuning", promptLength: 4, init: "sampled_vocab", seed: SEEDS[i]!, params: 0, metric: null, config: trialConfig(id, SEEDS[i]!) })),
  });
  // Train each trial as the worker does (packages/queue runtime-ptune.ts): claim, fenced store/sink, finish.
  for (const [i, id] of ids.entries()) {
    const claim = await claimAttempt(db, id, "test-worker");
    const w = new FencedWriter(db, id, claim.attempt);
    const r = await runTrial(
      { trial_id: id, task: "synthetic", model: "tiny", prompt_length: 4, init: "sampled_vocab", seed: SEEDS[i]!, steps: 6, batch_size: 8, eval_every: 3, checkpoint_every: 3, max_input_length: 32, max_target_length: 4 },
      {
        engine,
        tokenizer: tok,
        data: { train, dev },
        task,
        store: { latest: async () => null, save: (s, o) => w.saveCheckpoint(serializeTrainState(s), { step: s.step, best: o.best }) },
        sink: { steps: async (rows) => void (await w.steps(rows)), evaluation: async (e) => void (await w.evaluation(e)) },
      },
    );
    expect(r.state).toBe("completed");
    await w.finish({ state: r.state, result: r, best: r.best ? { metric: r.best.metric, score: r.best.score, step: r.best.step } : null });
  }
});

afterAll(async () => {
  await engine?.close();
  await db?.close();
  if (url) await dropDatabase(url);
});

const bestPrompt = async (id: string) => promptFromState((await loadBestCheckpoint(db, id))!.state, id);

describe("ensembleFromDatabase (paper Table 3)", () => {
  it("votes the K best prompts in one pass, equals the majority of the single prompts, stores ONE row the report reads", async () => {
    const rep = await ensembleFromDatabase(db, { sweep: SWEEP, model: "tiny", task: "synthetic", promptLength: 4, synthetic: { dev: DEV }, threads: 1 });
    expect(rep.members.map((m) => m.seed)).toEqual(SEEDS);
    expect(rep.devExamples).toBe(DEV);

    // The same prompts one at a time (predictGreedy), then the vote per example.
    const devSet = makeDevSet({ examples: dev, tokenizer: tok, task, limits: { maxInputLength: 32, maxTargetLength: 4 }, batchSize: 32 });
    const single: string[][] = [];
    for (const id of ids) single.push(await predictGreedy(engine, devSet, await bestPrompt(id)));
    expect(rep.result.predictions).toEqual(dev.map((_, i) => majorityVote(single.map((p) => p[i]!))));
    expect(rep.result.perPrompt).toEqual(single.map((p) => task.score(p, dev)));
    expect(rep.result.ensemble).toEqual(task.score(rep.result.predictions, dev));
    expect(rep.table).toEqual([{ metric: "accuracy", average: rep.result.average.accuracy, best: rep.result.best.accuracy, ensemble: rep.result.ensemble.accuracy }]);
    expect(rep.table[0]!.best).toBe(Math.max(...rep.result.perPrompt.map((m) => m.accuracy!)));

    const anchor = [...ids].sort()[0]!;
    expect(rep.stored).toMatchObject({ trialId: anchor, split: "ensemble", step: 0, changed: true });
    const rows = await ensembleEvaluations(db, ids);
    expect(rows).toEqual([{ trialId: anchor, split: "ensemble", step: 0, metrics: { accuracy: rep.result.ensemble.accuracy, members: 3 } }]);

    // @ptune/report's Table 3 source sees exactly this ensemble.
    const input = await loadReportInput(db, SWEEP);
    expect(input.ensembles).toEqual([expect.objectContaining({ task: "synthetic", model: "tiny", prompt_length: 4, init: "sampled_vocab", metric: "accuracy", score: rep.result.ensemble.accuracy, members: 3 })]);
  });

  it("is idempotent: a re-run (and a smaller K) leaves one row for the configuration", async () => {
    const again = await ensembleFromDatabase(db, { sweep: SWEEP, model: "tiny", task: "synthetic", synthetic: { dev: DEV }, openEngine: shared });
    expect(again.stored?.changed).toBe(false);
    expect(await ensembleEvaluations(db, ids)).toHaveLength(1);
    const two = await ensembleFromDatabase(db, { sweep: SWEEP, model: "tiny", task: "synthetic", k: 2, synthetic: { dev: DEV }, openEngine: shared });
    expect(two.members.map((m) => m.seed)).toEqual([0, 1]);
    const rows = await ensembleEvaluations(db, ids);
    expect(rows).toEqual([{ trialId: ids[2], split: "ensemble", step: 0, metrics: { accuracy: two.result.ensemble.accuracy, members: 2 } }]);
  });

  it("names what is missing", async () => {
    await expect(ensembleFromDatabase(db, { sweep: SWEEP, model: "tiny", task: "synthetic", k: 5, openEngine: shared })).rejects.toThrow(/asked for 5 prompts but .* only 3/);
    await expect(ensembleFromDatabase(db, { sweep: SWEEP, model: "tiny", task: "synthetic", promptLength: 7, openEngine: shared })).rejects.toThrow(/no completed prompt-tuning trials .* prompt length 7/);
    await expect(ensembleFromDatabase(db, { sweep: "nope", model: "tiny", task: "synthetic", openEngine: shared })).rejects.toThrow(/no sweep named 'nope'/);
  });
});

describe("neighboursFromDatabase (paper §7)", () => {
  it("stores the top-k tokens per prompt slot in trials.result.neighbours, keeping the trainer's result", async () => {
    const id = ids[1]!;
    const rep = await neighboursFromDatabase(db, id, { k: 3 });
    const prompt = await bestPrompt(id);
    expect(rep.neighbours).toHaveLength(4);
    expect(rep.neighbours.every((s) => s.length === 3)).toBe(true);
    // The checkpoint's shared.weight is the engine's embedding table.
    expect(rep.neighbours).toEqual(nearestNeighbours(prompt, engine.embeddings(), 3, tok));
    const row = await getTrial(db, id);
    const result = row!.result as { state: string; neighbours: unknown };
    expect(result.state).toBe("completed");
    expect(result.neighbours).toEqual(JSON.parse(JSON.stringify(rep.neighbours)));
    await neighboursFromDatabase(db, id, { k: 3 });
    expect((await getTrial(db, id))!.result).toEqual(row!.result);
    const input = await loadReportInput(db, SWEEP);
    expect((input.neighbours ?? []).filter((n) => n.trial_id === id).map((n) => n.tokens)).toEqual(rep.neighbours.map((s) => s.map((n) => n.token)));
  });

  it("refuses an unknown trial", async () => {
    await expect(neighboursFromDatabase(db, "no-such-trial")).rejects.toThrow(/no trial 'no-such-trial'/);
  });
});

describe("exportTrialPrompt / importPrompt", () => {
  it("round-trips the stored best prompt bit-exactly through PEFT and .npy", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ptune-export-"));
    try {
      const id = ids[2]!;
      const prompt = await bestPrompt(id);
      const peft = await exportTrialPrompt(db, id, { format: "peft", out: path.join(dir, "adapter") });
      const npy = await exportTrialPrompt(db, id, { format: "npy", out: dir });
      for (const [e, format] of [[peft, "peft"], [npy, "npy"]] as const) {
        const back = importPrompt(e.path);
        expect(back.format).toBe(format);
        expect([back.len, back.dModel]).toEqual([4, 64]);
        expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(prompt.data.buffer, prompt.data.byteOffset, prompt.data.byteLength))).toBe(true);
        expect(back.stats.min).toBe(Math.min(...prompt.data));
        expect(back.stats.max).toBe(Math.max(...prompt.data));
      }
      expect(importPrompt(path.join(dir, "adapter", "adapter_config.json")).config).toMatchObject({ num_virtual_tokens: 4, token_dim: 64, prompt_tuning_init: "SAMPLE_VOCAB" });
      expect(() => importPrompt(path.join(dir, "missing.npy"))).toThrow(/no such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
