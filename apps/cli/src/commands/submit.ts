// ptune submit <sweep.yaml>: validate, record the sweep and its trials, queue their jobs
// (one queue per model size; a re-submitted trial adds nothing).
import { SweepError } from "@ptune/sweep";
import { SweepChangedError } from "@ptune/db";
import { EnvError, submitSweepFile } from "@ptune/queue";
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  name: "submit",
  summary: "validate a sweep YAML, record its trials in the database and queue them (idempotent)",
  usage: "ptune submit <sweep.yaml> [--local] [--new-version] [--json]",
  example: "REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgresql://postgres@127.0.0.1/ptune ptune submit sweeps/quickstart.yaml",
  options: {
    local: { type: "boolean", description: "queue in PostgreSQL (BullMQ's Postgres backend) instead of Redis (default without REDIS_URL)" },
    "new-version": { type: "boolean", description: "record a changed sweep spec as the next version of its name (else a changed spec is refused)" },
  },
  async run({ positionals, values }, io) {
    const [file, ...extra] = positionals;
    if (!file || extra.length) throw new CliError(`expected one sweep file\nusage: ${this.usage}`, 2);
    let s;
    try {
      s = await submitSweepFile(file, { local: Boolean(values.local), newVersion: Boolean(values["new-version"]) });
    } catch (e) {
      if (e instanceof SweepError || e instanceof EnvError || e instanceof SweepChangedError) throw new CliError(e.message);
      throw e;
    }
    if (io.json) {
      io.out(JSON.stringify({ ok: true, ...s }));
      return 0;
    }
    io.out(`sweep '${s.sweepName}'${s.version > 1 ? ` version ${s.version}` : ""} (id ${s.sweepId}): ${s.trials.total} trials, ${s.trials.new} new, ${s.trials.existing} already known`);
    for (const [queue, n] of Object.entries(s.queued).sort()) io.out(`  queued ${n} job(s) on ${queue}`);
    if (s.packs) io.out(`  ${s.packs} of them pack job(s): compatible trials trained together in one batch (sweep 'pack:')`);
    for (const [state, n] of Object.entries(s.skipped).sort()) io.out(`  skipped ${n} ${state} trial(s)${state === "failed" ? " (ptune retry " + s.sweepName + " --failed)" : ""}`);
    io.out(`  ${(s.ms.expand + s.ms.db + s.ms.queue).toFixed(0)} ms (expand ${s.ms.expand.toFixed(0)}, database ${s.ms.db.toFixed(0)}, queue ${s.ms.queue.toFixed(0)})`);
    return 0;
  },
};
