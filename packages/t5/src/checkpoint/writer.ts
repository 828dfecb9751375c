// Streaming safetensors writer. The header needs every name, dtype and shape up front, but the data
// of each tensor may be produced lazily (one tensor at a time), so a multi-GB checkpoint is written
// holding one tensor in memory. Layout as the Rust crate writes it: header JSON padded with spaces
// to a multiple of 8 bytes, tensors back to back in the order given.
// The file appears atomically (written to a temp name, then renamed).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { DTYPE_SIZE, fromFloat32, isFloatDtype, type Dtype } from "./dtype.ts";
import { numel, SafetensorsError } from "./safetensors.ts";

type IntData = Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Uint8Array | Int8Array | Int16Array | Uint16Array;
export type WriteData = Float32Array | IntData;

export interface WriteEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** The values (float dtypes take Float32Array and are converted), or a function producing them when needed. */
  data: WriteData | (() => WriteData | Promise<WriteData>);
}

/** Bytes of `data` laid out as `dtype` (converting float32 to F16/BF16/F64, widening/narrowing ints). */
function encode(e: WriteEntry, data: WriteData, file: string): Uint8Array {
  const n = numel(e.shape);
  if (data.length !== n) {
    throw new SafetensorsError(`${file}: tensor '${e.name}' has ${data.length} values, expected ${n} for shape ${JSON.stringify(e.shape)}`);
  }
  if (isFloatDtype(e.dtype)) {
    if (!(data instanceof Float32Array)) throw new SafetensorsError(`${file}: tensor '${e.name}' (${e.dtype}) needs Float32Array data`);
    return fromFloat32(e.dtype, data);
  }
  const ctor = { I64: BigInt64Array, U64: BigUint64Array, I32: Int32Array, U32: Uint32Array, I16: Int16Array, U16: Uint16Array, I8: Int8Array, U8: Uint8Array, BOOL: Uint8Array } as const;
  const C = ctor[e.dtype as keyof typeof ctor];
  if (!C) throw new SafetensorsError(`${file}: tensor '${e.name}': cannot write dtype ${e.dtype}`);
  let out: IntData;
  if (data instanceof C) out = data;
  else if (C === BigInt64Array || C === BigUint64Array) out = (C as typeof BigInt64Array).from(data as ArrayLike<number>, (v) => BigInt(v));
  else out = (C as typeof Int32Array).from(data as ArrayLike<number>, (v) => Number(v));
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Builds the padded header bytes for `entries` (exported for tests that craft malformed files). */
export function buildHeader(entries: readonly Pick<WriteEntry, "name" | "dtype" | "shape">[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const e of entries) {
    if (e.name === "__metadata__" || Object.hasOwn(header, e.name)) throw new SafetensorsError(`tensor name '${e.name}' is reserved or duplicated`);
    const bytes = numel(e.shape) * DTYPE_SIZE[e.dtype];
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.byteLength) {
    const n = writeSync(fd, bytes, done, Math.min(1 << 30, bytes.byteLength - done), position + done);
    done += n;
  }
}

/** Writes a safetensors file, producing lazily given tensors one at a time. Returns the file size. */
export async function writeSafetensors(path: string, entries: readonly WriteEntry[], opts: { metadata?: Record<string, string> } = {}): Promise<number> {
  const head = buildHeader(entries, opts.metadata);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, "w");
  let pos = 0;
  try {
    writeAll(fd, head, 0);
    pos = head.byteLength;
    for (const e of entries) {
      const data = typeof e.data === "function" ? await e.data() : e.data;
      const bytes = encode(e, data, path);
      writeAll(fd, bytes, pos);
      pos += bytes.byteLength;
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw err;
  }
  return pos;
}
