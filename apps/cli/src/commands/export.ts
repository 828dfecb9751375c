// `ptune export`: a trial's best prompt as a Hugging Face PEFT prompt-tuning adapter or a
// T5X-style .npy. Logic: @ptune/trainer exportTrialPrompt.
import { resolveTrialId } from "@ptune/db";
import { exportTrialPrompt, PROMPT_FORMATS, type PromptFormat } from "@ptune/trainer";
import { CliError, type Command } from "../command.ts";
import { withSession } from "../database.ts";

const USAGE = "ptune export <trial-id> --format peft|npy --out <dir|file.npy> [--json]";

export const command: Command = {
  name: "export",
  summary: "write a trial's best prompt as a PEFT adapter (adapter_model.safetensors + adapter_config.json) or a .npy",
  usage: USAGE,
  example: "ptune export 4828329fe077 --format peft --out adapters/rte-seed0",
  options: {
    format: { type: "string", description: "peft (adapter_model.safetensors + adapter_config.json) or npy (T5X) (required)" },
    out: { type: "string", description: "output directory (peft) or .npy file (required)" },
  },
  async run({ positionals, values }, io) {
    if (positionals.length !== 1) throw new CliError(`expected one trial id (or a unique prefix)\nusage: ${USAGE}`, 2);
    const format = values.format as string | undefined;
    if (!format || !PROMPT_FORMATS.includes(format as PromptFormat)) throw new CliError(`--format: expected ${PROMPT_FORMATS.join(" or ")}, got '${format ?? ""}'`, 2);
    const out = values.out as string | undefined;
    if (!out) throw new CliError(`--out is required\nusage: ${USAGE}`, 2);
    return withSession({ migrate: false }, async (c) => {
      const id = await resolveTrialId(c.db, positionals[0]!);
      const e = await exportTrialPrompt(c.db, id, { format: format as PromptFormat, out });
      if (io.json) io.out(JSON.stringify(e));
      else io.out(`trial ${e.trialId}: prompt [${e.len}, ${e.dModel}] from step ${e.step} written as ${e.format}: ${e.files.join(", ")}`);
      return 0;
    });
  },
};
