// ptune bench orchestrator (npm run bench:orchestrator): validate+expand+enqueue 10,000 trials,
// queue overhead per no-op job, and @ptune/db's write rate when it offers one.
import { benchOrchestrator, ENQUEUE_GOAL_MS, readEnv } from "@ptune/queue";
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  name: "bench orchestrator",
  summary: "time validate+expand+enqueue of 10,000 trials and the queue's overhead per job",
  usage: "ptune bench orchestrator [--local] [--noop-jobs N] [--json]",
  example: "REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgresql://postgres@127.0.0.1/ptune ptune bench orchestrator",
  options: {
    local: { type: "boolean", description: "queue in PostgreSQL (BullMQ's Postgres backend) instead of Redis" },
    "noop-jobs": { type: "string", description: "no-op jobs for the per-job overhead (default: 500)" },
  },
  async run({ positionals, values }, io) {
    if (positionals.length) throw new CliError(`unexpected argument '${positionals[0]}'\nusage: ${this.usage}`, 2);
    const env = readEnv();
    const noop = values["noop-jobs"] === undefined ? 500 : Number(values["noop-jobs"]);
    if (!Number.isInteger(noop) || noop < 1) throw new CliError(`--noop-jobs must be an integer >= 1, got '${String(values["noop-jobs"])}'`, 2);
    const r = await benchOrchestrator({
      local: Boolean(values.local),
      redisUrl: env.REDIS_URL ?? "redis://127.0.0.1:6379",
      databaseUrl: env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
      noopJobs: noop,
      log: io.json ? undefined : (l) => io.out(l),
    });
    if (io.json) io.out(JSON.stringify({ ok: true, ...r }));
    else io.out(`total validate+expand+enqueue: ${r.totalMs.toFixed(0)} ms for ${r.trials} trials (goal < ${ENQUEUE_GOAL_MS} ms: ${r.totalMs < ENQUEUE_GOAL_MS ? "met" : "MISSED"})`);
    return 0;
  },
};
