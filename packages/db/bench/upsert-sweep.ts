// Times upsertSweep for N trials (default 100,000) on a fresh database: the first submission
// (everything new) and an identical re-submission (nothing new). Trials carry a config JSON the
// size of a real expanded trial (@ptune/queue trialRow stores the whole Trial).
// Usage: npx tsx packages/db/bench/upsert-sweep.ts [--trials 100000] [--json]
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { testDatabaseUrl } from "../../../tooling/test-env.ts";
import { dropDatabase, ensureDatabase, migrate, openDb, upsertSweep, type TrialInput } from "../src/index.ts";

const { values } = parseArgs({ options: { trials: { type: "string", default: "100000" }, json: { type: "boolean", default: false } } });
const n = Number(values.trials);
const u = new URL(testDatabaseUrl);
u.pathname = `/ptune_bench_upsert_${process.pid}`;
const url = u.toString();

const training = { optimizer: "adafactor", lr: 0.3, weightDecay: 1e-5, decayRate: 0.8, parameterScaling: false, batchSize: 32, steps: 30000, schedule: "constant", evalEvery: 1000, checkpointEvery: 1000, maxInputLength: 512, maxTargetLength: 64, earlyStopping: { metric: null, patience: null } };
const trials: TrialInput[] = Array.from({ length: n }, (_, i) => {
  const id = (BigInt(i) * 0x9e3779b97f4a7c15n % (1n << 64n)).toString(16).padStart(16, "0") + i.toString(16).padStart(16, "0");
  const model = { name: `m${i % 5}`, checkpoint: `/models/google/t5-m${i % 5}-lm-adapt`, gpuMemoryGb: 16 };
  const task = { name: `task${(i >> 3) % 10}`, dataDir: `/data/superglue/task${(i >> 3) % 10}`, format: "jsonl" };
  const config = { id, sweepName: "bench", model, task, method: "prompt_tuning", promptLength: 1 + (i % 150), init: "class_label", seed: i, training, priority: 100 };
  return { id, model: model.name, task: task.name, method: "prompt_tuning", promptLength: config.promptLength, init: "class_label", seed: i, params: 60_000_000, config };
});

await ensureDatabase(url);
await migrate(url);
const db = openDb(url);
try {
  const t0 = performance.now();
  const first = await upsertSweep(db, { name: "bench", yaml: "name: bench\n", trials });
  const t1 = performance.now();
  const again = await upsertSweep(db, { name: "bench", yaml: "name: bench\n", trials });
  const t2 = performance.now();
  const out = { trials: n, firstMs: Math.round(t1 - t0), firstCreated: first.created, resubmitMs: Math.round(t2 - t1), resubmitCreated: again.created };
  console.log(values.json ? JSON.stringify(out) : `upsertSweep, ${n.toLocaleString("en-US")} trials: first submission ${out.firstMs} ms (${first.created} new), identical re-submission ${out.resubmitMs} ms (${again.created} new)`);
} finally {
  await db.close();
  await dropDatabase(url);
}
