// parseSweep / loadSweepFile: YAML text -> validated SweepSpec, or a SweepError listing every
// problem, one line each with file:line:col. Structure is checked by the zod schema; cross-references (models
// and tasks named in the grid and rules exist, no duplicate axis values) are checked here.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SweepError, type SweepProblem } from "./errors.ts";
import { resolveBaseline } from "./baseline.ts";
import { countGrid } from "./count.ts";
import { queueNameFor } from "./queue-name.ts";
import { issueToProblem, problemAt } from "./issues.ts";
import { AXIS_KEYS, MODEL_TUNING_DEFAULTS, sweepSchema, type RawRule, type RawSweep, type RawTraining } from "./schema.ts";
import { SYNTHETIC_TASK, type AxisRule, type Baseline, type ModelEntry, type SweepSpec, type TaskEntry, type TrainingSettings } from "./types.ts";
import { sortProblems, YamlSource } from "./yaml-source.ts";

export interface ParseOptions {
  /** Folder that relative checkpoint / data_dir paths are resolved against (default: the file's folder). */
  baseDir?: string;
}

export function parseSweep(text: string, fileName: string, opts: ParseOptions = {}): SweepSpec {
  const src = YamlSource.parse(text, fileName);
  if (src.value === null || src.value === undefined) {
    throw new SweepError([{ file: fileName, line: 1, col: 1, path: "", message: "expected a sweep mapping with name, models and grid, got an empty document" }]);
  }
  // Every problem at once (issue 11: a file with 6 mistakes took 6 runs): the schema's, then the
  // cross-references, checked on the document as written so that they need no valid schema. A
  // cross-reference problem at a path the schema already faulted adds nothing and is dropped.
  const parsed = sweepSchema.safeParse(src.value);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => issueToProblem(src, i));
  const faulted = new Set(problems.map((p) => p.path));
  problems.push(...crossCheck(src).filter((p) => !faulted.has(p.path)));
  if (problems.length > 0 || !parsed.success) throw new SweepError(sortProblems(problems));
  const spec = toSpec(parsed.data, fileName, opts.baseDir ?? path.dirname(path.resolve(fileName)));
  if (countGrid(spec) === 0) {
    throw new SweepError([problemAt(src, ["exclude"], "the exclude rules remove every grid combination; expected at least one trial", { key: true })]);
  }
  return spec;
}

/** The validated spec and the YAML text as submitted (stored with the sweep). */
export function readSweepFile(file: string, opts: ParseOptions = {}): { spec: SweepSpec; text: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // no position: the file has none (issue 11: "a missing file is reported at a fake nope.yaml:1:1")
    const message = code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory, expected a sweep YAML file" : `cannot read the sweep file (${code ?? (e as Error).message})`;
    throw new SweepError([{ file, path: "", message }]);
  }
  return { spec: parseSweep(text, file, opts), text };
}

export function loadSweepFile(file: string, opts: ParseOptions = {}): SweepSpec {
  return readSweepFile(file, opts).spec;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
/** An axis as written: a list, a scalar shorthand, or undefined when absent or empty. */
const listOf = (v: unknown): unknown[] | undefined => (v === null || v === undefined ? undefined : Array.isArray(v) ? v : [v]);
/** The grid's defaults for axes left out (schema.ts), for checks that need the values. */
const AXIS_DEFAULTS: Partial<Record<(typeof AXIS_KEYS)[number], unknown[]>> = { method: ["prompt_tuning"], prompt_length: [100], init: ["class_label"], seed: [0] };

/**
 * Cross-references, on the document as written (possibly invalid elsewhere): models and tasks
 * named in the grid and rules are defined, no duplicate axis values, model names route to
 * distinct queues, rules are not empty, the baseline is a grid value.
 */
function crossCheck(src: YamlSource): SweepProblem[] {
  const doc = isObject(src.value) ? src.value : {};
  const problems: SweepProblem[] = [];
  const models = isObject(doc.models) ? Object.keys(doc.models) : null;
  const tasks = doc.tasks === undefined ? [] : isObject(doc.tasks) ? Object.keys(doc.tasks) : null;
  const checkValues = (base: (string | number)[], key: (typeof AXIS_KEYS)[number], raw: unknown) => {
    const values = listOf(raw);
    if (!values) return;
    const indexed = Array.isArray(raw); // a scalar shorthand has no index in the document
    const seen = new Map<unknown, number>();
    values.forEach((v, i) => {
      const at = indexed ? [...base, key, i] : [...base, key];
      if (key === "model" && models && typeof v === "string" && !models.includes(v)) {
        problems.push(problemAt(src, at, `unknown model ${JSON.stringify(v)}; expected one of the models defined under models: ${models.join(" | ")}`));
      }
      if (key === "task" && tasks && typeof v === "string" && v !== SYNTHETIC_TASK && !tasks.includes(v)) {
        const known = [SYNTHETIC_TASK, ...tasks].join(" | ");
        problems.push(problemAt(src, at, `unknown task ${JSON.stringify(v)}; expected one of ${known} (other tasks need an entry under tasks: with a data_dir)`));
      }
      const first = seen.get(v);
      if (first !== undefined) {
        problems.push(problemAt(src, at, `duplicate value ${JSON.stringify(v)} (already at index ${first})`));
      } else seen.set(v, i);
    });
  };
  // one queue per model: two names that sanitise to the same queue name would share workers
  const queues = new Map<string, string>();
  for (const m of models ?? []) {
    const q = queueNameFor(m);
    const other = queues.get(q);
    if (other !== undefined) {
      problems.push(problemAt(src, ["models", m], `model names "${other}" and "${m}" both route to the queue ${q}; expected names that differ in more than case and punctuation`, { key: true }));
    } else queues.set(q, m);
  }
  const grid = isObject(doc.grid) ? doc.grid : {};
  for (const key of AXIS_KEYS) checkValues(["grid"], key, grid[key]);
  for (const which of ["exclude", "include"] as const) {
    const rules = doc[which];
    if (!Array.isArray(rules)) continue;
    rules.forEach((rule, r) => {
      if (!isObject(rule)) return;
      const keys = AXIS_KEYS.filter((k) => rule[k] !== undefined);
      if (keys.length === 0 && Object.keys(rule).length === 0) {
        const why = which === "exclude" ? "an empty rule would remove every trial" : "an empty rule would repeat the whole grid";
        problems.push(problemAt(src, [which, r], `expected at least one axis (${AXIS_KEYS.join(" | ")}); ${why}`));
      }
      for (const k of keys) checkValues([which, r], k, rule[k]);
    });
  }
  if (isObject(doc.baseline)) {
    for (const key of ["prompt_length", "init"] as const) {
      const v = doc.baseline[key];
      const values = listOf(grid[key]) ?? AXIS_DEFAULTS[key]!;
      if (v !== undefined && v !== null && !values.includes(v)) {
        problems.push(problemAt(src, ["baseline", key], `expected one of the grid's values (${values.join(" | ")}), got ${JSON.stringify(v)}`));
      }
    }
  }
  return problems;
}

function resolveDir(dir: string, baseDir: string): string {
  // `~/models` means the user's home, as in a shell
  if (dir === "~" || dir.startsWith("~/")) return path.join(os.homedir(), dir.slice(1));
  if (dir.startsWith("hf:")) return dir; // a Hugging Face reference, resolved at use time (@ptune/t5 resolveModelRef)
  return path.resolve(baseDir, dir);
}

function toSpec(raw: RawSweep, file: string, baseDir: string): SweepSpec {
  const models: Record<string, ModelEntry> = {};
  for (const [name, m] of Object.entries(raw.models)) {
    models[name] = {
      name,
      checkpoint: resolveDir(m.checkpoint, baseDir),
      gpuMemoryGb: m.gpu_memory_gb,
      ...(m.params !== undefined && { params: m.params }),
      ...(m.preset !== undefined && { preset: m.preset }),
      ...(m.priority !== undefined && { priority: m.priority }),
    };
  }
  const tasks: Record<string, TaskEntry> = {};
  for (const [name, t] of Object.entries(raw.tasks)) {
    tasks[name] = { name, dataDir: resolveDir(t.data_dir, baseDir), ...(t.format !== undefined && { format: t.format }) };
  }
  const { model_tuning: overrides, ...base } = raw.training;
  const { early_stopping: esOverride, ...rest } = overrides;
  const definedOverrides = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const es = { ...base.early_stopping, ...Object.fromEntries(Object.entries(esOverride ?? {}).filter(([, v]) => v !== undefined)) };
  return {
    name: raw.name,
    file,
    priority: raw.priority,
    pack: raw.pack,
    models,
    tasks,
    grid: toRule(raw.grid, baseDir) as SweepSpec["grid"],
    training: {
      prompt_tuning: toTraining(base),
      model_tuning: toTraining({ ...base, ...MODEL_TUNING_DEFAULTS, ...definedOverrides, early_stopping: es } as RawTraining),
    },
    exclude: raw.exclude.map((r) => toRule(r, baseDir)),
    include: raw.include.map((r) => toRule(r, baseDir)),
    // file: inits compare resolved, like the grid's values (toRule)
    baseline: resolveBaseline(
      { promptLength: raw.grid.prompt_length, init: raw.grid.init.map((i) => resolveInit(i, baseDir)) },
      { promptLength: raw.baseline?.prompt_length, init: raw.baseline?.init === undefined ? undefined : resolveInit(raw.baseline.init, baseDir) },
    ) as Baseline,
  };
}

/** `file:<path>` inits are resolved against the sweep's folder, like checkpoints. */
function resolveInit<T extends string>(i: T, baseDir: string): T {
  return (i.startsWith("file:") ? `file:${resolveDir(i.slice(5), baseDir)}` : i) as T;
}

function toRule(r: RawRule, baseDir: string): AxisRule {
  const out: AxisRule = {};
  if (r.model) out.model = r.model;
  if (r.task) out.task = r.task;
  if (r.method) out.method = r.method;
  if (r.prompt_length) out.promptLength = r.prompt_length;
  if (r.init) out.init = r.init.map((i) => resolveInit(i, baseDir));
  if (r.seed) out.seed = r.seed;
  return out;
}

function toTraining(t: RawTraining): TrainingSettings {
  return {
    optimizer: t.optimizer,
    lr: t.lr,
    weightDecay: t.weight_decay,
    decayRate: t.decay_rate,
    parameterScaling: t.parameter_scaling,
    batchSize: t.batch_size,
    steps: t.steps,
    schedule: t.schedule,
    evalEvery: t.eval_every,
    checkpointEvery: t.checkpoint_every,
    maxInputLength: t.max_input_length,
    maxTargetLength: t.max_target_length,
    earlyStopping: { metric: t.early_stopping.metric, patience: t.early_stopping.patience },
  };
}
