// Element types of the tensors we emit, with their ONNX TensorProto.DataType codes
// (onnx/onnx.proto: FLOAT=1, UINT8=2, INT8=3, INT32=6, INT64=7, BOOL=9, FLOAT16=10, DOUBLE=11, BFLOAT16=16).
export const DTYPES = {
  float32: { code: 1, bytes: 4 },
  uint8: { code: 2, bytes: 1 },
  int8: { code: 3, bytes: 1 },
  int32: { code: 6, bytes: 4 },
  int64: { code: 7, bytes: 8 },
  bool: { code: 9, bytes: 1 },
  float16: { code: 10, bytes: 2 },
  float64: { code: 11, bytes: 8 },
  bfloat16: { code: 16, bytes: 2 },
} as const;

export type DType = keyof typeof DTYPES;
export type FloatDType = "float32" | "float64" | "float16" | "bfloat16";

export const isFloat = (d: DType): d is FloatDType => d === "float32" || d === "float64" || d === "float16" || d === "bfloat16";

/** Host arrays accepted as tensor data (row-major). */
export type HostData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array;

/** Little-endian bytes of `values` in `dtype` (for small constants; weights stream through external data). */
export function encodeValues(dtype: DType, values: ArrayLike<number> | HostData): Uint8Array {
  const n = values.length;
  switch (dtype) {
    case "float32":
      return new Uint8Array(Float32Array.from(values as ArrayLike<number>).buffer);
    case "float64":
      return new Uint8Array(Float64Array.from(values as ArrayLike<number>).buffer);
    case "int32":
      return new Uint8Array(Int32Array.from(values as ArrayLike<number>).buffer);
    case "int64": {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt((values as ArrayLike<number | bigint>)[i]);
      return new Uint8Array(out.buffer);
    }
    case "bool":
    case "uint8":
      return Uint8Array.from(values as ArrayLike<number>, (v) => (dtype === "bool" ? (v ? 1 : 0) : v));
    case "int8":
      return new Uint8Array(Int8Array.from(values as ArrayLike<number>).buffer);
    case "float16":
      return new Uint8Array(Uint16Array.from(values as ArrayLike<number>, f32ToF16).buffer);
    case "bfloat16": {
      const f = Float32Array.from(values as ArrayLike<number>);
      const u = new Uint32Array(f.buffer);
      // round-to-nearest-even on the upper 16 bits
      return new Uint8Array(Uint16Array.from(u, (x) => (x + 0x7fff + ((x >>> 16) & 1)) >>> 16).buffer);
    }
  }
}

/** IEEE half from a JS number, round to nearest even. */
export function f32ToF16(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}
