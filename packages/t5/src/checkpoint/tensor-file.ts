// What a checkpoint reads tensors through, whatever the file format (safetensors, PyTorch .bin):
// a table of tensors located at absolute byte ranges, read on demand.
import type { TensorInfo } from "./safetensors.ts";

export interface TensorFile {
  readonly path: string;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** Raw little-endian bytes of one tensor. */
  readRaw(name: string): Uint8Array;
  /** Raw bytes of a byte range of the file (sampled content hashes). */
  readRange(position: number, length: number, what?: string): Uint8Array;
  /** A float tensor as float32 (F16/BF16/F64 converted). */
  readFloat32(name: string): Float32Array;
  close(): void;
}
