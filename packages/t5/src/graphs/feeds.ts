// Host-side inputs of the graphs: the Batch contract (int32 row-major) turned into the int64
// tensors the graphs take, encoder masks with the prompt part first, decoder inputs (labels shifted
// right, as T5ForConditionalGeneration._shift_right) and relative position bucket matrices.
import { toOrt, type ort } from "@ptune/onnx";
import type { T5Config } from "../config.ts";
import { relativePositionBucket, relativePositionBuckets } from "../relative-position.ts";

export interface Batch {
  batchSize: number;
  inputLen: number;
  targetLen: number;
  inputIds: Int32Array; // [B, T], pad 0
  attentionMask: Int32Array; // [B, T]
  labels: Int32Array; // [B, L], -100 = ignored
}
export type EncoderBatch = Pick<Batch, "batchSize" | "inputLen" | "inputIds" | "attentionMask">;
type Feeds = Record<string, ort.Tensor>;

export class BatchError extends Error {
  override name = "BatchError";
}

function checkLen(what: string, got: number, want: number, shape: string) {
  if (got !== want) throw new BatchError(`batch: ${what} has ${got} values, expected ${want} (${shape})`);
}

export function validateEncoder(b: EncoderBatch): void {
  if (!Number.isInteger(b.batchSize) || b.batchSize < 1) throw new BatchError(`batch: batchSize must be a positive integer, got ${b.batchSize}`);
  if (!Number.isInteger(b.inputLen) || b.inputLen < 1) throw new BatchError(`batch: inputLen must be a positive integer, got ${b.inputLen}`);
  checkLen("inputIds", b.inputIds.length, b.batchSize * b.inputLen, "batchSize x inputLen");
  checkLen("attentionMask", b.attentionMask.length, b.batchSize * b.inputLen, "batchSize x inputLen");
}

export function validateBatch(b: Batch): void {
  validateEncoder(b);
  if (!Number.isInteger(b.targetLen) || b.targetLen < 1) throw new BatchError(`batch: targetLen must be a positive integer, got ${b.targetLen}`);
  checkLen("labels", b.labels.length, b.batchSize * b.targetLen, "batchSize x targetLen");
}

/** Encoder inputs. `promptSlots`: a shared prompt of that length (all slots real), or a per-example mask [B, Pmax]. */
export function encoderFeeds(c: T5Config, b: EncoderBatch, prompt?: { len: number } | { mask: Int32Array; pmax: number }): Feeds {
  const B = b.batchSize;
  const T = b.inputLen;
  const P = prompt ? ("len" in prompt ? prompt.len : prompt.pmax) : 0;
  const S = P + T;
  const mask = new Int32Array(B * S);
  for (let i = 0; i < B; i++) {
    for (let p = 0; p < P; p++) mask[i * S + p] = prompt && "mask" in prompt ? prompt.mask[i * P + p] : 1;
    mask.set(b.attentionMask.subarray(i * T, (i + 1) * T), i * S + P);
  }
  const nb = c.relative_attention_num_buckets;
  const md = c.relative_attention_max_distance;
  if (prompt && "mask" in prompt) {
    // per-example prompts: positions count only real slots (cumsum of the mask - 1), so an example
    // packed with a shorter prompt than Pmax sees exactly the distances it would see alone; the
    // graph gathers table[pos_k - pos_q] itself (a negative distance indexes from the table's end)
    const pos = new Int32Array(B * S);
    for (let i = 0; i < B; i++) {
      let n = 0;
      for (let s = 0; s < S; s++) pos[i * S + s] = (n += s < P ? mask[i * S + s] : 1) - 1;
    }
    const table = new Int32Array(2 * S - 1);
    for (let r = 0; r < S; r++) table[r] = relativePositionBucket(r, true, nb, md);
    for (let r = 1; r < S; r++) table[2 * S - 1 - r] = relativePositionBucket(-r, true, nb, md);
    return {
      input_ids: toOrt("int64", [B, T], b.inputIds),
      attention_mask: toOrt("int64", [B, S], mask),
      enc_positions: toOrt("int64", [B, S], pos),
      enc_bucket_table: toOrt("int64", [2 * S - 1], table),
    };
  }
  return {
    input_ids: toOrt("int64", [B, T], b.inputIds),
    attention_mask: toOrt("int64", [B, S], mask),
    enc_buckets: toOrt("int64", [S, S], relativePositionBuckets(S, S, true, nb, md)),
  };
}

/** decoder_input_ids = labels shifted right with the start token, -100 replaced by pad (HF _shift_right). */
export function shiftRight(c: T5Config, labels: Int32Array, B: number, L: number): Int32Array {
  const out = new Int32Array(B * L);
  for (let i = 0; i < B; i++) {
    out[i * L] = c.decoder_start_token_id;
    for (let l = 1; l < L; l++) {
      const v = labels[i * L + l - 1];
      out[i * L + l] = v === -100 ? c.pad_token_id : v;
    }
  }
  return out;
}

export function decoderFeeds(c: T5Config, decoderIds: Int32Array, B: number, L: number): Feeds {
  return {
    decoder_input_ids: toOrt("int64", [B, L], decoderIds),
    dec_buckets: toOrt("int64", [L, L], relativePositionBuckets(L, L, false, c.relative_attention_num_buckets, c.relative_attention_max_distance)),
  };
}

export function labelFeeds(c: T5Config, b: Batch): Feeds {
  return {
    ...decoderFeeds(c, shiftRight(c, b.labels, b.batchSize, b.targetLen), b.batchSize, b.targetLen),
    labels: toOrt("int64", [b.batchSize, b.targetLen], b.labels),
  };
}
