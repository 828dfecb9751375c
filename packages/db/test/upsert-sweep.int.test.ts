// upsertSweep's bulk path (COPY into a temporary table, set-based memberships): escaping,
// thousands of trials, concurrent overlapping submissions. Own database: these add sweeps.
import { describe, expect, it } from "vitest";
import { getTrial, trialsOfSweep, trialStates, upsertSweep, type Db } from "../src/index.ts";
import { trial, useFreshDb } from "./helpers.ts";

let db: Db;
useFreshDb("upsert", (d) => {
  db = d;
});

describe("upsertSweep in bulk", () => {
  it("stores every character of a config as given (COPY text escaping)", async () => {
    const tricky = { s: "tab\there\nnew line\r\\back\\.slash", q: 'quote " and \\N', u: "ünï 🙂", nested: { a: [1, null, "\\."] } };
    const r = await upsertSweep(db, { name: "esc", yaml: "", trials: [trial({ id: "e1", model: "m\tx", size: undefined, task: "t\\N", init: null, promptLength: null, metric: "f1\n", config: tricky })] });
    expect(r).toMatchObject({ created: 1, existing: 0, trialIds: ["e1"] });
    expect(await getTrial(db, "e1")).toMatchObject({ model: "m\tx", size: "m\tx", task: "t\\N", init: null, promptLength: null, metric: "f1\n", config: tricky });
  });

  it("inserts thousands of trials at once, counting new and existing; a repeated id keeps its last definition", async () => {
    const many = Array.from({ length: 3000 }, (_, i) => trial({ id: `m${String(i).padStart(5, "0")}`, seed: i, config: { i } }));
    const first = await upsertSweep(db, { name: "many", yaml: "", trials: many.slice(0, 1000) });
    expect(first).toMatchObject({ created: 1000, existing: 0 });
    // reversed order, plus one id repeated with another config: submission order is kept
    const input = [...many].reverse().concat(trial({ id: "m02999", seed: 2999, config: { i: -1 } }));
    const second = await upsertSweep(db, { name: "many", yaml: "v2", trials: input });
    expect(second).toMatchObject({ sweepId: first.sweepId, sweepCreated: false, created: 2000, existing: 1000 });
    expect(second.trialIds).toEqual([...many].reverse().map((t) => t.id));
    expect((await getTrial(db, "m02999"))!.config).toEqual({ i: -1 });
    expect((await getTrial(db, "m00005"))!).toMatchObject({ seed: 5, config: { i: 5 } });
    expect((await trialsOfSweep(db, "many")).length).toBe(3000);
    expect((await db.pool.query("SELECT yaml FROM sweeps WHERE name = 'many'")).rows[0].yaml).toBe("v2");
  });

  it("two overlapping submissions at once both succeed and store each trial once", async () => {
    const shared = Array.from({ length: 400 }, (_, i) => trial({ id: `c${String(i).padStart(4, "0")}`, seed: i }));
    const [x, y] = await Promise.all([
      upsertSweep(db, { name: "cx", yaml: "", trials: [...shared, trial({ id: "cx-only" })] }),
      upsertSweep(db, { name: "cy", yaml: "", trials: [trial({ id: "cy-only" }), ...shared] }),
    ]);
    expect(x.created + y.created).toBe(402);
    expect(x.existing + y.existing).toBe(400);
    expect(Number((await db.pool.query("SELECT count(*) FROM trials WHERE id LIKE 'c%'")).rows[0].count)).toBe(402);
    expect((await trialsOfSweep(db, "cy")).length).toBe(401);
  });

  it("an empty sweep is recorded with no trials", async () => {
    expect(await upsertSweep(db, { name: "empty", yaml: "", trials: [] })).toMatchObject({ sweepCreated: true, created: 0, existing: 0, trialIds: [] });
    expect((await trialStates(db, "empty")).size).toBe(0);
  });


  it("a row the server refuses rolls the whole submission back; the connection stays usable", async () => {
    // jsonb has no \u0000 (PostgreSQL docs, "JSON Types"): the COPY fails mid-stream
    const bad = [trial({ id: "r1" }), trial({ id: "r2", config: { s: "nul\u0000" } })];
    await expect(upsertSweep(db, { name: "refused", yaml: "", trials: bad })).rejects.toThrow(/\\u0000|unsupported Unicode/);
    expect((await db.pool.query("SELECT count(*)::int AS n FROM sweeps WHERE name = 'refused'")).rows[0].n).toBe(0);
    expect(await getTrial(db, "r1")).toBeNull();
    for (let i = 0; i < 12; i++) expect((await upsertSweep(db, { name: `after${i}`, yaml: "", trials: [trial({ id: "r1" })] })).trialIds).toEqual(["r1"]);
  });
});
