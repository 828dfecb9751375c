// ModelProto serialization, external data and sessions, checked by onnxruntime itself.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSession, ExternalDataWriter, grad, Graph, ops, reachable, saveModel, toOrt } from "../src/index.ts";
import { ModelProto } from "../src/proto.ts";

const dir = mkdtempSync(path.join(tmpdir(), "ptune-onnx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function affine(name: string) {
  const g = new Graph(name);
  const x = g.input("x", "float32", ["batch", 3]);
  return { g, x };
}

describe("saveModel", () => {
  it("saves only what the outputs reach: cotangents of inputs nobody differentiates are left out", async () => {
    const g = new Graph("pruned");
    const x = g.input("x", "float32", [2, 3]);
    const y = g.input("y", "float32", [3]); // broadcast against x, not differentiated
    const loss = ops.reduceSum(ops.pow(x, y), [0, 1], false);
    const [dx] = grad(loss, [x]);
    g.output(dx, "dx");
    // Pow's rule built d/dy = out * ln(x) (a Log node) and the walker's un-broadcast of it (a ReduceSum)
    expect(g.nodes.some((n) => n.opType === "Log")).toBe(true);
    const kept = reachable(g).nodes;
    expect(kept.some((n) => n.opType === "Log")).toBe(false);
    expect(kept.length).toBeLessThan(g.nodes.length);
    const s = await createSession(saveModel(g, path.join(dir, "pruned.onnx")));
    const out = await s.run({ x: toOrt("float32", [2, 3], [1, 2, 3, 4, 5, 6]), y: toOrt("float32", [3], [2, 1, 3]) });
    // d/dx x^y = y x^(y-1)
    expect(Array.from(out.dx.data as Float32Array)).toEqual([2, 1, 27, 8, 1, 108]);
    await s.close();
  });


  it("writes a model onnxruntime runs, with symbolic dims serving several batch sizes", async () => {
    const { g, x } = affine("inline");
    const w = g.initializer("w", "float32", [3, 2], [1, 2, 3, 4, 5, 6]);
    g.output(ops.add(ops.matmul(x, w), g.constant("float32", [2], [0.5, -0.5])), "y");
    const file = saveModel(g, path.join(dir, "inline.onnx"));
    const m = ModelProto.decode(readFileSync(file)) as unknown as { irVersion: number; opsetImport: { version: number }[]; graph: { input: { type: { tensorType: { shape: { dim: { dimParam?: string }[] } } } }[] } };
    expect(Number(m.irVersion)).toBe(8);
    expect(Number(m.opsetImport[0].version)).toBe(17);
    expect(m.graph.input[0].type.tensorType.shape.dim[0].dimParam).toBe("batch");
    const s = await createSession(file);
    for (const B of [1, 4]) {
      const xs = Array.from({ length: B * 3 }, (_, i) => i);
      const y = (await s.run({ x: toOrt("float32", [B, 3], xs) })).y;
      expect(y.dims).toEqual([B, 2]);
      const row = B - 1; // x = [3r, 3r+1, 3r+2]
      const want0 = 3 * row * 1 + (3 * row + 1) * 3 + (3 * row + 2) * 5 + 0.5;
      expect((y.data as Float32Array)[row * 2]).toBeCloseTo(want0, 4);
    }
    await s.close();
  });

  it("moves big initializers to a side file (data_location EXTERNAL) and onnxruntime reads them", async () => {
    const { g, x } = affine("external");
    const wv = Float32Array.from({ length: 3 * 1000 }, (_, i) => (i % 7) - 3);
    g.output(ops.reduceSum(ops.matmul(x, g.initializer("w", "float32", [3, 1000], wv)), [1], false), "y");
    const file = saveModel(g, path.join(dir, "external.onnx"), { externalThreshold: 1024 });
    expect(existsSync(`${file}.data`)).toBe(true);
    expect(statSync(file).size).toBeLessThan(2000); // the 12 kB of weights are not in the protobuf
    const s = await createSession(file);
    const y = (await s.run({ x: toOrt("float32", [1, 3], [1, 0, 0]) })).y.data as Float32Array;
    expect(y[0]).toBeCloseTo(wv.slice(0, 1000).reduce((a, b) => a + b, 0), 3);
    await s.close();
  });

  it("references tensors already streamed by ExternalDataWriter, 4 KiB aligned", async () => {
    const w = new ExternalDataWriter(path.join(dir, "shared", "weights.bin"));
    const a = w.append(new Uint8Array(Float32Array.from([1, 2, 3]).buffer));
    const b = w.append(new Uint8Array(Float32Array.from([10, 20, 30]).buffer));
    w.close();
    expect(b.offset % 4096).toBe(0);
    expect(b.offset).toBeGreaterThan(a.offset);
    const { g, x } = affine("refs");
    const wa = g.initializer("a", "float32", [3], { external: a });
    const wb = g.initializer("b", "float32", [3], { external: b });
    g.output(ops.add(ops.mul(x, wa), wb), "y");
    const s = await createSession(saveModel(g, path.join(dir, "shared", "refs.onnx")));
    const y = (await s.run({ x: toOrt("float32", [1, 3], [1, 1, 2]) })).y.data as Float32Array;
    expect(Array.from(y)).toEqual([11, 22, 36]);
    await s.close();
  });

  it("names a missing input and a bad model file clearly", async () => {
    const { g, x } = affine("missing");
    g.output(ops.neg(x), "y");
    const s = await createSession(saveModel(g, path.join(dir, "missing.onnx")));
    await expect(s.run({})).rejects.toThrow(/missing input 'x'/);
    await s.close();
    await expect(createSession(path.join(dir, "nope.onnx"))).rejects.toThrow(/could not load .*nope\.onnx/);
  });
});
