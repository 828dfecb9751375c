// Safetensors element types and conversions to/from float32.
// Dtype names and sizes follow the safetensors format spec (huggingface/safetensors, `Dtype`).
// Byte order is little-endian in the file; this module assumes a little-endian host (x86, arm64).

export const DTYPE_SIZE = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
} as const;

export type Dtype = keyof typeof DTYPE_SIZE;
export const FLOAT_DTYPES = ["F32", "F16", "BF16", "F64"] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

export const isDtype = (s: string): s is Dtype => Object.hasOwn(DTYPE_SIZE, s);
export const isFloatDtype = (d: Dtype): d is FloatDtype => (FLOAT_DTYPES as readonly string[]).includes(d);

// f16 -> f32 through a 64K-entry table: one lookup per element, exact for every f16 value.
let f16Table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24; // subnormal
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return (f16Table = t);
}

/**
 * Converts raw little-endian bytes of a float tensor to float32. `bytes` may be unaligned. F32 input
 * is copied unless `share` is set (then an aligned input is viewed in place: callers that own a
 * fresh buffer avoid a copy, which matters for multi-GB tensors).
 */
export function toFloat32(dtype: Dtype, bytes: Uint8Array, where: string, share = false): Float32Array {
  const size = DTYPE_SIZE[dtype];
  const n = bytes.byteLength / size;
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  switch (dtype) {
    case "F32": {
      const view = new Float32Array(aligned.buffer, aligned.byteOffset, n);
      return share || aligned !== bytes ? view : view.slice();
    }
    case "F16": {
      const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const t = halfTable();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = t[src[i]];
      return out;
    }
    case "BF16": {
      // bfloat16 is the top half of a float32: shift into place.
      const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = src[i] << 16;
      return new Float32Array(out.buffer);
    }
    case "F64":
      return Float32Array.from(new Float64Array(aligned.buffer, aligned.byteOffset, n));
    default:
      throw new Error(`${where}: dtype ${dtype} is not a float type; expected one of ${FLOAT_DTYPES.join(", ")}`);
  }
}

/** Integer tensors: I64/U64 as BigInt64Array/BigUint64Array, the rest widened to Int32Array (U32 kept as Uint32Array). */
export function toIntArray(dtype: Dtype, bytes: Uint8Array): Int32Array | Uint32Array | BigInt64Array | BigUint64Array {
  const size = DTYPE_SIZE[dtype];
  const n = bytes.byteLength / size;
  const a = bytes.slice(); // aligned copy
  switch (dtype) {
    case "I64": return new BigInt64Array(a.buffer, 0, n);
    case "U64": return new BigUint64Array(a.buffer, 0, n);
    case "I32": return new Int32Array(a.buffer, 0, n);
    case "U32": return new Uint32Array(a.buffer, 0, n);
    case "I16": return Int32Array.from(new Int16Array(a.buffer, 0, n));
    case "U16": return Int32Array.from(new Uint16Array(a.buffer, 0, n));
    case "I8": return Int32Array.from(new Int8Array(a.buffer, 0, n));
    case "U8": case "BOOL": return Int32Array.from(a);
    default: throw new Error(`dtype ${dtype} is not an integer type`);
  }
}

// float32 -> f16 with round-to-nearest-even (what torch's .half() does).
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);
function f32ToF16Bits(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> signed zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) { r = 0; e++; if (e >= 31) return sign | 0x7c00; }
  }
  return sign | (e << 10) | r;
}

/** Encodes float32 values as `dtype` bytes (F32/F16/BF16/F64), rounding to nearest even. */
export function fromFloat32(dtype: Dtype, data: Float32Array): Uint8Array {
  switch (dtype) {
    case "F32": return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    case "F64": return new Uint8Array(Float64Array.from(data).buffer);
    case "F16": {
      const out = new Uint16Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = f32ToF16Bits(data[i]);
      return new Uint8Array(out.buffer);
    }
    case "BF16": {
      const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
      const out = new Uint16Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const x = bits[i];
        if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) { out[i] = (x >>> 16) | 0x40; continue; } // NaN stays NaN
        out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
      }
      return new Uint8Array(out.buffer);
    }
    default: throw new Error(`cannot encode float32 data as ${dtype}`);
  }
}
