// From view rows to the figures' plotted series (pure): the paper's Figure 1 (score vs model
// parameters, one line per method) and Figure 3 (a) prompt length and (b) prompt initialisation
// ablations (score vs parameters, one line per setting). Points are mean ± stddev over seeds.
import type { ScaleCurveRow, TrialBestRow, ViewRows } from "./rows.ts";
import type { Reference, ReferencePoint } from "./reference.ts";

export interface SeriesPoint {
  series: string; // the line this point belongs to (method, prompt length or init)
  model: string;
  params: number;
  mean: number;
  stddev: number | null;
  n: number;
  lo: number; // mean - stddev (mean when stddev is unknown): error bar ends
  hi: number;
}

export interface CurveFigure {
  id: string; // file stem, e.g. "figure1-scale-superglue"
  kind: "scale" | "prompt_length" | "init";
  title: string;
  task: string;
  legend: string; // what a line is
  yTitle: string;
  seriesOrder: string[];
  points: SeriesPoint[];
  reference: ReferencePoint[]; // the paper's printed numbers drawn on the same axes
}

/** File-name safe form of a label. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9.]+/g, "-").replace(/^-+|-+$/g, "") || "x";
}

function point(series: string, r: ScaleCurveRow): SeriesPoint {
  const sd = r.stddev ?? null;
  return { series, model: r.model, params: r.params, mean: r.mean, stddev: sd, n: r.n, lo: r.mean - (sd ?? 0), hi: r.mean + (sd ?? 0) };
}

function byParams(a: SeriesPoint, b: SeriesPoint) {
  return a.series === b.series ? a.params - b.params : a.series < b.series ? -1 : 1;
}

/** The metric name a task's trials report (from trial_best), for axis titles. */
function metricOf(trials: TrialBestRow[], task: string): string | null {
  return trials.find((t) => t.task === task && t.metric)?.metric ?? null;
}

function yTitle(task: string, metric: string | null): string {
  if (task === "superglue") return "SuperGLUE score (dev)";
  return `${task} dev ${metric ?? "score"}`;
}

function tasksOf(rows: { task: string }[]): string[] {
  return [...new Set(rows.map((r) => r.task))].sort((a, b) => (a === "superglue" ? -1 : b === "superglue" ? 1 : a < b ? -1 : 1));
}

export interface FigureRows extends ViewRows {
  reference?: Reference | null;
}

/** A model can sit on the log x axis only with a known, positive parameter count. */
export const plottable = (r: { params: number }) => Number.isFinite(r.params) && r.params > 0;

/** Every figure the rows support, in report order: Figure 1 per task, then Figure 3 (a), (b). */
export function buildFigures(input: FigureRows): CurveFigure[] {
  const rows = { ...input, scaleCurve: input.scaleCurve.filter(plottable), promptLength: input.promptLength.filter(plottable), init: input.init.filter(plottable) };
  const figures: CurveFigure[] = [];
  for (const task of tasksOf(rows.scaleCurve)) {
    const points = rows.scaleCurve.filter((r) => r.task === task).map((r) => point(r.method, r)).sort(byParams);
    // The paper's reference numbers are SuperGLUE scores: only drawn on the SuperGLUE curve.
    const reference = task === "superglue" && rows.reference ? rows.reference.figure1_reference_points.points : [];
    figures.push({
      id: `figure1-scale-${slug(task)}`,
      kind: "scale",
      title: `Figure 1: ${task} score vs model size`,
      task,
      legend: "method",
      yTitle: yTitle(task, metricOf(rows.trials, task)),
      seriesOrder: [...new Set(points.map((p) => p.series))],
      points,
      reference,
    });
  }
  for (const task of tasksOf(rows.promptLength)) {
    const sel = rows.promptLength.filter((r) => r.task === task);
    const lengths = [...new Set(sel.map((r) => r.prompt_length))].sort((a, b) => a - b);
    // One figure per method: the paper's Figure 3 ablates prompt tuning only, but a sweep may hold more.
    for (const method of [...new Set(sel.map((r) => r.method))].sort()) {
      const points = sel.filter((r) => r.method === method).map((r) => point(String(r.prompt_length), r)).sort(byParams);
      if (new Set(points.map((p) => p.series)).size < 2) continue; // one length: nothing ablated
      figures.push({
        id: `figure3a-prompt-length-${slug(task)}${method === "prompt_tuning" ? "" : `-${slug(method)}`}`,
        kind: "prompt_length",
        title: `Figure 3(a): prompt length, ${task}${method === "prompt_tuning" ? "" : ` (${method})`}`,
        task,
        legend: "prompt length",
        yTitle: yTitle(task, metricOf(rows.trials, task)),
        seriesOrder: lengths.map(String).filter((l) => points.some((p) => p.series === l)),
        points,
        reference: [],
      });
    }
  }
  for (const task of tasksOf(rows.init)) {
    const sel = rows.init.filter((r) => r.task === task);
    for (const method of [...new Set(sel.map((r) => r.method))].sort()) {
      const points = sel.filter((r) => r.method === method).map((r) => point(r.init, r)).sort(byParams);
      if (new Set(points.map((p) => p.series)).size < 2) continue; // one init: nothing ablated
      figures.push({
        id: `figure3b-init-${slug(task)}${method === "prompt_tuning" ? "" : `-${slug(method)}`}`,
        kind: "init",
        title: `Figure 3(b): prompt initialization, ${task}${method === "prompt_tuning" ? "" : ` (${method})`}`,
        task,
        legend: "init",
        yTitle: yTitle(task, metricOf(rows.trials, task)),
        seriesOrder: [...new Set(points.map((p) => p.series))].sort(),
        points,
        reference: [],
      });
    }
  }
  return figures;
}

/** Points of one figure grouped by line, in legend order. */
export function seriesOf(fig: CurveFigure): { series: string; points: SeriesPoint[] }[] {
  return fig.seriesOrder.map((series) => ({ series, points: fig.points.filter((p) => p.series === series) }));
}
