// ptune bench gpu: prompt-tuning ms/step of T5 v1.1 shapes (random weights made on the machine) at
// the PEFT anchor's shapes, float32 and half precision, and trials/hour with K packed prompts,
// each next to Hugging Face PEFT on the same card and the ratio (docs/gpu.md).
import { benchGpu, PEFT_SHAPE, type GpuBenchResult } from "@ptune/t5/bench";
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { CliError, type Command } from "../command.ts";
import { intFlag, parseFlags, stringOptions } from "../flag-schema.ts";
import { shapeFlags, shapeHelp, shapeOf } from "./bench-flags.ts";

const list = <T extends z.ZodType<unknown, string>>(flag: string, item: T) =>
  z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item, { message: `--${flag}: bad value` }).min(1, `--${flag} needs at least one value`))
    .optional();

const schema = z.object({
  sizes: list("sizes", z.string().min(1)),
  dtypes: list("dtypes", z.enum(["fp32", "fp16", "bf16"], { message: "--dtypes takes fp32, fp16, bf16" })),
  k: list("k", z.string().regex(/^\d+$/, "--k takes positive integers").transform(Number).refine((v) => v >= 1, "--k values must be >= 1")),
  steps: intFlag("steps", 1),
  warmup: intFlag("warmup", 1),
  device: z.enum(["cpu", "cuda"], { message: "--device must be cpu or cuda" }).optional(),
  "device-id": intFlag("device-id", 0),
  threads: intFlag("threads", 1),
  ...shapeFlags,
  "trial-steps": intFlag("trial-steps", 1),
  "memory-gib": intFlag("memory-gib", 1),
  "budget-s": intFlag("budget-s", 1),
  anchor: z.string().optional(),
  skip: list("skip", z.string().regex(/^[\w-]+:(fp32|fp16|bf16)$/, "--skip takes size:dtype pairs, e.g. xl:fp32")),
  "cache-dir": z.string().optional(),
  out: z.string().optional(),
});

const f = (v: number | undefined, digits = 1) => (v === undefined ? "-" : v.toFixed(digits));

function print(r: GpuBenchResult, out: (l: string) => void) {
  const s = r.shape;
  out(`device ${r.device}${r.gpu ? ` (${r.gpu})` : ""}: batch ${s.batch}, ${s.inputLen} input + ${s.promptLen} prompt tokens, ${s.targetLen} target tokens`);
  out(r.anchor ? `PEFT anchor: ${r.anchor.card} (${r.anchor.source})` : "PEFT anchor: none for this device (pass --anchor h100|h200|peft.json)");
  out("");
  out("size   dtype  ms/step  ex/s    PEFT ms (prec)   speedup  fp16-vs-fp32 (loss rel, grad relL2, cos)");
  for (const row of r.rows) {
    if (row.skipped || row.error) {
      out(`${row.size.padEnd(6)} ${row.dtype.padEnd(6)} ${row.skipped ?? `error: ${row.error}`}`);
      continue;
    }
    const a = row.anchor ? `${f(row.anchor.msPerStep)} (${row.anchor.prec})` : "-";
    const p = row.parity ? `${row.parity.lossRelErr.toExponential(1)}, ${row.parity.gradRelL2.toExponential(1)}, ${row.parity.gradCosine.toFixed(5)}` : "";
    out(`${row.size.padEnd(6)} ${row.dtype.padEnd(6)} ${f(row.msPerStep).padStart(7)}  ${f(row.examplesPerSec, 0).padStart(5)}   ${a.padEnd(15)}  ${row.speedup ? `x${row.speedup.toFixed(2)}` : "-"}     ${p}`);
  }
  out("");
  out(`packed trials (K prompts x ${s.batch} examples per step; trials/h at ${r.trialSteps} steps per trial; PEFT runs one trial per step)`);
  out("size   dtype  K  ms/step   trials/h  PEFT trials/h  ratio");
  for (const row of r.rows) {
    for (const p of row.packed) {
      const peft = row.anchor ? (3600 * 1000) / row.anchor.msPerStep / r.trialSteps : undefined;
      out(`${row.size.padEnd(6)} ${row.dtype.padEnd(6)} ${String(p.k).padEnd(2)} ${p.skipped ? p.skipped : `${f(p.msPerStep).padStart(8)}  ${f(p.trialsPerHour, 2).padStart(8)}  ${f(peft, 2).padStart(13)}  ${p.ratio ? `x${p.ratio.toFixed(2)}` : "-"}`}`);
    }
  }
}

export const command: Command = {
  name: "bench gpu",
  summary: "prompt-tuning ms/step and packed trials/hour of T5 v1.1 sizes (fp32 / half) next to Hugging Face PEFT",
  usage: "ptune bench gpu [--sizes small,base,large] [--dtypes fp32,fp16] [--k 1,2,4,8] [--steps 5] [--device cuda|cpu] [--anchor h100|h200|peft.json] [--budget-s N] [--skip xl:fp32] [--memory-gib 70] [--out results.json] [--json]",
  example: "ptune bench gpu --device cuda --sizes small,base --dtypes fp32,fp16,bf16 --k 1,4 --json",
  options: stringOptions(schema, {
    sizes: "T5 v1.1 sizes to time, comma separated (default: small,base,large)",
    dtypes: "precisions, comma separated (default: fp32,fp16,bf16 on cuda; fp32,fp16 on cpu)",
    k: "packed prompts per step to time, comma separated (default: 1,2,4,8)",
    steps: "timed steps per row (default: 5)",
    warmup: "untimed steps per row first",
    device: "cuda or cpu (default: cuda)",
    "device-id": "which GPU (default: 0)",
    threads: "onnxruntime intra-op threads on cpu",
    ...shapeHelp(PEFT_SHAPE), // the PEFT anchor's shape
    "trial-steps": "steps per trial for trials/hour",
    "memory-gib": "GPU memory to plan packs for (default: 70)",
    "budget-s": "stop starting rows after this many seconds",
    anchor: "PEFT figures to compare with: h100, h200 or a peft.json (default: by GPU name)",
    skip: "size:dtype rows to leave out, comma separated (e.g. xl:fp32)",
    "cache-dir": "where built graphs and random weights go (default: PTUNE_CACHE_DIR or ~/.cache/ptune)",
    out: "also write the result JSON to this file",
  }),
  async run({ values }, io) {
    const v = parseFlags(schema, values);
    const device = v.device ?? "cuda";
    let r: GpuBenchResult;
    try {
      r = await benchGpu({
        sizes: v.sizes ?? ["small", "base", "large"],
        dtypes: v.dtypes ?? (device === "cuda" ? ["fp32", "fp16", "bf16"] : ["fp32", "fp16"]),
        ks: v.k ?? [1, 2, 4, 8],
        steps: v.steps ?? 5,
        warmup: v.warmup,
        device,
        deviceId: v["device-id"],
        threads: v.threads,
        shape: shapeOf(v, PEFT_SHAPE),
        trialSteps: v["trial-steps"],
        memoryBudgetGiB: v["memory-gib"],
        budgetSeconds: v["budget-s"],
        skip: v.skip,
        anchor: v.anchor,
        cacheDir: v["cache-dir"],
        log: (l) => io.err(l),
        // the JSON so far after every measurement: a run cut short (device time) keeps its rows
        onProgress: v.out ? (partial) => writeFileSync(v.out!, JSON.stringify({ ok: true, partial: true, ...partial }, null, 1)) : undefined,
      });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (v.out) writeFileSync(v.out, JSON.stringify({ ok: true, ...r }, null, 1));
    if (io.json) io.out(JSON.stringify({ ok: true, ...r }));
    else print(r, io.out);
    return 0;
  },
};
