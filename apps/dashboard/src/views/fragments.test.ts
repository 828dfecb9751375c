import { describe, expect, it } from "vitest";
import type { TrialCell, TrialCurves } from "../queries.ts";
import { curveSvg } from "./curve-svg.ts";
import { curvesPanel, trialGrid, workersTable } from "./fragments.ts";
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

describe("workersTable", () => {
  it("marks workers with an old heartbeat stale", () => {
    const now = Date.parse("2026-01-01T00:10:00Z");
    const w = (id: string, at: string) => ({ id, host: "h", devices: [{ kind: "cuda", name: "H100" }], sizes: ["xl"], state: "busy", trialId: null, startedAt: new Date(at), heartbeatAt: new Date(at) });
    const html = workersTable([w("fresh", "2026-01-01T00:09:55Z"), w("old", "2026-01-01T00:00:00Z")], now);
    expect(html).toMatch(/<tr class="" data-worker="fresh">.*cuda H100.*5 s ago/);
    expect(html).toMatch(/<tr class="stale" data-worker="old">.*busy \(stale\).*10 min ago/);
  });
});
