import { describe, expect, it } from "vitest";
import { mkdtemp, readFile, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadReference, parseCsv, parseRows, renderReport, trialBestRow, writeReport, type ReportFile, type RenderedReport } from "../src/index.ts";
import { makeFixture, MODELS } from "./fixture-rows.ts";
import { pngInfo } from "./png.ts";

const file = (r: RenderedReport, p: string): ReportFile => {
  const f = r.files.find((x) => x.path === p);
  if (!f) throw new Error(`no file ${p} in ${r.files.map((x) => x.path).join(", ")}`);
  return f;
};
const text = (r: RenderedReport, p: string) => file(r, p).contents as string;

describe("renderReport", () => {
  const fx = makeFixture();
  const reference = loadReference();
  const rendered = renderReport({ sweep: { id: "1", name: "fixture" }, ...fx, reference });

  it("plots each scale_curve row once, in the CSV and in the Vega-Lite data", async () => {
    const r = await rendered;
    const fig = r.figures.find((f) => f.id === "figure1-scale-boolq")!;
    expect(fig).toBeDefined();
    expect(fig.series.map((s) => s.series).sort()).toEqual(["model_tuning", "prompt_tuning"]);
    // CSV per series: every point equals its scale_curve row.
    let rowsSeen = 0;
    for (const csvPath of fig.files.csv) {
      for (const row of parseCsv(text(r, csvPath))) {
        const src = fx.scaleCurve.find((s) => s.method === row.series && s.model === row.model)!;
        expect(src, `${csvPath}: ${row.series}/${row.model}`).toBeDefined();
        expect(Number(row.mean)).toBeCloseTo(src.mean, 9);
        expect(Number(row.stddev)).toBeCloseTo(src.stddev!, 9);
        expect(Number(row.params)).toBe(src.params);
        expect(Number(row.n)).toBe(src.n);
        expect(Number(row.lo)).toBeCloseTo(src.mean - src.stddev!, 9);
        rowsSeen++;
      }
    }
    expect(rowsSeen).toBe(fx.scaleCurve.length);
    // The spec: log x axis over params, data values are the same points.
    const spec = JSON.parse(text(r, fig.files.spec));
    const values = spec.data.values as { series: string; model: string; mean: number }[];
    expect(values).toHaveLength(fx.scaleCurve.length);
    for (const s of fx.scaleCurve) expect(values.find((v) => v.series === s.method && v.model === s.model)?.mean).toBe(s.mean);
    const line = spec.layer.find((l: { mark: { type: string } }) => l.mark.type === "line");
    expect(line.encoding.x.scale.type).toBe("log");
    expect(line.encoding.x.field).toBe("params");
    expect(spec.layer.some((l: { mark: { type: string } }) => l.mark.type === "errorbar")).toBe(true);
  });

  it("draws one line per prompt length and per init (Figure 3)", async () => {
    const r = await rendered;
    const a = r.figures.find((f) => f.id === "figure3a-prompt-length-boolq")!;
    expect(a.series.map((s) => s.series)).toEqual(["1", "20", "100"]);
    for (const s of a.series) for (const p of s.points) {
      const src = fx.promptLength.find((x) => String(x.prompt_length) === s.series && x.model === p.model)!;
      expect(p.mean).toBe(src.mean);
    }
    const b = r.figures.find((f) => f.id === "figure3b-init-boolq")!;
    expect(b.series.map((s) => s.series)).toEqual(["class_label", "random_uniform"]);
    const csv = parseCsv(text(r, b.files.csv[1]!));
    expect(csv.map((c) => c.model)).toEqual(["small", "base", "large"]); // xl unfinished: not plotted
  });

  it("writes SVG and a non-blank PNG at twice the SVG size", async () => {
    const r = await rendered;
    for (const fig of r.figures) {
      const svg = text(r, fig.files.svg);
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).toContain("Model parameters");
      const [, w, h] = svg.match(/width="(\d+)" height="(\d+)"/)!.map(Number);
      const png = file(r, fig.files.png!).contents as Uint8Array;
      expect(png.byteLength).toBeGreaterThan(20_000);
      const info = pngInfo(png);
      expect(info).toMatchObject({ width: w! * 2, height: h! * 2 });
      expect(info.colours).toBeGreaterThan(50); // lines, anti-aliased text, legend swatches
      expect(info.nonWhite / (info.width * info.height)).toBeGreaterThan(0.02);
    }
  });

  it("lists what is missing and embeds every figure in report.md", async () => {
    const r = await rendered;
    expect(r.missing).toContain("model xl: 0/21 trials finished (21 queued)");
    const md = text(r, "report.md");
    for (const f of r.figures) expect(md).toContain(`](${f.files.png})`);
    expect(md).toContain("model xl: 0/21 trials finished");
    expect(md).toContain("No ensemble evaluations");
    expect(md).toContain(reference.citation);
  });

  it("draws the paper's printed numbers on the SuperGLUE curve, with its citation", async () => {
    const sg = makeFixture(3).scaleCurve.map((s) => ({ ...s, task: "superglue" }));
    const r = await renderReport({ sweep: { id: "2", name: "sg" }, trials: [], scaleCurve: sg, promptLength: [], init: [], reference }, { png: false });
    const fig = r.figures[0]!;
    const refCsv = parseCsv(text(r, fig.files.csv.find((c) => c.includes("reference"))!));
    expect(refCsv.map((x) => Number(x.score))).toEqual(reference.figure1_reference_points.points.map((p) => p.score));
    expect(refCsv.map((x) => Number(x.score))).toEqual([71.8, 89.3, 90.5]);
    expect(text(r, fig.files.svg)).toContain("GPT-3 175B");
  });

  it("computes Table 3 average/best from trials next to the ensemble score", async () => {
    const ensembles = [{ task: "boolq", method: "prompt_tuning", model: "base", params: MODELS[1][1], prompt_length: 100, init: "class_label", metric: "accuracy", score: 99.5, members: 3 }];
    const r = await renderReport({ sweep: { id: "1", name: "fixture" }, ...fx, ensembles, reference }, { png: false });
    const rows = parseCsv(text(r, "data/table3-ensembles.csv"));
    expect(rows).toHaveLength(1);
    const scores = fx.trials.filter((t) => t.model === "base" && t.prompt_length === 100 && t.init === "class_label").map((t) => t.best_score!);
    expect(Number(rows[0]!.average)).toBeCloseTo(scores.reduce((a, b) => a + b) / scores.length, 9);
    expect(Number(rows[0]!.best)).toBe(Math.max(...scores));
    expect(Number(rows[0]!.ensemble)).toBe(99.5);
    expect(text(r, "report.md")).not.toContain("No ensemble evaluations");
  });

  it("restricts to one task with `task`, and says so when nothing matches", async () => {
    const r = await renderReport({ sweep: { id: "1", name: "fixture" }, ...fx, task: "rte" }, { png: false });
    expect(r.figures).toHaveLength(0);
    expect(r.missing[0]).toBe("sweep fixture has no trials for task rte");
  });

  it("notes under Figure 1 when its points average over several prompt lengths or inits", async () => {
    const md = text(await rendered, "report.md");
    expect(md).toContain("_prompt_tuning points average over prompt lengths 1, 20, 100 and inits class_label, random_uniform");
    expect(md).not.toContain("_model_tuning points average");
  });

  it("keeps the SuperGLUE tasks' trials for --task superglue", async () => {
    const sg = fx.scaleCurve.map((s) => ({ ...s, task: "superglue" }));
    const r = await renderReport({ sweep: { id: "1", name: "fixture" }, ...fx, scaleCurve: [...fx.scaleCurve, ...sg], task: "superglue" }, { png: false });
    expect(r.figures.map((f) => f.id)).toEqual(["figure1-scale-superglue"]); // not boolq's own curve
    expect(r.missing).toContain("model xl: 0/21 trials finished (21 queued)"); // boolq trials count
  });

  it("leaves models without a parameter count off the log axis and says so", async () => {
    const zero = <T extends { model: string; params: number }>(r: T): T => (r.model === "small" ? { ...r, params: 0 } : r);
    const r = await renderReport({ sweep: { id: "1", name: "fixture" }, trials: fx.trials.map(zero), scaleCurve: fx.scaleCurve.map(zero), promptLength: fx.promptLength.map(zero), init: fx.init.map(zero) }, { png: false });
    const fig = r.figures.find((f) => f.id === "figure1-scale-boolq")!;
    expect(fig.series.flatMap((s) => s.points.map((p) => p.model))).not.toContain("small");
    expect(fig.series[0]!.points.map((p) => p.model)).toEqual(["base", "large"]);
    expect(r.missing).toContain("model small: parameter count unknown (params = 0), so it is left out of the figures (log x axis)");
  });

  it("writes the files to a directory", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ptune-report-"));
    const r = await rendered;
    await writeReport(dir, r.files);
    expect((await readdir(path.join(dir, "figures"))).filter((f) => f.endsWith(".png")).length).toBe(r.figures.length);
    expect(await readFile(path.join(dir, "report.md"), "utf8")).toBe(r.markdown);
  });
});

describe("parseRows", () => {
  it("coerces pg's numeric strings and names the bad field", () => {
    const row = { sweep_id: 1, sweep_name: "s", trial_id: "a", task: "rte", method: "prompt_tuning", model: "small", params: "76961152", prompt_length: 100, init: "class_label", seed: 0, state: "completed", metric: "accuracy", best_score: "71.5", best_step: 3 };
    expect(parseRows(trialBestRow, [row], "trial_best")[0]).toMatchObject({ sweep_id: "1", params: 76961152, best_score: 71.5 });
    expect(() => parseRows(trialBestRow, [row, { ...row, best_score: "n/a" }], "trial_best")).toThrow(/^trial_best row 1: field 'best_score': /);
  });
});
