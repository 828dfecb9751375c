// Classification tasks that T5 formats with `preprocessors.glue`: "key: value" pairs, label string
// as the target. Covers BoolQ, CB, COPA, RTE, WiC (SuperGLUE) and MRPC, QQP, SST-2 (GLUE).
import { z } from "zod";
import { parseRecord } from "./errors.ts";
import { rawId, rawLabel, resolveLabel, UNLABELLED_TARGET } from "./labels.ts";
import { accuracy, binaryF1WithInvalid, macroF1, mean } from "./metrics.ts";
import { joinFields } from "./t5-text.ts";
import type { Example, SourceKind, TaskDef } from "./types.ts";

/** Which official metric set a classification task reports (t5/data/glue_utils.py). */
export type ClassificationMetrics =
  | "accuracy" // BoolQ, COPA, RTE, WiC, SST-2
  | "multiclass-f1" // CB: mean_3class_f1 + accuracy
  | "binary-f1"; // MRPC, QQP: f1_score_with_invalid + accuracy

export interface ClassificationSpec {
  name: string;
  source: SourceKind;
  labels: readonly string[];
  /** Input keys in T5's order: sorted by name unless T5 passes `feature_names` (WiC). */
  fields: readonly string[];
  metrics: ClassificationMetrics;
}

/** Gold labels of the examples, refusing unlabelled ones (a test split cannot be scored). */
export function goldLabels(examples: readonly Example[]): string[] {
  return examples.map((e) => {
    if (e.label === undefined) throw new Error(`cannot score example ${e.id}: it has no label (unlabelled test split?)`);
    return e.label;
  });
}

export function classificationTask(spec: ClassificationSpec): TaskDef {
  const schema = z.object({
    idx: rawId,
    label: rawLabel,
    ...Object.fromEntries(spec.fields.map((f) => [f, z.string()])),
  });
  const [metricNames, primary] = metricSet(spec);
  return {
    name: spec.name,
    source: spec.source,
    labels: spec.labels,
    metrics: metricNames,
    primaryMetric: primary,
    format(raw) {
      const rec = parseRecord(schema, raw) as Record<string, unknown> & z.output<typeof schema>;
      const label = resolveLabel(rec.label, spec.labels);
      const input = joinFields(spec.fields.map((f) => [f, rec[f] as string] as const));
      return [{ id: String(rec.idx), input, target: label ?? UNLABELLED_TARGET, ...(label !== undefined && { label }) }];
    },
    score(predictions, examples): Record<string, number> {
      const golds = goldLabels(examples);
      const acc = accuracy(golds, predictions);
      if (spec.metrics === "accuracy") return { accuracy: acc };
      if (spec.metrics === "multiclass-f1") {
        const f1 = macroF1(golds, predictions, spec.labels);
        return { [`mean_${spec.labels.length}class_f1`]: f1, accuracy: acc, average: mean([f1, acc]) };
      }
      const f1 = binaryF1WithInvalid(golds, predictions, spec.labels[0]!, spec.labels[1]!);
      return { f1, accuracy: acc, average: mean([f1, acc]) };
    },
  };
}

function metricSet(spec: ClassificationSpec): [string[], string] {
  switch (spec.metrics) {
    case "accuracy":
      return [["accuracy"], "accuracy"];
    case "multiclass-f1":
      return [[`mean_${spec.labels.length}class_f1`, "accuracy", "average"], "average"];
    case "binary-f1":
      return [["f1", "accuracy", "average"], "average"];
  }
}
