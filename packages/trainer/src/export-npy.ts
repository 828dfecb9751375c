// A learned prompt as a T5X-style NumPy `.npy` file (the official prompt-tuning code saves and loads
// prompts with np.save / np.load, prompt_tuning/prompts.py `np_load`). Format: NumPy format v1.0
// (numpy/lib/format.py): magic "\x93NUMPY", version 1.0, u16 header length, an ASCII dict
// {'descr': '<f4', 'fortran_order': False, 'shape': (P, d), } padded with spaces and ended by "\n"
// so that the data starts at a multiple of 64 bytes; then P*d little-endian float32 in C order.
import { readFileSync, writeFileSync } from "node:fs";
import { toFloat32 } from "@ptune/t5";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function encodeNpy(data: Float32Array, shape: [number, number]): Uint8Array {
  if (shape[0] * shape[1] !== data.length) throw new Error(`encodeNpy: shape (${shape}) needs ${shape[0] * shape[1]} values, got ${data.length}`);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape[0]}, ${shape[1]}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, " ") + "\n";
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

export function decodeNpy(bytes: Uint8Array, where = "npy"): { data: Float32Array; shape: [number, number] } {
  const fail = (m: string): never => {
    throw new Error(`${where}: ${m}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail("not a NumPy .npy file (bad magic)");
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [hlen, hstart] = major === 1 ? [dv.getUint16(8, true), 10] : major === 2 || major === 3 ? [dv.getUint32(8, true), 12] : fail(`unsupported .npy version ${major}`);
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  // float32 as written by T5X / the paper's released prompts; float64 and float16 (np.save of other
  // arrays) are converted.
  const size = descr === "<f4" ? 4 : descr === "<f8" ? 8 : descr === "<f2" ? 2 : fail(`dtype '${descr}', expected '<f4' (little-endian float32; '<f8' and '<f2' are converted)`);
  if (fortran !== "False") fail("fortran_order must be False (C order)");
  const shape = (shapeStr ?? "").split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.length !== 2 || shape.some((n) => !Number.isInteger(n) || n < 0)) fail(`shape (${shapeStr}) must be 2-D (P, d)`);
  const start = hstart + hlen;
  const n = shape[0] * shape[1];
  if (bytes.length - start !== n * size) fail(`data has ${bytes.length - start} bytes, shape (${shape}) needs ${n * size}`);
  // copy (Uint8Array.prototype.slice: a Node Buffer's own slice would be a view)
  const copy = Uint8Array.prototype.slice.call(bytes, start);
  const data = size === 4 ? new Float32Array(copy.buffer, 0, n) : toFloat32(size === 8 ? "F64" : "F16", copy, where);
  return { data, shape: [shape[0], shape[1]] };
}

export function exportPromptNpy(file: string, prompt: { data: Float32Array; len: number }): void {
  writeFileSync(file, encodeNpy(prompt.data, [prompt.len, prompt.data.length / prompt.len]));
}

export function importPromptNpy(file: string): { data: Float32Array; len: number; dModel: number } {
  const { data, shape } = decodeNpy(readFileSync(file), file);
  return { data, len: shape[0], dModel: shape[1] };
}
