// A small inline SVG line chart for one trial: training loss over steps (left axis) and the dev
// score of its evaluations (right axis, 0-100 scale as the trainer reports it).
import type { CurvePoint, TrialCurves } from "../queries.ts";
import { esc } from "./html.ts";

const W = 340;
const H = 150;
const PAD = { l: 44, r: 40, t: 10, b: 24 };

function scale(d0: number, d1: number, r0: number, r1: number) {
  const span = d1 - d0 || 1;
  return (v: number) => r0 + ((v - d0) / span) * (r1 - r0);
}

/**
 * Round tick values covering [lo, hi]: a step of 1, 2 or 5 x 10^k giving about `count` intervals,
 * the axis running from the tick below lo to the tick above hi (so labels read 60 / 65 / 70, not
 * 61.37 / 73.02). Labels carry as many decimals as the step needs.
 */
export function niceTicks(lo: number, hi: number, count = 3): { values: number[]; labels: string[] } {
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1]; // a flat series still gets an axis around it
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= raw * (1 - 1e-9))!;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const values: number[] = [];
  for (let v = Math.floor(lo / step + 1e-9) * step; v <= Math.ceil(hi / step - 1e-9) * step + step / 2; v += step) values.push(Number(v.toFixed(decimals)));
  const label = (v: number) => (Math.abs(v) >= 1000 && decimals === 0 ? `${+(v / 1000).toFixed(1)}k` : v.toFixed(decimals));
  return { values, labels: values.map(label) };
}

/** The metric drawn as the training curve: 'loss' when recorded, else the first one. */
export function trainingSeries(c: TrialCurves): { name: string; points: CurvePoint[] } | null {
  const names = Object.keys(c.metrics);
  const name = names.includes("loss") ? "loss" : names.sort()[0];
  return name ? { name, points: c.metrics[name]! } : null;
}

export function curveSvg(c: TrialCurves): string {
  const train = trainingSeries(c);
  const all = [...(train?.points ?? []), ...c.dev];
  if (!all.length) return `<svg width="${W}" height="${H}" role="img" aria-label="no steps yet"><text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#9ca3af" font-size="12">no steps recorded yet</text></svg>`;
  const steps = all.map((p) => p.step);
  const x = scale(Math.min(...steps), Math.max(...steps), PAD.l, W - PAD.r);
  const parts: string[] = [];
  parts.push(`<rect x="${PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H - PAD.t - PAD.b}" fill="#fff" stroke="#e5e7eb"/>`);
  // Each axis' ticks are round values at their true heights (the axis spans the outer ticks).
  const axis = (vs: number[], side: "left" | "right", colour: string, cls: string) => {
    const ticks = niceTicks(Math.min(...vs), Math.max(...vs));
    const y = scale(ticks.values[0]!, ticks.values[ticks.values.length - 1]!, H - PAD.b, PAD.t);
    const [tx, anchor] = side === "left" ? [PAD.l - 4, "end"] : [W - PAD.r + 4, "start"];
    ticks.values.forEach((v, i) => parts.push(`<text class="tick ${cls}" x="${tx}" y="${(y(v) + 3).toFixed(1)}" text-anchor="${anchor}" font-size="10" fill="${colour}">${ticks.labels[i]}</text>`));
    return y;
  };
  if (train && train.points.length) {
    const y = axis(train.points.map((p) => p.value), "left", "#2563eb", "train");
    const d = train.points.map((p) => `${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    parts.push(`<polyline class="train" data-metric="${esc(train.name)}" points="${d}" fill="none" stroke="#2563eb" stroke-width="1.5"/>`);
    parts.push(`<text x="${PAD.l + 4}" y="${PAD.t + 10}" font-size="10" fill="#2563eb">${esc(train.name)}</text>`);
  }
  if (c.dev.length) {
    const y = axis(c.dev.map((p) => p.value), "right", "#ea580c", "dev");
    const d = c.dev.map((p) => `${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    parts.push(`<polyline class="dev" points="${d}" fill="none" stroke="#ea580c" stroke-width="1.5" stroke-dasharray="4 2"/>`);
    for (const p of c.dev) parts.push(`<circle cx="${x(p.step).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="2.5" fill="#ea580c"><title>step ${p.step}: dev ${p.value.toFixed(2)}</title></circle>`);
    parts.push(`<text x="${W - PAD.r - 4}" y="${PAD.t + 10}" text-anchor="end" font-size="10" fill="#ea580c">dev</text>`);
  }
  parts.push(`<text x="${PAD.l}" y="${H - 6}" font-size="10" fill="#555">step ${Math.min(...steps)}</text>`);
  parts.push(`<text x="${W - PAD.r}" y="${H - 6}" text-anchor="end" font-size="10" fill="#555">${Math.max(...steps)}</text>`);
  return `<svg class="curve-svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="training curve of trial ${esc(c.trialId)}">${parts.join("")}</svg>`;
}
