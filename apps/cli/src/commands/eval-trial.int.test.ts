// `ptune eval --prompt <trial-id>`: the trial's best prompt, with the trial's model and task, scored
// like any prompt and stored as the trial's `eval_validation` evaluation (real Postgres, a
// throwaway database; one prompt-tuning trial trained for two steps on the fixture model).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimAttempt, dropDatabase, ensureDatabase, FencedWriter, loadBestCheckpoint, migrate, openDb, upsertSweep, type Db } from "@ptune/db";
import { T5Engine, T5Tokenizer } from "@ptune/t5";
import { syntheticTask } from "@ptune/tasks";
import { evaluatePrompt, promptFromState, runTrial, serializeTrainState } from "@ptune/trainer";
import { fixtureModel, testDatabaseUrl } from "../../../../tooling/test-env.ts";
import { parseCommandArgs, type Io } from "../command.ts";
import { command as evalCmd } from "./eval.ts";

const modelDir = fixtureModel("v1_1");
const SWEEP = "cli-eval";
const id = `cli-eval-${randomBytes(4).toString("hex")}`;
const cacheDir = mkdtempSync(path.join(os.tmpdir(), "ptune-eval-trial-"));
let url: string;
let db: Db;
const savedUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  const u = new URL(testDatabaseUrl);
  u.pathname = `/ptune_cli_eval_${process.pid}_${randomBytes(3).toString("hex")}`;
  url = u.toString();
  await ensureDatabase(url);
  await migrate(url);
  process.env.DATABASE_URL = url;
  db = openDb(url, { max: 2 });
  const training = { optimizer: "adafactor", lr: 0.3, weightDecay: 1e-5, decayRate: 0.8, parameterScaling: false, batchSize: 4, steps: 2, schedule: "constant", evalEvery: 2, checkpointEvery: 2, maxInputLength: 32, maxTargetLength: 4, earlyStopping: { metric: null, patience: null } };
  await upsertSweep(db, {
    name: SWEEP,
    yaml: "",
    trials: [{
      id, model: "tiny", size: "tiny", task: "synthetic", method: "prompt_tuning", promptLength: 3, init: "random_uniform", seed: 0, params: 0, metric: null,
      config: { id, sweepName: SWEEP, model: { name: "tiny", checkpoint: modelDir, gpuMemoryGb: 1 }, task: { name: "synthetic" }, method: "prompt_tuning", promptLength: 3, init: "random_uniform", seed: 0, training, priority: 100 },
    }],
  });
  const engine = await T5Engine.open(modelDir, { threads: 1, cacheDir });
  try {
    const { task, train, dev } = syntheticTask({ seed: 0, train: 16, dev: 8 });
    const w = new FencedWriter(db, id, (await claimAttempt(db, id, "cli-test")).attempt);
    const r = await runTrial(
      { trial_id: id, task: "synthetic", prompt_length: 3, init: "random_uniform", seed: 0, steps: 2, batch_size: 4, eval_every: 2, checkpoint_every: 2, max_input_length: 32, max_target_length: 4 },
      {
        engine, tokenizer: T5Tokenizer.fromDir(modelDir), data: { train, dev }, task,
        store: { latest: async () => null, save: (s, o) => w.saveCheckpoint(serializeTrainState(s), { step: s.step, best: o.best }) },
        sink: { steps: async (rows) => void (await w.steps(rows)), evaluation: async (e) => void (await w.evaluation(e)) },
      },
    );
    await w.finish({ state: r.state, result: r, best: r.best ? { metric: r.best.metric, score: r.best.score, step: r.best.step } : null });
  } finally {
    await engine.close();
  }
});

afterAll(async () => {
  if (savedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedUrl;
  await db?.close();
  if (url) await dropDatabase(url);
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("ptune eval --prompt <trial-id>", () => {
  it("scores the trial's best prompt with its model and task, and stores eval_validation at the best step", async () => {
    const out: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: () => undefined, json: true };
    const code = await evalCmd.run(parseCommandArgs(evalCmd, ["--prompt", id.slice(0, 14), "--max-examples", "20", "--cache-dir", cacheDir, "--json"]), io);
    expect(code).toBe(0);
    const j = JSON.parse(out[0]!);
    const best = promptFromState((await loadBestCheckpoint(db, id))!.state, id);
    const direct = await evaluatePrompt({ prompt: best, model: modelDir, task: "synthetic", maxExamples: 20, maxInputLength: 32, maxTargetLength: 4, cacheDir });
    expect(j).toMatchObject({ ok: true, task: "synthetic", split: "validation", examples: 20, metrics: direct.metrics });
    const { rows } = await db.pool.query("SELECT split, step, metrics FROM evaluations WHERE trial_id = $1 AND split LIKE 'eval_%'", [id]);
    expect(rows).toEqual([{ split: "eval_validation", step: best.step, metrics: direct.metrics }]);
  });
});
