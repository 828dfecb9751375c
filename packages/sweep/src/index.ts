// @ptune/sweep: the sweep YAML (docs/sweep-format.md) -> validated SweepSpec -> Trial[] with ids.
export { parseSweep, loadSweepFile, readSweepFile, type ParseOptions } from "./parse.ts";
export { expandSweep, ruleMatches, MAX_TRIALS, type Combo, type ExpandOptions } from "./expand.ts";
export { countGrid } from "./count.ts";
export { resolveBaseline, describeBaseline, PAPER_BASELINE } from "./baseline.ts";
export { canonicalSpec, canonicalSpecJson, describeSpecChanges, summarizeSpecChanges, type CanonicalSpec } from "./version.ts";
export { trialHash, trialIdentity, canonicalJson, TRIAL_ID_LENGTH, TRIAL_IDENTITY_VERSION, type TrialConfig } from "./hash.ts";
export { queueNameFor, QUEUE_PREFIX } from "./queue-name.ts";
export { SweepError, formatProblem, type SweepProblem } from "./errors.ts";
export { TRAINING_DEFAULTS, MODEL_TUNING_DEFAULTS, PRIORITY_MAX, PACK_MAX, LIMITS } from "./schema.ts";
export {
  INITS, METHODS, TASK_FORMATS, PRESETS, SYNTHETIC_TASK,
  type SweepSpec, type Trial, type Baseline, type TrainingSettings, type ModelEntry, type TaskEntry, type Grid, type AxisRule,
  type Init, type Method, type TaskFormat, type Preset,
} from "./types.ts";
export { TrialConfigSchema, parseTrialConfig, TrialConfigError } from "./trial-config.ts";
