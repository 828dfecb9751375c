// @ptune/tasks: task registry, loaders, T5 text-to-text formatting, official metrics, synthetic task.
export type { Example, FormatOptions, SourceKind, Split, TaskDef } from "./types.ts";
export { RecordError, TaskDataError } from "./errors.ts";
export { getTask, taskNames } from "./registry.ts";
export { loadSplit } from "./loaders.ts";
export { classificationTask, type ClassificationSpec, type ClassificationMetrics } from "./classification.ts";
export { BOOL_LABELS, UNLABELLED_TARGET } from "./labels.ts";
export {
  accuracy,
  binaryF1WithInvalid,
  groupExactMatch,
  macroF1,
  normalizeSquad,
  squadMetrics,
} from "./metrics.ts";
export { joinFields, padPunctuation, removeFirstTextToken, stringJoin } from "./t5-text.ts";
export { multircInput } from "./multirc.ts";
export { recordInput } from "./record.ts";
export { fixWsc, wscSimple, wscInput } from "./wsc.ts";
export { flattenSquad } from "./squad.ts";
export {
  SYNTHETIC_LABELS,
  syntheticLabelOf,
  syntheticTask,
  syntheticVocabulary,
  type SyntheticOptions,
} from "./synthetic.ts";
