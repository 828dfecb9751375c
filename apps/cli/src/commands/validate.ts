// ptune validate <sweep.yaml>: every problem of a sweep at once, without a database or a queue —
// the YAML (file:line:col for each problem) and the preflight submit runs (grid cap, models'
// config/weights/tokenizer, task data, lengths). Exit 0 when the sweep would be accepted.
import { preflightSweep } from "@ptune/queue";
import { readSweepFile, SweepError } from "@ptune/sweep";
import { CliError, type Command } from "../command.ts";
import { maxTrialsOption, sweepProblemLines } from "./queue-errors.ts";

export const command: Command = {
  name: "validate",
  summary: "check a sweep YAML and everything its trials need (models, data, limits); no database needed",
  usage: "ptune validate <sweep.yaml> [--max-trials N] [--json]",
  example: "ptune validate sweeps/quickstart.yaml",
  options: { "max-trials": { type: "string", description: "refuse a grid larger than this many trials (default: 100,000)" } },
  async run({ positionals, values }, io) {
    const [file, ...extra] = positionals;
    if (!file || extra.length) throw new CliError(`expected one sweep file\nusage: ${this.usage}`, 2);
    const maxTrials = maxTrialsOption(values["max-trials"]);
    let spec;
    try {
      spec = readSweepFile(file).spec;
    } catch (e) {
      if (!(e instanceof SweepError)) throw e;
      const lines = sweepProblemLines(e);
      if (io.json) io.out(JSON.stringify({ ok: false, file, problems: lines }));
      else for (const l of lines) io.err(l);
      return 1;
    }
    const r = await preflightSweep(spec, { file, maxTrials });
    const lines = r.problems.map((p) => `${file}: ${p.where}: ${p.message}`);
    if (io.json) io.out(JSON.stringify({ ok: lines.length === 0, file, trials: r.count, checked: r.checked, problems: lines }));
    else if (lines.length) for (const l of lines) io.err(l);
    else io.out(`${file}: ok — ${r.count} trial(s); checked model(s) ${r.checked.models.join(", ") || "none"}, task data ${r.checked.tasks.join(", ") || "none (synthetic)"}`);
    return lines.length ? 1 : 0;
  },
};
