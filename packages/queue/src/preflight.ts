// Preflight: everything a sweep's trials will need, checked BEFORE anything is written, so a bad
// input fails `ptune submit` / `ptune run` / `ptune validate` once, with every problem at once,
// instead of failing on a worker 3 times per trial (issue 10: 31 attempts for 11 bad trials).
//  1. the grid is counted before it is expanded and refused above `maxTrials` (default 100,000),
//     naming the count (a 10^7 grid hung submit);
//  2. each model: config.json (@ptune/t5 readT5Config), the weight headers (openCheckpoint: the
//     safetensors headers and sizes, no tensor data), the tokenizer (T5Tokenizer.fromFile). A
//     `preset:` model whose directory does not exist yet is created by the worker: not checked;
//  3. each task with data files: train and validation load (@ptune/tasks loadSplit) and their
//     first records have labels (an unlabelled split trained until its first evaluation);
//  4. lengths: prompt_length + max_input_length within a sane maximum and the model's own limit.
import { existsSync } from "node:fs";
import path from "node:path";
import * as sweepPackage from "@ptune/sweep";
import { expandSweep, type SweepSpec, type Trial } from "@ptune/sweep";
import { openCheckpoint, readT5Config, T5Tokenizer } from "@ptune/t5";
import { getTask, loadSplit, UNLABELLED_TARGET } from "@ptune/tasks";
import { failureMessage } from "./failure.ts";

/** The default grid cap (`--max-trials` raises it). */
export const DEFAULT_MAX_TRIALS = 100_000;
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
 * How many trials the sweep expands to, without expanding it. Uses @ptune/sweep's countGrid when
 * that package has one; else counts the canonical combinations here: model tuning collapses
 * prompt_length x init to one, exclude rules are tested per combination only when the plain
 * product is small enough to walk, include rules add their sub-grids. An upper bound when
 * includes duplicate grid trials (expansion dedupes them).
 */
export function countSweepTrials(spec: SweepSpec): number {
  const external = (sweepPackage as Record<string, unknown>).countGrid;
  if (typeof external === "function") return (external as (s: SweepSpec) => number)(spec);
  const count = (g: SweepSpec["grid"]) =>
    g.model.length * g.task.length * g.seed.length * g.method.reduce((n, m) => n + (m === "model_tuning" ? 1 : g.promptLength.length * g.init.length), 0);
  let n = count(spec.grid);
  if (spec.exclude.length && n <= 20_000_000) {
    n = 0;
    for (const model of spec.grid.model)
      for (const task of spec.grid.task)
        for (const method of spec.grid.method)
          for (const promptLength of method === "model_tuning" ? [null] : spec.grid.promptLength)
            for (const init of method === "model_tuning" ? [null] : spec.grid.init)
              for (const seed of spec.grid.seed) {
                const c = { model, task, method, promptLength, init, seed };
                if (!spec.exclude.some((r) => sweepPackage.ruleMatches(r, c))) n++;
              }
  }
  for (const rule of spec.include) n += count({ ...spec.grid, ...rule });
  return n;
}

export async function preflightSweep(spec: SweepSpec, opts: { file?: string; maxTrials?: number } = {}): Promise<PreflightReport> {
  const maxTrials = opts.maxTrials ?? DEFAULT_MAX_TRIALS;
  const problems: PreflightProblem[] = [];
  const count = countSweepTrials(spec);
  const report: PreflightReport = { count, problems, checked: { models: [], tasks: [] } };
  if (count > maxTrials) {
    problems.push({
      where: "grid",
      message: `the sweep expands to ${count.toLocaleString("en-US")} trials, above the cap of ${maxTrials.toLocaleString("en-US")}; narrow the grid or raise the cap with --max-trials ${count}`,
    });
  } else {
    try {
      report.trials = expandSweep(spec);
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
    try {
      const config = readT5Config(m.checkpoint);
      openCheckpoint(m.checkpoint).close();
      // a model's own limit, when its config states one (T5 configs carry n_positions: 512)
      const nPositions = (config as unknown as { n_positions?: number }).n_positions;
      const limit = Math.min(MAX_SEQUENCE, nPositions ? 16 * nPositions : MAX_SEQUENCE);
      if (maxPrompt + maxInput > limit) {
        problems.push({ where, message: `prompt_length ${maxPrompt} + max_input_length ${maxInput} = ${maxPrompt + maxInput} tokens, above the limit of ${limit} for this model` });
      }
    } catch (e) {
      problems.push({ where, message: failureMessage(e) });
    }
    try {
      T5Tokenizer.fromFile(path.join(m.checkpoint, "tokenizer.json"));
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
    for (const split of ["train", "validation"] as const) {
      try {
        const rows = await loadSplit(def, entry.dataDir, split);
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
