// ptune bench memory: what one prompt-tuning trial runs (prompt steps, rank scoring, greedy
// decoding) on one model, with weight bytes, peak RSS per phase, peak / weights and the cache on
// disk (issue #13). Logic lives in @ptune/t5/bench (benchMemory).
import { benchMemory, type MemoryBenchResult } from "@ptune/t5/bench";
import { z } from "zod";
import { CliError, type Command } from "../command.ts";
import { intFlag, parseFlags, stringOptions } from "../flag-schema.ts";
import { engineFlags, engineHelp, engineOf, shapeFlags, shapeHelp, shapeOf } from "./bench-flags.ts";

const schema = z.object({
  ...shapeFlags,
  steps: intFlag("steps", 1),
  "decode-tokens": intFlag("decode-tokens", 1),
  ...engineFlags,
});

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

function print(r: MemoryBenchResult, out: (l: string) => void) {
  const s = r.shape;
  out(`model ${r.model} (${r.precision}): batch ${s.batch}, input ${s.inputLen} + prompt ${s.promptLen}, target ${s.targetLen}, ${s.decodeTokens} greedy tokens`);
  out(`  weights ${gib(r.weightBytes)} (checkpoint files ${gib(r.checkpointBytes)}); process before the engine ${gib(r.baselineRssBytes)}`);
  for (const p of r.phases) out(`  ${p.phase.padEnd(6)} peak RSS ${gib(p.peakRssBytes).padStart(10)}  (${(p.peakRssBytes / r.weightBytes).toFixed(2)}x weights)  ${p.msPerCall.toFixed(0)} ms/call`);
  const e = r.estimate;
  out(`  routing estimate ${gib(e.totalBytes)} (weights ${gib(e.weightBytes)} + activations ${gib(e.activationBytes)} + runtime ${gib(e.runtimeBytes)}): ${(100 * r.estimateError).toFixed(1)}% against the measured peak`);
  out(`  peak / weights ${r.ratio.toFixed(2)}; cache on disk ${gib(r.cacheBytes)} (${((100 * r.cacheBytes) / Math.max(1, r.checkpointBytes)).toFixed(2)}% of the checkpoint)`);
}

export const command: Command = {
  name: "bench memory",
  summary: "peak memory of what a prompt-tuning trial runs (train steps, rank scoring, greedy decoding) against the model's weight bytes",
  usage: "ptune bench memory <model-dir> [--batch 1] [--input-len 128] [--prompt-len 100] [--target-len 8] [--steps 3] [--decode-tokens 8] [--device cpu|cuda] [--dtype fp32] [--threads N] [--weight-binding inputs|frozen] [--cache-dir DIR] [--json]",
  example: "ptune bench memory ~/models/t5-v1_1-large --batch 8",
  options: stringOptions(schema, {
    ...shapeHelp({ batch: 1, inputLen: 128, targetLen: 8, promptLen: 100 }),
    steps: "prompt-tuning steps measured (default: 3)",
    "decode-tokens": "greedy tokens decoded (default: 8)",
    ...engineHelp,
  }),
  async run({ positionals, values }, io) {
    const [modelDir, ...extra] = positionals;
    if (!modelDir || extra.length) throw new CliError("usage: ptune bench memory <model-dir> [--batch N] [--json]", 2);
    const v = parseFlags(schema, values);
    let r: MemoryBenchResult;
    try {
      r = await benchMemory({
        modelDir,
        ...shapeOf(v),
        steps: v.steps,
        decodeTokens: v["decode-tokens"],
        engine: engineOf(v),
        log: io.json ? undefined : (l) => io.err(l),
      });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (io.json) io.out(JSON.stringify({ ok: true, ...r }));
    else print(r, io.out);
    return 0;
  },
};
