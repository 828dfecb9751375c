// Trials/hour of packed multi-prompt training (runTrials with K trials) for K = 1, 2, 4, 8 trials per pack,
// against K trials run one after another with runTrial, on a seeded random T5 (initRandomT5,
// preset t5-mini by default: the machinery, not the science). A "trial" here is `steps` training
// steps plus the final dev evaluation (greedy), with mixed prompt lengths inside a pack.
// Each timing is the best of `reps` runs (shared machines are noisy). Usage:
//   npx tsx packages/trainer/bench/packed.ts [steps=20] [batch=8] [promptLen=20] [device=cpu] [preset=t5-mini] [Ks=1,2,4,8] [reps=3]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { initRandomT5, T5Engine, T5Tokenizer } from "@ptune/t5";
import { syntheticTask, syntheticVocabulary } from "@ptune/tasks";
import { createMemorySink, createMemoryStore, runTrial, runTrials, type TrialSpec } from "../src/index.ts";

const [steps = 20, batch = 8, promptLen = 20] = process.argv.slice(2, 5).map(Number);
const device = (process.argv[5] ?? "cpu") as "cpu" | "cuda";
const preset = process.argv[6] ?? "t5-mini";
const Ks = (process.argv[7] ?? "1,2,4,8").split(",").map(Number);
const reps = Number(process.argv[8] ?? 3);
async function best(f: () => Promise<unknown>): Promise<number> {
  let s = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await f();
    s = Math.min(s, (performance.now() - t0) / 1000);
  }
  return s;
}

const dir = mkdtempSync(path.join(tmpdir(), "ptune-packed-bench-"));
try {
  await initRandomT5(dir, { preset, seed: 0, words: syntheticVocabulary() });
  const engine = await T5Engine.open(dir, { device });
  const tokenizer = T5Tokenizer.fromDir(dir);
  const { task, train, dev } = syntheticTask({ seed: 1, train: 512, dev: 16 });
  // prompt lengths differ inside a pack (promptLen, promptLen/2, ...): the realistic sweep case
  const spec = (k: number): TrialSpec => ({
    trial_id: `bench-${k}`, task: "synthetic", prompt_length: Math.max(1, Math.round(promptLen / (1 + (k % 2)))), init: "random_uniform", seed: k,
    steps, batch_size: batch, eval_every: 10 ** 9, checkpoint_every: 10 ** 9, max_input_length: 64, max_target_length: 4, eval_batch_size: 16,
  });
  const pack = (specs: TrialSpec[]) => runTrials(specs.map((s) => ({ spec: s, data: { train, dev }, task, store: createMemoryStore(), sink: createMemorySink() })), { engine, tokenizer });
  // warm-up: build graphs and sessions (step, per-example step, encode, decode) before timing
  await pack([spec(0), spec(1)].map((s) => ({ ...s, steps: 2 })));
  await runTrial({ ...spec(0), steps: 2 }, { engine, tokenizer, data: { train, dev }, task, store: createMemoryStore(), sink: createMemorySink() });

  for (const K of Ks) {
    const specs = Array.from({ length: K }, (_, k) => spec(k));
    let res: Awaited<ReturnType<typeof runTrials>> = [];
    const packedS = await best(async () => (res = await pack(specs)));
    const seqS = await best(async () => {
      for (const s of specs) await runTrial(s, { engine, tokenizer, data: { train, dev }, task, store: createMemoryStore(), sink: createMemorySink() });
    });
    console.log(JSON.stringify({
      preset, device, K, steps, reps, batch, promptLens: specs.map((s) => s.prompt_length),
      completed: res.filter((r) => r.state === "completed").length,
      packedSeconds: +packedS.toFixed(2), packedTrialsPerHour: Math.round((K * 3600) / packedS),
      sequentialSeconds: +seqS.toFixed(2), sequentialTrialsPerHour: Math.round((K * 3600) / seqS),
      speedup: +(seqS / packedS).toFixed(2),
    }));
  }
  await engine.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
