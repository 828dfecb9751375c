// Every task by name. Input field orders and label lists follow t5/data/glue_utils.py (which
// sorts feature names unless it passes `feature_names`) and TFDS label_classes.
import { classificationTask } from "./classification.ts";
import { BOOL_LABELS } from "./labels.ts";
import { mrqa } from "./mrqa.ts";
import { multirc } from "./multirc.ts";
import { record } from "./record.ts";
import { squad } from "./squad.ts";
import { synthetic } from "./synthetic.ts";
import type { TaskDef } from "./types.ts";
import { wsc } from "./wsc.ts";

const TASKS: readonly TaskDef[] = [
  // ---- SuperGLUE ----
  classificationTask({ name: "boolq", source: "superglue", labels: BOOL_LABELS, fields: ["passage", "question"], metrics: "accuracy" }),
  classificationTask({
    name: "cb",
    source: "superglue",
    labels: ["entailment", "contradiction", "neutral"],
    fields: ["hypothesis", "premise"],
    metrics: "multiclass-f1",
  }),
  classificationTask({
    name: "copa",
    source: "superglue",
    labels: ["choice1", "choice2"],
    fields: ["choice1", "choice2", "premise", "question"],
    metrics: "accuracy",
  }),
  multirc,
  record,
  classificationTask({
    name: "rte",
    source: "superglue",
    labels: ["entailment", "not_entailment"],
    fields: ["hypothesis", "premise"],
    metrics: "accuracy",
  }),
  // WiC: T5 passes feature_names=("sentence1", "sentence2", "word") and ignores the offsets.
  classificationTask({ name: "wic", source: "superglue", labels: BOOL_LABELS, fields: ["sentence1", "sentence2", "word"], metrics: "accuracy" }),
  wsc,
  // ---- GLUE ----
  classificationTask({
    name: "mrpc",
    source: "glue",
    labels: ["not_equivalent", "equivalent"],
    fields: ["sentence1", "sentence2"],
    metrics: "binary-f1",
  }),
  classificationTask({
    name: "qqp",
    source: "glue",
    labels: ["not_duplicate", "duplicate"],
    fields: ["question1", "question2"],
    metrics: "binary-f1",
  }),
  classificationTask({ name: "sst2", source: "glue", labels: ["negative", "positive"], fields: ["sentence"], metrics: "accuracy" }),
  // ---- QA ----
  squad,
  mrqa,
  // ---- generated ----
  synthetic,
];

const ALIASES: Readonly<Record<string, string>> = {
  "sst-2": "sst2",
  "wsc.fixed": "wsc",
};

const BY_NAME = new Map(TASKS.map((t) => [t.name, t]));

/** Registered task names (aliases excluded). */
export function taskNames(): string[] {
  return TASKS.map((t) => t.name);
}

/** The task called `name` (case-insensitive; "sst-2" and "wsc.fixed" are aliases). */
export function getTask(name: string): TaskDef {
  const key = name.toLowerCase();
  const task = BY_NAME.get(ALIASES[key] ?? key);
  if (!task) throw new Error(`unknown task "${name}"; expected one of ${taskNames().join(", ")}`);
  return task;
}
