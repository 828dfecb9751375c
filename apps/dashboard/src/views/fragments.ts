// The live parts of the pages, each a pure function from rows to an HTML fragment. The server
// renders them into the first response and pushes fresh copies over server-sent events.
import type { SweepSummary, WorkerRow } from "@ptune/db";
import type { TrialCell, TrialCurves } from "../queries.ts";
import { curveSvg } from "./curve-svg.ts";
import { ago, esc } from "./html.ts";

const STATES = ["queued", "running", "completed", "failed", "cancelled"];
/** A worker whose heartbeat is older than this is shown as stale (likely dead). */
export const STALE_AFTER_S = 60;
/** ... and older than this it has aged out: no longer listed, only counted (it is gone). */
export const AGED_OUT_AFTER_S = 15 * 60;

/** How a sweep is addressed in URLs: its name for the latest version, name@N for an older one. */
export const sweepRef = (s: { name: string; version: number; latest: boolean }) => (s.latest ? s.name : `${s.name}@${s.version}`);

function progressBar(done: number, total: number): string {
  const pct = total ? Math.round((100 * done) / total) : 0;
  return `<span class="bar" title="${done}/${total} completed"><span style="width:${pct}%"></span></span> ${done}/${total}`;
}

/**
 * The sweeps, latest version of each name. `status` (active / finished / cancelled) is derived
 * from the trials: a sweep whose trials all ended is finished, not active.
 */
export function sweepsTable(sweeps: SweepSummary[]): string {
  if (!sweeps.length) return `<p class="muted">No sweeps yet. Submit one with <code>ptune submit sweeps/quickstart.yaml</code>.</p>`;
  const rows = sweeps.map((s) => {
    const counts = STATES.filter((k) => s.counts[k as keyof typeof s.counts]).map((k) => `<span class="chip s-${k}">${s.counts[k as keyof typeof s.counts]} ${k}</span>`).join(" ");
    const version = s.version > 1 ? ` <span class="muted">v${s.version}</span>` : "";
    return `<tr data-sweep="${esc(s.name)}"><td><a href="/sweeps/${encodeURIComponent(sweepRef(s))}">${esc(s.name)}</a>${version}</td><td class="status-${esc(s.status)}">${esc(s.status)}</td><td>${progressBar(s.counts.completed ?? 0, s.trials)}</td><td>${counts}</td><td class="muted">${esc(s.createdAt.toISOString().slice(0, 19).replace("T", " "))}</td></tr>`;
  });
  return `<table><thead><tr><th>sweep</th><th>status</th><th>progress</th><th>trials</th><th>created (UTC)</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

export interface QueueCounts {
  queue: string;
  counts: Record<string, number>; // BullMQ job counts: waiting, active, delayed, completed, failed, ...
  /** of the waiting/active/delayed jobs, how many are pack jobs, and the trials they hold */
  packJobs: number;
  packedTrials: number;
}

const QUEUE_STATES = ["waiting", "prioritized", "active", "delayed", "completed", "failed"];

/**
 * BullMQ's job counts per queue (what Bull Board shows), with what a pack job is: with a sweep's
 * `pack: K`, one job trains up to K trials together, so jobs are fewer than trials.
 */
export function queuesTable(queues: QueueCounts[]): string {
  if (!queues.length) return `<p class="muted">No queue has jobs.</p>`;
  const rows = queues.map((q) => {
    const pack = q.packJobs ? `${q.packJobs} pack job(s) holding ${q.packedTrials} trials` : "—";
    return `<tr data-queue="${esc(q.queue)}"><td>${esc(q.queue)}</td>${QUEUE_STATES.map((k) => `<td>${q.counts[k] ?? 0}</td>`).join("")}<td>${esc(pack)}</td></tr>`;
  });
  const note = `<p class="muted pack-note">These are <a href="/queues">Bull Board</a>'s counts: queue <em>jobs</em>, not trials. A <strong>pack job</strong> (sweep <code>pack: K</code>) trains up to K compatible prompt-tuning trials together in one batch, so a queue shows fewer jobs than the trials it serves.</p>`;
  return `<table><thead><tr><th>queue</th>${QUEUE_STATES.map((k) => `<th>${k}</th>`).join("")}<th>pack jobs</th></tr></thead><tbody>${rows.join("")}</tbody></table>${note}`;
}

function chip(t: TrialCell): string {
  const text =
    t.state === "completed" && t.bestScore != null ? t.bestScore.toFixed(1)
    : t.state === "running" ? `▶ ${t.lastStep ?? 0}`
    : t.state === "failed" ? "✕"
    : t.state === "cancelled" ? "–"
    : "·";
  const title = [`trial ${t.id}`, `seed ${t.seed}`, t.state, t.bestScore != null ? `best dev ${t.metric ?? "score"} ${t.bestScore.toFixed(2)} at step ${t.bestStep}` : "", t.lastStep != null ? `last step ${t.lastStep}` : "", t.error ?? ""].filter(Boolean).join("\n");
  return `<span class="chip s-${esc(t.state)}" data-trial="${esc(t.id)}" title="${esc(title)}">${esc(text)}</span>`;
}

/**
 * The trial grid: one row per (model, method, prompt length, init), one column per task, one chip
 * per seed coloured by state, holding the best dev score once completed.
 */
export function trialGrid(trials: TrialCell[]): string {
  if (!trials.length) return `<p class="muted">This sweep has no trials.</p>`;
  const tasks = [...new Set(trials.map((t) => t.task))].sort();
  const rows = new Map<string, TrialCell[]>();
  for (const t of trials) {
    const k = JSON.stringify([t.params, t.model, t.method, t.promptLength ?? -1, t.init ?? ""]);
    rows.set(k, [...(rows.get(k) ?? []), t]);
  }
  const keys = [...rows.keys()].sort((a, b) => {
    const [pa, ...ra] = JSON.parse(a);
    const [pb, ...rb] = JSON.parse(b);
    return pa - pb || JSON.stringify(ra).localeCompare(JSON.stringify(rb), undefined, { numeric: true });
  });
  const body = keys.map((k) => {
    const group = rows.get(k)!;
    const g = group[0]!;
    const cells = tasks.map((task) => `<td>${group.filter((t) => t.task === task).sort((a, b) => a.seed - b.seed).map(chip).join("")}</td>`).join("");
    return `<tr><td>${esc(g.model)}</td><td>${esc(g.method)}</td><td>${g.promptLength ?? "—"}</td><td>${esc(g.init ?? "—")}</td>${cells}</tr>`;
  });
  const legend = STATES.map((s) => `<span class="chip s-${s}">${s}</span>`).join(" ");
  return `<table class="grid"><thead><tr><th>model</th><th>method</th><th>prompt length</th><th>init</th>${tasks.map((t) => `<th>${esc(t)}</th>`).join("")}</tr></thead><tbody>${body.join("")}</tbody></table><p class="legend muted">${legend} · one chip per seed; completed chips show the best dev score</p>`;
}

export function curvesPanel(curves: TrialCurves[]): string {
  if (!curves.length) return `<p class="muted">No training steps recorded yet.</p>`;
  const anyRunning = curves.some((c) => c.state === "running");
  const note = anyRunning ? "running trials" : "no trial is running; the latest finished trials";
  return `<p class="muted">${note} · <span style="color:#2563eb">— training loss</span> · <span style="color:#ea580c">- - dev score</span></p><div class="curves">${curves
    .map((c) => `<div class="curve" data-trial="${esc(c.trialId)}"><div class="label">${esc(c.label)} <span class="chip s-${esc(c.state)}">${esc(c.state)}</span></div>${curveSvg(c)}</div>`)
    .join("")}</div>`;
}

function devices(d: unknown): string {
  if (!Array.isArray(d)) return esc(JSON.stringify(d ?? ""));
  return d.map((x) => (x && typeof x === "object" ? [x.kind, x.name].filter(Boolean).join(" ") : String(x))).map(esc).join(", ");
}

/**
 * Live workers, stale ones greyed out (no heartbeat for STALE_AFTER_S); workers silent for longer
 * than AGED_OUT_AFTER_S, or stopped, have aged out: counted in one line, not listed.
 */
export function workersTable(all: WorkerRow[], now = Date.now()): string {
  const age = (w: WorkerRow) => (now - w.heartbeatAt.getTime()) / 1000;
  const workers = all.filter((w) => age(w) <= AGED_OUT_AFTER_S && !(w.state === "stopped" && age(w) > STALE_AFTER_S));
  const gone = all.length - workers.length;
  const goneLine = gone ? `<p class="muted aged-out">${gone} worker(s) stopped or silent for over ${AGED_OUT_AFTER_S / 60} min are not listed.</p>` : "";
  if (!workers.length) return `<p class="muted">No live worker. Start one with <code>ptune worker</code>.</p>${goneLine}`;
  const rows = workers.map((w) => {
    const age = (now - w.heartbeatAt.getTime()) / 1000;
    const stale = age > STALE_AFTER_S;
    return `<tr class="${stale ? "stale" : ""}" data-worker="${esc(w.id)}"><td>${esc(w.id)}</td><td>${esc(w.host)}</td><td>${devices(w.devices)}</td><td>${esc(w.sizes.join(", "))}</td><td>${esc(stale ? `${w.state} (stale)` : w.state)}</td><td>${esc(w.trialId ?? "—")}</td><td title="${esc(w.heartbeatAt.toISOString())}">${ago(age)}</td></tr>`;
  });
  return `<table><thead><tr><th>worker</th><th>host</th><th>devices</th><th>sizes</th><th>state</th><th>trial</th><th>heartbeat</th></tr></thead><tbody>${rows.join("")}</tbody></table>${goneLine}`;
}

export interface FigureLink {
  id: string;
  title: string;
  svg: string; // URL
}

export function figuresPanel(figures: FigureLink[], missing: string[], reportUrl: string): string {
  const imgs = figures.map((f) => `<figure><img src="${esc(f.svg)}" alt="${esc(f.title)}" data-figure="${esc(f.id)}"></figure>`).join("");
  const miss = missing.length ? `<ul class="missing">${missing.map((m) => `<li>${esc(m)}</li>`).join("")}</ul>` : "";
  return `${miss}${figures.length ? `<div class="figures">${imgs}</div>` : `<p class="muted">No figure yet: no finished trial has a dev score.</p>`}<p><a href="${esc(reportUrl)}">report.md</a></p>`;
}
