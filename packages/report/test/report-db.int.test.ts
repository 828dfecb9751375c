// The report from a real Postgres: a fresh database migrated by @ptune/db, seeded with trials and
// an ensemble evaluation; every plotted point must equal an aggregate computed in SQL straight from
// the trials table (independent of the views the report reads).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { dropDatabase, ensureDatabase, migrate, openDb, type Db } from "@ptune/db";
import { parseCsv, reportFromDatabase } from "../src/index.ts";
import { testDatabaseUrl } from "../../../tooling/test-env.ts";
import { makeFixture } from "./fixture-rows.ts";

const dbName = `ptune_report_${process.pid}_${Date.now().toString(36)}`;
const url = (() => {
  const u = new URL(testDatabaseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
let db: Db;

async function seed(db: pg.Pool) {
  const { rows } = await db.query(`INSERT INTO sweeps (name, yaml) VALUES ('int-sweep', 'name: int-sweep') RETURNING id`);
  const sweepId = rows[0].id as number;
  // Two SuperGLUE tasks with the same seeds, so the views also produce task = 'superglue' rows.
  const trials = [...makeFixture(11).trials.map((t) => ({ ...t, trial_id: `b-${t.trial_id}` })), ...makeFixture(12).trials.map((t) => ({ ...t, task: "rte", trial_id: `r-${t.trial_id}` }))];
  for (const t of trials) {
    await db.query(
      `INSERT INTO trials (id, config, model, size, task, method, prompt_length, init, seed, params, state, metric, best_score, best_step)
       VALUES ($1, '{}', $2, $2, $3, $4, $5, $6, $7, $8, $9::"TrialState", $10, $11, $12)`,
      [t.trial_id, t.model, t.task, t.method, t.prompt_length, t.init, t.seed, t.params, t.state, t.metric, t.best_score, t.best_step],
    );
    await db.query(`INSERT INTO sweep_trials (sweep_id, trial_id) VALUES ($1, $2)`, [sweepId, t.trial_id]);
  }
  const anchor = trials.find((t) => t.task === "boolq" && t.model === "base" && t.prompt_length === 100 && t.init === "class_label")!;
  await db.query(`INSERT INTO evaluations (trial_id, split, step, metrics) VALUES ($1, 'ensemble', 300, $2)`, [anchor.trial_id, JSON.stringify({ accuracy: 97.25, members: 3 })]);
  // The trainer's nearestNeighbours() shape: [slot][k] of { id, token, similarity }.
  const neighbours = [[{ id: 5, token: "▁yes", similarity: 0.9 }, { id: 6, token: "▁true", similarity: 0.8 }], [{ id: 7, token: "▁no", similarity: 0.7 }]];
  await db.query(`UPDATE trials SET result = $2 WHERE id = $1`, [anchor.trial_id, JSON.stringify({ neighbours })]);
  return trials;
}

beforeAll(async () => {
  await ensureDatabase(url);
  await migrate(url);
  db = openDb(url, { max: 4 });
  await seed(db.pool);
});

afterAll(async () => {
  await db?.close();
  await dropDatabase(url);
});

describe("report from the database views", () => {
  it("plots exactly the SQL aggregates over completed trials", async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), "ptune-report-int-"));
    const r = await reportFromDatabase({ db, sweep: "int-sweep", outDir: out });
    expect(r.sweep.name).toBe("int-sweep");
    const ids = r.figures.map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(["figure1-scale-superglue", "figure1-scale-boolq", "figure1-scale-rte", "figure3a-prompt-length-boolq", "figure3b-init-rte"]));

    // Figure 1 per task: straight from trials, not through the views.
    const direct = await db.pool.query(`SELECT task, method, model, avg(best_score) AS mean, stddev_samp(best_score) AS sd, count(*)::int AS n
      FROM trials WHERE state = 'completed' AND best_score IS NOT NULL GROUP BY task, method, model`);
    let checked = 0;
    for (const task of ["boolq", "rte"]) {
      const fig = r.figures.find((f) => f.id === `figure1-scale-${task}`)!;
      const plotted = fig.series.flatMap((s) => s.points.map((p) => ({ ...p, series: s.series })));
      const expected = direct.rows.filter((d) => d.task === task);
      expect(plotted).toHaveLength(expected.length);
      for (const d of expected) {
        const p = plotted.find((q) => q.series === d.method && q.model === d.model)!;
        expect(p, `${task} ${d.method} ${d.model}`).toBeDefined();
        expect(p.mean).toBeCloseTo(Number(d.mean), 9);
        expect(p.stddev).toBeCloseTo(Number(d.sd), 9);
        expect(p.n).toBe(d.n);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);

    // SuperGLUE = per seed mean over the tasks, then mean over seeds (paper Section 3).
    const sg = await db.pool.query(`SELECT method, model, avg(s) AS mean, count(*)::int AS n FROM (
        SELECT method, model, seed, avg(best_score) AS s FROM trials WHERE state = 'completed' GROUP BY method, model, seed HAVING count(DISTINCT task) = 2) x
      GROUP BY method, model`);
    const sgFig = r.figures.find((f) => f.id === "figure1-scale-superglue")!;
    for (const d of sg.rows) {
      const p = sgFig.series.find((s) => s.series === d.method)!.points.find((q) => q.model === d.model)!;
      expect(p.mean).toBeCloseTo(Number(d.mean), 9);
      expect(p.n).toBe(d.n);
    }
    const refCsv = parseCsv(await readFile(path.join(out, "data", "figure1-scale-superglue--reference-lester2021.csv"), "utf8"));
    expect(refCsv.map((x) => Number(x.score))).toEqual([71.8, 89.3, 90.5]);

    // Figure 3(a) per prompt length, boolq, class_label + random_uniform mixed (the view groups by length only).
    const lengths = await db.pool.query(`SELECT prompt_length, model, avg(best_score) AS mean FROM trials
      WHERE state = 'completed' AND task = 'boolq' AND prompt_length IS NOT NULL GROUP BY prompt_length, model`);
    const a = r.figures.find((f) => f.id === "figure3a-prompt-length-boolq")!;
    for (const d of lengths.rows) {
      const csvRows = parseCsv(await readFile(path.join(out, a.files.csv.find((c) => c.endsWith(`--${d.prompt_length}.csv`))!), "utf8"));
      expect(Number(csvRows.find((c) => c.model === d.model)!.mean)).toBeCloseTo(Number(d.mean), 9);
    }

    // What has not finished, and Table 3 from the stored ensemble evaluation.
    expect(r.missing).toContain("model xl: 0/42 trials finished (42 queued)");
    const t3 = parseCsv(await readFile(path.join(out, "data", "table3-ensembles.csv"), "utf8"));
    expect(t3).toHaveLength(1);
    expect(t3[0]).toMatchObject({ task: "boolq", model: "base", ensemble: "97.25", prompts: "3" });
    const md = await readFile(path.join(out, "report.md"), "utf8");
    expect(md).toContain("| 0 | `▁yes` `▁true` |");
    expect(md).toContain("| 1 | `▁no` |");
    expect(md).toContain("![Figure 1: superglue score vs model size](figures/figure1-scale-superglue.png)");
  });

  it("fails with one line naming the known sweeps for an unknown sweep", async () => {
    await expect(reportFromDatabase({ db, sweep: "nope" })).rejects.toThrow("no sweep named 'nope'");
  });
});
