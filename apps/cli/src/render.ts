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

/** Trials' worth of work done: finished trials plus each running trial's fraction of its steps. */
export function trialsDone(done: number, running: TrialProgress[]): number {
  return done + running.reduce((a, p) => a + (p.total > 0 ? Math.min(1, p.step / p.total) : 0), 0);
}

/**
 * The sweep's remaining time from wall-clock progress since `since` (an earlier sample of
 * trialsDone): everything a trial spends (training steps, evaluation, checkpoints, waiting in the
 * queue) counts, so the estimate is not the per-trial ETAs' training-only optimism. Null until
 * some progress has been seen.
 */
export function sweepEtaSeconds(since: { at: number; done: number }, now: { at: number; done: number }, total: number): number | null {
  const rate = (now.done - since.done) / ((now.at - since.at) / 1000);
  if (!(rate > 0) || !Number.isFinite(rate)) return null;
  return Math.max(0, total - now.done) / rate;
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
