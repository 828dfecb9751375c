// Vega-Lite specification of a curve figure: score vs model parameters on a log x axis (as in the
// paper's Figures 1 and 3), one coloured line per series, error bars of ± one standard deviation
// over seeds, and the paper's printed reference numbers as labelled black diamonds.
import type { CurveFigure } from "./figures.ts";

// Parameter counts print as 77M, 248M, 2.8B (the paper's axes are labelled in parameters).
const paramsLabel = "datum.value >= 1e9 ? format(datum.value / 1e9, '.3~g') + 'B' : format(datum.value / 1e6, '.3~g') + 'M'";

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  if (!(lo > 0) || !Number.isFinite(hi) || hi < lo) return out; // no log ticks without a positive range
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) if (m * 10 ** e >= lo && m * 10 ** e <= hi) out.push(m * 10 ** e);
  return out;
}

export function curveSpec(fig: CurveFigure): Record<string, unknown> {
  const xs = [...fig.points.map((p) => p.params), ...fig.reference.map((r) => r.params)];
  const ys = [...fig.points.flatMap((p) => [p.lo, p.hi]), ...fig.reference.map((r) => r.score)];
  const [xmin, xmax] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [1e7, 1e10];
  const [ymin, ymax] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 100];
  const pad = Math.max(2, (ymax - ymin) * 0.08);
  const x = {
    field: "params",
    type: "quantitative",
    title: "Model parameters",
    // A little room either side on the log scale so end points and error bars are not clipped.
    scale: { type: "log", domain: [xmin / 1.6, xmax * 1.6] },
    // Ticks at 1-2-5 steps per decade only; vega's default log ticks label every integer multiple.
    axis: { labelExpr: paramsLabel, grid: true, values: logTicks(xmin / 1.6, xmax * 1.6) },
  };
  const yScale = { domain: [Math.max(0, ymin - pad), Math.min(100, ymax + pad)], zero: false, nice: false };
  const color = { field: "series", type: "nominal", title: fig.legend, sort: fig.seriesOrder, scale: { scheme: "tableau10" } };
  const layers: Record<string, unknown>[] = [
    {
      // Error bars only where a spread exists (a single seed has none).
      transform: [{ filter: "datum.stddev != null && datum.n > 1" }],
      mark: { type: "errorbar", ticks: { size: 6 }, thickness: 1.5 },
      encoding: { x, y: { field: "lo", type: "quantitative", scale: yScale, title: fig.yTitle }, y2: { field: "hi" }, color },
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
          { field: "mean", format: ".2f" },
          { field: "stddev", format: ".2f" },
          { field: "n" },
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
    title: { text: fig.title, subtitle: fig.reference.length ? "◆ = published in Lester et al. (2021)" : "mean ± stddev over seeds" },
    width: 520,
    height: 340,
    background: "white",
    config: { font: "DejaVu Sans", legend: { orient: "right" } },
    data: { values: fig.points },
    layer: layers,
  };
}
