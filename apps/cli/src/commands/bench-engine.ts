// ptune bench engine: ms per prompt-tuning step, analytic FLOPs, achieved GFLOP/s, and a plain
// MatMul's GFLOP/s on the same execution provider (default model: random T5-small shape).
import { benchEngine } from "@ptune/t5/bench";
import { z } from "zod";
import { CliError, type Command } from "../command.ts";
import { intFlag, parseFlags, stringOptions } from "../flag-schema.ts";
import { engineFlags, engineHelp, engineOf, shapeFlags, shapeHelp, shapeOf } from "./bench-flags.ts";

const schema = z.object({
  ...shapeFlags,
  steps: intFlag("steps", 1),
  warmup: intFlag("warmup", 1),
  ...engineFlags,
  model: z.string().optional(),
});

export const command: Command = {
  name: "bench engine",
  summary: "time prompt-tuning steps of a T5 (random T5-small by default) and compare with plain MatMul GFLOP/s",
  usage: "ptune bench engine [--batch 2] [--input-len 64] [--target-len 8] [--prompt-len 20] [--steps 10] [--warmup 3] [--device cpu|cuda] [--dtype fp32] [--threads N] [--weight-binding inputs|frozen] [--model DIR] [--json]",
  example: "ptune bench engine --batch 4 --input-len 128 --device cuda",
  options: stringOptions(schema, {
    ...shapeHelp({ batch: 2, inputLen: 64, targetLen: 8, promptLen: 20 }),
    steps: "timed steps; the median is reported (default: 10)",
    warmup: "untimed steps first (default: 3)",
    ...engineHelp,
    model: "a T5 checkpoint directory (default: a random T5-small shape)",
  }),
  async run({ values }, io) {
    const v = parseFlags(schema, values);
    let r;
    try {
      r = await benchEngine({
        ...shapeOf(v),
        ...engineOf(v),
        steps: v.steps,
        warmup: v.warmup,
        modelDir: v.model,
        log: io.json ? undefined : (l) => io.err(l),
      });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (io.json) {
      io.out(JSON.stringify({ ok: true, ...r }));
      return 0;
    }
    const s = r.shape;
    io.out(`model ${r.model} on ${r.device}: batch ${s.batch}, input ${s.inputLen} + prompt ${s.promptLen}, target ${s.targetLen}`);
    io.out(`  prompt-tuning step: ${r.msPerStep.toFixed(1)} ms (median of ${r.stepsTimed}), loss ${r.loss.toFixed(4)}`);
    io.out(`  analytic FLOPs/step: ${(r.flopsPerStep / 1e9).toFixed(2)} GFLOP -> ${r.gflopsPerSec.toFixed(1)} GFLOP/s`);
    const m = r.matmul;
    io.out(`  plain MatMul [${m.m}x${m.k}]x[${m.k}x${m.n}]: ${m.gflopsPerSec.toFixed(1)} GFLOP/s (${m.msPerRun.toFixed(2)} ms); step efficiency ${((100 * r.gflopsPerSec) / m.gflopsPerSec).toFixed(0)}%`);
    return 0;
  },
};
