// `ptune models pull hf:<org>/<name>[@rev]`: download what a T5 checkpoint needs (config, tokenizer,
// weights: safetensors or PyTorch .bin, sharded or not) into the Hugging Face cache, the layout
// huggingface_hub uses, so Python tools share it. Always asks the hub (a branch may have moved);
// workers resolve hf: references from the cache and download only what is missing.
import { openCheckpoint, progressBar, pullModel, resolveDatasetRef } from "@ptune/t5";
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  name: "models pull",
  summary: "download a Hugging Face model (or dataset) into the standard Hugging Face cache",
  usage: "ptune models pull <hf:org/name[@rev] | hf:datasets/org/name/config[@rev]> [--json]",
  example: "ptune models pull hf:google/t5-base-lm-adapt",
  async run({ positionals }, io) {
    if (positionals.length !== 1) throw new CliError(`expected one hf: reference\nusage: ${this.usage}`, 2);
    const ref = positionals[0]!;
    if (!ref.startsWith("hf:")) throw new CliError(`'${ref}' is not a Hugging Face reference; expected hf:<org>/<name>[@<revision>]`, 2);
    const opts = { onProgress: io.json ? undefined : progressBar(), log: (l: string) => io.err(l) };
    try {
      if (ref.startsWith("hf:datasets/")) {
        const dir = await resolveDatasetRef(ref, opts);
        io.out(io.json ? JSON.stringify({ ok: true, ref, dir }) : `${ref}: ${dir}`);
        return 0;
      }
      const dir = await pullModel(ref, opts);
      const ck = openCheckpoint(dir); // proves the download is a loadable T5 checkpoint
      const summary = { ok: true, ref, dir, files: ck.files, d_model: ck.config.d_model, layers: ck.config.num_layers };
      ck.close();
      io.out(io.json ? JSON.stringify(summary) : `${ref}: ${dir} (d_model ${summary.d_model}, ${summary.layers} layers; weights ${summary.files.map((f) => f.slice(dir.length + 1)).join(", ")})`);
      return 0;
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  },
};
