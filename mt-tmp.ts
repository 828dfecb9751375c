import { openCheckpoint, T5Engine, T5Tokenizer } from "@ptune/t5";
import { syntheticTask } from "@ptune/tasks";
import { fixtureModel } from "./tooling/test-env.ts";
import { createMemorySink, createMemoryStore, runTrial } from "./packages/trainer/src/index.ts";
const dir = fixtureModel("v1_1");
const engine = await T5Engine.open(dir, { threads: 1 });
const tok = T5Tokenizer.fromDir(dir);
const { task, train, dev } = syntheticTask({ seed: 0, train: 64, dev: 16 });
for (const lr of [Number(process.argv[2] ?? 0.01)]) {
  const sink = createMemorySink();
  const t0 = Date.now();
  const r = await runTrial({ task: "synthetic", method: "model_tuning", steps: Number(process.argv[3] ?? 20), batch_size: 4, learning_rate: lr, eval_every: 5, checkpoint_every: 100, max_input_length: 24, max_target_length: 4 }, { engine, tokenizer: tok, data: { train, dev }, store: createMemoryStore(), sink: createMemorySink(), task, weights: openCheckpoint(dir) }).catch(e => e);
  console.log(lr, Date.now() - t0, JSON.stringify(r.best ?? r.message));
}
await engine.close();
