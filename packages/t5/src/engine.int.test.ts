// T5Engine against the PyTorch golden files and against itself (packing, decoding, caching).
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureModel, goldenFile } from "../../../tooling/test-env.ts";
import { readSafetensorsFile } from "./checkpoint/safetensors.ts";
import { BatchError, T5Engine } from "./engine.ts";
import { checkParity, goldenInputs } from "./parity/check-parity.ts";

const cacheDir = mkdtempSync(path.join(tmpdir(), "ptune-engine-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const KNOWN = ["loss", "logits", "encoder_last_hidden_state", "grad_prompt", "grad_shared", "grad_enc0_q", "grad_dec_last_ff", "per_example_logprob", "greedy_ids", "loss_no_prompt"];

describe("parity with PyTorch (atol 1e-4, rtol 1e-3)", () => {
  for (const v of ["v1_0", "v1_1"] as const) {
    it(`t5-tiny-${v}`, async () => {
      const rows = await checkParity(fixtureModel(v), goldenFile(v), { atol: 1e-4, rtol: 1e-3, engine: { cacheDir } });
      const byKey = new Map(rows.map((r) => [r.key, r]));
      for (const k of [...KNOWN, ...(v === "v1_1" ? ["grad_lm_head"] : [])]) {
        const r = byKey.get(k);
        expect(r, k).toBeDefined();
        expect(r!.skipped, k).toBeUndefined();
        expect(r!.ok, `${k}: maxAbs ${r!.maxAbs} maxRel ${r!.maxRel}`).toBe(true);
      }
      // tighter than required where float32 allows it
      expect(byKey.get("loss")!.maxAbs).toBeLessThan(1e-6);
      expect(byKey.get("grad_prompt")!.maxAbs).toBeLessThan(1e-5);
      expect(byKey.get("greedy_ids")!.maxAbs).toBe(0);
      expect(byKey.get("adafactor_losses")?.skipped).toMatch(/checker/);
    });
  }

  it("frozen-weight graphs (initializers on the checkpoint's bytes, the CUDA EP's binding) match PyTorch on the CPU EP too", async () => {
    const rows = await checkParity(fixtureModel("v1_1"), goldenFile("v1_1"), { atol: 1e-4, rtol: 1e-3, engine: { cacheDir, weightBinding: "frozen" } });
    for (const k of ["loss", "grad_prompt", "per_example_logprob", "greedy_ids"]) expect(rows.find((r) => r.key === k)?.ok, k).toBe(true);
    expect(rows.find((r) => r.key === "greedy_ids")!.maxAbs).toBe(0);
  });

  it("an extra checker's rows replace the skipped ones, and a wrong result fails", async () => {
    const rows = await checkParity(fixtureModel("v1_0"), goldenFile("v1_0"), {
      engine: { cacheDir },
      checkers: [(golden) => [{ key: "adafactor_losses", maxAbs: 1, maxRel: 1, ok: golden.has("adafactor_losses") && false }]],
    });
    expect(rows.find((r) => r.key === "adafactor_losses")?.ok).toBe(false);
  });
});

describe("T5Engine", () => {
  let engine: T5Engine;
  const golden = readSafetensorsFile(goldenFile("v1_1"));
  const { batch, prompt } = goldenInputs(golden);
  const d = 64;
  beforeAll(async () => {
    engine = await T5Engine.open(fixtureModel("v1_1"), { cacheDir });
  });
  afterAll(() => engine.close());

  it("packs per-example prompts exactly: padded slots change nothing", async () => {
    const pmax = 7;
    const B = batch.batchSize;
    const prompts = new Float32Array(B * pmax * d);
    const mask = new Int32Array(B * pmax);
    for (let b = 0; b < B; b++) {
      // the real prompt, then two junk slots that the mask hides
      prompts.set(prompt.data, b * pmax * d);
      for (let j = 5 * d; j < pmax * d; j++) prompts[b * pmax * d + j] = 100 * Math.sin(j + b);
      mask.fill(1, b * pmax, b * pmax + 5);
    }
    const weights = Float32Array.from([1, 0.5, 2]);
    const packed = await engine.promptStepPerExample(batch, prompts, mask, pmax, weights);
    for (let b = 0; b < B; b++) {
      const one = {
        batchSize: 1,
        inputLen: batch.inputLen,
        targetLen: batch.targetLen,
        inputIds: batch.inputIds.subarray(b * batch.inputLen, (b + 1) * batch.inputLen),
        attentionMask: batch.attentionMask.subarray(b * batch.inputLen, (b + 1) * batch.inputLen),
        labels: batch.labels.subarray(b * batch.targetLen, (b + 1) * batch.targetLen),
      };
      const alone = await engine.promptStep(one, prompt.data, 5);
      const tokens = one.labels.filter((x) => x !== -100).length;
      expect(packed.tokens[b]).toBe(tokens);
      expect(packed.lossSum[b] / tokens).toBeCloseTo(alone.loss, 5);
      // float32 reassociation only: the error is tiny next to the gradient's scale
      let maxDiff = 0;
      let scale = 0;
      for (let j = 0; j < 5 * d; j++) {
        const want = alone.gradPrompt[j] * tokens * weights[b];
        maxDiff = Math.max(maxDiff, Math.abs(packed.gradPrompts[b * pmax * d + j] - want));
        scale = Math.max(scale, Math.abs(want));
      }
      expect(maxDiff / scale).toBeLessThan(2e-5);
      for (let j = 5 * d; j < pmax * d; j++) expect(packed.gradPrompts[b * pmax * d + j]).toBe(0);
    }
  });

  it("greedy decoding stops after EOS or at maxNewTokens", async () => {
    const want = Array.from(golden.get("greedy_ids")!.data as BigInt64Array, Number);
    const got = await engine.greedy(batch, 6, prompt);
    got.forEach((ids, b) => {
      const ref = want.slice(b * 7 + 1, b * 7 + 7);
      const eos = ref.indexOf(1);
      expect(ids).toEqual(eos >= 0 ? ref.slice(0, eos + 1) : ref);
    });
    const two = await engine.greedy(batch, 2, prompt, { stopAtEos: false });
    expect(two.map((s) => s.length)).toEqual([2, 2, 2]);
  });

  it("greedy with per-example prompts equals the shared prompt when all are the same", async () => {
    const B = batch.batchSize;
    const per = new Float32Array(B * 5 * d);
    for (let b = 0; b < B; b++) per.set(prompt.data, b * 5 * d);
    const a = await engine.greedy(batch, 4, prompt, { stopAtEos: false });
    const p = await engine.greedy(batch, 4, { perExample: per, mask: new Int32Array(B * 5).fill(1), pmax: 5 }, { stopAtEos: false });
    expect(p).toEqual(a);
  });

  it("scores with per-example prompts like the shared prompt when all are the same", async () => {
    const B = batch.batchSize;
    const per = new Float32Array(B * 5 * d);
    for (let b = 0; b < B; b++) per.set(prompt.data, b * 5 * d);
    const shared = await engine.score(batch, prompt);
    const packed = await engine.score(batch, { perExample: per, mask: new Int32Array(B * 5).fill(1), pmax: 5 });
    shared.forEach((v, i) => expect(packed[i]).toBeCloseTo(v, 4));
  });

  it("modelStep uses the weights it is given: a zero LM head gives loss ln(vocab)", async () => {
    const zero = new Map([["lm_head.weight", new Float32Array(1100 * d)]]);
    const { loss, grads } = await engine.modelStep(batch, zero, prompt);
    expect(loss).toBeCloseTo(Math.log(1100), 5);
    expect(grads.get("lm_head.weight")?.length).toBe(1100 * d);
    // with a zero head nothing upstream gets a gradient
    expect(Math.max(...Array.from(grads.get("encoder.block.0.layer.0.SelfAttention.q.weight")!, Math.abs))).toBe(0);
  });

  it("reuses cached graphs across engines (keyed by the checkpoint hash)", async () => {
    const dir = path.join(cacheDir, "t5", engine.checkpointId.slice(0, 32));
    const before = new Map(readdirSync(dir).map((f) => [f, statSync(path.join(dir, f)).mtimeMs]));
    expect([...before.keys()].some((f) => f.startsWith("prompt-step.") && f.endsWith(".onnx"))).toBe(true);
    const again = await T5Engine.open(fixtureModel("v1_1"), { cacheDir });
    expect(again.checkpointId).toBe(engine.checkpointId);
    await again.promptStep(batch, prompt.data, 5);
    await again.close();
    for (const [f, m] of before) expect(statSync(path.join(dir, f)).mtimeMs, f).toBe(m);
  });

  it("rejects bad options and a malformed batch with one clear message", async () => {
    await expect(T5Engine.open(fixtureModel("v1_1"), { threads: 0 })).rejects.toThrow(/option 'threads'/);
    await expect(T5Engine.open(fixtureModel("v1_1"), { dtype: "fp8" as never })).rejects.toThrow(/option .dtype./);
    await expect(engine.promptStep({ ...batch, labels: batch.labels.subarray(1) }, prompt.data, 5)).rejects.toThrow(BatchError);
    await expect(engine.promptStep(batch, prompt.data, 4)).rejects.toThrow(/prompt: 320 values, expected len x d_model = 4 x 64/);
  });
});
