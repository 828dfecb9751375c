// ptune cancel <sweep>: cancel a sweep's unfinished trials; queued jobs are removed, running
// trials stop at their next step.
import { cancelSweepJobs, connect, EnvError } from "@ptune/queue";
import { NotFoundError } from "@ptune/db";
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  name: "cancel",
  summary: "cancel a sweep: queued trials are dropped, running ones stop at their next step",
  usage: "ptune cancel <sweep name|id> [--local] [--json]",
  example: "ptune cancel quickstart",
  options: { local: { type: "boolean" } },
  async run({ positionals, values }, io) {
    const [ref, ...extra] = positionals;
    if (!ref || extra.length) throw new CliError(`expected one sweep name or id\nusage: ${this.usage}`, 2);
    try {
      const c = await connect({ local: Boolean(values.local) });
      try {
        const s = await cancelSweepJobs({ db: c.db, backend: c.backend, sweep: ref });
        if (io.json) io.out(JSON.stringify({ ok: true, ...s }));
        else io.out(`sweep ${ref} (id ${s.sweepId}) cancelled: ${s.cancelled} trial(s); ${s.jobsRemoved} queued job(s) removed, ${s.running} running trial(s) stopping at their next step`);
        return 0;
      } finally {
        await c.close();
      }
    } catch (e) {
      if (e instanceof NotFoundError || e instanceof EnvError) throw new CliError(e.message);
      throw e;
    }
  },
};
