// Measures parseSweep + expandSweep for a sweep of exactly 10,000 trials, and how long counting
// (and refusing) a 10^7-trial grid takes (not a test; the unit tests assert no time).
//   npm run bench -w @ptune/sweep      (= npx tsx packages/sweep/bench/expand.ts)
// 5 models x 10 tasks x 10 prompt lengths x 2 inits x 10 seeds = 10,000 prompt-tuning trials.
import { performance } from "node:perf_hooks";
import { countGrid, expandSweep, parseSweep, SweepError } from "../src/index.ts";

const sizes = ["small", "base", "large", "xl", "xxl"];
const tasks = Array.from({ length: 10 }, (_, i) => `task${i}`);
const yaml = `name: bench
models:
${sizes.map((s, i) => `  ${s}: { checkpoint: /models/t5-${s}-lm-adapt, gpu_memory_gb: ${4 << i}, params: ${1_000_000 * (i + 1)} }`).join("\n")}
tasks:
${tasks.map((t) => `  ${t}: { data_dir: /data/${t}, format: jsonl }`).join("\n")}
grid:
  model: [${sizes.join(", ")}]
  task: [${tasks.join(", ")}]
  prompt_length: [1, 2, 5, 10, 20, 50, 100, 150, 200, 300]
  init: [random_uniform, sampled_vocab]
  seed: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
training: { batch_size: 32, model_tuning: { lr: 0.001 } }
`;

// Wall time, and this process's CPU time (what the wall time would be on an idle machine).
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function once(): { wall: number; cpu: number; n: number } {
  const t0 = performance.now();
  const c0 = cpuMs();
  const trials = expandSweep(parseSweep(yaml, "bench.yaml"));
  return { wall: performance.now() - t0, cpu: cpuMs() - c0, n: trials.length };
}

const fmt = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[s.length >> 1].toFixed(1)} ms, min ${s[0].toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms`;
};
const first = once();
const runs = Array.from({ length: 10 }, once);
console.log(`parseSweep + expandSweep, ${first.n} trials`);
console.log(`first run (cold, incl. JIT warm-up): wall ${first.wall.toFixed(1)} ms, cpu ${first.cpu.toFixed(1)} ms`);
console.log(`warm runs, wall: ${fmt(runs.map((r) => r.wall))}`);
console.log(`warm runs, cpu:  ${fmt(runs.map((r) => r.cpu))}`);

// 10^7 combinations: counted from the axis sizes, refused before anything is materialised.
const huge = parseSweep(yaml.replace("seed: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]", `seed: [${Array.from({ length: 10_000 }, (_, i) => i).join(", ")}]`), "huge.yaml");
const h0 = performance.now();
const n = countGrid(huge);
let refused = "";
try {
  expandSweep(huge);
} catch (e) {
  if (!(e instanceof SweepError)) throw e;
  refused = e.message;
}
console.log(`countGrid + refusal of ${n.toLocaleString("en-US")} combinations: ${(performance.now() - h0).toFixed(2)} ms (${refused ? "refused" : "NOT refused"})`);
if (!refused) process.exitCode = 1;
