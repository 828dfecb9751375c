// Every VJP rule against central finite differences in float64 (checkVjp), plus the PyTorch
// subgradient convention for relu at 0 and a loud failure for an op without a rule.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkVjp, createSession, crossEntropy, FLUSH_LOG_PROB, grad, Graph, ops, RULES, saveModel, toOrt, type Tensor, type VjpInput } from "../src/index.ts";

const f64 = (...shape: number[]): VjpInput => ({ shape });
const positive = (...shape: number[]): VjpInput => ({ shape, data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 0.5 + ((i * 7) % 11) / 7) });
const awayFromZero = (...shape: number[]): VjpInput => ({
  shape,
  data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 2 ? -1 : 1) * (0.1 + ((i * 5) % 9) / 10)),
});

// one or more cases per differentiable op type; the coverage test below keeps this list complete
const cases: { op: string; name: string; f: (...xs: Tensor[]) => Tensor; inputs: VjpInput[]; eps?: number; atol?: number }[] = [
  { op: "Add", name: "broadcast [2,3]+[3]", f: (a, b) => ops.add(a, b), inputs: [f64(2, 3), f64(3)] },
  { op: "Sub", name: "broadcast [2,1,3]-[4,1]", f: (a, b) => ops.sub(a, b), inputs: [f64(2, 1, 3), f64(4, 1)] },
  { op: "Mul", name: "broadcast [2,3]*[2,1]", f: (a, b) => ops.mul(a, b), inputs: [f64(2, 3), f64(2, 1)] },
  { op: "Div", name: "broadcast [2,3]/[3]", f: (a, b) => ops.div(a, b), inputs: [f64(2, 3), positive(3)] },
  { op: "Neg", name: "[4]", f: (a) => ops.neg(a), inputs: [f64(4)] },
  { op: "Pow", name: "x^y both", f: (a, b) => ops.pow(a, b), inputs: [positive(2, 3), f64(3)] },
  { op: "Pow", name: "x^3 constant", f: (a) => ops.pow(a, 3), inputs: [f64(5)] },
  { op: "Sqrt", name: "[2,3]", f: (a) => ops.sqrt(a), inputs: [positive(2, 3)] },
  { op: "Exp", name: "[2,3]", f: (a) => ops.exp(a), inputs: [f64(2, 3)] },
  { op: "Log", name: "[2,3]", f: (a) => ops.log(a), inputs: [positive(2, 3)] },
  { op: "Tanh", name: "[2,3]", f: (a) => ops.tanh(a), inputs: [f64(2, 3)] },
  { op: "Relu", name: "[2,4] away from 0", f: (a) => ops.relu(a), inputs: [awayFromZero(2, 4)] },
  { op: "Identity", name: "[3]", f: (a) => ops.identity(a), inputs: [f64(3)] },
  { op: "MatMul", name: "batch broadcast [2,1,3,4]x[3,4,5]", f: (a, b) => ops.matmul(a, b), inputs: [f64(2, 1, 3, 4), f64(3, 4, 5)] },
  { op: "MatMul", name: "[3,4]x[2,4,2]", f: (a, b) => ops.matmul(a, b), inputs: [f64(3, 4), f64(2, 4, 2)] },
  { op: "ReduceSum", name: "axis 1, no keepdims", f: (a) => ops.reduceSum(a, [1], false), inputs: [f64(2, 3, 4)] },
  { op: "ReduceSum", name: "axes 0,2 keepdims", f: (a) => ops.reduceSum(a, [0, 2], true), inputs: [f64(2, 3, 4)] },
  { op: "ReduceMean", name: "axis -1 keepdims", f: (a) => ops.reduceMean(a, [-1], true), inputs: [f64(2, 3, 4)] },
  { op: "ReduceMean", name: "axis 0 no keepdims", f: (a) => ops.reduceMean(a, [0], false), inputs: [f64(2, 3)] },
  { op: "Softmax", name: "axis -1", f: (a) => ops.softmax(a, -1), inputs: [f64(2, 5)] },
  { op: "LogSoftmax", name: "axis 1 of 3", f: (a) => ops.logSoftmax(a, 1), inputs: [f64(2, 4, 3)] },
  {
    op: "Gather",
    name: "embedding rows with repeats",
    f: (d, i) => ops.gather(d, i, 0),
    inputs: [f64(5, 3), { shape: [2, 3], dtype: "int64", data: [0, 4, 0, 2, 2, 2] }],
  },
  { op: "Concat", name: "axis 1", f: (a, b) => ops.concat([a, b], 1), inputs: [f64(2, 3), f64(2, 2)] },
  { op: "Slice", name: "rows 1:3", f: (a) => ops.slice(a, [1], [3], [0]), inputs: [f64(4, 5)] },
  { op: "Slice", name: "tail -2: of axis 1", f: (a) => ops.slice(a, [-2], [2 ** 40], [1]), inputs: [f64(3, 5)] },
  { op: "Reshape", name: "[2,6]->[3,0->?]", f: (a) => ops.reshape(a, [3, -1]), inputs: [f64(2, 6)] },
  { op: "Transpose", name: "perm 2,0,1", f: (a) => ops.transpose(a, [2, 0, 1]), inputs: [f64(2, 3, 4)] },
  { op: "Unsqueeze", name: "axes 0,2", f: (a) => ops.unsqueeze(a, [0, 2]), inputs: [f64(2, 3)] },
  { op: "Squeeze", name: "axis 1", f: (a) => ops.squeeze(a, [1]), inputs: [f64(2, 1, 3)] },
  { op: "Expand", name: "[3,1]->[2,3,4]", f: (a) => ops.expand(a, a.graph.ints([2, 3, 4]), [2, 3, 4]), inputs: [f64(3, 1)] },
  {
    op: "Where",
    name: "broadcast b",
    f: (c, a, b) => ops.where(c, a, b),
    inputs: [{ shape: [2, 3], dtype: "bool", data: [1, 0, 1, 1, 0, 0] }, f64(2, 3), f64(3)],
  },
  // float32 round trip: finite differences are only float32-accurate here
  { op: "Cast", name: "f64->f32->f64", f: (a) => ops.cast(ops.mul(ops.cast(a, "float32"), 2), "float64"), inputs: [f64(3)], eps: 1e-2, atol: 1e-4 },
];

describe("VJP rules vs finite differences (float64, CPU EP)", () => {
  it("has a check for every differentiable rule", () => {
    const differentiable = [...RULES.values()].filter((r) => typeof r.vjp === "function").map((r) => r.opType);
    const covered = new Set(cases.map((c) => c.op));
    expect(differentiable.filter((op) => !covered.has(op))).toEqual([]);
  });
  for (const c of cases) {
    it(`${c.op}: ${c.name}`, async () => {
      const r = await checkVjp(c.f, c.inputs, { eps: c.eps ?? 1e-6, atol: c.atol ?? 1e-7, rtol: 1e-6 });
      expect(r.checked).toBeGreaterThan(0);
      expect(r.ok, r.worst).toBe(true);
    });
  }
});

describe("composites built from primitives", () => {
  it("crossEntropy with ignored (-100) positions: values and gradient", async () => {
    const logits = [0.1, -0.2, 0.3, 1.0, 0.0, -1.0, 0.5, 0.5, 0.5];
    const r = await checkVjp(
      (x, labels) => {
        const { nll, valid } = crossEntropy(x, labels);
        return ops.div(ops.reduceSum(nll, [0], false), ops.reduceSum(valid, [0], false));
      },
      [{ shape: [3, 3], data: logits }, { shape: [3], dtype: "int64", data: [2, -100, 0] }],
    );
    expect(r.ok, r.worst).toBe(true);
    // and the value itself: mean of -log softmax at the two counted positions
    const g = new Graph("ce");
    const x = g.input("x", "float64", [3, 3]);
    const l = g.input("l", "int64", [3]);
    const { nll, valid } = crossEntropy(x, l);
    g.output(nll, "nll");
    g.output(valid, "valid");
    const dir = mkdtempSync(path.join(tmpdir(), "ptune-ce-"));
    try {
      const s = await createSession(saveModel(g, path.join(dir, "ce.onnx")));
      const out = await s.run({ x: toOrt("float64", [3, 3], logits), l: toOrt("int64", [3], [2, -100, 0]) });
      const lse = (row: number[]) => Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      const want = [lse(logits.slice(0, 3)) - 0.3, 0, lse(logits.slice(6, 9)) - 0.5];
      Array.from(out.nll.data as Float64Array).forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
      expect(Array.from(out.valid.data as Float64Array)).toEqual([1, 0, 1]);
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("grad edge cases", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ptune-grad-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("relu'(0) = 0 like PyTorch", async () => {
    const g = new Graph("relu0");
    const x = g.input("x", "float32", [4]);
    const [dx] = grad(ops.reduceSum(ops.relu(x), [0], false), [x]);
    g.output(dx, "dx");
    const s = await createSession(saveModel(g, path.join(dir, "relu0.onnx")));
    const out = await s.run({ x: toOrt("float32", [4], [0, 1, -1, 2]) });
    expect(Array.from(out.dx.data as Float32Array)).toEqual([0, 1, 0, 1]);
    await s.close();
  });

  it("LogSoftmax's VJP flushes probabilities below e^FLUSH_LOG_PROB to 0: no subnormal cotangent reaches the LM head's MatMul", async () => {
    // a row spanning 0 .. -200: softmax of the tail is subnormal in float32 (< 2^-126 ~ e^-87.3)
    const logits = [0, -1, -30, -63, -66, -90, -120, -200];
    const g = new Graph("flush");
    const x = g.input("x", "float32", [1, logits.length]);
    const l = g.input("l", "int64", [1]);
    const [dx] = grad(ops.reduceSum(crossEntropy(x, l).nll, [0], false), [x]);
    g.output(dx, "dx");
    const s = await createSession(saveModel(g, path.join(dir, "flush.onnx")));
    const out = Array.from((await s.run({ x: toOrt("float32", [1, logits.length], logits), l: toOrt("int64", [1], [0]) })).dx.data as Float32Array);
    await s.close();
    const z = logits.reduce((a, v) => a + Math.exp(v), 0);
    logits.forEach((v, i) => {
      const want = Math.exp(v) / z - (i === 0 ? 1 : 0); // softmax - onehot
      if (v - Math.log(z) < FLUSH_LOG_PROB) expect(out[i], `logit ${v}`).toBe(0);
      // float32 log-probabilities carry an absolute error ~ ulp(|logp|), so exp() a relative ~1e-5
      else expect(Math.abs(out[i] - want), `logit ${v}`).toBeLessThanOrEqual(Math.abs(want) * 1e-4);
      expect(out[i] === 0 || Math.abs(out[i]) >= 2 ** -126, `logit ${v}: subnormal ${out[i]}`).toBe(true);
    });
  });

  it("fails loudly with the op name when a rule is missing", () => {
    const g = new Graph("missing");
    const x = g.input("x", "float32", [3, 2]);
    const y = ops.scatterNDAdd(x, g.constant("int64", [1, 1], [0]), g.constant("float32", [1, 2], [1, 2]));
    expect(() => grad(ops.reduceSum(y, [0, 1], false), [x])).toThrow(/no VJP rule for op 'ScatterND'/);
  });
});

describe("checkVjp can fail", () => {
  it("reports a wrong rule (sin with the derivative of the identity)", async () => {
    const { defineOp } = await import("../src/index.ts");
    const wrongSin = defineOp({
      opType: "Sin",
      emit: (x: Tensor) => ({ inputs: [x] }),
      shape: ([x]) => ({ dtype: x.dtype, shape: x.shape }),
      vjp: (g) => [g],
    });
    try {
      const r = await checkVjp((a) => wrongSin(a), [f64(3)]);
      expect(r.ok).toBe(false);
      expect(r.maxAbs).toBeGreaterThan(1e-3);
    } finally {
      RULES.delete("Sin");
    }
  });
});
