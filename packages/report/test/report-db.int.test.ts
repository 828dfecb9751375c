// The report from a real Postgres: a fresh database migrated by @ptune/db, seeded through
// upsertSweep with a 2 lengths x 2 inits x 2 seeds sweep and an ensemble evaluation; every plotted
// point must equal the aggregate of exactly its configuration's trials, computed in SQL straight
// from the tables (independent of the views the report reads), and no point may pool.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { dropDatabase, ensureDatabase, migrate, openDb, upsertSweep, type Db } from "@ptune/db";
import { canonicalSpec, expandSweep, parseSweep } from "@ptune/sweep";
import { parseCsv, reportFromDatabase, writeReport } from "../src/index.ts";
import { testDatabaseUrl } from "../../../tooling/test-env.ts";

const dbName = `ptune_report_${process.pid}_${Date.now().toString(36)}`;
const url = (() => {
  const u = new URL(testDatabaseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
let db: Db;

// The 2 prompt lengths x 2 inits x 2 seeds sweep of issue 9 (plus model tuning), on two models
// and two SuperGLUE tasks, recorded through upsertSweep with its canonical spec (baseline included).
const SWEEP = (seeds: string) => `name: int-sweep
models:
  nano: { checkpoint: /m/nano, gpu_memory_gb: 1, params: 69800 }
  small: { checkpoint: /m/small, gpu_memory_gb: 4, params: 60506624 }
tasks:
  boolq: { data_dir: /data/boolq }
  rte: { data_dir: /data/rte }
grid:
  model: [nano, small]
  task: [boolq, rte]
  method: [prompt_tuning, model_tuning]
  prompt_length: [20, 100]
  init: [random_uniform, class_label]
  seed: ${seeds}
`;
/** A deterministic, irregular score per trial id (0-100), so means and deviations are not trivial. */
const scoreOf = (id: string) => (parseInt(id.slice(0, 8), 16) % 9000) / 100 + 5;

async function submit(db: Db, seeds: string, newVersion = false) {
  const spec = parseSweep(SWEEP(seeds), "int-sweep.yaml", { baseDir: "/" });
  const trials = expandSweep(spec);
  const rows = trials.map((t) => ({ id: t.id, model: t.model.name, task: t.task.name, method: t.method, promptLength: t.promptLength, init: t.init, seed: t.seed, params: t.model.params!, config: {} }));
  return { up: await upsertSweep(db, { name: spec.name, yaml: SWEEP(seeds), trials: rows, spec: canonicalSpec(spec), newVersion }), trials };
}

async function seed(db: Db) {
  const { trials } = await submit(db, "[0, 1]");
  // every trial completed except one queued (small, boolq, 20, class_label, seed 1): its point has n = 1
  for (const t of trials) {
    const queued = t.model.name === "small" && t.task.name === "boolq" && t.promptLength === 20 && t.init === "class_label" && t.seed === 1;
    if (!queued) await db.pool.query("UPDATE trials SET state = 'completed', metric = 'accuracy', best_score = $2, best_step = 100 WHERE id = $1", [t.id, scoreOf(t.id)]);
  }
  const anchor = trials.find((t) => t.task.name === "boolq" && t.model.name === "small" && t.promptLength === 100 && t.init === "class_label")!;
  await db.pool.query(`INSERT INTO evaluations (trial_id, split, step, metrics) VALUES ($1, 'ensemble', 300, $2)`, [anchor.id, JSON.stringify({ accuracy: 97.25, members: 2 })]);
  // The trainer's nearestNeighbours() shape: [slot][k] of { id, token, similarity }.
  const neighbours = [[{ id: 5, token: "▁yes", similarity: 0.9 }, { id: 6, token: "▁true", similarity: 0.8 }], [{ id: 7, token: "▁no", similarity: 0.7 }]];
  await db.pool.query(`UPDATE trials SET result = $2 WHERE id = $1`, [anchor.id, JSON.stringify({ neighbours })]);
}

/** mean / stddev / n over exactly one configuration's completed trials, straight from the tables. */
async function configStats(db: Db, sweepId: number, p: { task: string; method: string; model: string; prompt_length: number | null; init: string | null }) {
  const tasks = p.task === "superglue" ? ["boolq", "rte"] : [p.task];
  const { rows } = await db.pool.query(
    `SELECT avg(s) AS mean, stddev_samp(s) AS sd, count(*)::int AS n FROM (
       SELECT t.seed, avg(t.best_score) AS s FROM sweep_trials st JOIN trials t ON t.id = st.trial_id
       WHERE st.sweep_id = $1 AND t.state = 'completed' AND t.task = ANY($2) AND t.method = $3 AND t.model = $4
         AND t.prompt_length IS NOT DISTINCT FROM $5::int AND t.init IS NOT DISTINCT FROM $6::text
       GROUP BY t.seed HAVING count(DISTINCT t.task) = cardinality($2)) per_seed`,
    [sweepId, tasks, p.method, p.model, p.prompt_length, p.init],
  );
  return { mean: Number(rows[0].mean), sd: rows[0].sd == null ? null : Number(rows[0].sd), n: rows[0].n as number };
}

beforeAll(async () => {
  await ensureDatabase(url);
  await migrate(url);
  db = openDb(url, { max: 4 });
  await seed(db);
});

afterAll(async () => {
  await db?.close();
  await dropDatabase(url);
});

describe("report from the database views", () => {
  it("never pools: every point is exactly one configuration's seeds, checked against SQL over its trials", async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), "ptune-report-int-"));
    const r = await reportFromDatabase({ db, sweep: "int-sweep", outDir: out });
    expect(r.sweep.name).toBe("int-sweep");
    const ids = r.figures.map((f) => f.id);
    expect(ids).toEqual([
      "figure1-scale-superglue", "figure1-scale-boolq", "figure1-scale-rte",
      "figure3a-prompt-length-superglue", "figure3a-prompt-length-boolq", "figure3a-prompt-length-rte",
      "figure3b-init-superglue", "figure3b-init-boolq", "figure3b-init-rte",
    ]);
    const sweepId = Number(r.sweep.id);
    let checked = 0;
    for (const fig of r.figures) {
      for (const s of fig.series) {
        for (const p of s.points) {
          const want = await configStats(db, sweepId, { task: fig.task, method: p.prompt_length == null ? "model_tuning" : "prompt_tuning", model: p.model, prompt_length: p.prompt_length, init: p.init });
          const at = `${fig.id} ${s.series} ${p.model}`;
          expect(p.n, at).toBe(want.n);
          expect(p.n, `${at}: a point pools more than the 2 seeds of one configuration`).toBeLessThanOrEqual(2);
          expect(p.mean, at).toBeCloseTo(want.mean, 9);
          if (want.sd == null) expect(p.stddev, at).toBeNull();
          else expect(p.stddev, at).toBeCloseTo(want.sd, 9);
          checked++;
        }
      }
    }
    // Figure 1: model tuning + prompt tuning at the baseline (100, class_label); Figure 3 fixes the other axis
    const f1 = r.figures.find((f) => f.id === "figure1-scale-boolq")!;
    expect(f1.series.map((s) => s.series)).toEqual(["model_tuning", "prompt_tuning"]);
    expect(f1.series[1]!.points.every((p) => p.prompt_length === 100 && p.init === "class_label")).toBe(true);
    expect(r.figures.find((f) => f.id === "figure3a-prompt-length-boolq")!.series.flatMap((s) => s.points.map((p) => p.init))).toEqual(["class_label", "class_label", "class_label", "class_label"]);
    expect(r.figures.find((f) => f.id === "figure3b-init-rte")!.series.flatMap((s) => s.points.map((p) => p.prompt_length))).toEqual([100, 100, 100, 100]);
    const a = r.figures.find((f) => f.id === "figure3a-prompt-length-boolq")!;
    expect(a.series.find((s) => s.series === "20")!.points.find((p) => p.model === "small")).toMatchObject({ n: 1, stddev: null });
    expect(checked).toBe(3 * 4 + 3 * 4 + 3 * 4);

    const refCsv = parseCsv(await readFile(path.join(out, "data", "figure1-scale-superglue--reference-lester2021.csv"), "utf8"));
    expect(refCsv.map((x) => Number(x.score))).toEqual([71.8, 89.3, 90.5]);
    const csv = parseCsv(await readFile(path.join(out, a.files.csv.find((c) => c.endsWith("--20.csv"))!), "utf8"));
    expect(csv.map((c) => [c.model, c.params_label, c.n])).toEqual([["nano", "69.8K", "2"], ["small", "60.5M", "1"]]);

    // What has not finished, and Table 3 from the stored ensemble evaluation.
    expect(r.missing).toContain("model small: 19/20 trials finished (1 queued)");
    const t3 = parseCsv(await readFile(path.join(out, "data", "table3-ensembles.csv"), "utf8"));
    expect(t3).toHaveLength(1);
    expect(t3[0]).toMatchObject({ task: "boolq", model: "small", ensemble: "97.25", prompts: "2" });
    const md = await readFile(path.join(out, "report.md"), "utf8");
    expect(md).toContain("| 0 | `▁yes` `▁true` |");
    expect(md).toContain("| 1 | `▁no` |");
    expect(md).toContain("![Figure 1: superglue score vs model size](figures/figure1-scale-superglue.png)");
    expect(md).toContain("_prompt tuning at the baseline: prompt length 100, class_label init; mean ± stddev over seeds");
    if (process.env.PTUNE_REPORT_KEEP) await writeReport(process.env.PTUNE_REPORT_KEEP, r.files);
  });

  it("uses the latest sweep version; older versions stay queryable as name@N", async () => {
    const { up } = await submit(db, "[0, 1, 2]", true);
    expect(up.version).toBe(2);
    const v2 = await reportFromDatabase({ db, sweep: "int-sweep", png: false });
    expect(v2.sweep.id).toBe(String(up.sweepId));
    // version 2's new seed has not run: the points are still over its finished trials only
    expect(v2.missing).toContain("model nano: 20/30 trials finished (10 queued)");
    const v1 = await reportFromDatabase({ db, sweep: "int-sweep@1", png: false });
    expect(v1.missing).toContain("model small: 19/20 trials finished (1 queued)");
    expect(v1.markdown).toContain("Sweep `int-sweep` (id");
    expect(v2.markdown).toContain("Sweep `int-sweep` version 2 (id");
  });

  it("fails with one line naming the known sweeps for an unknown sweep", async () => {
    await expect(reportFromDatabase({ db, sweep: "nope" })).rejects.toThrow("no sweep named 'nope'");
  });
});
