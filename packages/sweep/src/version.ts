// Sweep versions (issue 9 item 3): a sweep name stands for one canonical spec. canonicalSpec is
// what decides the sweep's results, in the YAML's own names: models (checkpoint, params), tasks,
// the grid (axis values sorted: reordering a list changes nothing), training settings per method
// with defaults filled, exclude/include rules and the baseline. Left out: the file name and the
// scheduling hints (priority, pack, gpu_memory_gb, preset), which change no trial's result.
// @ptune/db stores it with the sweep and refuses a re-submission whose canonical spec differs,
// quoting describeSpecChanges, unless a new version is asked for.
import { canonicalJson } from "./hash.ts";
import type { AxisRule, SweepSpec, TrainingSettings } from "./types.ts";

const sortValues = (vs: readonly (string | number)[]) => [...vs].sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));

function rule(r: AxisRule): Record<string, (string | number)[]> {
  const out: Record<string, (string | number)[]> = {};
  if (r.model) out.model = sortValues(r.model);
  if (r.task) out.task = sortValues(r.task);
  if (r.method) out.method = sortValues(r.method);
  if (r.promptLength) out.prompt_length = sortValues(r.promptLength);
  if (r.init) out.init = sortValues(r.init);
  if (r.seed) out.seed = sortValues(r.seed);
  return out;
}

function training(t: TrainingSettings) {
  return {
    optimizer: t.optimizer,
    lr: t.lr,
    weight_decay: t.weightDecay,
    decay_rate: t.decayRate,
    parameter_scaling: t.parameterScaling,
    batch_size: t.batchSize,
    steps: t.steps,
    schedule: t.schedule,
    eval_every: t.evalEvery,
    checkpoint_every: t.checkpointEvery,
    max_input_length: t.maxInputLength,
    max_target_length: t.maxTargetLength,
    early_stopping: { metric: t.earlyStopping.metric, patience: t.earlyStopping.patience },
  };
}

/**
 * The base settings, plus `model_tuning`: where model tuning's settings differ from them (its
 * defaults and overrides), only when some trial is model tuning. Equivalent to the full
 * settings, and a changed base value is reported once, not once per method.
 */
function trainingOf(spec: SweepSpec) {
  const base = training(spec.training.prompt_tuning);
  const usesModelTuning = spec.grid.method.includes("model_tuning") || spec.include.some((r) => r.method?.includes("model_tuning"));
  if (!usesModelTuning) return base;
  const mt = training(spec.training.model_tuning) as Record<string, unknown>;
  const differs = Object.fromEntries(Object.entries(mt).filter(([k, v]) => canonicalJson(v) !== canonicalJson((base as Record<string, unknown>)[k])));
  return { ...base, model_tuning: differs };
}

export type CanonicalSpec = ReturnType<typeof canonicalSpec>;

export function canonicalSpec(spec: SweepSpec) {
  return {
    models: Object.fromEntries(
      Object.values(spec.models).map((m) => [m.name, { checkpoint: m.checkpoint, ...(m.params !== undefined && { params: m.params }) }]),
    ),
    tasks: Object.fromEntries(Object.values(spec.tasks).map((t) => [t.name, { data_dir: t.dataDir, ...(t.format !== undefined && { format: t.format }) }])),
    grid: rule(spec.grid),
    training: trainingOf(spec),
    exclude: spec.exclude.map(rule),
    include: spec.include.map(rule),
    baseline: { prompt_length: spec.baseline.promptLength, init: spec.baseline.init },
  };
}

/** The canonical spec as one string: equal strings, same sweep version. */
export const canonicalSpecJson = (spec: SweepSpec) => canonicalJson(canonicalSpec(spec));

const show = (v: unknown) => (v === undefined ? "(none)" : canonicalJson(v));
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * What changed from `before` to `after` (two canonical specs, or any JSON), one entry per changed
 * leaf: `training.steps 40 -> 60`, `grid.seed [0,1] -> [0,1,2]`, `models.xl (none) -> {...}`. Lists and
 * scalars are compared whole; mappings key by key.
 */
export function describeSpecChanges(before: unknown, after: unknown, at = ""): string[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => {
      const p = at ? `${at}.${k}` : k;
      if (!(k in before)) return [`${p} (none) -> ${show(after[k])}`];
      if (!(k in after)) return [`${p} ${show(before[k])} -> (none)`];
      return describeSpecChanges(before[k], after[k], p);
    });
  }
  if (canonicalJson(before ?? null) === canonicalJson(after ?? null)) return [];
  return [`${at || "(spec)"} ${show(before)} -> ${show(after)}`];
}

/** The refusal's summary: the first few changes, then how many more. */
export function summarizeSpecChanges(before: unknown, after: unknown, max = 6): string {
  const all = describeSpecChanges(before, after);
  return all.length > max ? `${all.slice(0, max).join("; ")}; and ${all.length - max} more` : all.join("; ");
}
