// Which task names count as SuperGLUE, exactly as the views do (prisma/migrations/*_views,
// ptune_is_superglue): the eight scored tasks, optionally prefixed "superglue/" etc.
const SUPERGLUE = /^(super_?glue[/:._-])?(boolq|cb|copa|multirc|record|rte|wic|wsc)([._-]fixed)?$/;

export const isSuperglueTask = (task: string) => SUPERGLUE.test(task.toLowerCase());

/** Whether a trial of `task` belongs to the report for `wanted` ('superglue' = its tasks). */
export function trialInTask(task: string, wanted: string | undefined): boolean {
  return !wanted || task === wanted || (wanted === "superglue" && isSuperglueTask(task));
}
