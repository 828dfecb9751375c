// Checkpoints named with `preset:` in a sweep are created on first use (random weights, a
// tokenizer covering the synthetic task's words), so the quickstart needs no downloads.
// Creation goes through a temp folder + rename, so a crash never leaves a half-written model
// that a later run would take for a real one.
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";
import type { SweepSpec } from "@ptune/sweep";
import { initRandomT5 } from "@ptune/t5";
import { syntheticVocabulary } from "@ptune/tasks";

export async function ensurePresetModels(spec: SweepSpec, log: (line: string) => void = () => undefined): Promise<string[]> {
  const created: string[] = [];
  for (const [name, m] of Object.entries(spec.models)) {
    if (!m.preset || existsSync(path.join(m.checkpoint, "config.json"))) continue;
    const tmp = `${m.checkpoint}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    log(`creating model '${name}' (preset ${m.preset}, random weights) in ${m.checkpoint}`);
    await initRandomT5(tmp, { preset: m.preset, seed: 0, words: syntheticVocabulary() });
    if (existsSync(path.join(m.checkpoint, "config.json"))) await rm(tmp, { recursive: true, force: true }); // another process won
    else {
      await rm(m.checkpoint, { recursive: true, force: true });
      await rename(tmp, m.checkpoint);
    }
    created.push(name);
  }
  return created;
}
