// Finite-difference check of reverse-mode gradients, like JAX's check_vjp: builds
// L = sum(f(x) * r) for a random cotangent r in float64, differentiates it with grad(), and compares
// each analytic partial with a central difference (L(x + eps e_j) - L(x - eps e_j)) / 2 eps on the CPU EP.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DType } from "./dtype.ts";
import { Graph, type Tensor } from "./graph.ts";
import { grad } from "./grad.ts";
import { mul, reduceSum } from "./ops.ts";
import { mulberry32 } from "./rng.ts";
import { saveModel } from "./serialize.ts";
import { isStatic, numel } from "./shape.ts";
import { createSession, toOrt } from "./session.ts";

export interface VjpInput {
  shape: number[];
  /** float64 inputs are differentiated unless `noGrad`; int64/bool inputs are held fixed */
  dtype?: "float64" | "int64" | "bool";
  data?: number[];
  noGrad?: boolean;
}

export interface VjpReport {
  maxAbs: number;
  maxRel: number;
  ok: boolean;
  checked: number;
  worst: string;
}

export async function checkVjp(
  f: (...xs: Tensor[]) => Tensor,
  specs: VjpInput[],
  opts: { eps?: number; atol?: number; rtol?: number; seed?: number } = {},
): Promise<VjpReport> {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-5, seed = 1 } = opts;
  const rand = mulberry32(seed);
  const g = new Graph("check_vjp");
  const xs = specs.map((s, i) => g.input(`x${i}`, (s.dtype ?? "float64") as DType, s.shape));
  const y = f(...xs);
  if (!isStatic(y.shape)) throw new Error(`checkVjp: f must have a static output shape, got ${y.toString()}`);
  const r = g.input("cotangent", y.dtype, y.shape);
  const loss = reduceSum(mul(y, r), y.shape.map((_, i) => i), false);
  const diff = specs.map((s, i) => ((s.dtype ?? "float64") === "float64" && !s.noGrad ? i : -1)).filter((i) => i >= 0);
  const grads = grad(loss, diff.map((i) => xs[i]));
  g.output(loss, "loss");
  grads.forEach((t, k) => g.output(t, `grad${k}`));
  const dir = mkdtempSync(path.join(tmpdir(), "ptune-vjp-"));
  try {
    const file = saveModel(g, path.join(dir, "check.onnx"));
    const session = await createSession(file, { threads: 1 });
    const values = specs.map((s) => s.data?.slice() ?? Array.from({ length: numel(s.shape) }, () => rand() * 2 - 1));
    const rv = Array.from({ length: numel(y.shape as number[]) }, () => rand() * 2 - 1);
    const feeds = () => {
      const fd: Record<string, ReturnType<typeof toOrt>> = { cotangent: toOrt("float64", y.shape as number[], rv) };
      specs.forEach((s, i) => (fd[`x${i}`] = toOrt(s.dtype ?? "float64", s.shape, values[i])));
      return fd;
    };
    const base = await session.run(feeds());
    let maxAbs = 0;
    let maxRel = 0;
    let checked = 0;
    let ok = true;
    let worst = "";
    for (let k = 0; k < diff.length; k++) {
      const i = diff[k];
      const analytic = base[`grad${k}`].data as Float64Array;
      for (let j = 0; j < values[i].length; j++) {
        const x0 = values[i][j];
        values[i][j] = x0 + eps;
        const lp = (await session.run(feeds())).loss.data[0] as number;
        values[i][j] = x0 - eps;
        const lm = (await session.run(feeds())).loss.data[0] as number;
        values[i][j] = x0;
        const numeric = (lp - lm) / (2 * eps);
        const abs = Math.abs(numeric - analytic[j]);
        const rel = abs / Math.max(Math.abs(numeric), 1e-12);
        checked++;
        if (abs > maxAbs) {
          maxAbs = abs;
          worst = `input ${i} element ${j}: analytic ${analytic[j]} vs numeric ${numeric}`;
        }
        maxRel = Math.max(maxRel, Math.abs(numeric) > atol ? rel : 0);
        if (abs > atol + rtol * Math.abs(numeric)) ok = false;
      }
    }
    await session.close();
    return { maxAbs, maxRel, ok, checked, worst };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
