import { T5Engine, T5Tokenizer } from "@ptune/t5";
import { syntheticTask } from "@ptune/tasks";
import { fixtureModel } from "../../../../tooling/test-env.ts";
import { createMemorySink, createMemoryStore } from "../memory-store.ts";
import { runTrial } from "../run-trial.ts";
import { deserializeTrainState } from "../train-state.ts";
import { runPackedTrials } from "./run-packed.ts";
const dir = fixtureModel("v1_1");
const tok = T5Tokenizer.fromDir(dir);
const { task, train, dev } = syntheticTask({ seed: 1, train: 64, dev: 16 });
const engine = await T5Engine.open(dir, { threads: 1 });
const common = { task: "synthetic", max_input_length: 32, max_target_length: 4, eval_batch_size: 16, eval_every: 100, checkpoint_every: 1, log_every: 2, steps: 8 };
const specs = [
  { ...common, trial_id: "a", prompt_length: 5, init: "sampled_vocab" as const, seed: 3, batch_size: 8 },
  { ...common, trial_id: "b", prompt_length: 5, init: "random_uniform" as const, seed: 7, batch_size: 4 },
  { ...common, trial_id: "c", prompt_length: 5, init: "class_label" as const, seed: 11, batch_size: 6 },
];
const prompts = (s: ReturnType<typeof createMemoryStore>) => s.saves.filter((x) => !x.best).map((x) => deserializeTrainState(x.bytes).prompt!.data);
const md = (a: Float32Array, b: Float32Array) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };
const stores = specs.map(() => createMemoryStore());
await runPackedTrials(specs, { engine, tokenizer: tok, data: { train, dev }, stores, sinks: specs.map(() => createMemorySink()), tasks: task });
for (const [k, spec] of specs.entries()) {
  const a = createMemoryStore(); await runTrial(spec, { engine, tokenizer: tok, data: { train, dev }, store: a, sink: createMemorySink(), task });
  const m = createMemoryStore(); await runTrial({ ...spec, pad_to: "max" }, { engine, tokenizer: tok, data: { train, dev }, store: m, sink: createMemorySink(), task });
  const [pa, pm, pp] = [prompts(a), prompts(m), prompts(stores[k])];
  let mx = 0; for (const x of pa.at(-1)!) mx = Math.max(mx, Math.abs(x));
  console.log(spec.trial_id, "max|p|", mx.toFixed(3), "packed-alone per step:", pa.map((p, i) => md(pp[i], p).toExponential(1)).join(" "));
  console.log("   alone pad max - pad batch:", pa.map((p, i) => md(pm[i], p).toExponential(1)).join(" "));
}
await engine.close();
