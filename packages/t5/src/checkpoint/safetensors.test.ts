import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, appendFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { goldenFile, goldenDir } from "../../../../tooling/test-env.ts";
import { fromFloat32, toFloat32 } from "./dtype.ts";
import { asInt32, readSafetensorsFile, SafetensorsFile } from "./safetensors.ts";
import { buildHeader, writeSafetensors } from "./writer.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-st-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const f32 = (...v: number[]) => new Float32Array(v);

describe("dtype conversion", () => {
  it("decodes known f16 and bf16 bit patterns exactly", () => {
    const h = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x8000, 0x3555]);
    const got = toFloat32("F16", new Uint8Array(h.buffer), "t");
    expect(Array.from(got)).toEqual([1, -2, 65504, 2 ** -24, Infinity, -Infinity, -0, 0.333251953125]);
    expect(Number.isNaN(toFloat32("F16", new Uint8Array(new Uint16Array([0x7e00]).buffer), "t")[0])).toBe(true);
    const b = new Uint16Array([0x3f80, 0xc040, 0x3eab]);
    expect(Array.from(toFloat32("BF16", new Uint8Array(b.buffer), "t"))).toEqual([1, -3, 0.333984375]);
  });

  it("encodes f32 -> f16/bf16 with round-to-nearest-even and round-trips representable values", () => {
    const v = f32(1, -2, 0.1, 65504, 70000, 2 ** -24, 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11);
    const h = new Uint16Array(fromFloat32("F16", v).buffer);
    // 0.1 -> 0x2e66; 70000 -> inf; 2^-26 -> 0; 1+2^-11 is a tie -> even (1.0); 1+3*2^-11 -> 1+2^-9
    expect(Array.from(h)).toEqual([0x3c00, 0xc000, 0x2e66, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x3c00, 0x3c02]);
    const bf = new Uint16Array(fromFloat32("BF16", f32(1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -0.1)).buffer);
    expect(Array.from(bf)).toEqual([0x3f80, 0x3f80, 0x3f82, 0xbdcd]);
    const rand = f32(...Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10));
    const back = toFloat32("F16", fromFloat32("F16", rand), "t");
    for (let i = 0; i < rand.length; i++) expect(Math.abs(back[i] - rand[i])).toBeLessThanOrEqual(Math.abs(rand[i]) * 2 ** -11 + 1e-7);
  });
});

describe("safetensors writer + reader", () => {
  it("round-trips lazily produced tensors of several dtypes, reading one tensor at a time", async () => {
    const file = path.join(tmp, "rt.safetensors");
    let produced = 0;
    const a = f32(...Array.from({ length: 24 }, (_, i) => i / 7));
    await writeSafetensors(file, [
      { name: "a", dtype: "F32", shape: [2, 3, 4], data: () => (produced++, a) },
      { name: "h", dtype: "F16", shape: [3], data: async () => (produced++, f32(0.5, -1, 3)) },
      { name: "b", dtype: "BF16", shape: [2], data: f32(2, -0.25) },
      { name: "ids", dtype: "I64", shape: [2, 2], data: new Int32Array([1, -100, 7, 1099]) },
      { name: "i", dtype: "I32", shape: [1], data: new Int32Array([42]) },
      { name: "empty", dtype: "F32", shape: [0, 5], data: new Float32Array(0) },
    ], { metadata: { format: "pt" } });
    expect(produced).toBe(2);
    const raw = readFileSync(file);
    expect(Number(raw.readBigUInt64LE(0)) % 8).toBe(0); // header padded like the Rust writer
    const f = new SafetensorsFile(file);
    expect(f.metadata).toEqual({ format: "pt" });
    expect(f.readFloat32("a")).toEqual(a);
    expect(Array.from(f.readFloat32("h"))).toEqual([0.5, -1, 3]);
    expect(Array.from(f.readFloat32("b"))).toEqual([2, -0.25]);
    expect(() => f.readFloat32("ids")).toThrow(/dtype I64, expected a float dtype/);
    f.close();
    const all = readSafetensorsFile(file);
    expect(all.get("ids")!.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(asInt32(all.get("ids")!))).toEqual([1, -100, 7, 1099]);
    expect(Array.from(asInt32(all.get("i")!))).toEqual([42]);
    expect(all.get("empty")!.shape).toEqual([0, 5]);
  });

  it("rejects a tensor whose data length does not match its shape and leaves no file", async () => {
    const file = path.join(tmp, "bad-len.safetensors");
    await expect(writeSafetensors(file, [{ name: "x", dtype: "F32", shape: [3], data: f32(1, 2) }])).rejects.toThrow(/tensor 'x' has 2 values, expected 3/);
    expect(() => readFileSync(file)).toThrow();
  });

  it("reads the golden fixture files", () => {
    const g = readSafetensorsFile(goldenFile("v1_1"));
    expect(g.get("input_ids")!.shape).toEqual([3, 59]);
    expect(g.get("logits")!.data).toBeInstanceOf(Float32Array);
    expect(g.get("logits")!.data.length).toBe(3 * 7 * 1100);
    const labels = asInt32(g.get("labels")!);
    expect(labels.includes(-100)).toBe(true);
    const rb = readSafetensorsFile(path.join(goldenDir, "relative_buckets.safetensors"));
    expect(rb.get("relative_position")!.shape).toEqual([401]);
  });
});

describe("malformed safetensors fail with one clear message", () => {
  async function good(name: string) {
    const file = path.join(tmp, name);
    await writeSafetensors(file, [
      { name: "w", dtype: "F32", shape: [4, 4], data: new Float32Array(16).fill(1) },
      { name: "v", dtype: "F32", shape: [4], data: new Float32Array(4) },
    ]);
    return file;
  }
  function rawFile(name: string, headerJson: unknown, dataBytes: number) {
    const json = Buffer.from(JSON.stringify(headerJson));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const file = path.join(tmp, name);
    writeFileSync(file, Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
    return file;
  }

  it("truncated file", async () => {
    const file = await good("trunc.safetensors");
    truncateSync(file, readFileSync(file).length - 10);
    expect(() => new SafetensorsFile(file)).toThrow(new RegExp(`${file}: tensor data should end at byte \\d+ but the file has \\d+ bytes \\(the file is truncated\\)`));
  });

  it("trailing bytes", async () => {
    const file = await good("trail.safetensors");
    appendFileSync(file, Buffer.alloc(3));
    expect(() => new SafetensorsFile(file)).toThrow(/trailing bytes after the last tensor/);
  });

  it("header length beyond the file", async () => {
    const file = await good("hdr.safetensors");
    const b = readFileSync(file);
    b.writeBigUInt64LE(BigInt(b.length + 100), 0);
    writeFileSync(file, b);
    expect(() => new SafetensorsFile(file)).toThrow(/header length \d+ goes beyond the end of the file/);
    writeFileSync(file, Buffer.alloc(5));
    expect(() => new SafetensorsFile(file)).toThrow(/too short for a safetensors file/);
  });

  it("unknown dtype", () => {
    const file = rawFile("dtype.safetensors", { w: { dtype: "F33", shape: [1], data_offsets: [0, 4] } }, 4);
    expect(() => new SafetensorsFile(file)).toThrow(/tensor 'w': unknown dtype "F33"; expected one of BOOL, .*F32/);
  });

  it("offsets that do not match the shape, gaps and bad JSON", () => {
    const a = rawFile("span.safetensors", { w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 4);
    expect(() => new SafetensorsFile(a)).toThrow(/tensor 'w': data_offsets \[0,4\] span 4 bytes, expected 8 \(F32 \[2\]\)/);
    const b = rawFile("gap.safetensors", { w: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, 8);
    expect(() => new SafetensorsFile(b)).toThrow(/tensor 'w' starts at data offset 4, expected 0/);
    const c = rawFile("shape.safetensors", { w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4);
    expect(() => new SafetensorsFile(c)).toThrow(/shape \[-1\] must be an array of non-negative integers/);
    const d = path.join(tmp, "json.safetensors");
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(3n);
    writeFileSync(d, Buffer.concat([len, Buffer.from("{x:")]));
    expect(() => new SafetensorsFile(d)).toThrow(/header is not valid UTF-8 JSON/);
  });

  it("buildHeader refuses duplicate names", () => {
    expect(() => buildHeader([{ name: "a", dtype: "F32", shape: [1] }, { name: "a", dtype: "F32", shape: [1] }])).toThrow(/duplicated/);
  });
});

describe("large files", () => {
  it("reads a tensor that sits beyond 4 GiB without loading the file (sparse file)", async () => {
    const { openSync, writeSync, ftruncateSync, closeSync } = await import("node:fs");
    const file = path.join(tmp, "big.safetensors");
    const big = 5 * 2 ** 30; // 5 GiB of U8, never read
    const head = buildHeader([{ name: "big", dtype: "U8", shape: [big] }, { name: "small", dtype: "F32", shape: [4] }]);
    const fd = openSync(file, "w");
    writeSync(fd, head, 0, head.length, 0);
    ftruncateSync(fd, head.length + big + 16);
    const tail = f32(1.5, -2, 3.25, 4);
    writeSync(fd, new Uint8Array(tail.buffer), 0, 16, head.length + big);
    closeSync(fd);
    const f = new SafetensorsFile(file);
    expect(f.size).toBe(head.length + big + 16);
    expect(f.info("big").shape).toEqual([big]);
    expect(Array.from(f.readFloat32("small"))).toEqual([1.5, -2, 3.25, 4]);
    f.close();
    rmSync(file);
  });
});
