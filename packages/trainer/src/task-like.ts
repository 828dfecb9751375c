// The slice of a @ptune/tasks `TaskDef` the trainer needs: label strings (class-label init, rank
// classification), the primary metric (best / early stopping) and the official metrics.
import type { TaskDef } from "@ptune/tasks";

export type TaskLike = Pick<TaskDef, "name" | "labels" | "primaryMetric" | "score">;
