// `ptune eval` on a released-style prompt (.npy) with the model and the data named as hf:
// references, served by a local hub-like server (only the network is simulated): the model arrives
// as pytorch_model.bin only, as the paper's LM-adapted checkpoints ship; the metrics equal those of
// the same prompt on the local safetensors original, and check-parity on the hf: reference passes.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluatePrompt, exportPromptNpy, Rng } from "@ptune/trainer";
import { fixtureModel, goldenFile, repoRoot } from "../../../../tooling/test-env.ts";
import { startFakeHub, type FakeHub } from "../../../../packages/t5/test/hub/fake-hub.ts";
import { parseCommandArgs, type Io } from "../command.ts";
import { command as parityCmd } from "./check-parity.ts";
import { command as evalCmd } from "./eval.ts";
import { command as pullCmd } from "./models-pull.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-eval-"));
const C = "e".repeat(40);
const read = (p: string) => new Uint8Array(readFileSync(p));
let hub: FakeHub;
const saved = { ...process.env };

beforeAll(async () => {
  hub = await startFakeHub([
    {
      kind: "model", repoId: "google/t5-tiny-lm-adapt", refs: { main: C },
      files: { [C]: { "config.json": read(path.join(fixtureModel("v1_0"), "config.json")), "tokenizer.json": read(path.join(fixtureModel("v1_0"), "tokenizer.json")), "pytorch_model.bin": read(path.join(repoRoot, "packages/t5/test/fixtures/torch/v1_0-zip/pytorch_model.bin")) } },
    },
    { kind: "dataset", repoId: "aps/super_glue", refs: { main: C }, files: { [C]: { "rte/val.jsonl": read(path.join(repoRoot, "packages/tasks/test/fixtures/superglue/RTE/val.jsonl")) } } },
  ]);
  Object.assign(process.env, { HF_HUB_CACHE: path.join(tmp, "hub"), HF_ENDPOINT: hub.url, HF_HOME: path.join(tmp, "home") });
  delete process.env.HF_HUB_OFFLINE;
});
afterAll(async () => {
  for (const k of ["HF_HUB_CACHE", "HF_ENDPOINT", "HF_HOME"]) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function run(argv: string[], cmd = evalCmd) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), json: argv.includes("--json") };
  const code = await cmd.run(parseCommandArgs(cmd, argv), io);
  return { code, out, err };
}

describe("ptune eval / ptune models pull with hf: references", () => {
  it("models pull downloads the .bin-only checkpoint and says what it holds", async () => {
    const r = await run(["hf:google/t5-tiny-lm-adapt", "--json"], pullCmd);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out[0]!);
    expect(j).toMatchObject({ ok: true, d_model: 64, dir: path.join(tmp, "hub", "models--google--t5-tiny-lm-adapt", "snapshots", C) });
    expect(j.files.map((f: string) => path.basename(f))).toEqual(["pytorch_model.bin"]);
  });

  it("a .npy prompt on hf: model and hf: data scores like the same prompt on the local safetensors model", async () => {
    const rng = Rng.fromSeed(3);
    const prompt = { data: Float32Array.from({ length: 4 * 64 }, () => rng.float() - 0.5), len: 4 };
    const npy = path.join(tmp, "rte.npy");
    exportPromptNpy(npy, prompt);
    const cacheDir = path.join(tmp, "engine");
    const r = await run(["--prompt", npy, "--model", "hf:google/t5-tiny-lm-adapt", "--task", "rte", "--data", "hf:datasets/aps/super_glue/rte", "--cache-dir", cacheDir, "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out[0]!);
    expect(j).toMatchObject({ ok: true, task: "rte", split: "validation", model: "hf:google/t5-tiny-lm-adapt" });
    const local = await evaluatePrompt({ prompt: { ...prompt, dModel: 64 }, model: fixtureModel("v1_0"), task: "rte", dataDir: path.join(repoRoot, "packages/tasks/test/fixtures/superglue/RTE"), cacheDir });
    expect(j.examples).toBe(local.examples);
    expect(j.metrics).toEqual(local.metrics);
    expect(Object.keys(j.metrics)).toContain("accuracy");
  });

  it("check-parity takes the hf: reference and the .bin-only model matches the PyTorch golden values", async () => {
    const r = await run(["hf:google/t5-tiny-lm-adapt", goldenFile("v1_0"), "--cache-dir", path.join(tmp, "engine"), "--json"], parityCmd);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0]!).ok).toBe(true);
  });

  it("a prompt of the wrong size, and a missing --task, fail with one line", async () => {
    const npy = path.join(tmp, "wide.npy");
    exportPromptNpy(npy, { data: new Float32Array(4 * 32), len: 4 });
    await expect(run(["--prompt", npy, "--model", "hf:google/t5-tiny-lm-adapt", "--task", "rte", "--data", "hf:datasets/aps/super_glue/rte"])).rejects.toThrow(/the prompt is \[4, 32\] but hf:google\/t5-tiny-lm-adapt has d_model 64/);
    await expect(run(["--prompt", npy, "--model", "hf:google/t5-tiny-lm-adapt"])).rejects.toThrow(/a prompt file needs --model and --task/);
  });
});
