// Engine benchmark: ms per prompt-tuning step of a T5 (random T5-small shape by default), the
// analytic FLOPs of that step, achieved GFLOP/s, and a plain MatMul's GFLOP/s on the same
// execution provider in the same process (the ceiling to compare against).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createSession, Graph, mulberry32, normals, ops, saveModel, toOrt } from "@ptune/onnx";
import type { T5Config } from "../src/config.ts";
import { T5Engine, type Batch } from "../src/engine.ts";
import { cacheRoot } from "../src/graphs/cache.ts";
import { initRandomT5 } from "../src/random-init.ts";

export interface BenchShape {
  batch: number;
  inputLen: number;
  targetLen: number;
  promptLen: number;
}
export interface EngineBenchOptions extends Partial<BenchShape> {
  modelDir?: string; // default: a seeded random T5-small (8+8 layers, d 512, 6 heads, d_ff 1024, gated-GELU, vocab 32128)
  device?: "cpu" | "cuda";
  dtype?: "fp32" | "fp16" | "bf16";
  /** T5Engine's weightBinding: "inputs" (CPU default, one copy) or "frozen" (prepacked per session; docs/memory.md) */
  weightBinding?: "inputs" | "frozen";
  threads?: number;
  steps?: number;
  warmup?: number;
  cacheDir?: string;
  log?: (line: string) => void;
}
export interface EngineBenchResult {
  model: string;
  device: string;
  shape: BenchShape;
  msPerStep: number; // median
  stepsTimed: number;
  flopsPerStep: number;
  gflopsPerSec: number;
  matmul: { m: number; k: number; n: number; msPerRun: number; gflopsPerSec: number };
  loss: number;
}

/**
 * Multiply-accumulates of one T5 forward pass (matmuls only: projections, attention, FFN, LM head)
 * for one example with S encoder positions (prompt + tokens) and L decoder positions.
 */
export function t5ForwardMacs(c: T5Config, S: number, L: number): number {
  const d = c.d_model;
  const inner = c.num_heads * c.d_kv;
  const ffn = (n: number) => n * d * c.d_ff * (c.is_gated_act ? 3 : 2);
  const selfAttn = (n: number) => 4 * n * d * inner + 2 * n * n * inner;
  const enc = c.num_layers * (selfAttn(S) + ffn(S));
  const cross = 2 * L * d * inner + 2 * S * d * inner + 2 * L * S * inner;
  const dec = c.num_decoder_layers * (selfAttn(L) + cross + ffn(L));
  return enc + dec + L * d * c.vocab_size;
}

/**
 * FLOPs of a prompt-tuning step: forward (2 per MAC) plus the backward pass, which needs only
 * activation cotangents (weights are frozen), about one more forward's worth: 4 FLOPs per MAC.
 */
export const promptStepFlops = (c: T5Config, s: BenchShape) => 4 * s.batch * t5ForwardMacs(c, s.promptLen + s.inputLen, s.targetLen);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A square-ish MatMul of the model's FFN shape, timed on the same provider. */
async function matmulGflops(device: "cpu" | "cuda", threads: number | undefined, m: number, k: number, n: number, runs: number) {
  const dir = mkdtempSync(path.join(tmpdir(), "ptune-mm-"));
  try {
    const g = new Graph("matmul");
    const a = g.input("a", "float32", [m, k]);
    const b = g.input("b", "float32", [k, n]);
    g.output(ops.matmul(a, b), "c");
    const s = await createSession(saveModel(g, path.join(dir, "mm.onnx")), { device, threads });
    const rand = mulberry32(1);
    const feeds = { a: toOrt("float32", [m, k], normals(m * k, rand)), b: toOrt("float32", [k, n], normals(k * n, rand)) };
    await s.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await s.run(feeds);
      times.push(performance.now() - t);
    }
    await s.close();
    const ms = median(times);
    return { m, k, n, msPerRun: ms, gflopsPerSec: (2 * m * k * n) / (ms * 1e6) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchEngine(o: EngineBenchOptions = {}): Promise<EngineBenchResult> {
  const log = o.log ?? (() => {});
  const shape: BenchShape = { batch: o.batch ?? 2, inputLen: o.inputLen ?? 64, targetLen: o.targetLen ?? 8, promptLen: o.promptLen ?? 20 };
  const device = o.device ?? "cpu";
  let modelDir = o.modelDir;
  if (!modelDir) {
    modelDir = path.join(cacheRoot(o.cacheDir), "bench", "t5-small-random-seed0");
    if (!existsSync(path.join(modelDir, "config.json"))) {
      log(`writing a random T5-small (seed 0) to ${modelDir} ...`);
      await initRandomT5(modelDir, { preset: "small", seed: 0, config: { dropout_rate: 0 } });
    }
  }
  const engine = await T5Engine.open(modelDir, { device, threads: o.threads, cacheDir: o.cacheDir, dtype: o.dtype, weightBinding: o.weightBinding });
  try {
    const c = engine.config;
    const { batch: B, inputLen: T, targetLen: L, promptLen: P } = shape;
    const rand = mulberry32(42);
    const ids = Int32Array.from({ length: B * T }, (_, i) => (i % T === T - 1 ? 1 : 3 + Math.floor(rand() * (c.vocab_size - 3))));
    const labels = Int32Array.from({ length: B * L }, (_, i) => (i % L === L - 1 ? 1 : 3 + Math.floor(rand() * 1000)));
    const batch: Batch = { batchSize: B, inputLen: T, targetLen: L, inputIds: ids, attentionMask: new Int32Array(B * T).fill(1), labels };
    const prompt = normals(P * c.d_model, rand, 0.5);
    log(`building / loading the prompt-step graph (cache ${engine.cacheDir}) ...`);
    let t0 = performance.now();
    let loss = (await engine.promptStep(batch, prompt, P)).loss;
    log(`first step (graph build + session + run): ${(performance.now() - t0).toFixed(0)} ms`);
    for (let i = 1; i < (o.warmup ?? 3); i++) await engine.promptStep(batch, prompt, P);
    const times: number[] = [];
    for (let i = 0; i < (o.steps ?? 10); i++) {
      t0 = performance.now();
      loss = (await engine.promptStep(batch, prompt, P)).loss;
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    const flops = promptStepFlops(c, shape);
    const mm = await matmulGflops(device, o.threads, B * (P + T), c.d_model, c.d_ff, 5);
    return {
      model: modelDir,
      device,
      shape,
      msPerStep: ms,
      stepsTimed: times.length,
      flopsPerStep: flops,
      gflopsPerSec: flops / (ms * 1e6),
      matmul: mm,
      loss,
    };
  } finally {
    await engine.close();
  }
}
