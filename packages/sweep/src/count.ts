// countGrid: how many combinations a sweep expands to, computed from the axis sizes without
// enumerating them (issue 10: a 10^7-trial grid hung `submit`). Grid combinations minus those an
// exclude rule matches (inclusion-exclusion over the rules: the combinations matching several
// rules are those matching their per-axis intersection), plus each include rule's sub-grid.
// It counts combinations as sweepCombos yields them: an include that repeats grid combinations
// counts them again, so it is an upper bound of the distinct trials (exact without includes).
import { gridCombos, ruleMatches } from "./combos.ts";
import type { AxisRule, Grid, SweepSpec } from "./types.ts";

type Values = Partial<Record<keyof Grid, ReadonlySet<unknown>>>;
const AXES = ["model", "task", "method", "promptLength", "init", "seed"] as const;

/** Combinations of `g` whose every axis lies in `r` (axes `r` does not name are unrestricted). */
function countMatching(g: Grid, r: Values): number {
  const size = (axis: keyof Grid) => {
    const vs = r[axis];
    return vs ? (g[axis] as unknown[]).filter((v) => vs.has(v)).length : g[axis].length;
  };
  const common = size("model") * size("task") * size("seed");
  let n = 0;
  for (const method of g.method) {
    if (r.method && !r.method.has(method)) continue;
    if (method === "model_tuning") {
      // model tuning has no prompt: one combination per (model, task, seed), never matched by a
      // rule naming prompt_length or init (ruleMatches)
      if (!r.promptLength && !r.init) n += common;
    } else n += common * size("promptLength") * size("init");
  }
  return n;
}

function toValues(rule: AxisRule): Values {
  const out: Values = {};
  for (const a of AXES) if (rule[a]) out[a] = new Set(rule[a] as unknown[]);
  return out;
}

function intersect(a: Values, b: Values): Values {
  const out: Values = { ...a };
  for (const axis of AXES) {
    const vb = b[axis];
    if (!vb) continue;
    const va = a[axis];
    out[axis] = va ? new Set([...va].filter((v) => vb.has(v))) : vb;
  }
  return out;
}

/** Grid combinations matched by at least one rule (inclusion-exclusion, pruning empty intersections). */
function countExcluded(g: Grid, rules: Values[]): number {
  let total = 0;
  const walk = (from: number, acc: Values, depth: number) => {
    for (let i = from; i < rules.length; i++) {
      const next = depth === 0 ? rules[i]! : intersect(acc, rules[i]!);
      const n = countMatching(g, next);
      if (n === 0) continue; // every superset of this set of rules matches nothing either
      total += depth % 2 === 0 ? n : -n;
      walk(i + 1, next, depth + 1);
    }
  };
  walk(0, {}, 0);
  return total;
}

/** More exclude rules than this are counted by walking the grid (2^rules intersections otherwise). */
const MAX_RULES_FOR_INCLUSION_EXCLUSION = 16;

export function countGrid(spec: Pick<SweepSpec, "grid" | "exclude" | "include">): number {
  const g = spec.grid;
  let n: number;
  if (spec.exclude.length <= MAX_RULES_FOR_INCLUSION_EXCLUSION) n = countMatching(g, {}) - countExcluded(g, spec.exclude.map(toValues));
  else {
    n = 0;
    for (const c of gridCombos(g)) if (!spec.exclude.some((r) => ruleMatches(r, c))) n++;
  }
  for (const rule of spec.include) n += countMatching({ ...g, ...rule }, {});
  return n;
}
