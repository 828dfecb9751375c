// ptune models init <dir>: a seeded random T5 in Hugging Face format, for machines without
// pretrained weights (CPU quickstarts, GPU benchmarks at the real T5 v1.1 shapes).
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { DEFAULT_WORDS, initRandomT5, T5_PRESETS } from "@ptune/t5";
import { syntheticVocabulary } from "@ptune/tasks";
import { CliError, type Command } from "../command.ts";

const NOTE = "random weights: runs on this model test the machinery (pipeline, speed, numerics), not a scientific result";
const DTYPES = ["F32", "F16", "BF16"] as const;

export const command: Command = {
  name: "models init",
  summary: "write a seeded, randomly initialised T5 (config, safetensors, tokenizer) for machines without weights",
  usage: `ptune models init <dir> --preset <${Object.keys(T5_PRESETS).join("|")}> [--seed N] [--dtype F32|F16|BF16] [--force] [--json]`,
  example: "ptune models init .ptune/models/t5-nano --preset t5-nano --seed 0",
  options: {
    preset: { type: "string", description: `model shape: ${Object.keys(T5_PRESETS).join(", ")}`, default: "t5-nano" },
    seed: { type: "string", description: "random seed of the weights", default: "0" },
    dtype: { type: "string", description: "stored precision: F32, F16 or BF16", default: "F32" },
    force: { type: "boolean", description: "overwrite a directory that already holds a checkpoint" },
  },
  async run({ positionals, values }, io) {
    const [dirArg, ...extra] = positionals;
    if (!dirArg || extra.length) throw new CliError(`expected one output directory\nusage: ${this.usage}`, 2);
    const preset = (values.preset as string | undefined) ?? "t5-nano";
    if (!T5_PRESETS[preset]) throw new CliError(`unknown --preset '${preset}'; expected one of ${Object.keys(T5_PRESETS).join(", ")}`, 2);
    const seedText = (values.seed as string | undefined) ?? "0";
    if (!/^\d+$/.test(seedText) || !Number.isSafeInteger(Number(seedText))) throw new CliError(`--seed must be a non-negative integer, got '${seedText}'`, 2);
    const dtype = ((values.dtype as string | undefined) ?? "F32").toUpperCase();
    if (!(DTYPES as readonly string[]).includes(dtype)) throw new CliError(`--dtype must be one of ${DTYPES.join(", ")}, got '${values.dtype}'`, 2);
    const dir = path.resolve(dirArg);
    if (existsSync(dir) && readdirSync(dir).some((f) => f === "config.json" || f.endsWith(".safetensors")) && !values.force) {
      throw new CliError(`${dir} already holds a checkpoint; pass --force to overwrite it with random weights`);
    }
    const words = [...new Set([...syntheticVocabulary(), ...DEFAULT_WORDS])];
    const started = performance.now();
    let r;
    try {
      let shown = 0; // progress on stderr in 10% steps, for the multi-GB presets
      const onProgress = ({ done, total }: { done: number; total: number }) => {
        if (total >= 1e9 && done / total >= shown + 0.1) {
          shown = Math.floor((done / total) * 10) / 10;
          io.err(`  ${Math.round(shown * 100)}% of ${(total / 1e9).toFixed(2)}B parameters`);
        }
      };
      r = await initRandomT5(dir, { preset, seed: Number(seedText), words, dtype: dtype as (typeof DTYPES)[number], onProgress });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const seconds = (performance.now() - started) / 1000;
    if (io.json) {
      io.out(JSON.stringify({ ok: true, dir, preset, seed: Number(seedText), dtype, parameters: r.parameters, bytes: r.bytes, tokenizerSize: r.tokenizerSize, seconds, config: r.config, note: NOTE }));
      return 0;
    }
    io.out(`wrote random T5 '${preset}' (seed ${seedText}, ${dtype}) to ${dir}`);
    io.out(`  ${(r.parameters / 1e6).toFixed(2)}M parameters, ${(r.bytes / 1e6).toFixed(1)} MB, tokenizer ${r.tokenizerSize} ids, vocab_size ${r.config.vocab_size}, ${seconds.toFixed(1)} s`);
    io.out(`  note: ${NOTE}`);
    return 0;
  },
};
