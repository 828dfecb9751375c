// The report's tables (pure, from rows): progress and what is missing, the numbers behind each
// figure, the paper's Table 3 (prompt ensembles: average / best / ensemble of the same prompts) and
// nearest-neighbour tokens of learned prompts (paper Section 7).
import type { CurveFigure } from "./figures.ts";
import { formatParams, seriesOf } from "./figures.ts";
import type { EnsembleRow, NeighbourRow, TrialBestRow } from "./rows.ts";
import { table3ForTask, type Reference } from "./reference.ts";

export const FINISHED_STATE = "completed";

const fmt = (v: number | null | undefined, d = 1) => (v == null || !Number.isFinite(v) ? "—" : v.toFixed(d));
const esc = (s: string) => s.replace(/\|/g, "\\|");

export function mdTable(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.map(esc).join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map((c) => esc(String(c))).join(" | ")} |`)].join("\n");
}

export interface ModelProgress {
  model: string;
  params: number;
  total: number;
  finished: number;
  byState: Record<string, number>;
}

/** Trials per model (smallest first) and how many finished, from trial_best. */
export function progressByModel(trials: TrialBestRow[]): ModelProgress[] {
  const m = new Map<string, ModelProgress>();
  for (const t of trials) {
    const p = m.get(t.model) ?? { model: t.model, params: t.params, total: 0, finished: 0, byState: {} };
    p.total++;
    if (t.state === FINISHED_STATE) p.finished++;
    p.byState[t.state] = (p.byState[t.state] ?? 0) + 1;
    m.set(t.model, p);
  }
  return [...m.values()].sort((a, b) => a.params - b.params);
}

/** One line per model that is not complete, e.g. "model xl: 0/9 trials finished (3 running, 6 queued)". */
export function missingLines(trials: TrialBestRow[]): string[] {
  const lines: string[] = [];
  for (const p of progressByModel(trials)) {
    if (p.finished === p.total) continue;
    const rest = Object.entries(p.byState)
      .filter(([s]) => s !== FINISHED_STATE)
      .sort()
      .map(([s, n]) => `${n} ${s}`)
      .join(", ");
    lines.push(`model ${p.model}: ${p.finished}/${p.total} trials finished (${rest})`);
  }
  const noScore = trials.filter((t) => t.state === FINISHED_STATE && t.best_score == null);
  if (noScore.length) lines.push(`${noScore.length} finished trial(s) have no dev evaluation: ${noScore.slice(0, 5).map((t) => t.trial_id).join(", ")}${noScore.length > 5 ? ", …" : ""}`);
  return lines;
}

/** The numbers behind a figure: one row per model, one column per line, "mean ± sd (n=seeds)". */
export function figureTable(fig: CurveFigure): string {
  const models = [...new Map(fig.points.map((p) => [p.model, p.params])).entries()].sort((a, b) => a[1] - b[1]);
  const lines = seriesOf(fig);
  const rows = models.map(([model, params]) => [
    model,
    formatParams(params),
    ...lines.map(({ points }) => {
      const p = points.find((q) => q.model === model);
      if (!p) return "—";
      const mark = p.clipped ? " (whisker clipped)" : "";
      return p.stddev == null ? `${fmt(p.mean)} (n=${p.n})` : `${fmt(p.mean)} ± ${fmt(p.stddev)} (n=${p.n})${mark}`;
    }),
  ]);
  return mdTable(["model", "params", ...lines.map((l) => `${fig.legend} ${l.series}`)], rows);
}

export interface EnsembleLine {
  task: string;
  model: string;
  params: number;
  method: string;
  prompt_length: number | null;
  init: string | null;
  metric: string;
  prompts: number; // finished prompts (seeds) with a dev score
  average: number | null;
  best: number | null;
  ensemble: number | null;
}

const groupKey = (r: { task: string; model: string; method: string; prompt_length: number | null; init: string | null }) =>
  JSON.stringify([r.task, r.model, r.method, r.prompt_length, r.init]);

/**
 * Table 3 lines: for each ensemble evaluation, the average and best single-prompt dev scores of the
 * same configuration (finished trials of trial_best) next to the ensemble's score. Without ensemble
 * rows, configurations with >= 2 finished prompts are listed with the ensemble column empty.
 */
export function ensembleLines(trials: TrialBestRow[], ensembles: EnsembleRow[]): EnsembleLine[] {
  const scored = new Map<string, TrialBestRow[]>();
  for (const t of trials) {
    if (t.state !== FINISHED_STATE || t.best_score == null) continue;
    const k = groupKey(t);
    scored.set(k, [...(scored.get(k) ?? []), t]);
  }
  const line = (g: TrialBestRow[] | undefined, base: Omit<EnsembleLine, "prompts" | "average" | "best">): EnsembleLine => {
    const s = (g ?? []).map((t) => t.best_score!);
    return { ...base, prompts: s.length, average: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null, best: s.length ? Math.max(...s) : null };
  };
  const out: EnsembleLine[] = ensembles.length
    ? ensembles.map((e) => line(scored.get(groupKey(e)), { task: e.task, model: e.model, params: e.params, method: e.method, prompt_length: e.prompt_length, init: e.init, metric: e.metric, ensemble: e.score }))
    : [...scored.values()]
        .filter((g) => g.length >= 2)
        .map((g) => line(g, { task: g[0]!.task, model: g[0]!.model, params: g[0]!.params, method: g[0]!.method, prompt_length: g[0]!.prompt_length, init: g[0]!.init, metric: g[0]!.metric ?? "score", ensemble: null }));
  return out.sort((a, b) => (a.task === b.task ? a.params - b.params : a.task < b.task ? -1 : 1));
}

export function ensembleTable(lines: EnsembleLine[], reference: Reference | null | undefined): string {
  const rows = lines.map((l) => [l.task, l.model, l.method, l.prompt_length ?? "—", l.init ?? "—", l.metric, l.prompts, fmt(l.average), fmt(l.best), fmt(l.ensemble)]);
  let md = mdTable(["task", "model", "method", "prompt length", "init", "metric", "prompts", "average", "best", "ensemble"], rows);
  if (reference) {
    const ref = [...new Set(lines.map((l) => l.task))].flatMap((t) => table3ForTask(reference, t).map((r) => [r.key, fmt(r.average), fmt(r.best), fmt(r.ensemble)]));
    if (ref.length) md += `\n\nPaper, Table 3 (T5-XXL, 5 prompts, SuperGLUE dev):\n\n${mdTable(["task", "average", "best", "ensemble"], ref)}`;
  }
  return md;
}

/** Nearest vocabulary tokens per prompt slot, one table per trial (first `maxSlots` slots). */
export function neighbourTables(rows: NeighbourRow[], maxSlots = 10): string {
  const byTrial = new Map<string, NeighbourRow[]>();
  for (const r of rows) byTrial.set(r.trial_id, [...(byTrial.get(r.trial_id) ?? []), r]);
  return [...byTrial.entries()]
    .map(([trial, rs]) => {
      const sorted = [...rs].sort((a, b) => a.slot - b.slot);
      const head = `**${rs[0]!.task}, model ${rs[0]!.model}, trial ${trial}**`;
      const body = mdTable(["slot", "nearest tokens"], sorted.slice(0, maxSlots).map((r) => [r.slot, r.tokens.map((t) => `\`${t.replace(/`/g, "'")}\``).join(" ")]));
      return `${head}\n\n${body}${sorted.length > maxSlots ? `\n\n(${sorted.length - maxSlots} more slots in neighbours.csv)` : ""}`;
    })
    .join("\n\n");
}
