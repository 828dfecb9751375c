import { describe, expect, it } from "vitest";
import { mkdtemp, readFile, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { formatParams, loadReference, parseCsv, parseRows, renderReport, trialBestRow, writeReport, type ReportFile, type RenderedReport } from "../src/index.ts";
import { configsOf, makeFixture, MODELS } from "./fixture-rows.ts";
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

  it("Figure 1 plots prompt tuning at the baseline (length 100, class_label) and model tuning, each point one config_scores row", async () => {
    const r = await rendered;
    const fig = r.figures.find((f) => f.id === "figure1-scale-boolq")!;
    expect(fig).toBeDefined();
    expect(fig.series.map((s) => s.series).sort()).toEqual(["model_tuning", "prompt_tuning"]);
    const expected = fx.configs.filter((c) => c.method === "model_tuning" || (c.prompt_length === 100 && c.init === "class_label"));
    // CSV per series: every point equals exactly one configuration's row.
    let rowsSeen = 0;
    for (const csvPath of fig.files.csv) {
      for (const row of parseCsv(text(r, csvPath))) {
        const src = expected.find((s) => s.method === row.series && s.model === row.model)!;
        expect(src, `${csvPath}: ${row.series}/${row.model}`).toBeDefined();
        expect(row.prompt_length).toBe(src.prompt_length == null ? "" : String(src.prompt_length));
        expect(Number(row.mean)).toBeCloseTo(src.mean, 9);
        expect(Number(row.stddev)).toBeCloseTo(src.stddev!, 9);
        expect(Number(row.params)).toBe(src.params);
        expect(Number(row.n)).toBe(3);
        expect(Number(row.lo)).toBeCloseTo(src.mean - src.stddev!, 9);
        rowsSeen++;
      }
    }
    expect(rowsSeen).toBe(expected.length);
    // The spec: log x axis over params, data values are the same points; the subtitle names the baseline.
    const spec = JSON.parse(text(r, fig.files.spec));
    const values = spec.data.values as { series: string; model: string; mean: number }[];
    expect(values).toHaveLength(expected.length);
    for (const s of expected) expect(values.find((v) => v.series === s.method && v.model === s.model)?.mean).toBe(s.mean);
    const line = spec.layer.find((l: { mark: { type: string } }) => l.mark.type === "line");
    expect(line.encoding.x.scale.type).toBe("log");
    expect(line.encoding.x.field).toBe("params");
    expect(line.encoding.tooltip.map((t: { field: string }) => t.field)).toEqual(expect.arrayContaining(["model", "n"]));
    expect(spec.layer.some((l: { mark: { type: string } }) => l.mark.type === "errorbar")).toBe(true);
    expect(spec.title.subtitle[0]).toBe("prompt tuning at the baseline: prompt length 100, class_label init");
    expect(fig.title).toBe("Figure 1: boolq score vs model size");
    // models named on the axis with their parameter counts
    expect(line.encoding.x.axis.labelExpr).toContain('"base 248M"');
  });

  it("Figure 3(a) fixes the init at the baseline, 3(b) the prompt length", async () => {
    const r = await rendered;
    const a = r.figures.find((f) => f.id === "figure3a-prompt-length-boolq")!;
    expect(a.series.map((s) => s.series)).toEqual(["1", "20", "100"]);
    for (const s of a.series) for (const p of s.points) {
      expect(p.init).toBe("class_label");
      const src = fx.configs.find((x) => String(x.prompt_length) === s.series && x.init === "class_label" && x.model === p.model)!;
      expect(p.mean).toBe(src.mean);
    }
    const b = r.figures.find((f) => f.id === "figure3b-init-boolq")!;
    expect(b.series.map((s) => s.series)).toEqual(["class_label", "random_uniform"]);
    for (const s of b.series) for (const p of s.points) expect(p.prompt_length).toBe(100);
    const csv = parseCsv(text(r, b.files.csv[1]!));
    expect(csv.map((c) => c.model)).toEqual(["small", "base", "large"]); // xl unfinished: not plotted
    expect(r.figures.filter((f) => !f.id.startsWith("figure1")).map((f) => f.id)).toEqual(["figure3a-prompt-length-boolq", "figure3b-init-boolq"]);
  });

  it("without a baseline, draws one series per configuration (and one Figure 3 per fixed value) instead of pooling", async () => {
    const r = await renderReport({ sweep: { id: "1", name: "fixture" }, ...fx, baseline: { prompt_length: 100, init: null } }, { png: false });
    const fig = r.figures.find((f) => f.id === "figure1-scale-boolq")!;
    expect(fig.series.map((s) => s.series)).toEqual(["model_tuning", "prompt_tuning, class_label", "prompt_tuning, random_uniform"]);
    expect(r.figures.map((f) => f.id)).toEqual(["figure1-scale-boolq", "figure3a-prompt-length-boolq-class-label", "figure3a-prompt-length-boolq-random-uniform", "figure3b-init-boolq"]);
    expect(text(r, "report.md")).toContain("one series per prompt-tuning configuration (fixed: prompt length 100)");
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
    const sg = makeFixture(3).configs.map((s) => ({ ...s, task: "superglue" }));
    const r = await renderReport({ sweep: { id: "2", name: "sg" }, trials: [], configs: sg, baseline: { prompt_length: 100, init: "class_label" }, reference }, { png: false });
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

  it("says in report.md what each point is, with n, and never that it pools", async () => {
    const md = text(await rendered, "report.md");
    expect(md).toContain("Each point is ONE configuration");
    expect(md).toMatch(/\| small \| 77M \| \d+\.\d ± \d+\.\d \(n=3\) \|/);
    expect(md).not.toContain("average over");
  });

  it("keeps the SuperGLUE tasks' trials for --task superglue", async () => {
    const sg = fx.configs.map((s) => ({ ...s, task: "superglue" }));
    const r = await renderReport({ sweep: { id: "1", name: "fixture" }, ...fx, configs: [...fx.configs, ...sg], task: "superglue" }, { png: false });
    // not boolq's own curves; the paper's Figure 3 is on SuperGLUE too
    expect(r.figures.map((f) => f.id)).toEqual(["figure1-scale-superglue", "figure3a-prompt-length-superglue", "figure3b-init-superglue"]);
    expect(r.missing).toContain("model xl: 0/21 trials finished (21 queued)"); // boolq trials count
  });

  it("leaves models without a parameter count off the log axis and says so", async () => {
    const zero = <T extends { model: string; params: number }>(r: T): T => (r.model === "small" ? { ...r, params: 0 } : r);
    const r = await renderReport({ sweep: { id: "1", name: "fixture" }, trials: fx.trials.map(zero), configs: fx.configs.map(zero) }, { png: false });
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

describe("points", () => {
  it("print parameter counts as 69.8K / 248M / 11B", () => {
    expect([69_800, 60_506_624, 247_577_856, 2_849_757_184, 11_000_000_000, 999_999].map(formatParams)).toEqual(["69.8K", "60.5M", "248M", "2.85B", "11B", "1M"]);
  });

  it("clip whiskers at the metric's bounds and mark them; n = 1 has no whisker", async () => {
    const trials = [
      { sweep_id: "1", sweep_name: "c", trial_id: "a", task: "rte", method: "prompt_tuning", model: "nano", params: 69_800, prompt_length: 100, init: "class_label", seed: 0, state: "completed", metric: "accuracy", best_score: 0, best_step: 1 },
      { sweep_id: "1", sweep_name: "c", trial_id: "b", task: "rte", method: "prompt_tuning", model: "nano", params: 69_800, prompt_length: 100, init: "class_label", seed: 1, state: "completed", metric: "accuracy", best_score: 6, best_step: 1 },
      { sweep_id: "1", sweep_name: "c", trial_id: "c", task: "rte", method: "model_tuning", model: "nano", params: 69_800, prompt_length: null, init: null, seed: 0, state: "completed", metric: "accuracy", best_score: 99, best_step: 1 },
    ];
    const r = await renderReport({ sweep: { id: "1", name: "c" }, trials, configs: configsOf(trials) }, { png: false });
    const fig = r.figures[0]!;
    const [mt, pt] = [fig.series[0]!.points[0]!, fig.series[1]!.points[0]!];
    expect(mt).toMatchObject({ n: 1, stddev: null });
    const csv = parseCsv(text(r, fig.files.csv[1]!))[0]!;
    expect(csv).toMatchObject({ params_label: "69.8K", n: "2", lo: "0", clipped: "lo" });
    expect(Number(csv.hi)).toBeCloseTo(3 + Math.sqrt(18), 9);
    expect(pt.stddev).toBeCloseTo(Math.sqrt(18), 9);
    const spec = JSON.parse(text(r, fig.files.spec));
    expect(spec.layer.some((l: { mark: { shape?: string } }) => l.mark.shape === "triangle-down")).toBe(true);
    expect(spec.title.subtitle.join(" ")).toContain("whisker clipped at the metric's bound (0–100)");
    const md = text(r, "report.md");
    expect(md).toContain("| nano | 69.8K | 99.0 (n=1) | 3.0 ± 4.2 (n=2) (whisker clipped) |");
  });
});

describe("parseRows", () => {
  it("coerces pg's numeric strings and names the bad field", () => {
    const row = { sweep_id: 1, sweep_name: "s", trial_id: "a", task: "rte", method: "prompt_tuning", model: "small", params: "76961152", prompt_length: 100, init: "class_label", seed: 0, state: "completed", metric: "accuracy", best_score: "71.5", best_step: 3 };
    expect(parseRows(trialBestRow, [row], "trial_best")[0]).toMatchObject({ sweep_id: "1", params: 76961152, best_score: 71.5 });
    expect(() => parseRows(trialBestRow, [row, { ...row, best_score: "n/a" }], "trial_best")).toThrow(/^trial_best row 1: field 'best_score': /);
  });
});
