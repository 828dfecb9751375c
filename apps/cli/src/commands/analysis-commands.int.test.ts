// `ptune ensemble | neighbours | export | import` end to end against a real Postgres
// (DATABASE_URL = a throwaway migrated database) holding two prompt-tuning trials trained for a
// few steps with runTrial on the fixture model and stored through FencedWriter. The analyses'
// semantics are tested in packages/trainer/src/analysis; here: arguments, output, what is stored.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensembleEvaluations, getTrial, loadBestCheckpoint, type Db } from "@ptune/db";
import { promptFromState } from "@ptune/trainer";
import { fixtureModel } from "../../../../tooling/test-env.ts";
import { trainedSweep, type TrainedSweep } from "../../test/trained-sweep.ts";
import { parseCommandArgs, type Command, type Io } from "../command.ts";
import { command as ensemble } from "./ensemble.ts";
import { command as exportCmd } from "./export.ts";
import { command as importCmd } from "./import.ts";
import { command as neighbours } from "./neighbours.ts";

const modelDir = fixtureModel("v1_1");
const SWEEP = "cli-analysis";
const ids = [0, 1].map((s) => `cli-${s}-${randomBytes(4).toString("hex")}`);
let db: Db;
let sweep: TrainedSweep | undefined;

async function run(c: Command, argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: () => undefined, json: argv.includes("--json") };
  const code = await c.run(parseCommandArgs(c, argv), io);
  return { code, out };
}

beforeAll(async () => {
  sweep = await trainedSweep({ sweep: SWEEP, ids, dbTag: "analysis", modelDir });
  db = sweep.db;
});

afterAll(async () => {
  await sweep?.drop();
});

describe("analysis commands", () => {
  it("ptune ensemble prints Table 3 and stores one ensemble row", async () => {
    const text = await run(ensemble, [SWEEP, "--model", "tiny", "--task", "synthetic", "--synthetic-dev", "8"]);
    expect(text.code).toBe(0);
    expect(text.out[0]).toMatch(/synthetic on tiny, prompt length 3, init random_uniform: 2 prompts \(seeds 0, 1\), 8 dev examples/);
    expect(text.out.join("\n")).toMatch(/metric\s+average\s+best\s+ensemble\n-+.*\naccuracy\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d\d/);
    const json = await run(ensemble, [SWEEP, "--model", "tiny", "--task", "synthetic", "--synthetic-dev", "8", "--json"]);
    const rep = JSON.parse(json.out[0]!);
    expect(rep.members.map((m: { trialId: string }) => m.trialId)).toEqual(ids);
    expect(rep.predictions).toHaveLength(8);
    expect(rep.stored.changed).toBe(false);
    expect(await ensembleEvaluations(db, ids)).toEqual([{ trialId: [...ids].sort()[0], split: "ensemble", step: 0, metrics: { accuracy: rep.table[0].ensemble, members: 2 } }]);
  });

  it("ptune neighbours accepts an id prefix and stores result.neighbours", async () => {
    const r = await run(neighbours, [ids[0]!.slice(0, 10), "--k", "2", "--json"]);
    const rep = JSON.parse(r.out[0]!);
    expect(rep).toMatchObject({ trialId: ids[0], k: 2, stored: true });
    expect(rep.neighbours).toHaveLength(3);
    expect(((await getTrial(db, ids[0]!))!.result as { neighbours: unknown }).neighbours).toEqual(rep.neighbours);
    const human = await run(neighbours, [ids[0]!, "--k", "2", "--dry-run"]);
    expect(human.out.join("\n")).toMatch(/slot\s+#1\s+#2\n-+.*\n0\s+".*" -?\d\.\d{3}/);
    await expect(run(neighbours, ["cli-"])).rejects.toThrow(/ambiguous/);
    await expect(run(neighbours, ["x", "--k", "0"])).rejects.toMatchObject({ exitCode: 2 });
  });

  it("ptune export + ptune import round-trip the stored best prompt", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ptune-cli-export-"));
    try {
      const best = promptFromState((await loadBestCheckpoint(db, ids[1]!))!.state, ids[1]!);
      const mean = best.data.reduce((a, b) => a + b, 0) / best.data.length;
      for (const [format, out] of [["peft", path.join(dir, "adapter")], ["npy", path.join(dir, "p.npy")]] as const) {
        const e = await run(exportCmd, [ids[1]!, "--format", format, "--out", out]);
        expect(e.out[0]).toMatch(new RegExp(`prompt \\[3, 64\\] from step 2 written as ${format}`));
        const back = JSON.parse((await run(importCmd, [out, "--json"])).out[0]!);
        expect(back).toMatchObject({ format, len: 3, dModel: 64 });
        expect(back.stats.mean).toBeCloseTo(mean, 12);
      }
      await expect(run(exportCmd, [ids[1]!, "--format", "onnx", "--out", dir])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--format: expected peft or npy/) });
      await expect(run(importCmd, [path.join(dir, "nothing")])).rejects.toThrow(/no such file or directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
