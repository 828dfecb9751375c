// ptune cancel <sweep>: cancel a sweep's unfinished trials; queued jobs are removed, running
// trials stop at their next step.
import { cancelSweepJobs } from "@ptune/queue";
import { CliError, type Command } from "../command.ts";
import { withSession } from "../database.ts";

export const command: Command = {
  name: "cancel",
  summary: "cancel a sweep: queued trials are dropped, running ones stop at their next step",
  usage: "ptune cancel <sweep name|id> [--local] [--json]",
  example: "ptune cancel quickstart",
  options: { local: { type: "boolean", description: "the queue is in PostgreSQL (no REDIS_URL), as for submit --local" } },
  async run({ positionals, values }, io) {
    const [ref, ...extra] = positionals;
    if (!ref || extra.length) throw new CliError(`expected one sweep name or id\nusage: ${this.usage}`, 2);
    return withSession({ local: values.local ? true : undefined, migrate: false }, async (c) => {
      const s = await cancelSweepJobs({ db: c.db, backend: c.backend, sweep: ref });
      if (io.json) io.out(JSON.stringify({ ok: true, ...s }));
      else io.out(`sweep ${ref} (id ${s.sweepId}) cancelled: ${s.cancelled} trial(s); ${s.jobsRemoved} queued job(s) removed, ${s.running} running trial(s) stopping at their next step`);
      return 0;
    });
  },
};
