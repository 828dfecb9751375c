// The grid's combinations, lazily: the cartesian product of the axes (model tuning collapses
// prompt_length x init to one), exclude rules, include sub-grids. expand.ts turns them into trials.
import type { AxisRule, Grid, Init, Method, SweepSpec } from "./types.ts";

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
