// Preflight on real files: each bad input issue 10 saw accepted by submit (then failing on a
// worker 3 times per trial) is refused before anything is written, all of them in one report.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseSweep } from "@ptune/sweep";
import { describe, expect, it } from "vitest";
import { fixtureModel } from "../../../tooling/test-env.ts";
import { countGrid } from "@ptune/sweep";
import { preflightSweep } from "./preflight.ts";

const good = fixtureModel("v1_1");
const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-preflight-"));
const boolq = path.join(path.dirname(new URL(import.meta.url).pathname), "../../tasks/test/fixtures/superglue/BoolQ");

function variant(name: string, change: (dir: string) => void): string {
  const dir = path.join(tmp, name);
  cpSync(good, dir, { recursive: true });
  change(dir);
  return dir;
}

const sweep = (models: Record<string, string>, extra = "") =>
  parseSweep(
    `name: pf
models:
${Object.entries(models).map(([k, dir]) => `  ${k}: { checkpoint: ${dir}, gpu_memory_gb: 1, params: 1000 }`).join("\n")}
grid:
  model: [${Object.keys(models).join(", ")}]
  task: synthetic
  prompt_length: 4
${extra}`,
    "pf.yaml",
  );

describe("preflightSweep", () => {
  it("accepts a good model and the synthetic task", async () => {
    const r = await preflightSweep(sweep({ ok: good }));
    expect(r.problems).toEqual([]);
    expect(r.count).toBe(1);
    expect(r.trials).toHaveLength(1);
  });

  it("reports every broken model at once: missing dir, missing config.json, d_model as a string, truncated weights, no tokenizer", async () => {
    const missing = path.join(tmp, "nowhere");
    const noConfig = variant("noconfig", (d) => rmSync(path.join(d, "config.json")));
    const stringDim = variant("stringdim", (d) => {
      const c = JSON.parse(readFileSync(path.join(d, "config.json"), "utf8"));
      writeFileSync(path.join(d, "config.json"), JSON.stringify({ ...c, d_model: String(c.d_model) }));
    });
    const truncated = variant("truncated", (d) => truncateSync(path.join(d, "model.safetensors"), Math.floor(statSync(path.join(d, "model.safetensors")).size / 2)));
    const noTok = variant("notok", (d) => writeFileSync(path.join(d, "tokenizer.json"), "{"));
    const r = await preflightSweep(sweep({ ok: good, a: missing, b: noConfig, c: stringDim, d: truncated, e: noTok }));
    const by = Object.fromEntries(r.problems.map((p) => [p.where, p.message]));
    expect(Object.keys(by).sort()).toEqual(["model a", "model b", "model c", "model d", "model e"]);
    expect(by["model a"]).toContain(missing);
    expect(by["model b"]).toMatch(/config/);
    expect(by["model c"]).toMatch(/d_model/);
    expect(by["model d"]).toMatch(/truncated|end of the file|beyond/);
    expect(by["model e"]).toMatch(/tokenizer/);
  });

  // (prompt_length: 100000 itself is refused by the sweep parser: packages/sweep LIMITS)
  it("refuses an unlabelled split and a prompt + input far beyond any model", async () => {
    const data = path.join(tmp, "boolq-test-only");
    mkdirSync(data, { recursive: true });
    copyFileSync(path.join(boolq, "test.jsonl"), path.join(data, "train.jsonl"));
    copyFileSync(path.join(boolq, "test.jsonl"), path.join(data, "val.jsonl"));
    const spec = parseSweep(
      `name: pf2
models:
  ok: { checkpoint: ${good}, gpu_memory_gb: 1, params: 1000 }
tasks:
  boolq: { data_dir: ${data} }
grid:
  model: ok
  task: [boolq, synthetic]
  prompt_length: [4, 1000]
training: { max_input_length: 7500 }
`,
      "pf2.yaml",
    );
    const r = await preflightSweep(spec);
    const text = r.problems.map((p) => `${p.where}: ${p.message}`).join("\n");
    expect(text).toMatch(/task boolq: .*no label/);
    expect(text).toMatch(/prompt_length 1000 \+ max_input_length 7500 = 8500 tokens, above/);
  });

  it("a model's own limit: 16 x the n_positions its config.json states", async () => {
    const short = variant("n-positions-32", (d) => {
      const c = JSON.parse(readFileSync(path.join(d, "config.json"), "utf8"));
      writeFileSync(path.join(d, "config.json"), JSON.stringify({ ...c, n_positions: 32 }));
    });
    const r = await preflightSweep(sweep({ short, plain: good }, "training: { max_input_length: 600 }\n"));
    expect(r.problems.map((p) => `${p.where}: ${p.message}`)).toEqual([
      expect.stringMatching(/^model short: prompt_length 4 \+ max_input_length 600 = 604 tokens, above the limit of 512 for this model$/),
    ]);
  });

  it("counts a 3,000,000-trial grid without expanding it and refuses it above the cap, naming the count", async () => {
    const seeds = Array.from({ length: 10_000 }, (_, i) => i).join(", ");
    const lengths = Array.from({ length: 100 }, (_, i) => i + 1).join(", ");
    const spec = parseSweep(
      `name: huge
models:
  ok: { checkpoint: ${good}, gpu_memory_gb: 1, params: 1000 }
grid:
  model: ok
  task: synthetic
  prompt_length: [${lengths}]
  init: [random_uniform, sampled_vocab, class_label]
  seed: [${seeds.slice(0, seeds.length)}]
`,
      "huge.yaml",
    );
    expect(countGrid(spec)).toBe(3_000_000);
    const t0 = performance.now();
    const r = await preflightSweep(spec);
    expect(performance.now() - t0).toBeLessThan(20_000); // no expansion of 3M trials (it took minutes)
    expect(r.trials).toBeUndefined();
    expect(r.problems[0]).toMatchObject({ where: "grid" });
    expect(r.problems[0]!.message).toMatch(/3,000,000 trials, above the cap of 100,000.*--max-trials 3000000/);
    // the flag raises the cap (counted only, expansion of 3M trials is not needed for this test)
    expect(countGrid({ ...spec, exclude: [{ init: ["class_label"] }] })).toBe(2_000_000);
  });
});
