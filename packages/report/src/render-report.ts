// renderReport: plain rows in, report files out (no database, no file system), so every figure
// and table can be checked from its input. `writeReport` puts the files in a directory.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { baselineOf, buildFigures, plottable, seriesOf, slug, type CurveFigure } from "./figures.ts";
import { curveSpec } from "./spec.ts";
import { specToSvg, svgToPng } from "./render-figure.ts";
import { toCsv } from "./csv.ts";
import type { EnsembleRow, NeighbourRow, ViewRows } from "./rows.ts";
import type { Reference } from "./reference.ts";
import { trialInTask } from "./tasks.ts";
import { ensembleLines, ensembleTable, figureTable, FINISHED_STATE, missingLines, neighbourTables, progressByModel } from "./tables.ts";

export interface ReportInput extends ViewRows {
  sweep: { id: string; name: string; version?: number };
  ensembles?: EnsembleRow[];
  neighbours?: NeighbourRow[];
  reference?: Reference | null;
  task?: string; // only this task's rows
}

export interface ReportFile {
  path: string; // relative, '/' separated
  contents: string | Uint8Array;
}

export interface FigureSummary {
  id: string;
  title: string;
  task: string;
  files: { svg: string; png?: string; spec: string; csv: string[] };
  series: { series: string; points: { model: string; params: number; prompt_length: number | null; init: string | null; mean: number; stddev: number | null; n: number }[] }[];
}

export interface RenderedReport {
  files: ReportFile[];
  figures: FigureSummary[];
  missing: string[]; // human lines: what has not finished or has no results
  markdown: string;
}

export interface RenderOptions {
  png?: boolean; // default true
  pngScale?: number; // default 2 (crisp on high-density screens)
}

const SERIES_COLUMNS = ["series", "model", "params", "params_label", "method", "prompt_length", "init", "mean", "stddev", "n", "lo", "hi", "clipped"];

async function renderFigure(fig: CurveFigure, opts: RenderOptions, files: ReportFile[]): Promise<FigureSummary> {
  const spec = curveSpec(fig);
  const svg = await specToSvg(spec);
  const base = `figures/${fig.id}`;
  files.push({ path: `${base}.vl.json`, contents: JSON.stringify(spec, null, 2) + "\n" }, { path: `${base}.svg`, contents: svg });
  const summary: FigureSummary = { id: fig.id, title: fig.title, task: fig.task, files: { svg: `${base}.svg`, spec: `${base}.vl.json`, csv: [] }, series: [] };
  if (opts.png !== false) {
    files.push({ path: `${base}.png`, contents: svgToPng(svg, opts.pngScale ?? 2) });
    summary.files.png = `${base}.png`;
  }
  for (const { series, points } of seriesOf(fig)) {
    const csv = `data/${fig.id}--${slug(series)}.csv`;
    files.push({ path: csv, contents: toCsv(SERIES_COLUMNS, points as never) });
    summary.files.csv.push(csv);
    summary.series.push({ series, points: points.map(({ model, params, prompt_length, init, mean, stddev, n }) => ({ model, params, prompt_length, init, mean, stddev, n })) });
  }
  if (fig.reference.length) {
    const csv = `data/${fig.id}--reference-lester2021.csv`;
    files.push({ path: csv, contents: toCsv(["label", "method", "model", "params", "score", "where"], fig.reference as never) });
    summary.files.csv.push(csv);
  }
  return summary;
}

export async function renderReport(input: ReportInput, opts: RenderOptions = {}): Promise<RenderedReport> {
  // Curves: the task's own rows. Trials, ensembles, neighbours: for 'superglue', its tasks.
  const keep = <T extends { task: string }>(rows: T[] | undefined) => (rows ?? []).filter((r) => !input.task || r.task === input.task);
  const keepTrials = <T extends { task: string }>(rows: T[] | undefined) => (rows ?? []).filter((r) => trialInTask(r.task, input.task));
  const trials = keepTrials(input.trials);
  const ensembles = keepTrials(input.ensembles);
  const neighbours = keepTrials(input.neighbours);
  const configs = keep(input.configs);
  const figures = buildFigures({ trials, configs, baseline: input.baseline ?? baselineOf({ trials: input.trials, configs: [] }), reference: input.reference });
  const files: ReportFile[] = [];
  const summaries: FigureSummary[] = [];
  for (const fig of figures) summaries.push(await renderFigure(fig, opts, files));

  const missing = missingLines(trials);
  const noParams = [...new Set([...trials, ...configs].filter((r) => !plottable(r)).map((r) => r.model))].sort();
  for (const m of noParams) missing.push(`model ${m}: parameter count unknown (params = 0), so it is left out of the figures (log x axis)`);
  if (trials.length === 0) missing.unshift(`sweep ${input.sweep.name} has no trials${input.task ? ` for task ${input.task}` : ""}`);
  else if (!trials.some((t) => t.state === FINISHED_STATE && t.best_score != null)) missing.unshift("no finished trial has a dev score yet: no figure to draw");

  const md: string[] = [`# ptune report: ${input.sweep.name}`, ""];
  const version = input.sweep.version && input.sweep.version > 1 ? ` version ${input.sweep.version}` : "";
  md.push(`Sweep \`${input.sweep.name}\`${version} (id ${input.sweep.id})${input.task ? `, task ${input.task}` : ""}. Scores are dev-set task metrics on a 0-100 scale. Each point is ONE configuration (task, method, model, prompt length, init): the mean ± sample standard deviation over its seeds of each trial's best dev score (early stopping on dev, as in the paper), with n = the number of seeds; n = 1 has no whisker, and whiskers are clipped at the metric's bounds (▲/▼).`, "");
  md.push("## Progress", "");
  const progress = progressByModel(trials);
  md.push(progress.length ? progress.map((p) => `- model ${p.model}: ${p.finished}/${p.total} trials finished`).join("\n") : "- no trials", "");
  if (missing.length) md.push("### Missing or partial results", "", ...missing.map((l) => `- ${l}`), "");

  const section = (kind: CurveFigure["kind"], title: string) => {
    const figs = figures.filter((f) => f.kind === kind);
    if (!figs.length) return;
    md.push(`## ${title}`, "");
    for (const f of figs) {
      const s = summaries.find((x) => x.id === f.id)!;
      md.push(`### ${f.title}`, "", `_${f.subtitle}._`, "", `![${f.title}](${s.files.png ?? s.files.svg})`, "", `[SVG](${s.files.svg}) · [Vega-Lite spec](${s.files.spec}) · data: ${s.files.csv.map((c) => `[${path.basename(c)}](${c})`).join(", ")}`, "", figureTable(f), "");
    }
  };
  section("scale", "Figure 1: scale curve");
  section("prompt_length", "Figure 3(a): prompt length ablation");
  section("init", "Figure 3(b): prompt initialization ablation");
  const ablationNote = (kind: CurveFigure["kind"], what: string, values: unknown[]) => {
    if (figures.some((f) => f.kind === kind)) return;
    const n = new Set(values.filter((v) => v != null)).size;
    md.push(n > 1 ? `_No ${what} figure yet: no two ${what}s have finished, plottable results (see above)._` : `_No ${what} ablation: the sweep has ${n ? "a single" : "no"} ${what}._`, "");
  };
  ablationNote("prompt_length", "prompt length", trials.map((t) => t.prompt_length));
  ablationNote("init", "prompt initialization", trials.map((t) => t.init));

  md.push("## Table 3: prompt ensembles", "");
  const lines = ensembleLines(trials, ensembles);
  if (!ensembles.length) md.push("No ensemble evaluations (evaluations with split `ensemble`) are stored for this sweep, so the ensemble column is empty; average and best are over the finished prompts (seeds) of each configuration.", "");
  if (lines.length) {
    md.push(ensembleTable(lines, input.reference), "");
    files.push({ path: "data/table3-ensembles.csv", contents: toCsv(["task", "model", "params", "method", "prompt_length", "init", "metric", "prompts", "average", "best", "ensemble"], lines as never) });
  } else md.push("No configuration has two or more finished prompts yet.", "");

  if (neighbours.length) {
    md.push("## Nearest neighbours of learned prompt tokens", "", neighbourTables(neighbours), "");
    files.push({ path: "data/neighbours.csv", contents: toCsv(["trial_id", "task", "model", "slot", "tokens"], neighbours.map((n) => ({ ...n, tokens: n.tokens.join(" ") }))) });
  }
  files.push({ path: "data/trials.csv", contents: toCsv(["trial_id", "task", "method", "model", "params", "prompt_length", "init", "seed", "state", "metric", "best_score", "best_step"], trials as never) });
  if (input.reference) md.push("## Reference", "", `Published numbers (◆ in Figure 1, Table 3) from ${input.reference.citation} ${input.reference.figure1_reference_points.note}`, "");
  const markdown = md.join("\n");
  files.unshift({ path: "report.md", contents: markdown });
  return { files, figures: summaries, missing, markdown };
}

/** Writes the files under `dir` (created as needed); returns their absolute paths. */
export async function writeReport(dir: string, files: ReportFile[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const p = path.join(dir, ...f.path.split("/"));
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, f.contents);
    out.push(p);
  }
  return out;
}
