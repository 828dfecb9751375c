// Checkpoints named with `preset:` in a sweep are created on first use (random weights, a
// tokenizer covering the synthetic task's words), so the quickstart needs no downloads.
// Creation goes through a temp folder + rename, so a crash never leaves a half-written model
// that a later run would take for a real one. Used by `ptune run` (before submitting) and by the
// worker's sandbox (before opening the engine), so `ptune submit` + `ptune worker` work too.
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";
import { threadId } from "node:worker_threads";
import type { ModelEntry, SweepSpec } from "@ptune/sweep";
import { initRandomT5 } from "@ptune/t5";
import { syntheticVocabulary } from "@ptune/tasks";

/** Creates the model's checkpoint when it has a preset and none exists; returns whether it did. */
export async function ensurePresetModel(name: string, m: Pick<ModelEntry, "checkpoint" | "preset">, log: (line: string) => void = () => undefined): Promise<boolean> {
  if (!m.preset || existsSync(path.join(m.checkpoint, "config.json"))) return false;
  // pid AND thread: several sandbox threads of one worker process may race for the same model
  const tmp = `${m.checkpoint}.tmp-${process.pid}-${threadId}`;
  await rm(tmp, { recursive: true, force: true });
  log(`creating model '${name}' (preset ${m.preset}, random weights) in ${m.checkpoint}`);
  await initRandomT5(tmp, { preset: m.preset, seed: 0, words: syntheticVocabulary() });
  if (existsSync(path.join(m.checkpoint, "config.json"))) {
    await rm(tmp, { recursive: true, force: true }); // another process won
    return false;
  }
  await rm(m.checkpoint, { recursive: true, force: true });
  await rename(tmp, m.checkpoint);
  return true;
}

export async function ensurePresetModels(spec: SweepSpec, log: (line: string) => void = () => undefined): Promise<string[]> {
  const created: string[] = [];
  for (const [name, m] of Object.entries(spec.models)) if (await ensurePresetModel(name, m, log)) created.push(name);
  return created;
}
