// Static shape inference helpers for the ops we emit. Symbolic dims are strings; when two
// different symbols meet in a broadcast we keep the first (onnxruntime checks the real sizes at run time).
import type { Dim, Shape, Tensor } from "./graph.ts";

export const isStatic = (s: Shape): s is number[] => s.every((d) => typeof d === "number");
export const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** numpy-style broadcast of two shapes (ONNX "multidirectional broadcasting"). */
export function broadcastShapes(a: Shape, b: Shape, what = "broadcast"): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y) out.push(x);
    else if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (typeof x === "number" && typeof y === "number") {
      throw new Error(`${what}: shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    } else out.push(typeof x === "number" ? x : typeof y === "number" ? y : x);
  }
  return out;
}

export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Sum of two dims (Concat): static when both are, else a symbolic "a+b". */
export function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return `${a}+${b}`;
}

/** Output shape of Reshape with ONNX semantics: 0 copies the input dim, -1 is inferred. */
export function reshapeShape(input: Shape, target: number[], what: string): Dim[] {
  const out: Dim[] = target.map((d, i) => (d === 0 ? input[i] : d));
  const inf = out.indexOf(-1);
  if (inf >= 0) {
    const known = out.filter((_, i) => i !== inf);
    if (isStatic(input) && isStatic(known)) {
      const total = numel(input);
      const rest = numel(known);
      if (total % rest !== 0) throw new Error(`${what}: cannot reshape [${input.join(", ")}] to [${target.join(", ")}]`);
      out[inf] = total / rest;
    } else {
      out[inf] = `(${input.join("*")})/(${known.join("*")})`;
    }
  } else if (isStatic(input) && isStatic(out) && numel(input) !== numel(out)) {
    throw new Error(`${what}: cannot reshape [${input.join(", ")}] (${numel(input)} elements) to [${target.join(", ")}]`);
  }
  return out;
}

export function describe(ts: Tensor[]): string {
  return ts.map((t) => t.toString()).join(", ");
}
