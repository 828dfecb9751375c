// Steps/s of a prompt-tuning trial (runTrial end to end: batching, engine step, Adafactor, no
// evaluation) on the fixture models. Usage:
//   npx tsx packages/trainer/bench/steps-per-sec.ts [steps=40] [batch=32] [promptLen=20] [device=cpu] [modelDir...]
import { T5Engine, T5Tokenizer } from "@ptune/t5";
import { syntheticTask } from "@ptune/tasks";
import { fixtureModel } from "../../../tooling/test-env.ts";
import { createMemorySink, createMemoryStore, runTrial } from "../src/index.ts";

const [steps = 40, batch = 32, promptLen = 20] = process.argv.slice(2, 5).map(Number);
const device = (process.argv[5] ?? "cpu") as "cpu" | "cuda";
const dirs = process.argv.length > 6 ? process.argv.slice(6) : [fixtureModel("v1_0"), fixtureModel("v1_1")];
const { task, train, dev } = syntheticTask({ seed: 1, train: 512, dev: 8 });

for (const dir of dirs) {
  const engine = await T5Engine.open(dir, { device });
  const tokenizer = T5Tokenizer.fromDir(dir);
  const common = { trial_id: "bench", task: "synthetic", prompt_length: promptLen, init: "random_uniform" as const, batch_size: batch, eval_every: 10 ** 9, checkpoint_every: 10 ** 9, max_input_length: 64, max_target_length: 4 };
  await runTrial({ ...common, steps: 3 }, { engine, tokenizer, data: { train, dev }, store: createMemoryStore(), sink: createMemorySink(), task }); // warm-up (graph build, session)
  const t0 = performance.now();
  const res = await runTrial({ ...common, steps }, { engine, tokenizer, data: { train, dev }, store: createMemoryStore(), sink: createMemorySink(), task });
  const s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ model: dir.split("/").at(-1), device, state: res.state, steps, batch, promptLen, seconds: +s.toFixed(2), stepsPerSec: +(steps / s).toFixed(2), examplesPerSec: +((steps * batch) / s).toFixed(1) }));
  await engine.close();
}
