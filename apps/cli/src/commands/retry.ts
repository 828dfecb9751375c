// ptune retry <sweep> --failed: put a sweep's failed trials back in the queue (resuming from
// their last checkpoint).
import { resolveSweep } from "@ptune/db";
import { reconcile, retryFailedJobs } from "@ptune/queue";
import { CliError, type Command } from "../command.ts";
import { withSession } from "../database.ts";

export const command: Command = {
  name: "retry",
  summary: "re-queue a sweep's failed trials (they resume from their last checkpoint)",
  usage: "ptune retry <sweep name|id> --failed [--local] [--json]",
  example: "ptune retry quickstart --failed",
  options: {
    failed: { type: "boolean", description: "re-queue the failed trials (required: the only kind for now)" },
    local: { type: "boolean", description: "the queue is in PostgreSQL (no REDIS_URL), as for submit --local" },
  },
  async run({ positionals, values }, io) {
    const [ref, ...extra] = positionals;
    if (!ref || extra.length) throw new CliError(`expected one sweep name or id\nusage: ${this.usage}`, 2);
    if (!values.failed) throw new CliError(`say which trials to retry: --failed (the only kind for now)\nusage: ${this.usage}`, 2);
    return withSession({ local: values.local ? true : undefined, migrate: false }, async (c) => {
      await c.backend.ready();
      // First the database's truth (reconcile.ts): a trial whose job BullMQ gave up on while its row
      // said running is recorded failed — so the retry below re-queues it — and lost jobs come back.
      const { id: sweepId } = await resolveSweep(c.db, ref);
      const r = await reconcile(c.db, c.backend, { sweepId, graceMs: 0 });
      const s = await retryFailedJobs({ db: c.db, backend: c.backend, sweep: sweepId });
      const readded = Object.values(r.readded).reduce((a, b) => a + b, 0);
      if (io.json) io.out(JSON.stringify({ ok: true, ...s, reconciled: { readded, settled: r.settled } }));
      else {
        io.out(`sweep ${ref} (id ${s.sweepId}): ${s.retried} failed trial(s) re-queued (${s.jobsRetried} job(s) retried, ${s.jobsAdded} added)`);
        if (readded || r.settled) io.out(`  reconciled: ${readded} lost job(s) re-added, ${r.settled} trial(s) the queue gave up on recorded failed`);
      }
      return 0;
    });
  },
};
