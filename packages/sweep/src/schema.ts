// The sweep YAML as written (snake_case keys). Every object is strict (unknown keys are errors)
// and every leaf carries the "expected ..." text that error messages quote (see issues.ts).
// Training defaults follow Lester et al. 2021, section 3 (and ../shared/reference/lester2021.json):
// Adafactor, lr 0.3, constant schedule, weight decay 1e-5, beta2 decay 0.8, no parameter scaling,
// batch 32, 30k steps, early stopping on dev by the task metric. Model tuning: lr 1e-3.
import { z } from "zod";
import { INITS, METHODS, PRESETS, TASK_FORMATS, type Init } from "./types.ts";

/** A strict object whose unknown-key error lists the known keys (and suggests the closest). */
function obj<S extends z.core.$ZodLooseShape>(shape: S, desc: string) {
  const keys = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? unknownKey(String(iss.keys[0]), keys) : desc),
  });
}

export function unknownKey(key: string, known: readonly string[]): string {
  const near = known.filter((k) => editDistance(k, key) <= Math.max(1, Math.floor(k.length / 3)));
  return `unknown key${near.length ? ` (did you mean ${near[0]}?)` : ""}; expected one of ${known.join(" | ")}`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

const int = (desc: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.int({ error: desc }).min(min, { error: desc }).max(max, { error: desc });
const positive = (desc: string) => z.number({ error: desc }).positive({ error: desc });
const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `one of ${values.join(" | ")}` });

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const name = (what: string) => {
  const desc = `a ${what} name (letters, digits, _ . -)`;
  return z.string({ error: desc }).regex(NAME, { error: desc }).max(100, { error: desc });
};
const dirPath = z.string({ error: "a directory path" }).min(1, { error: "a directory path" });

/** BullMQ's priority range: 1 runs first, 2^21 last (0 would mean "unprioritised"). */
export const PRIORITY_MAX = 2 ** 21;
const priority = int(`an integer from 1 (runs first) to ${PRIORITY_MAX}`, 1, PRIORITY_MAX);
/** Most trials one worker trains in one packed batch (`pack:`; issue #4, @ptune/queue README). */
export const PACK_MAX = 64;
const pack = int(`an integer from 1 (one trial per job) to ${PACK_MAX}`, 1, PACK_MAX);

/** Axis values: a list, or a single value as shorthand for a one-element list. */
function axis<T extends z.ZodType>(leaf: T, listDesc: string) {
  return z.preprocess(
    (v) => (v === null || v === undefined || Array.isArray(v) ? v : [v]),
    z.array(leaf, { error: listDesc }).min(1, { error: listDesc }),
  );
}

const INIT_DESC = `one of ${INITS.join(" | ")} | file:<prompt.npy or PEFT adapter dir>`;
/**
 * Upper bounds that stop absurd values at parse time (issue 10: `prompt_length: 100000` passed
 * validation, then failed three times on a worker with `Invalid typed array length`). Generous
 * for the paper (prompts up to 150 tokens, 512-token inputs, batch 32, 30k steps).
 */
export const LIMITS = {
  promptLength: 1024,
  inputLength: 8192,
  targetLength: 8192,
  batchSize: 65_536,
  steps: 100_000_000,
} as const;
const promptLength = int(`an integer from 1 to ${LIMITS.promptLength}`, 1, LIMITS.promptLength);

const AXES = {
  model: axis(name("model"), "a non-empty list of model names"),
  prompt_length: axis(promptLength, `a non-empty list of integers from 1 to ${LIMITS.promptLength}`),
  // `file:<path>`: start from a saved prompt (.npy or PEFT adapter dir; docs/sweep-format.md "init")
  init: axis(z.string({ error: INIT_DESC }).refine((v) => (INITS as readonly string[]).includes(v) || /^file:.+/.test(v), { error: (iss) => `expected ${INIT_DESC}, got ${JSON.stringify(iss.input)}` }) as z.ZodType<Init>, `a non-empty list of ${INITS.join(" | ")} | file:<path>`),
  task: axis(name("task"), "a non-empty list of task names"),
  seed: axis(int("an integer from 0 to 2147483647", 0, 2 ** 31 - 1), "a non-empty list of integers >= 0"),
  method: axis(oneOf(METHODS), `a non-empty list of ${METHODS.join(" | ")}`),
};

/** The paper's defaults (YAML names). */
export const TRAINING_DEFAULTS = {
  optimizer: "adafactor",
  lr: 0.3,
  weight_decay: 1e-5,
  decay_rate: 0.8,
  parameter_scaling: false,
  batch_size: 32,
  steps: 30_000,
  schedule: "constant",
  eval_every: 1000,
  checkpoint_every: 1000,
  // T5X's SuperGLUE feature lengths (t5x/configs ... sglue: inputs 512, targets 64)
  max_input_length: 512,
  max_target_length: 64,
  early_stopping: { metric: null, patience: null },
} as const;

/** Defaults of the `model_tuning:` block, applied over the base settings for model-tuning trials. */
export const MODEL_TUNING_DEFAULTS = { lr: 1e-3 } as const;

const metric = z.string({ error: "a metric name, or null for the task's primary metric" }).min(1, { error: "a metric name, or null for the task's primary metric" }).nullable();
const patience = int("an integer >= 1 (evaluations), or null", 1).nullable();
const esDesc = "a mapping with metric? and patience?";
const earlyStopping = obj({ metric: metric.default(null), patience: patience.default(null) }, esDesc);
/** The model_tuning block's early_stopping: no defaults, merged over the base settings' one. */
const earlyStoppingOverride = obj({ metric: metric.optional(), patience: patience.optional() }, esDesc);

const trainingLeaves = {
  optimizer: z.literal("adafactor", { error: "adafactor (the only optimizer)" }),
  lr: positive("a learning rate > 0"),
  weight_decay: z.number({ error: "a number >= 0" }).min(0, { error: "a number >= 0" }),
  decay_rate: z.number({ error: "a number in (0, 1] (the paper's 0.8)" }).gt(0, { error: "a number in (0, 1] (the paper's 0.8)" }).max(1, { error: "a number in (0, 1] (the paper's 0.8)" }),
  // The trainer implements the paper's setting only (transformers' scale_parameter=False).
  parameter_scaling: z.literal(false, { error: "false (the paper's setting; parameter scaling is not implemented)" }),
  batch_size: int(`an integer from 1 to ${LIMITS.batchSize}`, 1, LIMITS.batchSize),
  steps: int(`an integer from 1 to ${LIMITS.steps}`, 1, LIMITS.steps),
  schedule: z.literal("constant", { error: "constant (the only schedule)" }),
  eval_every: int("an integer >= 1 (steps)", 1),
  checkpoint_every: int("an integer >= 1 (steps)", 1),
  max_input_length: int(`an integer from 1 to ${LIMITS.inputLength} (tokens)`, 1, LIMITS.inputLength),
  max_target_length: int(`an integer from 1 to ${LIMITS.targetLength} (tokens)`, 1, LIMITS.targetLength),
  early_stopping: earlyStopping.prefault({}),
};
type Leaves = typeof trainingLeaves;

const D = TRAINING_DEFAULTS;
const trainingOverrides = obj(
  {
    ...(Object.fromEntries(Object.entries(trainingLeaves).map(([k, s]) => [k, s.optional()])) as { [K in keyof Leaves]: z.ZodOptional<Leaves[K]> }),
    early_stopping: earlyStoppingOverride.optional(),
  },
  "a mapping of training settings to override for model tuning",
).prefault({});

const training = obj(
  {
    optimizer: trainingLeaves.optimizer.default(D.optimizer),
    lr: trainingLeaves.lr.default(D.lr),
    weight_decay: trainingLeaves.weight_decay.default(D.weight_decay),
    decay_rate: trainingLeaves.decay_rate.default(D.decay_rate),
    parameter_scaling: trainingLeaves.parameter_scaling.default(D.parameter_scaling),
    batch_size: trainingLeaves.batch_size.default(D.batch_size),
    steps: trainingLeaves.steps.default(D.steps),
    schedule: trainingLeaves.schedule.default(D.schedule),
    eval_every: trainingLeaves.eval_every.default(D.eval_every),
    checkpoint_every: trainingLeaves.checkpoint_every.default(D.checkpoint_every),
    max_input_length: trainingLeaves.max_input_length.default(D.max_input_length),
    max_target_length: trainingLeaves.max_target_length.default(D.max_target_length),
    early_stopping: trainingLeaves.early_stopping,
    model_tuning: trainingOverrides,
  },
  "a mapping of training settings",
).prefault({});

const model = obj(
  {
    checkpoint: dirPath,
    gpu_memory_gb: positive("a number of GiB > 0"),
    params: int("an integer >= 1 (parameter count)", 1).optional(),
    preset: oneOf(PRESETS).optional(),
    priority: priority.optional(),
  },
  "a mapping with checkpoint, gpu_memory_gb, params?, preset?, priority?",
).refine((m) => !(m.preset && m.checkpoint.startsWith("hf:")), {
  // a preset writes random weights into a local folder (@ptune/queue ensure-models.ts); a hub
  // snapshot is read-only and already has weights, so the two together can only be a mistake
  path: ["preset"],
  error: "a preset creates a random model in a local folder; it cannot be combined with an hf: checkpoint (remove preset:, or give a local folder as checkpoint)",
});

const task = obj(
  { data_dir: dirPath, format: oneOf(TASK_FORMATS).optional() },
  "a mapping with data_dir and format?",
);

const grid = obj(
  {
    model: AXES.model,
    task: AXES.task,
    method: AXES.method.default(["prompt_tuning"]),
    // the paper's default setup: 100 tokens, class-label init
    prompt_length: AXES.prompt_length.default([100]),
    init: AXES.init.default(["class_label"]),
    seed: AXES.seed.default([0]),
  },
  "a mapping of axes (model, task, method?, prompt_length?, init?, seed?) to lists of values",
);

const rule = obj(
  {
    model: AXES.model.optional(),
    task: AXES.task.optional(),
    method: AXES.method.optional(),
    prompt_length: AXES.prompt_length.optional(),
    init: AXES.init.optional(),
    seed: AXES.seed.optional(),
  },
  "a mapping of axis names to a value or a list of values",
);

/**
 * The configuration Figure 1 draws prompt tuning at (the paper's Figure 1 uses prompt length 100
 * and class-label init) and Figure 3 fixes the other axis at. Each key must be a grid value;
 * defaults are resolved by resolveBaseline (baseline.ts).
 */
const baseline = obj(
  { prompt_length: promptLength.optional(), init: oneOf(INITS).optional() },
  "a mapping with prompt_length? and init? (values of the grid)",
);

export const sweepSchema = obj(
  {
    name: name("sweep"),
    priority: priority.default(100),
    pack: pack.default(1),
    models: z
      .record(name("model"), model, { error: "a mapping of model names to { checkpoint, gpu_memory_gb, ... }" })
      .refine((m) => Object.keys(m).length > 0, { error: "expected at least one model" }),
    tasks: z.record(name("task"), task, { error: "a mapping of task names to { data_dir, format? }" }).default({}),
    grid,
    training,
    exclude: z.array(rule, { error: "a list of rules" }).default([]),
    include: z.array(rule, { error: "a list of rules" }).default([]),
    baseline: baseline.optional(),
  },
  "a sweep mapping with name, models, grid and optional tasks, training, exclude, include, baseline, priority, pack",
);

export type RawSweep = z.output<typeof sweepSchema>;
export type RawRule = z.output<typeof rule>;
export type RawTraining = Omit<RawSweep["training"], "model_tuning">;
export const AXIS_KEYS = ["model", "task", "method", "prompt_length", "init", "seed"] as const;
