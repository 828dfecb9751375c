// expandSweep: the grid's cartesian product, minus `exclude` matches, plus `include` sub-grids,
// each combination canonicalised (model tuning has no prompt, so prompt_length and init are null
// and do not multiply) and deduplicated by trial id, in a stable order: grid first (axes nested
// model > task > method > prompt_length > init > seed), then each include rule in file order.
import { SweepError } from "./errors.ts";
import { deepFreeze, trialHash } from "./hash.ts";
import { sweepCombos } from "./combos.ts";
import { countGrid } from "./count.ts";
import type { SweepSpec, Trial } from "./types.ts";

export { gridCombos, ruleMatches, sweepCombos, type Combo } from "./combos.ts";

/** Default most trials one sweep may expand to (issue 10: 300,000 took 298 s to submit; 10^7 hung). */
export const MAX_TRIALS = 100_000;

export interface ExpandOptions {
  /** Refuse a sweep of more combinations than this (counted by countGrid, before expanding). */
  maxTrials?: number;
}

/**
 * The sweep's trials. Trials share their `model`, `task` and `training` objects, deeply frozen
 * (copy before changing one); this keeps 10,000 trials cheap to build and to hash.
 * Counts first and throws a SweepError naming the count when it is above `maxTrials`.
 */
export function expandSweep(spec: SweepSpec, opts: ExpandOptions = {}): Trial[] {
  const max = opts.maxTrials ?? MAX_TRIALS;
  const count = countGrid(spec);
  if (count > max) {
    throw new SweepError([{
      file: spec.file,
      path: "grid",
      message: `the sweep expands to ${count.toLocaleString("en-US")} trials, more than the limit of ${max.toLocaleString("en-US")}; shrink the grid or split the sweep (or raise the limit: maxTrials)`,
    }]);
  }
  const models = new Map<string, Trial["model"]>();
  const tasks = new Map<string, Trial["task"]>();
  const training = {
    prompt_tuning: deepFreeze(structuredClone(spec.training.prompt_tuning)),
    model_tuning: deepFreeze(structuredClone(spec.training.model_tuning)),
  };
  const modelOf = (name: string) => {
    let m = models.get(name);
    if (!m) {
      const e = spec.models[name];
      m = deepFreeze({
        name: e.name,
        checkpoint: e.checkpoint,
        gpuMemoryGb: e.gpuMemoryGb,
        ...(e.params !== undefined && { params: e.params }),
        ...(e.preset !== undefined && { preset: e.preset }),
      });
      models.set(name, m);
    }
    return m;
  };
  const taskOf = (name: string) => {
    let t = tasks.get(name);
    if (!t) {
      const e = Object.hasOwn(spec.tasks, name) ? spec.tasks[name] : undefined;
      t = deepFreeze(e ? { name, dataDir: e.dataDir, ...(e.format !== undefined && { format: e.format }) } : { name });
      tasks.set(name, t);
    }
    return t;
  };

  const byId = new Map<string, Trial>();
  for (const c of sweepCombos(spec)) {
    const config: Omit<Trial, "id"> = {
      sweepName: spec.name,
      model: modelOf(c.model),
      task: taskOf(c.task),
      method: c.method,
      promptLength: c.promptLength,
      init: c.init,
      seed: c.seed,
      training: training[c.method],
      priority: spec.models[c.model].priority ?? spec.priority,
    };
    const id = trialHash(config);
    if (!byId.has(id)) byId.set(id, { id, ...config });
  }
  if (byId.size === 0) {
    throw new SweepError([{ file: spec.file, path: "exclude", message: "the sweep expands to no trials (the exclude rules remove every grid combination)" }]);
  }
  return [...byId.values()];
}
