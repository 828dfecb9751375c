// T5Engine.withWeights (model tuning evaluated with the task metrics): a view whose score /
// forward / greedy must equal an engine opened on a checkpoint written with those same weights.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { mulberry32, normals } from "@ptune/onnx";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureModel, goldenFile } from "../../../tooling/test-env.ts";
import { openCheckpoint } from "./checkpoint/checkpoint.ts";
import { readSafetensorsFile } from "./checkpoint/safetensors.ts";
import { writeSafetensors } from "./checkpoint/writer.ts";
import { T5Engine } from "./engine.ts";
import { goldenInputs } from "./parity/check-parity.ts";

const tmp = mkdtempSync(path.join(tmpdir(), "ptune-setweights-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Every stored tensor perturbed by seeded noise (10% of its own scale), as model tuning would
 * change it; a tensor stored with the same values as shared.weight stays tied to it (the engine
 * treats it as shared.weight, as modelStep's gradients do).
 */
function tunedWeights(modelDir: string, seed: number): Map<string, Float32Array> {
  const ckpt = openCheckpoint(modelDir);
  const rand = mulberry32(seed);
  const out = new Map<string, Float32Array>();
  const shared = ckpt.read("shared.weight");
  // tensors() lists the canonical names; untied token embeddings are stored besides them
  const names = [...ckpt.tensors(), ...["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"].filter((n) => ckpt.has(n) && !ckpt.tensors().includes(n))];
  const tied = names.filter((n) => n !== "shared.weight" && ckpt.info(n).shape.join() === ckpt.info("shared.weight").shape.join() && ckpt.read(n).every((v, i) => v === shared[i]));
  for (const name of names) {
    if (tied.includes(name)) continue;
    const w = ckpt.read(name).slice();
    const scale = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length) || 1;
    const noise = normals(w.length, rand, 0.1 * scale);
    for (let i = 0; i < w.length; i++) w[i] += noise[i];
    out.set(name, w);
  }
  for (const name of tied) out.set(name, out.get("shared.weight")!);
  ckpt.close();
  return out;
}

async function writeCheckpoint(from: string, weights: Map<string, Float32Array>, dir: string): Promise<string> {
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"]) copyFileSync(path.join(from, f), path.join(dir, f));
  const ckpt = openCheckpoint(from);
  const entries = [...weights].map(([name, data]) => ({ name, dtype: "F32" as const, shape: ckpt.info(name).shape, data }));
  ckpt.close();
  await writeSafetensors(path.join(dir, "model.safetensors"), entries);
  return dir;
}

describe("T5Engine.withWeights", () => {
  for (const v of ["v1_0", "v1_1"] as const) {
    it(`${v}: score, forward and greedy use the set weights, like a checkpoint holding them`, async () => {
      const { batch, prompt } = goldenInputs(readSafetensorsFile(goldenFile(v)));
      const weights = tunedWeights(fixtureModel(v), 7);
      const dir = await writeCheckpoint(fixtureModel(v), weights, mkdtempSync(path.join(tmp, `ckpt-${v}-`)));
      const cacheDir = path.join(tmp, `cache-${v}`);
      const engine = await T5Engine.open(fixtureModel(v), { cacheDir });
      const written = await T5Engine.open(dir, { cacheDir });
      try {
        const before = await engine.score(batch, prompt);
        const view = engine.withWeights(weights);
        const [got, want] = [await view.score(batch, prompt), await written.score(batch, prompt)];
        // the perturbation moved the scores, and the set weights reproduce the written checkpoint
        expect(Math.max(...Array.from(got, (x, i) => Math.abs(x - before[i])))).toBeGreaterThan(1e-2);
        got.forEach((x, i) => expect(x).toBeCloseTo(want[i], 4));
        const [fg, fw] = [await view.forward(batch), await written.forward(batch)];
        expect(fg.loss).toBeCloseTo(fw.loss, 5);
        const n = Math.min(200, fg.logits.length);
        for (let i = 0; i < n; i++) expect(fg.logits[i]).toBeCloseTo(fw.logits[i], 4);
        expect(await view.greedy(batch, 5, prompt, { stopAtEos: false })).toEqual(await written.greedy(batch, 5, prompt, { stopAtEos: false }));
        // the engine itself never sees the view's weights (issue #9: a cached engine served a
        // model-tuning trial, then scored a prompt-tuning trial with the tuned weights)
        const frozen = await T5Engine.open(fixtureModel(v), { cacheDir });
        const [after, fresh] = [await engine.score(batch, prompt), await frozen.score(batch, prompt)];
        expect(Buffer.from(after.buffer)).toEqual(Buffer.from(fresh.buffer));
        expect(Buffer.from((await engine.forward(batch)).logits.buffer)).toEqual(Buffer.from((await frozen.forward(batch)).logits.buffer));
        expect(await engine.greedy(batch, 5, prompt, { stopAtEos: false })).toEqual(await frozen.greedy(batch, 5, prompt, { stopAtEos: false }));
        view.close();
        await expect(view.score(batch, prompt)).rejects.toThrow(/view was closed/);
        // prompt steps keep the frozen checkpoint weights, and modelStep without weights too
        expect((await engine.promptStep(batch, prompt.data, prompt.len)).loss).toBe((await frozen.promptStep(batch, prompt.data, prompt.len)).loss);
        expect((await engine.modelStep(batch)).loss).toBeCloseTo((await frozen.modelStep(batch)).loss, 6);
        await frozen.close();
      } finally {
        await engine.close();
        await written.close();
      }
    });
  }

  it("rejects unknown names and wrong lengths with one clear message", async () => {
    const engine = await T5Engine.open(fixtureModel("v1_1"), { cacheDir: path.join(tmp, "cache-bad") });
    try {
      expect(() => engine.withWeights(new Map([["nope.weight", new Float32Array(1)]]))).toThrow(/'nope.weight' is not a tensor of the checkpoint/);
      expect(() => engine.withWeights(new Map([["shared.weight", new Float32Array(3)]]))).toThrow(/'shared.weight' has 3 values, expected/);
    } finally {
      await engine.close();
    }
  });
});
