// Terminal presentation shared by the commands: tables, progress bars, durations.
import type { TrialProgress } from "@ptune/db";

export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c == null ? "-" : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

export function duration(seconds: number | null): string {
  if (seconds == null || !Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function bar(done: number, total: number, width = 20): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  return `[${"#".repeat(n)}${".".repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

/** One line per running trial: which trial, bar, step/total, loss, rate, ETA. */
export function progressLines(rows: TrialProgress[]): string[] {
  return rows.map((p) => {
    const what = `${p.model} ${p.task} ${p.method === "model_tuning" ? "model" : `P=${p.promptLength} ${p.init}`} s${p.seed}`;
    const rate = p.examplesPerSec == null ? "?" : `${p.examplesPerSec.toFixed(1)} ex/s`;
    const loss = p.loss == null ? "?" : p.loss.toFixed(4);
    return `  ${what.padEnd(40)} ${bar(p.step, p.total)} ${p.step}/${p.total} loss ${loss} ${rate} ETA ${duration(p.etaSeconds)}`;
  });
}

/**
 * The sweep's remaining time: the steps left (running trials' remaining steps, plus a typical
 * trial's steps for each queued one) over the summed rate of the running trials (each trial's
 * remaining steps over its own ETA). Null until some running trial has a rate.
 */
export function sweepEtaSeconds(running: TrialProgress[], queued: number): number | null {
  const timed = running.filter((p) => p.etaSeconds != null && p.etaSeconds > 0 && p.total > p.step);
  const rate = timed.reduce((a, p) => a + (p.total - p.step) / p.etaSeconds!, 0);
  if (!(rate > 0)) return null;
  const typical = running.reduce((a, p) => a + p.total, 0) / running.length;
  const left = running.reduce((a, p) => a + Math.max(0, p.total - p.step), 0) + queued * typical;
  return left / rate;
}

export interface SweepSnapshot {
  done: number;
  total: number;
  failed: number;
  queued: number;
  running: TrialProgress[];
  elapsedSeconds: number;
  etaSeconds: number | null;
}

/** The one-line summary: bar, trials finished, failures, running, elapsed, sweep ETA. */
export function sweepLine(s: SweepSnapshot): string {
  const eta = s.done === s.total ? "" : `, ETA ${duration(s.etaSeconds)}`;
  return `${bar(s.done, s.total)} ${s.done}/${s.total} trials finished (${s.failed} failed), ${s.running.length} running, ${s.queued} queued, ${duration(s.elapsedSeconds)} elapsed${eta}`;
}
