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
