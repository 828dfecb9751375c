// Vega-Lite specification of a curve figure: score vs model parameters on a log x axis (as in the
// paper's Figures 1 and 3), one coloured line per series, error bars of ± one standard deviation
// over seeds (none for n = 1; clipped at the metric's bounds and marked ▲/▼ where cut), the
// models named at their x positions, and the paper's printed reference numbers as black diamonds.
import { formatParams, type CurveFigure } from "./figures.ts";

// Parameter counts print as 69.8K, 248M, 11B (formatParams; the paper labels its axes in parameters).
const paramsLabel =
  "datum.value >= 1e12 ? format(datum.value / 1e12, '.3~g') + 'T' : datum.value >= 1e9 ? format(datum.value / 1e9, '.3~g') + 'B' : datum.value >= 1e6 ? format(datum.value / 1e6, '.3~g') + 'M' : datum.value >= 1e3 ? format(datum.value / 1e3, '.3~g') + 'K' : format(datum.value, '.3~g')";

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  if (!(lo > 0) || !Number.isFinite(hi) || hi < lo) return out; // no log ticks without a positive range
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) if (m * 10 ** e >= lo && m * 10 ** e <= hi) out.push(m * 10 ** e);
  return out;
}

const quote = (s: string) => JSON.stringify(s); // a Vega expression string literal

export function curveSpec(fig: CurveFigure): Record<string, unknown> {
  const xs = [...fig.points.map((p) => p.params), ...fig.reference.map((r) => r.params)];
  const ys = [...fig.points.flatMap((p) => [p.lo, p.hi]), ...fig.reference.map((r) => r.score)];
  const [xmin, xmax] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [1e7, 1e10];
  const [ymin, ymax] = ys.length ? [Math.min(...ys), Math.max(...ys)] : fig.bounds;
  const pad = Math.max(2, (ymax - ymin) * 0.08);
  // The models sit at their own x positions, named there ("small 60.5M"); a decade with no model
  // gets a plain 1-2-5 tick so the log scale still reads.
  const models = [...new Map(fig.points.map((p) => [p.params, p.model])).entries()].sort((a, b) => a[0] - b[0]);
  const modelTicks = models.map(([v]) => v);
  const ticks = [...modelTicks, ...logTicks(xmin / 1.6, xmax * 1.6).filter((t) => modelTicks.every((m) => Math.abs(Math.log10(t / m)) > 0.3))].sort((a, b) => a - b);
  const modelLabel = models.map(([v, m]) => `datum.value == ${v} ? ${quote(`${m} ${formatParams(v)}`)} : `).join("");
  const x = {
    field: "params",
    type: "quantitative",
    title: "Model parameters",
    // A little room either side on the log scale so end points and error bars are not clipped.
    scale: { type: "log", domain: [xmin / 1.6, xmax * 1.6] },
    axis: { labelExpr: `${modelLabel}${paramsLabel}`, grid: true, values: ticks, labelAngle: models.length > 3 ? -25 : 0, labelOverlap: false },
  };
  // Never beyond the metric's bounds: a whisker that would cross one is clipped (and marked).
  const yScale = { domain: [Math.max(fig.bounds[0], ymin - pad), Math.min(fig.bounds[1], ymax + pad)], zero: false, nice: false };
  const color = { field: "series", type: "nominal", title: fig.legend, sort: fig.seriesOrder, scale: { scheme: "tableau10" } };
  const layers: Record<string, unknown>[] = [
    {
      // Error bars only where a spread exists (a single seed has none).
      transform: [{ filter: "datum.stddev != null && datum.n > 1" }],
      mark: { type: "errorbar", ticks: { size: 6 }, thickness: 1.5 },
      encoding: { x, y: { field: "lo", type: "quantitative", scale: yScale, title: fig.yTitle }, y2: { field: "hi" }, color },
    },
    // A whisker cut at the metric's bound ends in a triangle pointing past it.
    {
      transform: [{ filter: "datum.clipped == 'lo' || datum.clipped == 'both'" }],
      mark: { type: "point", shape: "triangle-down", filled: true, size: 60 },
      encoding: { x, y: { field: "lo", type: "quantitative", scale: yScale }, color },
    },
    {
      transform: [{ filter: "datum.clipped == 'hi' || datum.clipped == 'both'" }],
      mark: { type: "point", shape: "triangle-up", filled: true, size: 60 },
      encoding: { x, y: { field: "hi", type: "quantitative", scale: yScale }, color },
    },
    {
      mark: { type: "line", point: { filled: true, size: 50 }, strokeWidth: 2 },
      encoding: {
        x,
        y: { field: "mean", type: "quantitative", scale: yScale, title: fig.yTitle },
        color,
        order: { field: "params", type: "quantitative" },
        tooltip: [
          { field: "series", title: fig.legend },
          { field: "model" },
          { field: "params_label", title: "parameters" },
          { field: "mean", format: ".2f" },
          { field: "stddev", format: ".2f" },
          { field: "n", title: "n (seeds)" },
        ],
      },
    },
  ];
  if (fig.reference.length) {
    const refData = { values: fig.reference.map((r) => ({ ...r, text: `${r.label} (${r.score})` })) };
    layers.push(
      {
        data: refData,
        mark: { type: "point", shape: "diamond", filled: true, size: 90, color: "black" },
        encoding: { x, y: { field: "score", type: "quantitative", scale: yScale }, tooltip: [{ field: "label" }, { field: "score" }, { field: "where" }] },
      },
      {
        data: refData,
        mark: { type: "text", align: "right", dx: -8, dy: -8, fontSize: 10, color: "#333" },
        encoding: { x, y: { field: "score", type: "quantitative", scale: yScale }, text: { field: "text" } },
      },
    );
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: fig.title,
      subtitle: [
        ...fig.subtitle.split("; "),
        [fig.points.some((p) => p.clipped) ? `▲/▼ = whisker clipped at the metric's bound (${fig.bounds.join("–")})` : "", fig.reference.length ? "◆ = published in Lester et al. (2021)" : ""].filter(Boolean).join("; "),
      ].filter(Boolean),
    },
    width: 520,
    height: 340,
    background: "white",
    // labelLimit: series names such as "prompt_tuning, length 100, class_label" must not be cut (vega-lite default 160 px)
    config: { font: "DejaVu Sans", legend: { orient: "right", labelLimit: 480, titleLimit: 480 } },
    data: { values: fig.points },
    layer: layers,
  };
}
