// ptune retry <sweep> --failed: put a sweep's failed trials back in the queue (resuming from
// their last checkpoint).
import { connect, EnvError, retryFailedJobs } from "@ptune/queue";
import { NotFoundError } from "@ptune/db";
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  name: "retry",
  summary: "re-queue a sweep's failed trials (they resume from their last checkpoint)",
  usage: "ptune retry <sweep name|id> --failed [--local] [--json]",
  example: "ptune retry quickstart --failed",
  options: { failed: { type: "boolean" }, local: { type: "boolean" } },
  async run({ positionals, values }, io) {
    const [ref, ...extra] = positionals;
    if (!ref || extra.length) throw new CliError(`expected one sweep name or id\nusage: ${this.usage}`, 2);
    if (!values.failed) throw new CliError(`say which trials to retry: --failed (the only kind for now)\nusage: ${this.usage}`, 2);
    try {
      const c = await connect({ local: Boolean(values.local) });
      try {
        const s = await retryFailedJobs({ db: c.db, backend: c.backend, sweep: ref });
        if (io.json) io.out(JSON.stringify({ ok: true, ...s }));
        else io.out(`sweep ${ref} (id ${s.sweepId}): ${s.retried} failed trial(s) re-queued (${s.jobsRetried} job(s) retried, ${s.jobsAdded} added)`);
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
