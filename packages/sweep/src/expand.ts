// expandSweep: the grid's cartesian product, minus `exclude` matches, plus `include` sub-grids,
// each combination canonicalised (model tuning has no prompt, so prompt_length and init are null
// and do not multiply) and deduplicated by trial id, in a stable order: grid first (axes nested
// model > task > method > prompt_length > init > seed), then each include rule in file order.
import { SweepError } from "./errors.ts";
import { deepFreeze, trialHash } from "./hash.ts";
import type { AxisRule, Grid, Init, Method, SweepSpec, Trial } from "./types.ts";

export interface Combo {
  model: string;
  task: string;
  method: Method;
  promptLength: number | null;
  init: Init | null;
  seed: number;
}

/** The canonical combinations of a grid (model tuning collapses prompt_length x init to one). */
export function* gridCombos(g: Grid): Generator<Combo> {
  for (const model of g.model)
    for (const task of g.task)
      for (const method of g.method) {
        const lengths = method === "model_tuning" ? [null] : g.promptLength;
        const inits = method === "model_tuning" ? [null] : g.init;
        for (const promptLength of lengths)
          for (const init of inits)
            for (const seed of g.seed) yield { model, task, method, promptLength, init, seed };
      }
}

/**
 * Whether `rule` matches `c`: every axis the rule names holds one of its values. A rule naming
 * prompt_length or init never matches a model-tuning combination (it has neither).
 */
export function ruleMatches(rule: AxisRule, c: Combo): boolean {
  for (const key in rule) {
    const values = rule[key as keyof AxisRule] as unknown[];
    if (!values.includes(c[key as keyof Combo])) return false;
  }
  return true;
}

/** Every combination the sweep runs, canonical, in order, possibly with duplicates. */
export function* sweepCombos(spec: SweepSpec): Generator<Combo> {
  for (const c of gridCombos(spec.grid)) if (!spec.exclude.some((r) => ruleMatches(r, c))) yield c;
  for (const rule of spec.include) yield* gridCombos({ ...spec.grid, ...rule });
}

/**
 * The sweep's trials. Trials share their `model`, `task` and `training` objects, deeply frozen
 * (copy before changing one); this keeps 10,000 trials cheap to build and to hash.
 */
export function expandSweep(spec: SweepSpec): Trial[] {
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
    throw new SweepError([{ file: spec.file, line: 1, column: 1, path: "exclude", message: "the sweep expands to no trials (the exclude rules remove every grid combination)" }]);
  }
  return [...byId.values()];
}
