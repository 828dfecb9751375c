// `ptune eval --prompt <trial-id>`: the trial's best prompt, with the trial's model and task, scored
// like any prompt and stored as the trial's `eval_validation` evaluation (real Postgres, a
// throwaway database; one prompt-tuning trial trained for two steps on the fixture model).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBestCheckpoint, type Db } from "@ptune/db";
import { evaluatePrompt, promptFromState } from "@ptune/trainer";
import { fixtureModel } from "../../../../tooling/test-env.ts";
import { trainedSweep, type TrainedSweep } from "../../test/trained-sweep.ts";
import { parseCommandArgs, type Io } from "../command.ts";
import { command as evalCmd } from "./eval.ts";

const modelDir = fixtureModel("v1_1");
const SWEEP = "cli-eval";
const id = `cli-eval-${randomBytes(4).toString("hex")}`;
const cacheDir = mkdtempSync(path.join(os.tmpdir(), "ptune-eval-trial-"));
let db: Db;
let sweep: TrainedSweep | undefined;

beforeAll(async () => {
  sweep = await trainedSweep({ sweep: SWEEP, ids: [id], dbTag: "eval", modelDir, cacheDir });
  db = sweep.db;
});

afterAll(async () => {
  await sweep?.drop();
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
