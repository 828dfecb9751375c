import { describe, expect, it } from "vitest";
import type { TrialCell, TrialCurves } from "../queries.ts";
import { curveSvg, niceTicks } from "./curve-svg.ts";
import { curvesPanel, queuesTable, sweepsTable, trialGrid, workersTable } from "./fragments.ts";
import { esc } from "./html.ts";

function cell(over: Partial<TrialCell>): TrialCell {
  return {
    id: "t", model: "small", size: "small", task: "rte", method: "prompt_tuning", promptLength: 100, init: "class_label", seed: 0,
    params: 76961152, metric: "accuracy", config: {}, state: "queued", attempts: 0, currentAttempt: 0, bestScore: null, bestStep: null,
    result: null, error: null, lastStep: null, updatedAt: "2026-01-01T00:00:00Z", ...over,
  };
}

describe("trialGrid", () => {
  it("puts one chip per seed in its (model, method, length, init) row and task column", () => {
    const trials = [
      cell({ id: "a", seed: 0, state: "completed", bestScore: 71.25, bestStep: 300 }),
      cell({ id: "b", seed: 1, state: "running", lastStep: 40 }),
      cell({ id: "c", task: "boolq", state: "failed", error: "boom <oom>" }),
      cell({ id: "d", model: "base", params: 247577856, promptLength: 20 }),
    ];
    const html = trialGrid(trials);
    const rows = html.split("<tr>").slice(2); // header, then body rows
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain(">small<");
    expect(rows[1]).toContain(">base<");
    expect(html).toContain("<th>boolq</th><th>rte</th>");
    expect(html).toMatch(/class="chip s-completed" data-trial="a"[^>]*>71\.3</);
    expect(html).toMatch(/class="chip s-running" data-trial="b"[^>]*>▶ 40</);
    expect(html).toContain(esc("boom <oom>")); // error text escaped into the title
    expect(html).not.toContain("<oom>");
  });
});

describe("curveSvg", () => {
  it("draws one polyline vertex per recorded step, and the dev evaluations", () => {
    const c: TrialCurves = {
      trialId: "a", state: "running", label: "x",
      metrics: { loss: Array.from({ length: 30 }, (_, i) => ({ step: i * 10, value: 3 / (1 + i) })), lr: [{ step: 0, value: 0.3 }] },
      dev: [{ step: 100, value: 60 }, { step: 200, value: 65 }],
    };
    const svg = curveSvg(c);
    const pts = /class="train" data-metric="loss" points="([^"]+)"/.exec(svg)![1]!.split(" ");
    expect(pts).toHaveLength(30);
    // Loss decreases: y (SVG, down = larger) increases along the line.
    const ys = pts.map((p) => Number(p.split(",")[1]));
    expect(ys[ys.length - 1]!).toBeGreaterThan(ys[0]!);
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(curvesPanel([c])).toContain('data-trial="a"');
  });
});

describe("dev axis ticks", () => {
  it("are round values spanning the data", () => {
    expect(niceTicks(61.37, 73.02)).toEqual({ values: [60, 65, 70, 75], labels: ["60", "65", "70", "75"] });
    expect(niceTicks(0.42, 2.93).labels).toEqual(["0", "1", "2", "3"]);
    expect(niceTicks(0.031, 0.047).labels).toEqual(["0.03", "0.04", "0.05"]);
    expect(niceTicks(50, 50).labels).toEqual(["49", "50", "51"]);
  });

  it("label the dev axis of a curve with round numbers only", () => {
    const c: TrialCurves = { trialId: "a", state: "completed", label: "x", metrics: { loss: [{ step: 0, value: 2.9 }, { step: 100, value: 0.41 }] }, dev: [{ step: 50, value: 61.37 }, { step: 100, value: 73.02 }] };
    const dev = [...curveSvg(c).matchAll(/class="tick dev"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(dev).toEqual(["60", "65", "70", "75"]);
    const loss = [...curveSvg(c).matchAll(/class="tick train"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(loss).toEqual(["0", "1", "2", "3"]);
  });
});

describe("sweepsTable", () => {
  const sweep = (name: string, counts: Partial<Record<string, number>>, over: object = {}) => ({
    id: 1, name, version: 1, latest: true, state: "active", createdAt: new Date("2026-01-01T00:00:00Z"), trials: 2,
    counts: { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, ...counts },
    status: (counts.queued ?? 0) + (counts.running ?? 0) > 0 ? "active" : "finished", ...over,
  }) as Parameters<typeof sweepsTable>[0][number];
  it("shows a sweep whose trials all ended as finished, and a later version with its number", () => {
    const html = sweepsTable([sweep("done", { completed: 1, failed: 1 }), sweep("busy", { queued: 1, completed: 1 }, { version: 3 })]);
    expect(html).toMatch(/data-sweep="done".*<td class="status-finished">finished<\/td>/);
    expect(html).toMatch(/data-sweep="busy".*busy<\/a> <span class="muted">v3<\/span><\/td><td class="status-active">active/);
  });
});

describe("queuesTable", () => {
  it("explains pack jobs next to Bull Board's job counts", () => {
    const html = queuesTable([{ queue: "ptune-trials-small", counts: { waiting: 2, active: 1 }, packJobs: 2, packedTrials: 7 }]);
    expect(html).toContain("<td>ptune-trials-small</td><td>2</td><td>0</td><td>1</td>");
    expect(html).toContain("2 pack job(s) holding 7 trials");
    expect(html).toContain("queue <em>jobs</em>, not trials");
  });
});

describe("workersTable", () => {
  it("ages out workers silent for over 15 min and stopped ones", () => {
    const now = Date.parse("2026-01-01T01:00:00Z");
    const w = (id: string, at: string, state = "busy") => ({ id, host: "h", devices: [], sizes: ["xl"], state, trialId: null, startedAt: new Date(at), heartbeatAt: new Date(at) });
    const html = workersTable([w("fresh", "2026-01-01T00:59:58Z"), w("gone", "2026-01-01T00:30:00Z"), w("stopped", "2026-01-01T00:55:00Z", "stopped")], now);
    expect(html).toContain('data-worker="fresh"');
    expect(html).not.toContain('data-worker="gone"');
    expect(html).not.toContain('data-worker="stopped"');
    expect(html).toContain("2 worker(s) stopped or silent for over 15 min are not listed.");
    expect(workersTable([w("gone", "2026-01-01T00:30:00Z")], now)).toContain("No live worker.");
  });

  it("marks workers with an old heartbeat stale", () => {
    const now = Date.parse("2026-01-01T00:10:00Z");
    const w = (id: string, at: string) => ({ id, host: "h", devices: [{ kind: "cuda", name: "H100" }], sizes: ["xl"], state: "busy", trialId: null, startedAt: new Date(at), heartbeatAt: new Date(at) });
    const html = workersTable([w("fresh", "2026-01-01T00:09:55Z"), w("old", "2026-01-01T00:00:00Z")], now);
    expect(html).toMatch(/<tr class="" data-worker="fresh">.*cuda H100.*5 s ago/);
    expect(html).toMatch(/<tr class="stale" data-worker="old">.*busy \(stale\).*10 min ago/);
  });
});
