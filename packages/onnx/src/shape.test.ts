import { describe, expect, it } from "vitest";
import { Graph } from "./graph.ts";
import { concat, matmul, reshape, unbroadcast } from "./ops.ts";
import { broadcastShapes, reshapeShape } from "./shape.ts";

describe("shape inference", () => {
  it("broadcasts static and symbolic dims", () => {
    expect(broadcastShapes([2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(broadcastShapes(["B", 1, "T"], [1, 4, "T"])).toEqual(["B", 4, "T"]);
    expect(() => broadcastShapes([2, 3], [4, 3], "Add")).toThrow(/Add: shapes \[2, 3\] and \[4, 3\] do not broadcast/);
  });
  it("reshapes with 0 (copy) and -1 (infer)", () => {
    expect(reshapeShape(["B", "T", 64], [0, 0, 4, 16], "r")).toEqual(["B", "T", 4, 16]);
    expect(reshapeShape([2, 6], [3, -1], "r")).toEqual([3, 4]);
    expect(() => reshapeShape([2, 6], [5, -1], "r")).toThrow(/cannot reshape/);
  });
  it("infers MatMul, Concat and Reshape outputs and rejects mismatches", () => {
    const g = new Graph();
    const a = g.input("a", "float32", ["B", 3, 4]);
    const b = g.input("b", "float32", [4, 5]);
    expect(matmul(a, b).shape).toEqual(["B", 3, 5]);
    expect(() => matmul(b, a)).toThrow(/inner dims differ/);
    const p = g.input("p", "float32", ["B", "P", 4]);
    expect(concat([p, a], 1).shape).toEqual(["B", "P+3", 4]);
    expect(reshape(a, [0, -1]).shape[0]).toBe("B");
    expect(() => g.input("a", "float32", [1])).toThrow(/name 'a' is already used/);
  });
  it("unbroadcasts leading axes and size-1 axes", () => {
    const g = new Graph();
    const gr = g.input("g", "float32", ["B", 4, 3]);
    expect(unbroadcast(gr, [1, 3]).shape).toEqual([1, 3]);
    expect(unbroadcast(gr, [3]).shape).toEqual([3]);
    expect(unbroadcast(gr, ["B", 4, 3])).toBe(gr);
  });
});
