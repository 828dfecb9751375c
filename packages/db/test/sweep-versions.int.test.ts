// Sweep versions (issue 9 item 3) against a real Postgres: a name stands for one canonical spec;
// a changed spec is refused with what changed, unless a new version is asked for.
import { canonicalSpec, expandSweep, parseSweep } from "@ptune/sweep";
import { describe, expect, it } from "vitest";
import { listSweeps, resolveSweep, SweepChangedError, trialsOfSweep, upsertSweep, type Db } from "../src/index.ts";
import { useFreshDb } from "./helpers.ts";

let db: Db;
useFreshDb("versions", (d) => {
  db = d;
});
const count = async (table: string) => Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

const yaml = (name: string, steps: number, seeds: string) => `name: ${name}
models: { nano: { checkpoint: /m/nano, gpu_memory_gb: 1, params: 69800 } }
grid: { model: [nano], task: [synthetic], seed: ${seeds} }
training: { steps: ${steps} }
`;
/** What `ptune submit` hands upsertSweep for a sweep file. */
function submission(text: string, newVersion?: boolean) {
  const spec = parseSweep(text, "x.yaml", { baseDir: "/" });
  const trials = expandSweep(spec).map((t) => ({ id: t.id, model: t.model.name, task: t.task.name, method: t.method, promptLength: t.promptLength, init: t.init, seed: t.seed, params: 69_800, config: { steps: t.training.steps } }));
  return { name: spec.name, yaml: text, trials, spec: canonicalSpec(spec), ...(newVersion !== undefined && { newVersion }) };
}

describe("sweep versions", () => {
  it("an identical re-submission is idempotent (same row, same version, nothing added)", async () => {
    const a = await upsertSweep(db, submission(yaml("x", 40, "[0, 1]")));
    expect(a).toMatchObject({ version: 1, sweepCreated: true, created: 2 });
    // reordering a list is the same canonical spec
    const b = await upsertSweep(db, submission(yaml("x", 40, "[1, 0]")));
    expect(b).toMatchObject({ sweepId: a.sweepId, version: 1, sweepCreated: false, created: 0, existing: 2 });
  });

  it("refuses a changed spec under the same name, saying what changed, and writes nothing", async () => {
    const before = [await count("sweeps"), await count("trials"), await count("sweep_trials")];
    const err = await upsertSweep(db, submission(yaml("x", 60, "[0, 1, 2]"))).catch((e) => e);
    expect(err).toBeInstanceOf(SweepChangedError);
    expect(err.message).toBe(
      "sweep 'x' exists with a different spec: grid.seed [0,1] -> [0,1,2]; training.steps 40 -> 60. Re-run with --new-version to start version 2, or rename the sweep.",
    );
    expect([await count("sweeps"), await count("trials"), await count("sweep_trials")]).toEqual(before);
  });

  it("--new-version starts version 2, sharing the trials both versions have; the name means the latest", async () => {
    const v1 = await resolveSweep(db, "x");
    const v2 = await upsertSweep(db, submission(yaml("x", 40, "[0, 1, 2]"), true));
    expect(v2).toMatchObject({ version: 2, sweepCreated: true, created: 1, existing: 2 });
    expect(await resolveSweep(db, "x")).toMatchObject({ id: v2.sweepId, version: 2, latest: true });
    expect(await resolveSweep(db, "x@1")).toMatchObject({ id: v1.id, version: 1, latest: false });
    expect(await resolveSweep(db, "x@v2")).toMatchObject({ id: v2.sweepId });
    await expect(resolveSweep(db, "x@7")).rejects.toThrow("sweep 'x' has no version 7 (versions: 1, 2)");
    expect((await trialsOfSweep(db, "x")).map((t) => t.seed).sort()).toEqual([0, 1, 2]);
    expect((await trialsOfSweep(db, "x@1")).map((t) => t.seed).sort()).toEqual([0, 1]);
    const listed = (await listSweeps(db)).filter((s) => s.name === "x");
    expect(listed.map((s) => [s.version, s.latest, s.trials])).toEqual([[2, true, 3], [1, false, 2]]);
    expect((await listSweeps(db, { latestOnly: true })).filter((s) => s.name === "x").map((s) => s.version)).toEqual([2]);
    // the new version's spec is now the one to match: v2 again is idempotent, v1's is refused
    expect(await upsertSweep(db, submission(yaml("x", 40, "[0, 1, 2]")))).toMatchObject({ sweepId: v2.sweepId, version: 2, created: 0 });
    await expect(upsertSweep(db, submission(yaml("x", 40, "[0, 1]")))).rejects.toThrow(
      "sweep 'x' exists with a different spec (version 2): grid.seed [0,1,2] -> [0,1]. Re-run with --new-version to start version 3, or rename the sweep.",
    );
  });

  it("adopts a sweep stored before versions existed (no spec), then guards it", async () => {
    const legacy = submission(yaml("old", 40, "[0]"));
    await upsertSweep(db, { name: legacy.name, yaml: legacy.yaml, trials: legacy.trials });
    expect(await upsertSweep(db, legacy)).toMatchObject({ version: 1, sweepCreated: false });
    await expect(upsertSweep(db, submission(yaml("old", 50, "[0]")))).rejects.toThrow(/training\.steps 40 -> 50/);
  });

  it("concurrent first submissions of one name record one version", async () => {
    const s = submission(yaml("race", 40, "[0, 1]"));
    const rs = await Promise.all([upsertSweep(db, s), upsertSweep(db, s), upsertSweep(db, s)]);
    expect(new Set(rs.map((r) => r.sweepId)).size).toBe(1);
    expect(rs.filter((r) => r.sweepCreated)).toHaveLength(1);
  });
});
