// Half precision: which ops run in half (graph structure, both fp16 and bf16) and how far fp16
// lands from float32 on the CPU EP (onnxruntime inserts Casts around the fp16 nodes it has no CPU
// kernel for, so this checks the graphs' numerics up to where the kernels accumulate; the CUDA
// figures come from `ptune bench gpu`). Tolerances are ~3x the measured errors (README).
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Graph, type Tensor } from "@ptune/onnx";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureModel } from "../../../tooling/test-env.ts";
import { precisionParity } from "../bench/precision-parity.ts";
import { openCheckpoint } from "../src/checkpoint/checkpoint.ts";
import { T5Engine } from "../src/engine.ts";
import { buildGraph, graphId } from "../src/graphs/build.ts";
import { ensureWeightsIndex, weightTable } from "../src/graphs/cache.ts";
import { storedDtype, type Precision } from "../src/model/t5.ts";
import { roleOf } from "../src/model/weights.ts";

const cacheDir = mkdtempSync(path.join(tmpdir(), "ptune-precision-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** The prompt-step graph with every weight an initializer of its stored dtype (zeros: structure only). */
function promptStepGraph(v: "v1_0" | "v1_1", precision: Precision): Graph {
  const ckpt = openCheckpoint(fixtureModel(v));
  const c = ckpt.config;
  const shapes = new Map(ckpt.tensors().map((n) => [n, ckpt.info(n).shape]));
  ckpt.close();
  return buildGraph(c, graphId("prompt-step", { precision, lossScale: precision === "fp16" ? 1024 : 1 }), (g) => {
    const made = new Map<string, Tensor>();
    return (name) => {
      const n = name.includes("embed_tokens") || (name === "lm_head.weight" && c.tie_word_embeddings) ? "shared.weight" : name;
      let t = made.get(n);
      if (!t) {
        const shape = shapes.get(n)!;
        const dtype = storedDtype(roleOf(c, n), precision);
        const size = shape.reduce((a, b) => a * b, 1) * (dtype === "float32" ? 4 : 2);
        made.set(n, (t = g.initializer(n, dtype, shape, { bytes: new Uint8Array(size) })));
      }
      return t;
    };
  });
}

describe("mixed precision graphs", () => {
  for (const precision of ["fp16", "bf16"] as const) {
    const half = precision === "fp16" ? "float16" : "bfloat16";
    it(`${precision}: matmuls in half (wo: ${precision === "fp16" ? "float32" : "half"}), softmax / log-softmax / norms / loss and the prompt in float32`, () => {
      const g = promptStepGraph("v1_1", precision);
      const byOp = (op: string) => g.nodes.filter((n) => n.opType === op);
      const matmuls = byOp("MatMul").map((n) => n.output.dtype);
      expect(matmuls.filter((d) => d === half).length).toBeGreaterThan(matmuls.length / 2);
      expect(new Set(matmuls)).toEqual(new Set(precision === "fp16" ? [half, "float32"] : [half]));
      for (const op of ["Softmax", "LogSoftmax", "ReduceMean", "Sqrt"]) for (const n of byOp(op)) expect(n.output.dtype, op).toBe("float32");
      expect(g.inputs.find((t) => t.name === "prompt")?.dtype).toBe("float32");
      for (const o of g.outputs) expect(o.dtype, o.name).toBe("float32");
      // Pow has no bfloat16 CUDA kernel in every release: half precision cubes with Mul
      expect(byOp("Pow").every((n) => n.output.dtype === "float32")).toBe(true);
    });
  }

  it("bf16 needs the CUDA EP: the CPU says so in one message", async () => {
    await expect(T5Engine.open(fixtureModel("v1_1"), { dtype: "bf16" })).rejects.toThrow(/dtype 'bf16' needs device 'cuda'/);
  });
});

describe("fp16 vs float32 on the CPU EP", () => {
  for (const v of ["v1_0", "v1_1"] as const) {
    it(`t5-tiny-${v}: loss, prompt gradient, scores and greedy ids`, async () => {
      const r = await precisionParity(fixtureModel(v), "fp16", { cacheDir });
      expect(r.lossRelErr).toBeLessThan(2e-4);
      expect(r.gradCosine).toBeGreaterThan(0.999);
      expect(r.gradRelL2).toBeLessThan(0.05);
      expect(r.scoreMaxAbs).toBeLessThan(0.1);
      expect(r.greedyAgreement).toBe(1);
    });
  }

  it("frozen graphs: fp32 weights are the checkpoint's own bytes; fp16 converts once into a file about half the size", () => {
    // its own cache directory: this test needs no earlier test's files
    const dir = mkdtempSync(path.join(tmpdir(), "ptune-weights-index-"));
    const ckpt = openCheckpoint(fixtureModel("v1_1"));
    try {
      const table = weightTable(ckpt);
      const fp32 = ensureWeightsIndex(ckpt, table, dir, "fp32");
      const names = Object.keys(table.shapes);
      expect(Object.keys(fp32.tensors).sort()).toEqual([...names].sort());
      for (const n of names) expect(fp32.tensors[n]).toEqual({ location: "ckpt-0.safetensors", ...ckpt.location(n), file: undefined, dtype: "float32" });
      expect(readdirSync(dir).filter((f) => f.endsWith(".bin"))).toEqual([]); // no second copy on disk
      const fp16 = ensureWeightsIndex(ckpt, table, dir, "fp16");
      const bytes = statSync(path.join(dir, "weights.fp16.bin")).size;
      const f32bytes = names.reduce((a, n) => a + fp32.tensors[n].length, 0);
      expect(bytes / f32bytes).toBeGreaterThan(0.45);
      expect(bytes / f32bytes).toBeLessThan(0.62);
      // layer norms stay float32 and so stay the checkpoint's bytes
      const norm = names.find((n) => n.endsWith("layer_norm.weight"))!;
      expect(fp16.tensors[norm].location).toBe("ckpt-0.safetensors");
    } finally {
      ckpt.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
