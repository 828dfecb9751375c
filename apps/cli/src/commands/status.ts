import { listSweeps, redactUrl, runningProgress, sweepStatus, TRIAL_STATES, type Db } from "@ptune/db";
import { failureMessage, reconcile } from "@ptune/queue";
import { withSession } from "../database.ts";
import type { Command, Io } from "../command.ts";
import { progressLines, table, bar } from "../render.ts";

type Snapshot =
  | { kind: "all"; sweeps: Awaited<ReturnType<typeof listSweeps>> }
  | ({ kind: "sweep"; running: Awaited<ReturnType<typeof runningProgress>> } & Awaited<ReturnType<typeof sweepStatus>>);

async function snapshot(db: Db, sweep: string | undefined): Promise<Snapshot> {
  if (!sweep) return { kind: "all", sweeps: await listSweeps(db) };
  const status = await sweepStatus(db, sweep);
  return { kind: "sweep", ...status, running: await runningProgress(db, sweep) };
}

function print(io: Io, snap: Snapshot) {
  if (snap.kind === "all") {
    if (!snap.sweeps.length) return io.out("no sweeps yet: ptune submit <sweep.yaml>");
    io.out(table(["id", "sweep", "state", "trials", ...TRIAL_STATES], snap.sweeps.map((s) => [s.id, s.name, s.state, s.trials, ...TRIAL_STATES.map((k) => s.counts[k])])));
    return;
  }
  const total = Object.values(snap.totals).reduce((a, b) => a + b, 0);
  const done = snap.totals.completed + snap.totals.failed + snap.totals.cancelled;
  io.out(`sweep ${snap.sweep.name} (#${snap.sweep.id}, ${snap.sweep.state})  ${bar(done, total)} ${done}/${total} finished`);
  // one row per (size, task) with its counts per state
  const keys = [...new Set(snap.groups.map((g) => `${g.size}\u0000${g.task}`))];
  io.out(table(["size", "task", ...TRIAL_STATES], keys.map((k) => {
    const [size, task] = k.split("\u0000");
    return [size, task, ...TRIAL_STATES.map((s) => snap.groups.find((g) => g.size === size && g.task === task && g.state === s)?.n ?? 0)];
  })));
  if (snap.running.length) io.out(["running:", ...progressLines(snap.running)].join("\n"));
}

export const command: Command = {
  name: "status",
  summary: "trial counts per size/task/state, and progress of running trials",
  usage: "ptune status [sweep] [--watch] [--interval s] [--local] [--json]",
  example: "ptune status quickstart --watch",
  options: {
    watch: { type: "boolean", short: "w", description: "redraw until the sweep has no queued or running trials" },
    interval: { type: "string", description: "seconds between redraws with --watch (default: 2)" },
    local: { type: "boolean", description: "the queue is in PostgreSQL (no REDIS_URL), as for submit --local" },
  },
  async run({ positionals, values }, io) {
    return withSession({ local: values.local ? true : undefined, migrate: false }, async (c) => {
      const every = Number(values.interval ?? 2) * 1000;
      for (;;) {
        // The database is the truth, the queue follows (reconcile.ts): a lost job is re-added and
        // a trial the queue gave up on is recorded failed before the counts are shown. A queue
        // that is down does not hide the database's view.
        await reconcile(c.db, c.backend).catch((e) => io.err(`ptune status: queue not reconciled: ${redactUrl(failureMessage(e))}`));
        const snap = await snapshot(c.db, positionals[0]);
        if (io.json) io.out(JSON.stringify(snap));
        else {
          if (values.watch && process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H");
          print(io, snap);
        }
        const open = snap.kind === "sweep" && (snap.totals.queued > 0 || snap.totals.running > 0);
        if (!values.watch || !open) return 0;
        await new Promise((r) => setTimeout(r, every));
      }
    });
  },
};
