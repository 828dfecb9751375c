// ptune submit <sweep.yaml>: validate, preflight (grid cap, models, data, lengths: nothing is
// written when it fails), record the sweep and its trials, queue their jobs (one queue per model
// size; a re-submitted trial adds nothing, and only jobs really added are reported).
import { SweepChangedError } from "@ptune/db";
import { submitSweepFile } from "@ptune/queue";
import { CliError, type Command } from "../command.ts";
import { maxTrialsOption, queueCommandError } from "./queue-errors.ts";

export const command: Command = {
  name: "submit",
  summary: "validate a sweep YAML, record its trials in the database and queue them (idempotent)",
  usage: "ptune submit <sweep.yaml> [--local] [--new-version] [--max-trials N] [--json]",
  example: "REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgresql://postgres@127.0.0.1/ptune ptune submit sweeps/quickstart.yaml",
  options: {
    local: { type: "boolean", description: "queue in PostgreSQL (BullMQ's Postgres backend) instead of Redis (default without REDIS_URL)" },
    "new-version": { type: "boolean", description: "record a changed sweep spec as the next version of its name (else a changed spec is refused)" },
    "max-trials": { type: "string", description: "refuse a grid larger than this many trials (default: 100,000)" },
  },
  async run({ positionals, values }, io) {
    const [file, ...extra] = positionals;
    if (!file || extra.length) throw new CliError(`expected one sweep file\nusage: ${this.usage}`, 2);
    const maxTrials = maxTrialsOption(values["max-trials"]);
    let s;
    try {
      s = await submitSweepFile(file, { local: Boolean(values.local), maxTrials, newVersion: Boolean(values["new-version"]) });
    } catch (e) {
      throw e instanceof SweepChangedError ? new CliError(e.message) : queueCommandError(e);
    }
    if (io.json) {
      const { preflight, ...rest } = s;
      io.out(JSON.stringify({ ok: true, ...rest, preflight: { count: preflight.count, checked: preflight.checked } }));
      return 0;
    }
    io.out(`sweep '${s.sweepName}'${s.version > 1 ? ` version ${s.version}` : ""} (id ${s.sweepId}): ${s.trials.total} trials, ${s.trials.new} new, ${s.trials.existing} already known`);
    const queued = Object.entries(s.queued).sort();
    for (const [queue, n] of queued) io.out(`  queued ${n} job(s) on ${queue}`);
    if (!queued.length) io.out("  queued 0 jobs: every trial that needs work already has a live job");
    if (s.packs) io.out(`  ${s.packs} of them pack job(s): compatible trials trained together in one batch (sweep 'pack:')`);
    for (const [state, n] of Object.entries(s.skipped).sort()) io.out(`  skipped ${n} ${state} trial(s)${state === "failed" ? " (ptune retry " + s.sweepName + " --failed)" : ""}`);
    io.out(`  ${(s.ms.expand + s.ms.db + s.ms.queue).toFixed(0)} ms (expand ${s.ms.expand.toFixed(0)}, database ${s.ms.db.toFixed(0)}, queue ${s.ms.queue.toFixed(0)})`);
    return 0;
  },
};
