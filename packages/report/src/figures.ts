// From view rows to the figures' plotted series (pure): the paper's Figure 1 (score vs model
// parameters, one line per method) and Figure 3 (a) prompt length and (b) prompt initialisation
// ablations (score vs parameters, one line per setting).
//
// Nothing pools (issue 9 item 4): every point is one config_scores row, i.e. mean ± stddev over
// the seeds of exactly one configuration (task, method, model, prompt length, init), with its n.
// Figure 1 draws prompt tuning at the sweep's baseline configuration (paper: length 100,
// class-label init); an axis without a baseline becomes part of the series instead (one series
// per configuration). Figure 3(a) fixes the init at the baseline (or draws one figure per init),
// 3(b) fixes the length likewise. buildFigures throws if two rows would share a point.
import { describeBaseline, resolveBaseline } from "@ptune/sweep";
import type { BaselineRow, ConfigScoreRow, TrialBestRow, ViewRows } from "./rows.ts";
import type { Reference, ReferencePoint } from "./reference.ts";

export interface SeriesPoint {
  series: string; // the line this point belongs to (method, prompt length, init, or a configuration)
  model: string;
  params: number;
  params_label: string; // 69.8K, 248M, 11B
  method: string;
  prompt_length: number | null;
  init: string | null;
  mean: number;
  stddev: number | null;
  n: number; // seeds averaged
  lo: number; // whisker ends: mean ∓ stddev, clipped at the metric's bounds (mean when n = 1)
  hi: number;
  clipped: "" | "lo" | "hi" | "both"; // which whisker end was cut at a bound
}

export interface CurveFigure {
  id: string; // file stem, e.g. "figure1-scale-superglue"
  kind: "scale" | "prompt_length" | "init";
  title: string;
  subtitle: string; // what is fixed, and "mean ± stddev over seeds"
  task: string;
  legend: string; // what a line is
  yTitle: string;
  /** the metric's range on the 0-100 scale: whiskers are clipped to it */
  bounds: [number, number];
  seriesOrder: string[];
  points: SeriesPoint[];
  reference: ReferencePoint[]; // the paper's printed numbers drawn on the same axes
}

/** File-name safe form of a label. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9.]+/g, "-").replace(/^-+|-+$/g, "") || "x";
}

/** Parameter counts as the paper's axes print them: 69.8K, 60.5M, 248M, 2.85B, 11B (3 significant digits). */
export function formatParams(n: number): string {
  const units: [number, string][] = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
  for (const [scale, unit] of units) if (Math.abs(n) >= scale * 0.9995) return `${Number((n / scale).toPrecision(3))}${unit}`;
  return String(Number(n.toPrecision(3)));
}

/**
 * A metric's range on the report's 0-100 scale. Correlations (Matthews, Pearson, Spearman) run
 * from -100; everything else T5 reports for these tasks (accuracy, F1, exact match) from 0.
 */
export function metricBounds(metric: string | null): [number, number] {
  return metric && /mcc|matthews|pearson|spearman|corr/i.test(metric) ? [-100, 100] : [0, 100];
}

function point(series: string, r: ConfigScoreRow, [min, max]: [number, number]): SeriesPoint {
  const sd = r.n > 1 ? (r.stddev ?? null) : null; // n = 1: no spread, no whisker
  const lo0 = r.mean - (sd ?? 0);
  const hi0 = r.mean + (sd ?? 0);
  const lo = Math.max(min, lo0);
  const hi = Math.min(max, hi0);
  const clipped = lo0 < min && hi0 > max ? "both" : lo0 < min ? "lo" : hi0 > max ? "hi" : "";
  return {
    series, model: r.model, params: r.params, params_label: formatParams(r.params), method: r.method,
    prompt_length: r.prompt_length, init: r.init, mean: r.mean, stddev: sd, n: r.n, lo, hi, clipped,
  };
}

/** The metric name a task's trials report (from trial_best), for axis titles and bounds. */
function metricOf(trials: TrialBestRow[], task: string): string | null {
  return trials.find((t) => (task === "superglue" || t.task === task) && t.metric)?.metric ?? null;
}

function yTitle(task: string, metric: string | null): string {
  if (task === "superglue") return "SuperGLUE score (dev)";
  return `${task} dev ${metric ?? "score"}`;
}

function tasksOf(rows: { task: string }[]): string[] {
  return [...new Set(rows.map((r) => r.task))].sort((a, b) => (a === "superglue" ? -1 : b === "superglue" ? 1 : a < b ? -1 : 1));
}

const distinct = <T>(xs: T[]) => [...new Set(xs)];
const byNumber = (a: number, b: number) => a - b;

export interface FigureRows extends ViewRows {
  reference?: Reference | null;
}

/** A model can sit on the log x axis only with a known, positive parameter count. */
export const plottable = (r: { params: number }) => Number.isFinite(r.params) && r.params > 0;

/** The baseline: the sweep's own, else the rule of @ptune/sweep applied to the trials' values. */
export function baselineOf(input: ViewRows): BaselineRow {
  if (input.baseline) return input.baseline;
  const pt = input.trials.filter((t) => t.prompt_length != null);
  const b = resolveBaseline({ promptLength: pt.map((t) => t.prompt_length!), init: pt.map((t) => t.init).filter((v): v is string => v != null) });
  return { prompt_length: b.promptLength, init: b.init };
}

/** Throws when two points of one series share a model: the figure would pool or overdraw. */
function assertOnePointPerModel(fig: CurveFigure): CurveFigure {
  const seen = new Set<string>();
  for (const p of fig.points) {
    const k = `${p.series}\u0000${p.model}`;
    if (seen.has(k)) throw new Error(`${fig.id}: two configurations fall on the point (${p.series}, ${p.model}); a figure point must be exactly one configuration`);
    seen.add(k);
  }
  return fig;
}

const sortPoints = (order: string[]) => (a: SeriesPoint, b: SeriesPoint) => order.indexOf(a.series) - order.indexOf(b.series) || a.params - b.params;
const SEEDS = "mean ± stddev over seeds, n per point (n = 1: no whisker)";

/** Every figure the rows support, in report order: Figure 1 per task, then Figure 3 (a), (b). */
export function buildFigures(input: FigureRows): CurveFigure[] {
  const configs = input.configs.filter(plottable);
  const baseline = baselineOf(input);
  const figures: CurveFigure[] = [];
  const common = (task: string) => {
    const metric = metricOf(input.trials, task);
    return { task, yTitle: yTitle(task, metric), bounds: metricBounds(task === "superglue" ? null : metric) };
  };

  for (const task of tasksOf(configs)) {
    const c = common(task);
    const rows = configs.filter((r) => r.task === task);
    // prompt-tuning rows at the baseline; an axis without one splits the series instead
    const atBaseline = (r: ConfigScoreRow) =>
      r.prompt_length == null || ((baseline.prompt_length == null || r.prompt_length === baseline.prompt_length) && (baseline.init == null || r.init === baseline.init));
    const label = (r: ConfigScoreRow) =>
      r.prompt_length == null ? r.method : [r.method, baseline.prompt_length == null ? `length ${r.prompt_length}` : "", baseline.init == null ? `${r.init}` : ""].filter(Boolean).join(", ");
    const sel = rows.filter(atBaseline).sort((a, b) => (a.method < b.method ? -1 : a.method > b.method ? 1 : 0) || (a.prompt_length ?? 0) - (b.prompt_length ?? 0) || String(a.init).localeCompare(String(b.init)));
    const order = distinct(sel.map(label));
    const fixed = describeBaseline({ promptLength: baseline.prompt_length, init: baseline.init });
    const hasPrompt = sel.some((r) => r.prompt_length != null);
    const subtitle = !hasPrompt
      ? SEEDS
      : baseline.prompt_length != null && baseline.init != null
        ? `prompt tuning at the baseline: ${fixed}; ${SEEDS}`
        : `one series per prompt-tuning configuration${fixed ? ` (fixed: ${fixed})` : ""}, no baseline for the rest (set baseline: in the sweep); ${SEEDS}`;
    figures.push(assertOnePointPerModel({
      id: `figure1-scale-${slug(task)}`,
      kind: "scale",
      title: `Figure 1: ${task} score vs model size`,
      subtitle,
      legend: baseline.prompt_length != null && baseline.init != null ? "method" : "method and configuration",
      ...c,
      seriesOrder: order,
      points: sel.map((r) => point(label(r), r, c.bounds)).sort(sortPoints(order)),
      // The paper's reference numbers are SuperGLUE scores: only drawn on the SuperGLUE curve.
      reference: task === "superglue" && input.reference ? input.reference.figure1_reference_points.points : [],
    }));
  }

  // Figure 3: prompt-tuning rows (those with a prompt), one figure per task, method and fixed value.
  const prompted = configs.filter((r) => r.prompt_length != null && r.init != null);
  const ablation = (kind: "prompt_length" | "init") => {
    const varied = kind === "prompt_length" ? (r: ConfigScoreRow) => String(r.prompt_length) : (r: ConfigScoreRow) => r.init!;
    const fixedOf = kind === "prompt_length" ? (r: ConfigScoreRow) => r.init! : (r: ConfigScoreRow) => String(r.prompt_length);
    const base = kind === "prompt_length" ? baseline.init : baseline.prompt_length == null ? null : String(baseline.prompt_length);
    for (const task of tasksOf(prompted)) {
      const c = common(task);
      for (const method of distinct(prompted.filter((r) => r.task === task).map((r) => r.method)).sort()) {
        const rows = prompted.filter((r) => r.task === task && r.method === method);
        const values = base != null ? [base] : distinct(rows.map(fixedOf)).sort((a, b) => (kind === "prompt_length" ? a.localeCompare(b) : Number(a) - Number(b)));
        for (const value of values) {
          const sel = rows.filter((r) => fixedOf(r) === value);
          const order = kind === "prompt_length" ? distinct(sel.map((r) => r.prompt_length!)).sort(byNumber).map(String) : distinct(sel.map(varied)).sort();
          if (order.length < 2) continue; // one value: nothing ablated
          const fixedText = kind === "prompt_length" ? `${value} init` : `prompt length ${value}`;
          const suffix = `${method === "prompt_tuning" ? "" : `-${slug(method)}`}${base != null ? "" : `-${slug(kind === "prompt_length" ? value : `length-${value}`)}`}`;
          figures.push(assertOnePointPerModel({
            id: `${kind === "prompt_length" ? "figure3a-prompt-length" : "figure3b-init"}-${slug(task)}${suffix}`,
            kind,
            title: `Figure 3(${kind === "prompt_length" ? "a" : "b"}): ${kind === "prompt_length" ? "prompt length" : "prompt initialization"}, ${task}${method === "prompt_tuning" ? "" : ` (${method})`}`,
            subtitle: `${fixedText}${base != null ? " (the baseline)" : ""}; ${SEEDS}`,
            legend: kind === "prompt_length" ? "prompt length" : "init",
            ...c,
            seriesOrder: order,
            points: sel.map((r) => point(varied(r), r, c.bounds)).sort(sortPoints(order)),
            reference: [],
          }));
        }
      }
    }
  };
  ablation("prompt_length");
  ablation("init");
  return figures;
}

/** Points of one figure grouped by line, in legend order. */
export function seriesOf(fig: CurveFigure): { series: string; points: SeriesPoint[] }[] {
  return fig.seriesOrder.map((series) => ({ series, points: fig.points.filter((p) => p.series === series) }));
}
