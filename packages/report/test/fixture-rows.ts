// Seeded synthetic sweep results for the report tests: per-seed trial rows (trial_best) and the
// per-configuration aggregates config_scores computes from them (mean and sample stddev, as
// Postgres stddev_samp).
import { mulberry32 } from "@ptune/onnx/rng";
import type { ConfigScoreRow, TrialBestRow, ViewRows } from "../src/rows.ts";

export const MODELS = [
  ["small", 76961152],
  ["base", 247577856],
  ["large", 783150080],
  ["xl", 2849757184],
] as const;

export function meanSd(xs: number[]): { mean: number; stddev: number | null; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const stddev = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : null;
  return { mean, stddev, n };
}

export type Fixture = ViewRows;

/**
 * Task 'boolq', methods prompt_tuning (lengths 1/20/100 x inits class_label/random_uniform) and
 * model_tuning, 3 seeds; the largest model ('xl') has no finished trial (queued), so it is missing.
 */
export function makeFixture(seed = 7, opts: { unfinishedModel?: string } = { unfinishedModel: "xl" }): Fixture {
  const rand = mulberry32(seed);
  const trials: TrialBestRow[] = [];
  let k = 0;
  for (const [mi, [model, params]] of MODELS.entries()) {
    const configs: [string, number | null, string | null][] = [["model_tuning", null, null]];
    for (const L of [1, 20, 100]) for (const init of ["class_label", "random_uniform"]) configs.push(["prompt_tuning", L, init]);
    for (const [method, L, init] of configs) {
      for (let s = 0; s < 3; s++) {
        const done = model !== opts.unfinishedModel;
        const base = 55 + 8 * mi + (method === "model_tuning" ? 10 - 2 * mi : Math.log(L!) * (3 - mi * 0.6) + (init === "class_label" ? 2 : 0));
        trials.push({
          sweep_id: "1", sweep_name: "fixture", trial_id: `t${k++}`, task: "boolq", method, model, params,
          prompt_length: L, init, seed: s, state: done ? "completed" : "queued", metric: "accuracy",
          best_score: done ? Math.round((base + (rand() - 0.5) * 4) * 100) / 100 : null, best_step: done ? 100 * (s + 1) : null,
        });
      }
    }
  }
  return { trials, configs: configsOf(trials) };
}

/** What config_scores computes: one row per configuration (every axis but the seed), completed trials only. */
export function configsOf(trials: TrialBestRow[]): ConfigScoreRow[] {
  const groups = new Map<string, TrialBestRow[]>();
  for (const t of trials) {
    if (t.state !== "completed" || t.best_score == null) continue;
    const key = JSON.stringify([t.task, t.method, t.model, t.prompt_length, t.init]);
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.values()].map((g) => {
    const t = g[0]!;
    return { sweep_id: t.sweep_id, sweep_name: t.sweep_name, task: t.task, method: t.method, model: t.model, params: t.params, prompt_length: t.prompt_length, init: t.init, ...meanSd(g.map((x) => x.best_score!)) };
  });
}
