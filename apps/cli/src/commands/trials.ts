import { trialsOfSweep, TRIAL_STATES, type TrialState } from "@ptune/db";
import { withSession } from "../database.ts";
import { CliError, type Command } from "../command.ts";
import { table } from "../render.ts";

export const command: Command = {
  name: "trials",
  summary: "the trials of a sweep with their state and best dev score",
  usage: "ptune trials <sweep> [--state queued|running|completed|failed|cancelled] [--json]",
  example: "ptune trials quickstart --state failed",
  options: { state: { type: "string", description: "only trials in this state: queued, running, completed, failed or cancelled" } },
  async run({ positionals, values }, io) {
    if (!positionals[0]) throw new CliError("which sweep? usage: ptune trials <sweep>", 2);
    const state = values.state as string | undefined;
    if (state && !TRIAL_STATES.includes(state as TrialState)) throw new CliError(`--state: expected one of ${TRIAL_STATES.join(" | ")}, got '${state}'`, 2);
    return withSession({ migrate: false }, async (c) => {
      const rows = await trialsOfSweep(c.db, positionals[0], { state: state as TrialState | undefined });
      if (io.json) {
        io.out(JSON.stringify(rows));
        return 0;
      }
      io.out(table(
        ["trial", "model", "task", "method", "P", "init", "seed", "state", "attempts", "metric", "best", "step", "error"],
        rows.map((t) => [t.id.slice(0, 12), t.model, t.task, t.method, t.promptLength, t.init, t.seed, t.state, t.attempts, t.metric, t.bestScore?.toFixed(2), t.bestStep, t.error?.split("\n")[0]?.slice(0, 60)]),
      ));
      return 0;
    });
  },
};
