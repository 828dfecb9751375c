// Preflight: everything a sweep's trials will need, checked BEFORE anything is written, so a bad
// input fails `ptune submit` / `ptune run` / `ptune validate` once, with every problem at once,
// instead of failing on a worker 3 times per trial (issue 10: 31 attempts for 11 bad trials).
//  1. the grid is counted before it is expanded and refused above `maxTrials` (default 100,000),
//     naming the count (a 10^7 grid hung submit);
//  2. each model: config.json (@ptune/t5 readT5Config), the weight headers (openCheckpoint: the
//     weight headers and sizes, no tensor data), the tokenizer (T5Tokenizer.fromDir). An `hf:`
//     reference is checked in its cached snapshot; not cached, online it is left to the worker's
//     download, offline it is a problem; A
//     `preset:` model whose directory does not exist yet is created by the worker: not checked;
//  3. each task with data files: train and validation load (@ptune/tasks loadSplit) and their
//     first records have labels (an unlabelled split trained until its first evaluation);
//  4. lengths: prompt_length + max_input_length within a sane maximum and the model's own limit.
import { existsSync } from "node:fs";
import path from "node:path";
import { countGrid, expandSweep, MAX_TRIALS, type SweepSpec, type Trial } from "@ptune/sweep";
import { cachedRefDir, hubEnv, openCheckpoint, readT5Config, resolveDatasetRef, resolveModelRef, T5Tokenizer } from "@ptune/t5";
import { getTask, loadSplit, UNLABELLED_TARGET } from "@ptune/tasks";
import { failureMessage } from "./failure.ts";

/**
 * prompt + input tokens one example may have. T5 has no position table (relative buckets), so the
 * limit is memory: the paper trains 100 + 512; 8,192 keeps every activation far inside a typed
 * array (prompt_length: 100000 failed on workers with "Invalid typed array length").
 */
export const MAX_SEQUENCE = 8_192;
/** First records of each split checked for labels. */
const FIRST_RECORDS = 50;

export interface PreflightProblem {
  /** what the problem is about: "grid", "model <name>", "task <name>", "training" */
  where: string;
  message: string;
}

export interface PreflightReport {
  /** the grid's trial count (after exclude/include; duplicates counted once when expanded) */
  count: number;
  /** the expanded trials, when the count was within the cap */
  trials?: Trial[];
  problems: PreflightProblem[];
  checked: { models: string[]; tasks: string[] };
}

export class PreflightError extends Error {
  override name = "PreflightError";
  readonly problems: PreflightProblem[];
  constructor(readonly report: PreflightReport) {
    super(report.problems.map((p) => `${p.where}: ${p.message}`).join("\n"));
    this.problems = report.problems;
  }
}

/**
 * Where a model or data reference is on this machine without touching the network: a folder as
 * is; an `hf:` reference's cached snapshot (resolved as if HF_HUB_OFFLINE=1). Not cached: online,
 * `null` (a worker downloads it on first use, so there is nothing local to check yet); offline,
 * the resolver's one-line error.
 */
async function localRef(ref: string, kind: "model" | "dataset"): Promise<string | null> {
  const dir = cachedRefDir(ref, kind);
  if (dir !== undefined) return dir;
  if (!hubEnv().offline) return null;
  // offline and not cached: the resolver's own one-line error says where it looked and what to run
  await (kind === "model" ? resolveModelRef(ref) : resolveDatasetRef(ref));
  return null;
}

export async function preflightSweep(spec: SweepSpec, opts: { file?: string; maxTrials?: number } = {}): Promise<PreflightReport> {
  const maxTrials = opts.maxTrials ?? MAX_TRIALS; // @ptune/sweep's cap; `--max-trials` raises it
  const problems: PreflightProblem[] = [];
  const count = countGrid(spec);
  const report: PreflightReport = { count, problems, checked: { models: [], tasks: [] } };
  if (count > maxTrials) {
    problems.push({
      where: "grid",
      message: `the sweep expands to ${count.toLocaleString("en-US")} trials, above the cap of ${maxTrials.toLocaleString("en-US")}; narrow the grid or raise the cap with --max-trials ${count}`,
    });
  } else {
    try {
      report.trials = expandSweep(spec, { maxTrials });
      report.count = report.trials.length;
    } catch (e) {
      problems.push({ where: "grid", message: failureMessage(e) });
    }
  }

  // Models and tasks used by the grid or an include rule.
  const models = new Set([...spec.grid.model, ...spec.include.flatMap((r) => r.model ?? [])]);
  const tasks = new Set([...spec.grid.task, ...spec.include.flatMap((r) => r.task ?? [])]);
  const maxInput = Math.max(spec.training.prompt_tuning.maxInputLength, spec.training.model_tuning.maxInputLength);
  const promptLengths = spec.grid.method.includes("prompt_tuning") ? [...spec.grid.promptLength, ...spec.include.flatMap((r) => r.promptLength ?? [])] : [];
  const maxPrompt = promptLengths.length ? Math.max(...promptLengths) : 0;

  for (const name of [...models].sort()) {
    const m = spec.models[name];
    if (!m) continue; // the parser reports unknown model names
    report.checked.models.push(name);
    const where = `model ${name}`;
    if (m.preset && !existsSync(path.join(m.checkpoint, "config.json"))) continue; // created on first use
    let dir: string | null;
    try {
      dir = await localRef(m.checkpoint, "model");
    } catch (e) {
      problems.push({ where, message: failureMessage(e) });
      continue;
    }
    if (dir === null) continue; // an hf: model not cached yet: the worker downloads it
    try {
      const config = readT5Config(dir);
      openCheckpoint(dir).close();
      // a model's own limit, when its config states one (T5 configs carry n_positions: 512)
      const limit = Math.min(MAX_SEQUENCE, config.n_positions ? 16 * config.n_positions : MAX_SEQUENCE);
      if (maxPrompt + maxInput > limit) {
        problems.push({ where, message: `prompt_length ${maxPrompt} + max_input_length ${maxInput} = ${maxPrompt + maxInput} tokens, above the limit of ${limit} for this model` });
      }
    } catch (e) {
      problems.push({ where, message: failureMessage(e) });
    }
    try {
      T5Tokenizer.fromDir(dir); // tokenizer.json, else spiece.model (as the worker reads it)
    } catch (e) {
      if (!problems.some((p) => p.where === where)) problems.push({ where, message: failureMessage(e) });
    }
  }
  if (maxPrompt + maxInput > MAX_SEQUENCE && !problems.some((p) => p.message.includes("above the limit"))) {
    problems.push({ where: "training", message: `prompt_length ${maxPrompt} + max_input_length ${maxInput} = ${maxPrompt + maxInput} tokens, above the maximum of ${MAX_SEQUENCE}` });
  }

  for (const name of [...tasks].sort()) {
    const entry = Object.hasOwn(spec.tasks, name) ? spec.tasks[name] : undefined;
    const where = `task ${name}`;
    let def;
    try {
      def = getTask(name);
    } catch (e) {
      problems.push({ where, message: failureMessage(e) });
      continue;
    }
    if (def.source === "synthetic" || !entry?.dataDir) continue;
    report.checked.tasks.push(name);
    let dataDir: string | null;
    try {
      dataDir = await localRef(entry.dataDir, "dataset");
    } catch (e) {
      problems.push({ where, message: failureMessage(e) });
      continue;
    }
    if (dataDir === null) continue; // hf: data not cached yet: the worker downloads it
    for (const split of ["train", "validation"] as const) {
      try {
        const rows = await loadSplit(def, dataDir, split);
        if (!rows.length) {
          problems.push({ where, message: `${entry.dataDir}: the ${split} split has no records` });
          continue;
        }
        const unlabelled = rows.slice(0, FIRST_RECORDS).filter((r) => r.target === UNLABELLED_TARGET).length;
        if (unlabelled) {
          problems.push({ where, message: `${entry.dataDir}: ${unlabelled} of the first ${Math.min(FIRST_RECORDS, rows.length)} ${split} records have no label (a test split?); training and evaluation need labelled records` });
        }
      } catch (e) {
        problems.push({ where, message: `${split}: ${failureMessage(e)}` });
      }
    }
  }
  return report;
}
