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
import { buildGraph } from "../src/graphs/build.ts";
import { storedDtype, type Precision } from "../src/model/t5.ts";

const cacheDir = mkdtempSync(path.join(tmpdir(), "ptune-precision-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** The prompt-step graph with every weight an initializer of its stored dtype (zeros: structure only). */
function promptStepGraph(v: "v1_0" | "v1_1", precision: Precision): Graph {
  const ckpt = openCheckpoint(fixtureModel(v));
  const c = ckpt.config;
  const shapes = new Map(ckpt.tensors().map((n) => [n, ckpt.info(n).shape]));
  ckpt.close();
  return buildGraph(c, { kind: "prompt-step" }, (g) => {
    const made = new Map<string, Tensor>();
    return (name) => {
      const n = name.includes("embed_tokens") || (name === "lm_head.weight" && c.tie_word_embeddings) ? "shared.weight" : name;
      let t = made.get(n);
      if (!t) {
        const shape = shapes.get(n)!;
        const dtype = storedDtype(n, precision);
        const size = shape.reduce((a, b) => a * b, 1) * (dtype === "float32" ? 4 : 2);
        made.set(n, (t = g.initializer(n, dtype, shape, { bytes: new Uint8Array(size) })));
      }
      return t;
    };
  }, { lossScale: precision === "fp16" ? 1024 : 1 });
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

  it("stores the matrices in half: the fp16 weights file is about half the float32 one", () => {
    const dir = readdirSync(path.join(cacheDir, "t5")).map((d) => path.join(cacheDir, "t5", d))[0];
    const size = (p: string) => statSync(path.join(dir, `weights.${p}.bin`)).size;
    expect(size("fp16") / size("fp32")).toBeGreaterThan(0.45);
    expect(size("fp16") / size("fp32")).toBeLessThan(0.62);
  });
});
