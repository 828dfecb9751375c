// A graph under construction: typed tensors with static or symbolic shapes, the nodes that
// produce them, graph inputs, initializers (inline or already in an external data file) and outputs.
// Nodes carry their op type and attributes; `grad()` (grad.ts) walks them backwards.
import { DTYPES, encodeValues, type DType, type HostData } from "./dtype.ts";

/** A dimension: a number (static) or a name (symbolic, e.g. "batch"). */
export type Dim = number | string;
export type Shape = readonly Dim[];

export type AttrValue =
  | { kind: "int"; v: number }
  | { kind: "float"; v: number }
  | { kind: "string"; v: string }
  | { kind: "ints"; v: number[] }
  | { kind: "floats"; v: number[] }
  | { kind: "tensor"; dtype: DType; v: number[] }; // a 1-element tensor (ConstantOfShape value)
export type Attrs = Record<string, AttrValue>;
export const attr = {
  i: (v: number): AttrValue => ({ kind: "int", v }),
  f: (v: number): AttrValue => ({ kind: "float", v }),
  s: (v: string): AttrValue => ({ kind: "string", v }),
  ints: (v: number[]): AttrValue => ({ kind: "ints", v }),
  floats: (v: number[]): AttrValue => ({ kind: "floats", v }),
};

/** Attribute readers for rules (attributes are written by the op's own emit, so the kinds are known). */
export const readInt = (a: Attrs, k: string): number => a[k].v as number;
export const readInts = (a: Attrs, k: string): number[] => a[k].v as number[];
export const readStr = (a: Attrs, k: string): string => a[k].v as string;

export interface Node {
  opType: string;
  inputs: Tensor[];
  output: Tensor;
  attrs: Attrs;
  name: string;
}

export class Tensor {
  /** set when a node produced this tensor; absent for inputs, initializers and constants */
  node?: Node;
  /** host values of small integer constants (axes, shapes), so shape inference can read them */
  constValue?: number[];
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(", ")}]`;
  }
}

/** Where an initializer's bytes are: inline, or at offset/length of a file beside the model. */
export type InitData = { bytes: Uint8Array } | { external: { location: string; offset: number; length: number } };

export interface Initializer {
  tensor: Tensor;
  data: InitData;
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly initializers: Initializer[] = [];
  readonly outputs: Tensor[] = [];
  private readonly names = new Set<string>();
  private counter = 0;
  private readonly scalarCache = new Map<string, Tensor>();

  constructor(readonly name = "graph") {}

  /** A name not used yet in this graph, derived from `hint`. */
  fresh(hint: string): string {
    let n = hint;
    while (this.names.has(n)) n = `${hint}_${++this.counter}`;
    this.names.add(n);
    return n;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`graph '${this.name}': the name '${name}' is already used`);
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: Shape): Tensor {
    const t = new Tensor(this, this.claim(name), dtype, shape);
    this.inputs.push(t);
    return t;
  }

  /** A named weight; `data` is either host values or a slice of an external file. */
  initializer(name: string, dtype: DType, shape: number[], data: InitData | HostData | number[]): Tensor {
    return this.addInitializer(this.claim(name), dtype, shape, data);
  }

  private addInitializer(name: string, dtype: DType, shape: number[], data: InitData | HostData | number[]): Tensor {
    const t = new Tensor(this, name, dtype, shape);
    const n = shape.reduce((a, b) => a * b, 1);
    let init: InitData;
    if (Array.isArray(data)) init = { bytes: encodeValues(dtype, data) };
    else if (ArrayBuffer.isView(data)) init = { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    else init = data;
    const len = "bytes" in init ? init.bytes.byteLength : init.external.length;
    if (len !== n * DTYPES[dtype].bytes) {
      throw new Error(`initializer '${name}': ${len} bytes for ${dtype}[${shape.join(", ")}], expected ${n * DTYPES[dtype].bytes}`);
    }
    this.initializers.push({ tensor: t, data: init });
    return t;
  }

  /** A small constant (values in JS numbers). Integer constants remember their values for shape inference. */
  constant(dtype: DType, shape: number[], values: number[], hint = "const"): Tensor {
    const key = `${dtype}|${shape.join(",")}|${values.join(",")}`;
    const hit = values.length <= 16 ? this.scalarCache.get(key) : undefined;
    if (hit) return hit;
    const t = this.addInitializer(this.fresh(hint), dtype, shape, values);
    if (dtype === "int64" || dtype === "int32") t.constValue = values.slice();
    if (values.length <= 16) this.scalarCache.set(key, t);
    return t;
  }

  scalar(dtype: DType, v: number): Tensor {
    return this.constant(dtype, [], [v], "scalar");
  }

  /** 1-D int64 constant (axes, shapes, starts/ends). */
  ints(values: number[]): Tensor {
    return this.constant("int64", [values.length], values, "ints");
  }

  /** Marks `t` as a graph output under `name` (an Identity node renames it when needed). */
  output(t: Tensor, name: string): Tensor {
    if (t.graph !== this) throw new Error(`output '${name}': tensor ${t.name} belongs to another graph`);
    let out = t;
    if (t.name !== name || this.outputs.includes(t) || this.inputs.includes(t)) {
      out = new Tensor(this, this.claim(name), t.dtype, t.shape);
      const node: Node = { opType: "Identity", inputs: [t], output: out, attrs: {}, name: this.fresh("n_Identity") };
      out.node = node;
      this.nodes.push(node);
    }
    this.outputs.push(out);
    return out;
  }

  /** Adds a node (used by ops.ts); the output tensor gets a fresh name. */
  addNode(opType: string, inputs: Tensor[], attrs: Attrs, dtype: DType, shape: Shape): Tensor {
    for (const x of inputs) {
      if (x.graph !== this) throw new Error(`${opType}: input ${x.name} belongs to another graph`);
    }
    const out = new Tensor(this, this.fresh(`${opType.toLowerCase()}_${this.nodes.length}`), dtype, shape);
    const node: Node = { opType, inputs, output: out, attrs, name: `n${this.nodes.length}_${opType}` };
    out.node = node;
    this.nodes.push(node);
    return out;
  }
}
