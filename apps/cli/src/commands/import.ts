// `ptune import`: reads an exported prompt (PEFT adapter directory or .npy) and prints its shape
// and statistics: a round-trip check. Logic: @ptune/trainer importPrompt. No database needed.
import { importPrompt } from "@ptune/trainer";
import { CliError, type Command } from "../command.ts";
import { table } from "../render.ts";

const USAGE = "ptune import <adapter-dir|file.npy> [--json]";
// PEFT adapters: adapter_model.safetensors or .bin, PEFT's T5 default of two submodules ([2P, d]:
// the encoder half is read, and a note says so), task_type null.

export const command: Command = {
  name: "import",
  summary: "read a prompt exported as a PEFT adapter or .npy and print its shape and statistics",
  usage: USAGE,
  example: "ptune import adapters/rte-seed0",
  async run({ positionals }, io) {
    if (positionals.length !== 1) throw new CliError(`expected one adapter directory or .npy file\nusage: ${USAGE}`, 2);
    let p;
    try {
      p = importPrompt(positionals[0]!);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (io.json) {
      const { data: _data, ...rest } = p;
      io.out(JSON.stringify(rest));
      return 0;
    }
    io.out(`${p.path}: ${p.format} prompt [${p.len}, ${p.dModel}]${p.config ? ` for ${p.config.base_model_name_or_path ?? "(no base model named)"} (init ${p.config.prompt_tuning_init})` : ""}`);
    for (const n of p.notes) io.out(`note: ${n}`);
    io.out(table(["mean", "std", "min", "max", "mean token L2 norm"], [[p.stats.mean, p.stats.std, p.stats.min, p.stats.max, p.stats.meanTokenNorm].map((v) => v.toPrecision(5))]));
    return 0;
  },
};
