// The parameter count of each model of a sweep (the x axis of the scale curve). A sweep may
// state it (`params:`); otherwise it is counted from the checkpoint's config.json when the
// checkpoint is on this machine (a hf: reference: in the Hugging Face cache; T5's tensor shapes:
// @ptune/t5 expectedT5Tensors), else 0.
import { existsSync } from "node:fs";
import path from "node:path";
import type { SweepSpec } from "@ptune/sweep";
import { cachedRefDir, expectedT5Tensors, readT5Config } from "@ptune/t5";

export function countT5Parameters(checkpointDir: string): number {
  return expectedT5Tensors(readT5Config(checkpointDir)).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}

/** model name -> parameter count (0 when unknown). */
export function modelParams(spec: SweepSpec): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of Object.values(spec.models)) {
    let n = m.params ?? 0;
    let dir: string | undefined;
    try {
      dir = m.params ? undefined : cachedRefDir(m.checkpoint, "model"); // an hf: model: its cached snapshot, never the network
    } catch {
      dir = undefined; // a malformed reference is preflight's and the parser's to report, not the count's
    }
    if (dir && existsSync(path.join(dir, "config.json"))) {
      try {
        n = countT5Parameters(dir);
      } catch {
        n = 0; // an unreadable config is the worker's error to report, not submit's
      }
    }
    out.set(m.name, n);
  }
  return out;
}
