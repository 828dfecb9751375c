// Streaming safetensors reader. Format (huggingface/safetensors README): 8-byte little-endian u64 N,
// N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}},
// then the data buffer; offsets are relative to the buffer start. Validation mirrors the Rust
// crate's `Metadata::validate`: tensors tile the buffer contiguously, byte length = numel * dtype
// size, and the buffer ends exactly at the end of the file.
// Only the header is held in memory; a tensor is read with positioned reads when asked for, so
// files beyond Node's buffer limit (real checkpoints reach 44 GB) are fine.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { DTYPE_SIZE, isDtype, isFloatDtype, toFloat32, toIntArray, type Dtype } from "./dtype.ts";
import type { TensorFile } from "./tensor-file.ts";

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

export interface TensorInfo {
  dtype: Dtype;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

const MAX_HEADER = 100_000_000; // the Rust crate's limit
const READ_CHUNK = 1 << 30; // positioned reads stay well under the 2 GiB per-call limit

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Reads `length` bytes at `position` into a fresh buffer, failing clearly on a short file. */
export function readExact(fd: number, position: number, length: number, where: string): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, Math.min(READ_CHUNK, length - done), position + done);
    if (n === 0) throw new SafetensorsError(`${where}: file ends at byte ${position + done}, expected ${length - done} more bytes (truncated file?)`);
    done += n;
  }
  return out;
}

/** Parses and validates the header of an open file; returns the tensor table and metadata. */
export function parseHeader(fd: number, file: string): { tensors: Map<string, TensorInfo>; metadata: Record<string, string>; headerBytes: Uint8Array; fileSize: number } {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) throw new SafetensorsError(`${file}: ${fileSize} bytes, too short for a safetensors file (expected an 8-byte header length)`);
  const lenBytes = readExact(fd, 0, 8, file);
  const n = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
  if (n > MAX_HEADER) throw new SafetensorsError(`${file}: header length ${n} exceeds the ${MAX_HEADER}-byte limit (not a safetensors file?)`);
  if (8 + n > fileSize) throw new SafetensorsError(`${file}: header length ${n} goes beyond the end of the file (${fileSize} bytes); the file is truncated or not safetensors`);
  const headerBytes = readExact(fd, 8, n, file);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new SafetensorsError(`${file}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new SafetensorsError(`${file}: header must be a JSON object`);
  const dataStart = 8 + n;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  const spans: { name: string; b: number; e: number }[] = [];
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof v !== "object" || v === null || Object.values(v).some((x) => typeof x !== "string")) {
        throw new SafetensorsError(`${file}: __metadata__ must map strings to strings`);
      }
      metadata = v as Record<string, string>;
      continue;
    }
    const where = `${file}: tensor '${name}'`;
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== "object" || t === null) throw new SafetensorsError(`${where}: expected {dtype, shape, data_offsets}`);
    if (typeof t.dtype !== "string" || !isDtype(t.dtype)) {
      throw new SafetensorsError(`${where}: unknown dtype ${JSON.stringify(t.dtype)}; expected one of ${Object.keys(DTYPE_SIZE).join(", ")}`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${where}: shape ${JSON.stringify(t.shape)} must be an array of non-negative integers`);
    }
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0]) {
      throw new SafetensorsError(`${where}: data_offsets ${JSON.stringify(off)} must be [begin, end] with 0 <= begin <= end`);
    }
    const want = numel(t.shape) * DTYPE_SIZE[t.dtype];
    if (off[1] - off[0] !== want) {
      throw new SafetensorsError(`${where}: data_offsets ${JSON.stringify(off)} span ${off[1] - off[0]} bytes, expected ${want} (${t.dtype} ${JSON.stringify(t.shape)})`);
    }
    spans.push({ name, b: off[0], e: off[1] });
    tensors.set(name, { dtype: t.dtype, shape: t.shape, begin: dataStart + off[0], end: dataStart + off[1] });
  }
  spans.sort((a, b) => a.b - b.b || a.e - b.e);
  let pos = 0;
  for (const s of spans) {
    if (s.b !== pos) throw new SafetensorsError(`${file}: tensor '${s.name}' starts at data offset ${s.b}, expected ${pos} (tensors must be contiguous without gaps or overlaps)`);
    pos = s.e;
  }
  if (dataStart + pos !== fileSize) {
    const why = dataStart + pos > fileSize ? "the file is truncated" : "trailing bytes after the last tensor";
    throw new SafetensorsError(`${file}: tensor data should end at byte ${dataStart + pos} but the file has ${fileSize} bytes (${why})`);
  }
  return { tensors, metadata, headerBytes, fileSize };
}

/**
 * The read side every tensor file shares (this safetensors reader and torch.ts's PyTorch .bin
 * reader): an open descriptor and a table of absolute byte ranges, read on demand. A format opens
 * and parses in its constructor; `Fail` is its error class. (Here, not in tensor-file.ts, because
 * it reads with readExact: the modules stay acyclic.)
 */
export abstract class PositionedTensorFile implements TensorFile {
  protected fd: number | null = null;
  abstract readonly tensors: ReadonlyMap<string, TensorInfo>;

  constructor(
    readonly path: string,
    private readonly Fail: new (message: string) => Error,
  ) {}

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new this.Fail(`${this.path}: no tensor '${name}'`);
    return t;
  }

  /** Raw little-endian bytes of one tensor. */
  readRaw(name: string): Uint8Array {
    const t = this.info(name);
    return this.readRange(t.begin, t.end - t.begin, name);
  }

  /** Raw bytes of a byte range of the file (used for sampled content hashes). */
  readRange(position: number, length: number, what = "range"): Uint8Array {
    if (this.fd === null) throw new this.Fail(`${this.path}: file is closed`);
    return readExact(this.fd, position, length, `${this.path}: tensor '${what}'`);
  }

  /** A float tensor as float32 (F16/BF16/F64 converted). */
  readFloat32(name: string): Float32Array {
    const t = this.info(name);
    if (!isFloatDtype(t.dtype)) throw new this.Fail(`${this.path}: tensor '${name}' has dtype ${t.dtype}, expected a float dtype (F32, F16, BF16, F64)`);
    return toFloat32(t.dtype, this.readRaw(name), `${this.path}: tensor '${name}'`, true); // fresh buffer: no copy
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** One open safetensors file: header in memory, tensors read on demand. */
export class SafetensorsFile extends PositionedTensorFile {
  readonly tensors: Map<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  readonly headerBytes: Uint8Array;
  readonly size: number;

  constructor(path: string) {
    super(path, SafetensorsError);
    let fd: number;
    try {
      fd = this.fd = openSync(path, "r");
    } catch (e) {
      throw new SafetensorsError(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      const h = parseHeader(fd, path);
      this.tensors = h.tensors;
      this.metadata = h.metadata;
      this.headerBytes = h.headerBytes;
      this.size = h.fileSize;
    } catch (e) {
      this.close();
      throw e;
    }
  }
}

export type TensorData = Float32Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
export interface LoadedTensor { dtype: Dtype; shape: number[]; data: TensorData }

/**
 * Reads every tensor of a small file (golden fixtures). Floats come back as Float32Array,
 * I64 as BigInt64Array, I32 and narrower ints as Int32Array. Use `asInt32` for ids.
 */
export function readSafetensorsFile(path: string): Map<string, LoadedTensor> {
  const f = new SafetensorsFile(path);
  try {
    const out = new Map<string, LoadedTensor>();
    for (const [name, t] of f.tensors) {
      const raw = f.readRaw(name);
      out.set(name, { dtype: t.dtype, shape: t.shape, data: isFloatDtype(t.dtype) ? toFloat32(t.dtype, raw, name, true) : toIntArray(t.dtype, raw) });
    }
    return out;
  } finally {
    f.close();
  }
}

/** Integer tensor data as Int32Array (ids, labels, buckets), failing if a value does not fit. */
export function asInt32(t: LoadedTensor | TensorData, what = "tensor"): Int32Array {
  const d: TensorData = ArrayBuffer.isView(t) ? t : t.data;
  if (d instanceof Int32Array) return d;
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new SafetensorsError(`${what}: element ${i} = ${v} is not an int32`);
    out[i] = v;
  }
  return out;
}
