// The closed set of primitives, named by ONNX op type (opset 17). Each is defined ONCE with its
// emission, its shape inference and its vector-Jacobian product side by side, in the style of
// tinygrad's gradient table and JAX's primitives. `grad()` (grad.ts) looks rules up in RULES.
// Composite functions (softmax cross-entropy, RMS norm, GELU) are built from these and need no rules.
// Semantics follow https://onnx.ai/onnx/operators/ ; derivative conventions follow PyTorch
// (relu'(0) = 0, as torch's threshold_backward).
import { isFloat, type DType } from "./dtype.ts";
import { attr, readInt, readInts, readStr, type Attrs, type Dim, type Shape, type Tensor } from "./graph.ts";
import { addDims, broadcastShapes, isStatic, normAxis, numel, reshapeShape } from "./shape.ts";

export interface VjpContext {
  inputs: Tensor[];
  out: Tensor;
  attrs: Attrs;
}
/**
 * Given the output cotangent, the cotangent of each input (null: none / not differentiable there),
 * in the output's broadcast shape or the input's own: `grad()` sums a broadcast cotangent back to
 * the input's shape, and serialization keeps only what the outputs reach, so a rule computes
 * every input's cotangent and never asks which ones are wanted (tinygrad, JAX).
 */
export type VjpRule = (g: Tensor, ctx: VjpContext) => (Tensor | null)[];

export interface OpRule {
  opType: string;
  /** "nondiff": piecewise constant or integer valued; gradients stop here */
  vjp?: VjpRule | "nondiff";
}
export const RULES = new Map<string, OpRule>();

interface OpSpec<A extends unknown[]> {
  opType: string;
  emit: (...args: A) => { inputs: Tensor[]; attrs?: Attrs };
  shape: (inputs: Tensor[], attrs: Attrs) => { dtype: DType; shape: Shape };
  vjp?: VjpRule | "nondiff";
}

/** Registers a primitive and returns the function that emits it. */
export function defineOp<A extends unknown[]>(spec: OpSpec<A>): (...args: A) => Tensor {
  if (RULES.has(spec.opType)) throw new Error(`defineOp: '${spec.opType}' is defined twice`);
  RULES.set(spec.opType, { opType: spec.opType, vjp: spec.vjp });
  return (...args: A) => {
    const { inputs, attrs = {} } = spec.emit(...args);
    const { dtype, shape } = spec.shape(inputs, attrs);
    return inputs[0].graph.addNode(spec.opType, inputs, attrs, dtype, shape);
  };
}

type TensorLike = Tensor | number;
const ref = (a: TensorLike, b: TensorLike): Tensor => {
  if (typeof a !== "number") return a;
  if (typeof b !== "number") return b;
  throw new Error("an op needs at least one tensor operand");
};
const lift = (x: TensorLike, like: Tensor): Tensor => (typeof x === "number" ? like.graph.scalar(like.dtype, x) : x);
const sameDtype = (op: string, ts: Tensor[]) => {
  for (const t of ts) {
    if (t.dtype !== ts[0].dtype) throw new Error(`${op}: dtype mismatch (${ts.map((x) => x.toString()).join(" vs ")})`);
  }
};
const intValues = (t: Tensor, what: string): number[] => {
  if (!t.constValue) throw new Error(`${what}: expected a constant int64 tensor, got ${t.toString()}`);
  return t.constValue;
};

// ---- broadcasting binary ops --------------------------------------------------------------
function binary(opType: string, vjp: VjpRule | "nondiff", outDtype?: DType) {
  return defineOp({
    opType,
    emit: (a: TensorLike, b: TensorLike) => {
      const r = ref(a, b);
      return { inputs: [lift(a, r), lift(b, r)] };
    },
    shape: ([a, b]) => {
      sameDtype(opType, [a, b]);
      return { dtype: outDtype ?? a.dtype, shape: broadcastShapes(a.shape, b.shape, opType) };
    },
    vjp,
  });
}

export const add = binary("Add", (g) => [g, g]);
export const sub = binary("Sub", (g) => [g, neg(g)]);
export const mul = binary("Mul", (g, { inputs: [a, b] }) => [mul(g, b), mul(g, a)]);
// d(a/b)/db = -a/b^2 = -out/b
export const div = binary("Div", (g, { inputs: [, b], out }) => [div(g, b), neg(div(mul(g, out), b))]);
// d x^y/dx = y x^(y-1);  d x^y/dy = x^y ln x (NaN for a negative base: harmless unless y is
// differentiated, and pruned from the saved graph when it is not)
export const pow = binary("Pow", (g, { inputs: [x, y], out }) => [mul(g, mul(y, pow(x, sub(y, 1)))), mul(g, mul(out, log(x)))]);
export const equal = binary("Equal", "nondiff", "bool");
export const less = binary("Less", "nondiff", "bool");
export const greater = binary("Greater", "nondiff", "bool");
export const lessOrEqual = binary("LessOrEqual", "nondiff", "bool");
export const greaterOrEqual = binary("GreaterOrEqual", "nondiff", "bool");
export const and = binary("And", "nondiff", "bool");
export const or = binary("Or", "nondiff", "bool");

// ---- unary ops ----------------------------------------------------------------------------
function unary(opType: string, vjp: VjpRule | "nondiff") {
  return defineOp({ opType, emit: (x: Tensor) => ({ inputs: [x] }), shape: ([x]) => ({ dtype: x.dtype, shape: x.shape }), vjp });
}
export const neg = unary("Neg", (g) => [neg(g)]);
export const exp = unary("Exp", (g, { out }) => [mul(g, out)]);
export const log = unary("Log", (g, { inputs: [x] }) => [div(g, x)]);
export const sqrt = unary("Sqrt", (g, { out }) => [div(mul(g, 0.5), out)]);
export const tanh = unary("Tanh", (g, { out }) => [mul(g, sub(1, mul(out, out)))]);
// relu'(0) = 0 like PyTorch: pass the gradient only where x > 0 (not x >= 0).
export const relu = unary("Relu", (g, { inputs: [x] }) => [where(greater(x, 0), g, 0)]);
export const identity = unary("Identity", (g) => [g]);
export const not = unary("Not", "nondiff");

// ---- linear algebra -----------------------------------------------------------------------
const swapLast = (t: Tensor) => {
  const perm = t.shape.map((_, i) => i);
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  // transpose(transpose(W)) = W: the backward of x @ W^T reuses the stored weight instead of
  // transposing it twice on every step
  const src = t.node;
  if (src?.opType === "Transpose" && readInts(src.attrs, "perm").every((p, i) => p === perm[i])) return src.inputs[0];
  return transpose(t, perm);
};
/** Batched matrix product with numpy broadcasting of the batch dims (both ranks >= 2). */
export const matmul: (a: Tensor, b: Tensor) => Tensor = defineOp({
  opType: "MatMul",
  emit: (a: Tensor, b: Tensor) => ({ inputs: [a, b] }),
  shape: ([a, b]) => {
    sameDtype("MatMul", [a, b]);
    if (a.rank < 2 || b.rank < 2) throw new Error(`MatMul: both operands need rank >= 2 (${a.toString()}, ${b.toString()})`);
    const [m, k1] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (typeof k1 === "number" && typeof k2 === "number" && k1 !== k2) {
      throw new Error(`MatMul: inner dims differ (${a.toString()} x ${b.toString()})`);
    }
    return { dtype: a.dtype, shape: [...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), "MatMul"), m, n] };
  },
  vjp: (g, { inputs: [a, b] }) => [matmul(g, swapLast(b)), matmul(swapLast(a), g)],
});

// ---- reductions ---------------------------------------------------------------------------
const reducedShape = (x: Tensor, axes: number[], keep: boolean, op: string): Dim[] => {
  const ax = axes.map((a) => normAxis(a, x.rank, op));
  return keep ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
};
/** Spreads a reduced cotangent back over the reduced axes. */
const spread = (g: Tensor, x: Tensor, axes: number[], keep: boolean) => {
  const gg = keep ? g : unsqueeze(g, axes.map((a) => normAxis(a, x.rank, "spread")));
  return expand(gg, shapeOf(x), x.shape);
};
/** ReduceSum (opset 13: axes is an input). */
export const reduceSum = defineOp({
  opType: "ReduceSum",
  emit: (x: Tensor, axes: number[], keepdims: boolean = true) => ({ inputs: [x, x.graph.ints(axes)], attrs: { keepdims: attr.i(keepdims ? 1 : 0) } }),
  shape: ([x, axes], at) => ({ dtype: x.dtype, shape: reducedShape(x, intValues(axes, "ReduceSum axes"), at.keepdims.v === 1, "ReduceSum") }),
  vjp: (g, { inputs: [x, axes], attrs }) => [spread(g, x, intValues(axes, "ReduceSum"), attrs.keepdims.v === 1), null],
});
/** ReduceMean (opset 17: axes is an attribute). */
export const reduceMean = defineOp({
  opType: "ReduceMean",
  emit: (x: Tensor, axes: number[], keepdims: boolean = true) => ({ inputs: [x], attrs: { axes: attr.ints(axes), keepdims: attr.i(keepdims ? 1 : 0) } }),
  shape: ([x], at) => ({ dtype: x.dtype, shape: reducedShape(x, readInts(at, "axes"), at.keepdims.v === 1, "ReduceMean") }),
  vjp: (g, { inputs: [x], out, attrs }) => {
    const axes = (readInts(attrs, "axes")).map((a) => normAxis(a, x.rank, "ReduceMean"));
    const dims = axes.map((a) => x.shape[a]);
    // 1/N with N the number of reduced elements: a constant when the reduced dims are static
    const n = isStatic(dims) ? x.graph.scalar(x.dtype, numel(dims)) : div(cast(size(x), x.dtype), cast(size(out), x.dtype));
    return [div(spread(g, x, axes, attrs.keepdims.v === 1), n)];
  },
});
export const argMax = defineOp({
  opType: "ArgMax",
  emit: (x: Tensor, axis: number, keepdims: boolean = false) => ({ inputs: [x], attrs: { axis: attr.i(axis), keepdims: attr.i(keepdims ? 1 : 0) } }),
  shape: ([x], at) => ({ dtype: "int64", shape: reducedShape(x, [readInt(at, "axis")], at.keepdims.v === 1, "ArgMax") }),
  vjp: "nondiff",
});

// ---- softmax ------------------------------------------------------------------------------
export const softmax = defineOp({
  opType: "Softmax",
  emit: (x: Tensor, axis: number = -1) => ({ inputs: [x], attrs: { axis: attr.i(axis) } }),
  shape: ([x]) => ({ dtype: x.dtype, shape: x.shape }),
  // dx = y * (g - sum(g * y))
  vjp: (g, { out, attrs }) => [mul(out, sub(g, reduceSum(mul(g, out), [readInt(attrs, "axis")], true)))],
});
export const logSoftmax = defineOp({
  opType: "LogSoftmax",
  emit: (x: Tensor, axis: number = -1) => ({ inputs: [x], attrs: { axis: attr.i(axis) } }),
  shape: ([x]) => ({ dtype: x.dtype, shape: x.shape }),
  // dx = g - softmax(x) * sum(g), with the probabilities below e^FLUSH_LOG_PROB flushed to 0
  vjp: (g, { out, attrs }) => [sub(g, mul(flushedProbs(out), reduceSum(g, [readInt(attrs, "axis")], true)))],
});

/**
 * Log-probabilities below this are treated as probability 0 in LogSoftmax's VJP. Over a 32k
 * vocabulary most of softmax(x) is far below float32's smallest normal 2^-126 (e^-87.3), and
 * x86 SIMD multiplies subnormal operands ~100x slower: the LM head's backward MatMul
 * ([B*T, V] x [V, d]) ran 20x slower than the same MatMul on normal numbers (issue #13). e^-64
 * (1.6e-28) leaves products with cotangent scales down to 2^-30 and weights down to 2^-30 normal;
 * the mass dropped is at most V * e^-64, below 1e-23 of any gradient entry's size, so no float32
 * sum it feeds changes. Flushing in the graph (not the CPU's FTZ/DAZ flags, which onnxruntime
 * sets per thread, once per process) keeps every thread and every provider bit-identical.
 */
export const FLUSH_LOG_PROB = -64;
function flushedProbs(logp: Tensor): Tensor {
  return where(less(logp, FLUSH_LOG_PROB), 0, exp(logp));
}

// ---- indexing -----------------------------------------------------------------------------
/** Gather rows (axis 0: an embedding lookup) or along another axis. */
export const gather = defineOp({
  opType: "Gather",
  emit: (data: Tensor, indices: Tensor, axis: number = 0) => ({ inputs: [data, indices], attrs: { axis: attr.i(axis) } }),
  shape: ([d, i], at) => {
    const ax = normAxis(readInt(at, "axis"), d.rank, "Gather");
    return { dtype: d.dtype, shape: [...d.shape.slice(0, ax), ...i.shape, ...d.shape.slice(ax + 1)] };
  },
  // rows picked several times get the sum of their cotangents: ScatterND with reduction=add
  vjp: (g, { inputs: [d, i], attrs }) => {
    if (normAxis(readInt(attrs, "axis"), d.rank, "Gather") !== 0) throw new Error("Gather VJP: only axis 0 is supported");
    return [scatterNDAdd(zerosLike(d), unsqueeze(i, [i.rank]), g), null];
  },
});
export const scatterNDAdd = defineOp({
  opType: "ScatterND",
  emit: (data: Tensor, indices: Tensor, updates: Tensor) => ({ inputs: [data, indices, updates], attrs: { reduction: attr.s("add") } }),
  shape: ([d]) => ({ dtype: d.dtype, shape: d.shape }),
});

// ---- shape ops ----------------------------------------------------------------------------
export const concat: (xs: Tensor[], axis: number) => Tensor = defineOp({
  opType: "Concat",
  emit: (xs: Tensor[], axis: number) => ({ inputs: xs, attrs: { axis: attr.i(axis) } }),
  shape: (xs, at) => {
    sameDtype("Concat", xs);
    const ax = normAxis(readInt(at, "axis"), xs[0].rank, "Concat");
    const shape = xs[0].shape.slice();
    for (const x of xs.slice(1)) shape[ax] = addDims(shape[ax], x.shape[ax]);
    return { dtype: xs[0].dtype, shape };
  },
  vjp: (g, { inputs, attrs }) => {
    const ax = normAxis(readInt(attrs, "axis"), g.rank, "Concat");
    let start: Tensor | number = 0;
    return inputs.map((x, k) => {
      const len: Tensor | number = typeof x.shape[ax] === "number" ? (x.shape[ax] as number) : gather(shapeOf(x), x.graph.ints([ax]));
      const end: Tensor | number = typeof start === "number" && typeof len === "number" ? start + len : add(asInts(start, x), asInts(len, x));
      const piece = isFloat(x.dtype) ? sliceDyn(g, asInts(start, x), asInts(end, x), [ax], x.shape) : null;
      start = end;
      return piece;
    });
  },
});
const asInts = (v: Tensor | number, like: Tensor) => (typeof v === "number" ? like.graph.ints([v]) : v);

/** Slice with constant starts/ends/axes (step 1). */
export const slice = (x: Tensor, starts: number[], ends: number[], axes: number[]): Tensor => {
  const shape = x.shape.slice();
  axes.forEach((a, k) => {
    const ax = normAxis(a, x.rank, "Slice");
    const d = shape[ax];
    if (typeof d === "number") {
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      shape[ax] = Math.max(clamp(ends[k]) - clamp(starts[k]), 0);
    } else if (starts[k] >= 0 && ends[k] >= 0 && ends[k] < 2 ** 31) shape[ax] = ends[k] - starts[k];
    else if (starts[k] < 0 && ends[k] >= 2 ** 31) shape[ax] = -starts[k]; // a tail (assumes the dim is long enough)
    else shape[ax] = `${d}[${starts[k]}:${ends[k]}]`;
  });
  return sliceDyn(x, x.graph.ints(starts), x.graph.ints(ends), axes, shape);
};
export const sliceDyn = defineOp({
  opType: "Slice",
  emit: (x: Tensor, starts: Tensor, ends: Tensor, axes: number[], outShape: Shape) => ({
    inputs: [x, starts, ends, x.graph.ints(axes)],
    attrs: shapeAttr(outShape),
  }),
  shape: ([x], at) => ({ dtype: x.dtype, shape: readShapeAttr(at) }),
  // the cotangent of a slice is zero-padded back: pads = [start, dim - end] on the sliced axes
  vjp: (g, { inputs: [x, starts, , axes] }) => {
    const ax = intValues(axes, "Slice axes").map((a) => normAxis(a, x.rank, "Slice"));
    const st = intValues(starts, "Slice VJP starts");
    const gr = x.graph;
    const before: Tensor[] = [];
    const after: Tensor[] = [];
    for (let i = 0; i < x.rank; i++) {
      const k = ax.indexOf(i);
      if (k < 0) {
        before.push(gr.ints([0]));
        after.push(gr.ints([0]));
        continue;
      }
      const dx = gather(shapeOf(x), gr.ints([i]));
      const dg = gather(shapeOf(g), gr.ints([i]));
      if (st[k] >= 0) {
        before.push(gr.ints([st[k]]));
        after.push(sub(sub(dx, dg), st[k]));
      } else {
        // a negative start slices a tail: all the padding goes in front when the slice reaches the end
        before.push(sub(dx, dg));
        after.push(gr.ints([0]));
      }
    }
    return [pad(g, concat([...before, ...after], 0), x.shape), null, null, null];
  },
});
// Internal: Slice/Expand/Reshape outputs may not be inferable from dynamic inputs, so the caller's
// shape rides along as a private attribute that serialization drops (names starting with "__").
const shapeAttr = (s: Shape): Attrs => ({ __shape: { kind: "string", v: JSON.stringify(s) } });
const readShapeAttr = (at: Attrs): Dim[] => JSON.parse(readStr(at, "__shape"));

export const pad = defineOp({
  opType: "Pad",
  emit: (x: Tensor, pads: Tensor, outShape: Shape) => ({ inputs: [x, pads], attrs: shapeAttr(outShape) }),
  shape: ([x], at) => ({ dtype: x.dtype, shape: readShapeAttr(at) }),
});

/** Reshape to constant dims (0 = copy, -1 = infer), or to a runtime shape tensor with the declared result shape. */
export const reshape = (x: Tensor, target: number[] | Tensor, outShape?: Shape): Tensor => {
  if (Array.isArray(target)) return reshapeDyn(x, x.graph.ints(target), reshapeShape(x.shape, target, "Reshape"));
  if (!outShape) throw new Error("reshape: a runtime target shape needs the declared output shape");
  return reshapeDyn(x, target, outShape);
};
export const reshapeDyn: (x: Tensor, shape: Tensor, outShape: Shape) => Tensor = defineOp({
  opType: "Reshape",
  emit: (x: Tensor, shape: Tensor, outShape: Shape) => ({ inputs: [x, shape], attrs: shapeAttr(outShape) }),
  shape: ([x], at) => ({ dtype: x.dtype, shape: readShapeAttr(at) }),
  vjp: (g, { inputs: [x] }) => [reshapeDyn(g, shapeOf(x), x.shape), null],
});
export const transpose: (x: Tensor, perm: number[]) => Tensor = defineOp({
  opType: "Transpose",
  emit: (x: Tensor, perm: number[]) => ({ inputs: [x], attrs: { perm: attr.ints(perm) } }),
  shape: ([x], at) => ({ dtype: x.dtype, shape: (readInts(at, "perm")).map((p) => x.shape[p]) }),
  vjp: (g, { attrs }) => {
    const perm = readInts(attrs, "perm");
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g, inv)];
  },
});
/** Unsqueeze (opset 13: axes is an input); axes refer to the output rank. */
export const unsqueeze = defineOp({
  opType: "Unsqueeze",
  emit: (x: Tensor, axes: number[]) => ({ inputs: [x, x.graph.ints(axes)] }),
  shape: ([x, axesT]) => {
    const r = x.rank + intValues(axesT, "Unsqueeze").length;
    const ax = intValues(axesT, "Unsqueeze").map((a) => normAxis(a, r, "Unsqueeze"));
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) out.push(ax.includes(i) ? 1 : x.shape[k++]);
    return { dtype: x.dtype, shape: out };
  },
  vjp: (g, { inputs: [x] }) => [reshapeDyn(g, shapeOf(x), x.shape), null],
});
export const squeeze = defineOp({
  opType: "Squeeze",
  emit: (x: Tensor, axes: number[]) => ({ inputs: [x, x.graph.ints(axes)] }),
  shape: ([x, axesT]) => {
    const ax = intValues(axesT, "Squeeze").map((a) => normAxis(a, x.rank, "Squeeze"));
    return { dtype: x.dtype, shape: x.shape.filter((_, i) => !ax.includes(i)) };
  },
  vjp: (g, { inputs: [x] }) => [reshapeDyn(g, shapeOf(x), x.shape), null],
});
/** Expand (broadcast) to a runtime shape; `outShape` is the declared result. */
export const expand = defineOp({
  opType: "Expand",
  emit: (x: Tensor, shape: Tensor, outShape: Shape) => ({ inputs: [x, shape], attrs: shapeAttr(outShape) }),
  shape: ([x], at) => ({ dtype: x.dtype, shape: broadcastShapes(x.shape, readShapeAttr(at), "Expand") }),
  vjp: (g) => [g, null], // grad() sums the broadcast cotangent back to x's shape
});
export const where: (c: Tensor, a: TensorLike, b: TensorLike) => Tensor = defineOp({
  opType: "Where",
  emit: (c: Tensor, a: TensorLike, b: TensorLike) => {
    const r = ref(a, b);
    return { inputs: [c, lift(a, r), lift(b, r)] };
  },
  shape: ([c, a, b]) => {
    sameDtype("Where", [a, b]);
    return { dtype: a.dtype, shape: broadcastShapes(c.shape, broadcastShapes(a.shape, b.shape, "Where"), "Where") };
  },
  vjp: (g, { inputs: [c] }) => [null, where(c, g, 0), where(c, 0, g)],
});
export const cast: (x: Tensor, to: DType) => Tensor = defineOp({
  opType: "Cast",
  emit: (x: Tensor, to: DType) => ({ inputs: [x], attrs: { to: attr.i(dtypeCode(to)), __to: attr.s(to) } }),
  shape: ([x], at) => ({ dtype: (readStr(at, "__to") as DType), shape: x.shape }),
  // only float -> float casts carry gradients; the cotangent goes back in the source precision
  vjp: (g, { inputs: [x] }) => [isFloat(x.dtype) && isFloat(g.dtype) ? cast(g, x.dtype) : null],
});
const dtypeCode = (d: DType) => ({ float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16 })[d];

// ---- shape producers (integer valued, no gradients) ---------------------------------------
const shapeNode = defineOp({
  opType: "Shape",
  emit: (x: Tensor) => ({ inputs: [x] }),
  shape: ([x]) => ({ dtype: "int64", shape: [x.rank] }),
  vjp: "nondiff",
});
/** The runtime shape of x, folded to a constant when x's shape is static. */
export const shapeOf = (x: Tensor): Tensor => (isStatic(x.shape) ? x.graph.ints(x.shape) : shapeNode(x));
export const size = defineOp({ opType: "Size", emit: (x: Tensor) => ({ inputs: [x] }), shape: () => ({ dtype: "int64", shape: [] }), vjp: "nondiff" });
export const range = defineOp({
  opType: "Range",
  emit: (start: Tensor, limit: Tensor, delta: Tensor, outShape: Shape) => ({ inputs: [start, limit, delta], attrs: shapeAttr(outShape) }),
  shape: ([s], at) => ({ dtype: s.dtype, shape: readShapeAttr(at) }),
  vjp: "nondiff",
});
export const constantOfShape = defineOp({
  opType: "ConstantOfShape",
  emit: (shape: Tensor, dtype: DType, value: number, outShape: Shape) => ({
    inputs: [shape],
    attrs: { value: { kind: "tensor", dtype, v: [value] }, __to: attr.s(dtype), ...shapeAttr(outShape) },
  }),
  shape: (_, at) => ({ dtype: (readStr(at, "__to") as DType), shape: readShapeAttr(at) }),
  vjp: "nondiff",
});

// ---- helpers built from the primitives ----------------------------------------------------
export const zerosLike = (x: Tensor): Tensor => constantOfShape(shapeOf(x), x.dtype, 0, x.shape);

/**
 * Sums a broadcast cotangent back to the source shape: leading axes the source lacks, and axes
 * where the source has size 1 but the cotangent does not (symbolic dims are assumed to match).
 */
export function unbroadcast(g: Tensor, target: Shape): Tensor {
  const lead = g.rank - target.length;
  if (lead < 0) throw new Error(`unbroadcast: cotangent ${g.toString()} has lower rank than [${target.join(", ")}]`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (target[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
  }
  if (axes.length === 0) return g;
  let r = reduceSum(g, axes, true);
  if (lead > 0) r = squeeze(r, axes.filter((a) => a < lead));
  return r;
}
