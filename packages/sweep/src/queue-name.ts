// One BullMQ queue per model size, so that a worker subscribes only to the sizes its GPU holds.
// BullMQ queue names must not contain ':' (its key separator); we keep [a-z0-9_-] only.
export const QUEUE_PREFIX = "ptune-trials-";

export function queueNameFor(modelName: string): string {
  const safe = modelName
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-|-$/g, "");
  if (!safe) throw new Error(`queueNameFor: model name ${JSON.stringify(modelName)} has no letters or digits`);
  return QUEUE_PREFIX + safe;
}
