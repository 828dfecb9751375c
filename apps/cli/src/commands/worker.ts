// ptune worker: the daemon serving some model sizes until SIGTERM/SIGINT (graceful: running
// trials checkpoint and go back to the queue; a second signal stops at once).
import { redactUrl } from "@ptune/db";
import { EnvError, runWorker } from "@ptune/queue";
import { CliError, type Command } from "../command.ts";

/** `--memory-gb 7.5` -> bytes */
const memoryGb = (v: unknown): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--memory-gb must be a number of GiB > 0, got '${String(v)}'`, 2);
  return Math.round(n * 2 ** 30);
};
const int = (v: unknown, name: string, dflt: number) => {
  if (v === undefined) return dflt;
  if (typeof v !== "string" || !/^\d+$/.test(v) || Number(v) < 1) throw new CliError(`--${name} must be an integer >= 1, got '${String(v)}'`, 2);
  return Number(v);
};

export const command: Command = {
  name: "worker",
  summary: "run a worker daemon that trains the queued trials of the given model sizes",
  usage: "ptune worker --sizes <model,...> [--device cpu|cuda] [--concurrency N] [--id NAME] [--local] [--threads N] [--lock-ms N] [--stalled-ms N] [--shutdown-ms N] [--memory-gb N]",
  example: "ptune worker --sizes small,base --device cuda --concurrency 1",
  options: {
    sizes: { type: "string", description: "model names (the keys of a sweep's models:) this worker trains, comma separated (required)" },
    device: { type: "string", description: "cpu or cuda (default: PTUNE_DEVICE or cpu)" },
    concurrency: { type: "string", description: "trials trained at once (default: 1)" },
    id: { type: "string", description: "this worker's name in the database (default: host and pid)" },
    local: { type: "boolean", description: "take jobs from the PostgreSQL queue (submit --local) instead of Redis" },
    threads: { type: "string", description: "onnxruntime intra-op threads per trial (default: onnxruntime's)" },
    "lock-ms": { type: "string", description: "BullMQ job lock duration in ms (default: 10000)" },
    "stalled-ms": { type: "string", description: "BullMQ stalled-job check interval in ms (default: 5000)" },
    "memory-gb": { type: "string", description: "host memory one job may use on a CPU worker, in GiB; a model whose estimate exceeds it is refused with one line (default: 75% of the host's)" },
    "shutdown-ms": { type: "string", description: "on SIGTERM/SIGINT, how long running trials get to checkpoint before the worker exits anyway (default: 60000)" },
  },
  async run({ positionals, values }, io) {
    if (positionals.length) throw new CliError(`unexpected argument '${positionals[0]}'\nusage: ${this.usage}`, 2);
    const sizes = String(values.sizes ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (!sizes.length) throw new CliError(`--sizes is required: the model names (as in the sweep's models:) this worker trains\nusage: ${this.usage}`, 2);
    const device = values.device as string | undefined;
    if (device !== undefined && device !== "cpu" && device !== "cuda") throw new CliError(`--device must be cpu or cuda, got '${device}'`, 2);
    const log = (line: string) => io.err(`[worker ${new Date().toISOString()}] ${redactUrl(line)}`);
    let started;
    try {
      started = await runWorker({
        sizes,
        device,
        concurrency: int(values.concurrency, "concurrency", 1),
        workerId: values.id as string | undefined,
        local: Boolean(values.local),
        threads: values.threads === undefined ? undefined : int(values.threads, "threads", 1),
        lockDuration: int(values["lock-ms"], "lock-ms", 10_000),
        stalledInterval: int(values["stalled-ms"], "stalled-ms", 5_000),
        // SIGTERM/SIGINT: running trials get this long to checkpoint; the process exits in every state
        shutdownTimeoutMs: int(values["shutdown-ms"], "shutdown-ms", 60_000),
        ...(values["memory-gb"] !== undefined && { memoryBudgetBytes: memoryGb(values["memory-gb"]) }),
        signals: true,
        log,
      });
    } catch (e) {
      if (e instanceof EnvError) throw new CliError(e.message);
      throw e;
    }
    const { handle, done } = started;
    if (io.json) io.out(JSON.stringify({ ok: true, event: "started", workerId: handle.workerId, queues: handle.queues }));
    else log(`${handle.workerId} serving ${handle.queues.join(", ")} (pid ${process.pid})`);
    await done;
    if (io.json) io.out(JSON.stringify({ ok: true, event: "stopped", workerId: handle.workerId }));
    else log("stopped");
    return 0;
  },
};
