// The command registry: names, one-line summaries and how to load each command. A command's
// module (and the packages it imports: Prisma, onnxruntime, BullMQ...) is loaded only when that
// command runs or shows its help, so `ptune --help` loads nothing but this file.
// Add a command here and in its own file; commands.test.ts checks the two agree.
import type { Command } from "../command.ts";

export interface CommandEntry {
  name: string; // as in the command's file: "run", or "models init" for a group's sub-command
  summary: string;
  load(): Promise<Command>;
}

/** Groups of sub-commands: `ptune models` lists the `models ...` commands. */
export const groups: Record<string, string> = {
  models: "model checkpoints",
  db: "the database",
  bench: "benchmarks that print figures",
};

const entry = (name: string, summary: string, load: () => Promise<{ command: Command }>): CommandEntry => ({
  name,
  summary,
  load: async () => (await load()).command,
});

// In the order `ptune --help` lists them: the local quickstart, the distributed workflow, results
// and analyses, models and the engine, then the database and benchmarks.
export const commands: CommandEntry[] = [
  entry("run", "run a sweep locally: embedded Postgres, local workers, result table (no servers needed)", () => import("./run.ts")),
  entry("validate", "check a sweep YAML and everything its trials need (models, data, limits); no database needed", () => import("./validate.ts")),
  entry("submit", "validate a sweep YAML, record its trials in the database and queue them (idempotent)", () => import("./submit.ts")),
  entry("worker", "run a worker daemon that trains the queued trials of the given model sizes", () => import("./worker.ts")),
  entry("status", "trial counts per size/task/state, and progress of running trials", () => import("./status.ts")),
  entry("trials", "the trials of a sweep with their state and best dev score", () => import("./trials.ts")),
  entry("cancel", "cancel a sweep: queued trials are dropped, running ones stop at their next step", () => import("./cancel.ts")),
  entry("retry", "re-queue a sweep's failed trials (they resume from their last checkpoint)", () => import("./retry.ts")),
  entry("report", "render a sweep's figures (SVG/PNG), CSV series and report.md from the database", () => import("./report.ts")),
  entry("dashboard", "serve the live dashboard: sweeps, trial grid, training curves, workers, figures, queues", () => import("./dashboard.ts")),
  entry("ensemble", "prompt ensemble of a sweep's trials (paper Table 3): average / best / majority vote, stored for the report", () => import("./ensemble.ts")),
  entry("neighbours", "nearest vocabulary tokens of each position of a trial's best prompt (paper §7), stored for the report", () => import("./neighbours.ts")),
  entry("export", "write a trial's best prompt as a PEFT adapter (adapter_model.safetensors + adapter_config.json) or a .npy", () => import("./export.ts")),
  entry("eval", "score a prompt (.npy, PEFT adapter or trial) on a model and task split with the task's T5 metrics", () => import("./eval.ts")),
  entry("import", "read a prompt exported as a PEFT adapter or .npy and print its shape and statistics", () => import("./import.ts")),
  entry("models init", "write a seeded, randomly initialised T5 (config, safetensors, tokenizer) for machines without weights", () => import("./models-init.ts")),
  entry("models pull", "download a Hugging Face model (or dataset) into the standard Hugging Face cache", () => import("./models-pull.ts")),
  entry("check-parity", "compare the ONNX T5 engine with golden PyTorch tensors (loss, logits, gradients, decoding)", () => import("./check-parity.ts")),
  entry("db migrate", "create the database if missing and apply pending migrations (tables and views)", () => import("./db-migrate.ts")),
  entry("bench engine", "time prompt-tuning steps of a T5 (random T5-small by default) and compare with plain MatMul GFLOP/s", () => import("./bench-engine.ts")),
  entry("bench orchestrator", "time validate+expand+enqueue of 10,000 trials and the queue's overhead per job", () => import("./bench-orchestrator.ts")),
  entry("bench memory", "peak memory of what a prompt-tuning trial runs (train steps, rank scoring, greedy decoding) against the model's weight bytes", () => import("./bench-memory.ts")),
  entry("bench gpu", "prompt-tuning ms/step and packed trials/hour of T5 v1.1 sizes (fp32 / half) next to Hugging Face PEFT", () => import("./bench-gpu.ts")),
];
