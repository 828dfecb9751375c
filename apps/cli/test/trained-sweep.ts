// A throwaway migrated database (DATABASE_URL points at it while it lives) holding one sweep of
// prompt-tuning trials trained for two steps with runTrial on a model and stored through
// FencedWriter: what the CLI's analysis commands (ensemble, neighbours, export, import, eval) read.
import { randomBytes } from "node:crypto";
import { claimAttempt, dropDatabase, ensureDatabase, FencedWriter, migrate, openDb, upsertSweep, type Db } from "@ptune/db";
import { T5Engine, T5Tokenizer } from "@ptune/t5";
import { syntheticTask } from "@ptune/tasks";
import { runTrial, serializeTrainState } from "@ptune/trainer";
import { testDatabaseUrl } from "../../../tooling/test-env.ts";

export interface TrainedSweep {
  url: string;
  db: Db;
  /** closes the pool, drops the database and restores DATABASE_URL */
  drop(): Promise<void>;
}

/** `ids`: one trial per id, trained with seed = its index. */
export async function trainedSweep(o: { sweep: string; ids: readonly string[]; dbTag: string; modelDir: string; cacheDir?: string }): Promise<TrainedSweep> {
  const { ids } = o;
  const u = new URL(testDatabaseUrl);
  u.pathname = `/ptune_cli_${o.dbTag}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const url = u.toString();
  const savedUrl = process.env.DATABASE_URL;
  await ensureDatabase(url);
  await migrate(url);
  process.env.DATABASE_URL = url;
  const db = openDb(url, { max: 2 });
  const drop = async () => {
    if (savedUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = savedUrl;
    await db.close();
    await dropDatabase(url);
  };
  const training = { optimizer: "adafactor", lr: 0.3, weightDecay: 1e-5, decayRate: 0.8, parameterScaling: false, batchSize: 4, steps: 2, schedule: "constant", evalEvery: 2, checkpointEvery: 2, maxInputLength: 32, maxTargetLength: 4, earlyStopping: { metric: null, patience: null } };
  await upsertSweep(db, {
    name: o.sweep,
    yaml: "",
    trials: ids.map((id, seed) => ({
      id, model: "tiny", size: "tiny", task: "synthetic", method: "prompt_tuning", promptLength: 3, init: "random_uniform", seed, params: 0, metric: null,
      config: { id, sweepName: o.sweep, model: { name: "tiny", checkpoint: o.modelDir, gpuMemoryGb: 1 }, task: { name: "synthetic" }, method: "prompt_tuning", promptLength: 3, init: "random_uniform", seed, training, priority: 100 },
    })),
  });
  const engine = await T5Engine.open(o.modelDir, { threads: 1, ...(o.cacheDir && { cacheDir: o.cacheDir }) });
  try {
    const { task, train, dev } = syntheticTask({ seed: 0, train: 16, dev: 8 });
    for (const [seed, id] of ids.entries()) {
      const w = new FencedWriter(db, id, (await claimAttempt(db, id, "cli-test")).attempt);
      const r = await runTrial(
        { trial_id: id, task: "synthetic", prompt_length: 3, init: "random_uniform", seed, steps: 2, batch_size: 4, eval_every: 2, checkpoint_every: 2, max_input_length: 32, max_target_length: 4 },
        {
          engine, tokenizer: T5Tokenizer.fromDir(o.modelDir), data: { train, dev }, task,
          store: { latest: async () => null, save: (s, opt) => w.saveCheckpoint(serializeTrainState(s), { step: s.step, best: opt.best }) },
          sink: { steps: async (rows) => void (await w.steps(rows)), evaluation: async (e) => void (await w.evaluation(e)) },
        },
      );
      await w.finish({ state: r.state, result: r, best: r.best ? { metric: r.best.metric, score: r.best.score, step: r.best.step } : null });
    }
  } catch (e) {
    await drop();
    throw e;
  } finally {
    await engine.close();
  }
  return { url, db, drop };
}
