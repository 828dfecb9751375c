// Text-to-text examples -> the int32 `Batch` of the engine contract (docs/architecture.md).
//
// Tokenisation follows T5's preprocessing (seqio's `append_eos_after_trim`): input and target are
// encoded WITHOUT eos, trimmed to `max_length - 1`, then `</s>` is appended, so a truncated sequence
// still ends with eos. Padding: to the longest sequence of the batch (default, what Hugging Face's
// DataCollatorForSeq2Seq does; less compute for short batches) or to a fixed length (`pad: "max"`,
// constant shapes, so onnxruntime sees one shape for the whole run). Labels use -100 on padding.
import type { Batch } from "./engine-like.ts";
import { EOS_ID, encodeNoEos, PAD_ID, type TokenizerLike } from "./tokenizer-like.ts";
import { Rng } from "./rng.ts";

export interface TextExample {
  input: string;
  target: string;
}

export interface EncodedExample {
  input: number[];
  target: number[];
}

export interface LengthLimits {
  maxInputLength: number;
  maxTargetLength: number;
}

function trimWithEos(ids: number[], max: number, eos: number): number[] {
  if (max < 1) throw new Error(`batching: a maximum length must be >= 1, got ${max}`);
  return [...ids.slice(0, max - 1), eos];
}

export function encodeExample(tok: TokenizerLike, ex: TextExample, limits: LengthLimits): EncodedExample {
  const eos = tok.eosId ?? EOS_ID;
  return {
    input: trimWithEos(encodeNoEos(tok, ex.input), limits.maxInputLength, eos),
    target: trimWithEos(encodeNoEos(tok, ex.target), limits.maxTargetLength, eos),
  };
}

export type PadMode = "batch" | "max";

/** Pads `examples` into one Batch. With pad "max", inputs/targets are padded to the limits. */
export function buildBatch(examples: EncodedExample[], opts: { pad?: PadMode; limits?: LengthLimits } = {}): Batch {
  if (examples.length === 0) throw new Error("buildBatch: no examples");
  const pad = opts.pad ?? "batch";
  if (pad === "max" && !opts.limits) throw new Error('buildBatch: pad "max" needs limits');
  const B = examples.length;
  const T = pad === "max" ? opts.limits!.maxInputLength : Math.max(...examples.map((e) => e.input.length));
  const L = pad === "max" ? opts.limits!.maxTargetLength : Math.max(...examples.map((e) => e.target.length));
  const inputIds = new Int32Array(B * T).fill(PAD_ID);
  const attentionMask = new Int32Array(B * T);
  const labels = new Int32Array(B * L).fill(-100);
  examples.forEach((e, b) => {
    if (e.input.length > T || e.target.length > L) throw new Error(`buildBatch: example ${b} is longer than the padded length (${T}, ${L})`);
    e.input.forEach((id, t) => {
      inputIds[b * T + t] = id;
      attentionMask[b * T + t] = 1;
    });
    e.target.forEach((id, t) => (labels[b * L + t] = id));
  });
  return { batchSize: B, inputLen: T, targetLen: L, inputIds, attentionMask, labels };
}

/** Where the training stream is: epoch number and the index of the next example in that epoch's order. */
export interface DataPosition {
  epoch: number;
  index: number;
}

/**
 * Seeded epoch shuffling. Each epoch's order is a Fisher–Yates permutation from an Rng seeded by
 * (seed, epoch), so the position (epoch, index) alone restores the stream: no permutation is stored.
 * A batch that runs past the end of an epoch continues with the next epoch's order (an endless,
 * per-epoch-shuffled stream, like `dataset.repeat()` after a per-epoch shuffle).
 */
export class EpochSampler {
  private orderEpoch = -1;
  private order: number[] = [];
  position: DataPosition;

  constructor(readonly size: number, readonly seed: number, position: DataPosition = { epoch: 0, index: 0 }) {
    if (size <= 0) throw new Error("EpochSampler: the training split is empty");
    if (position.index < 0 || position.index > size) throw new Error(`EpochSampler: position index ${position.index} outside [0, ${size}]`);
    this.position = { ...position };
  }

  epochOrder(epoch: number): number[] {
    if (epoch !== this.orderEpoch) {
      this.order = Rng.fromKeys(this.seed, epoch).permutation(this.size);
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  /** Indices of the next `n` examples; advances the position. */
  next(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.position.index >= this.size) this.position = { epoch: this.position.epoch + 1, index: 0 };
      const order = this.epochOrder(this.position.epoch);
      out.push(order[this.position.index]);
      this.position = { epoch: this.position.epoch, index: this.position.index + 1 };
    }
    return out;
  }
}

/** Contiguous evaluation batches (no shuffling) over already-encoded examples. */
export function* evalBatches(encoded: EncodedExample[], batchSize: number): Generator<{ start: number; examples: EncodedExample[] }> {
  for (let s = 0; s < encoded.length; s += batchSize) yield { start: s, examples: encoded.slice(s, s + batchSize) };
}
