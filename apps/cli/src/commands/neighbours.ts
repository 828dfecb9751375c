// `ptune neighbours`: the vocabulary tokens nearest (cosine) to each position of a trial's best
// prompt (Lester et al. 2021, §7), stored in trials.result.neighbours for the report.
// Logic: @ptune/trainer neighboursFromDatabase.
import { resolveTrialId } from "@ptune/db";
import { neighboursFromDatabase } from "@ptune/trainer";
import { CliError, type Command } from "../command.ts";
import { withSession } from "../database.ts";
import { table } from "../render.ts";
import { intOption } from "./int-option.ts";

const USAGE = "ptune neighbours <trial-id> [--k 5] [--dry-run] [--json]";

export const command: Command = {
  name: "neighbours",
  summary: "nearest vocabulary tokens of each position of a trial's best prompt (paper §7), stored for the report",
  usage: USAGE,
  example: "ptune neighbours 4828329fe077 --k 5",
  options: {
    k: { type: "string", description: "nearest tokens per prompt position (default: 5)" },
    "dry-run": { type: "boolean", description: "print the neighbours without storing them" },
  },
  async run({ positionals, values }, io) {
    if (positionals.length !== 1) throw new CliError(`expected one trial id (or a unique prefix)\nusage: ${USAGE}`, 2);
    const k = intOption(values, "k") ?? 5;
    return withSession({ migrate: false }, async (c) => {
      const id = await resolveTrialId(c.db, positionals[0]!);
      const rep = await neighboursFromDatabase(c.db, id, { k, write: !values["dry-run"] });
      if (io.json) {
        io.out(JSON.stringify(rep));
        return 0;
      }
      io.out(`trial ${rep.trialId} (${rep.task} on ${rep.model}), best checkpoint at step ${rep.step}: top ${rep.k} tokens by cosine similarity`);
      io.out("");
      io.out(table(["slot", ...Array.from({ length: rep.k }, (_, i) => `#${i + 1}`)], rep.neighbours.map((slot, p) => [p, ...slot.map((n) => `${JSON.stringify(n.token)} ${n.similarity.toFixed(3)}`)])));
      io.out("");
      io.out(rep.stored ? `stored in trials.result.neighbours` : "not stored (--dry-run)");
      return 0;
    });
  },
};
