// The state a trial checkpoints (docs/architecture.md: "TrainState is plain data ... that @ptune/db
// stores as bytes; a resumed trial continues bit-identically"), and its one-buffer serialisation.
//
// Byte layout (version 1), little-endian:
//   0   8 bytes  magic "PTUNETS\0"
//   8   u32      format version (1)
//   12  u32      J = byte length of the JSON header
//   16  J bytes  UTF-8 JSON of the state with every Float32Array replaced by {"$f32": [offset, length]}
//   ..  zero padding to a multiple of 8
//   ..  tensor data: raw float32 values (offsets are relative to the start of this section)
// Floats travel as raw bytes (never through JSON numbers), so a round trip is bit-exact.
import type { AdafactorState } from "./adafactor.ts";
import type { DataPosition } from "./batching.ts";
import type { RngState } from "./rng.ts";

export type TrainMethod = "prompt_tuning" | "model_tuning";

export interface BestSoFar {
  step: number;
  metric: string;
  score: number;
  metrics: Record<string, number>;
}

export interface TrainState {
  version: 1;
  method: TrainMethod;
  /** optimizer steps completed */
  step: number;
  /** prompt_tuning: the soft prompt [promptLen, dModel] */
  prompt?: { len: number; dModel: number; data: Float32Array };
  /** model_tuning: the trained weights by canonical name */
  weights?: Record<string, { shape: number[]; data: Float32Array }>;
  optimizer: AdafactorState;
  data: DataPosition;
  rng: RngState;
  best: BestSoFar | null;
  evalsWithoutImprovement: number;
  /** set when the trial was cancelled during the evaluation of `step`: the resumed trial runs it first */
  pendingEval?: boolean;
  /** identity of the trial the state belongs to (refuses resuming a different trial's state) */
  trialKey: string;
}

const MAGIC = new TextEncoder().encode("PTUNETS\0");
export const TRAIN_STATE_FORMAT_VERSION = 1;

export function serializeTrainState(state: TrainState): Uint8Array {
  const blobs: Float32Array[] = [];
  let offset = 0;
  const header = JSON.stringify(state, function (this: unknown, _k, v) {
    if (v instanceof Float32Array) {
      const ref = { $f32: [offset, v.length] };
      blobs.push(v);
      offset += v.byteLength;
      return ref;
    }
    if (ArrayBuffer.isView(v)) throw new Error("serializeTrainState: only Float32Array tensors are supported in a TrainState");
    if (typeof v === "number" && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
  const json = new TextEncoder().encode(header);
  const dataStart = Math.ceil((16 + json.length) / 8) * 8;
  const out = new Uint8Array(dataStart + offset);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, TRAIN_STATE_FORMAT_VERSION, true);
  dv.setUint32(12, json.length, true);
  out.set(json, 16);
  let at = dataStart;
  for (const b of blobs) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), at);
    at += b.byteLength;
  }
  return out;
}

export function deserializeTrainState(bytes: Uint8Array): TrainState {
  const fail = (msg: string): never => {
    throw new Error(`deserializeTrainState: ${msg}`);
  };
  if (bytes.byteLength < 16) fail(`${bytes.byteLength} bytes is too short for a train state`);
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) fail('bad magic: not a ptune train state (expected "PTUNETS")');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== TRAIN_STATE_FORMAT_VERSION) fail(`format version ${version}, this build reads version ${TRAIN_STATE_FORMAT_VERSION}`);
  const jlen = dv.getUint32(12, true);
  if (16 + jlen > bytes.byteLength) fail(`header length ${jlen} runs past the end (${bytes.byteLength} bytes)`);
  const dataStart = Math.ceil((16 + jlen) / 8) * 8;
  const data = bytes.subarray(dataStart);
  const state = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jlen)), (_k, v) => {
    if (v && typeof v === "object" && Array.isArray(v.$f32)) {
      const [off, len] = v.$f32 as [number, number];
      if (off + len * 4 > data.byteLength) fail(`tensor at ${off} (+${len * 4} bytes) runs past the data section (${data.byteLength} bytes)`);
      // copy: aligned and detached from `bytes` (Uint8Array's slice, not a Node Buffer's view-slice)
      return new Float32Array(Uint8Array.prototype.slice.call(data, off, off + len * 4).buffer);
    }
    if (v && typeof v === "object" && typeof v.$num === "string") return Number(v.$num);
    return v;
  }) as TrainState;
  if (state.version !== 1 || typeof state.step !== "number" || !state.optimizer || !state.rng || !state.data) {
    fail("the header lacks version/step/optimizer/rng/data fields");
  }
  return state;
}
