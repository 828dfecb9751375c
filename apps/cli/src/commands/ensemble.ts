// `ptune ensemble`: Table 3 of Lester et al. (2021): K prompts (seeds) of one configuration,
// majority vote on the dev split, stored for `ptune report`. Logic: @ptune/trainer ensembleFromDatabase.
import { ensembleFromDatabase } from "@ptune/trainer";
import { CliError, type Command } from "../command.ts";
import { withSession } from "../database.ts";
import { table } from "../render.ts";
import { intOption } from "./int-option.ts";

const USAGE = "ptune ensemble <sweep> --model <name|size> --task <task> [--prompt-length P] [--init I] [--k K] [--max-dev N] [--synthetic-dev N] [--batch-size N] [--device cpu|cuda] [--dry-run] [--json]";

export const command: Command = {
  name: "ensemble",
  summary: "prompt ensemble of a sweep's trials (paper Table 3): average / best / majority vote, stored for the report",
  usage: USAGE,
  example: "ptune ensemble quickstart --model nano --task synthetic --prompt-length 16 --k 5",
  options: {
    model: { type: "string", description: "model name as in the sweep (required)" },
    task: { type: "string", description: "task name as in the sweep (required)" },
    "prompt-length": { type: "string", description: "which prompt length's trials, when the configuration has several" },
    init: { type: "string", description: "which init's trials, when the configuration has several" },
    k: { type: "string", description: "prompts in the ensemble, the first K by seed (default: all of the configuration's)" },
    "max-dev": { type: "string", description: "evaluate on at most this many dev examples (default: all)" },
    "synthetic-dev": { type: "string", description: "dev examples of the synthetic task, as the worker generated it (default: 100)" },
    "batch-size": { type: "string", description: "dev rows per engine call (default: 32)" },
    device: { type: "string", description: "cpu or cuda (default: cpu)" },
    "dry-run": { type: "boolean", description: "print the scores without storing them" },
  },
  async run({ positionals, values }, io) {
    const sweep = positionals[0];
    if (!sweep || positionals.length > 1) throw new CliError(`expected one sweep (name or id)\nusage: ${USAGE}`, 2);
    const model = values.model as string | undefined;
    const task = values.task as string | undefined;
    if (!model || !task) throw new CliError(`--model and --task are required\nusage: ${USAGE}`, 2);
    const device = (values.device ?? "cpu") as string;
    if (device !== "cpu" && device !== "cuda") throw new CliError(`--device: expected cpu or cuda, got '${device}'`, 2);
    const opts = {
      sweep,
      model,
      task,
      promptLength: intOption(values, "prompt-length"),
      init: values.init as string | undefined,
      k: intOption(values, "k"),
      maxDevExamples: intOption(values, "max-dev"),
      synthetic: { dev: intOption(values, "synthetic-dev") ?? 100 },
      batchSize: intOption(values, "batch-size"),
      device: device as "cpu" | "cuda",
      write: !values["dry-run"],
    };
    return withSession({ migrate: false }, async (c) => {
      const rep = await ensembleFromDatabase(c.db, { ...opts, cacheDir: c.env.PTUNE_CACHE_DIR });
      if (io.json) {
        const { result, ...rest } = rep;
        io.out(JSON.stringify({ ...rest, perPrompt: result.perPrompt, predictions: result.predictions }));
        return 0;
      }
      io.out(`${rep.task} on ${rep.model}, prompt length ${rep.promptLength ?? "-"}, init ${rep.init ?? "-"}: ${rep.members.length} prompts (seeds ${rep.members.map((m) => m.seed).join(", ")}), ${rep.devExamples} dev examples`);
      io.out("");
      io.out(table(["metric", "average", "best", "ensemble"], rep.table.map((r) => [r.metric, r.average.toFixed(2), r.best.toFixed(2), r.ensemble.toFixed(2)])));
      io.out("");
      io.out(rep.stored ? `stored: evaluations (trial ${rep.stored.trialId}, split ${rep.stored.split})${rep.stored.changed ? "" : ", unchanged"}; see it in: ptune report ${sweep}` : "not stored (--dry-run)");
      return 0;
    });
  },
};
